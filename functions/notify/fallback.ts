/**
 * The alert as the alarm topic carries it when Slack did not take it: plain text (email
 * subscribers read it as is), built from the Slack message, which never holds a secret, and
 * from the delivery's failure, which is described by HTTP status, Slack's error text or a
 * network error's code only, never by the webhook URL. No AWS SDK, no I/O.
 */
import type { NotifyEvent } from '../shared/contracts.ts';
import type { SlackMessage } from './message.ts';
import { renderText } from './render-text.ts';

/** SNS's limit on a subject: 100 printable ASCII characters, one line. */
const SUBJECT_CHARS = 100;

export interface FallbackAlert {
  subject: string;
  message: string;
}

/** The job and verdict of a finished run, as the alert names them. */
function runOf(event: NotifyEvent): { job: string; verdict: string } {
  const evaluation = event.state.evaluation;
  return {
    job: event.state.run?.job ?? evaluation?.output.job ?? 'unknown',
    verdict: evaluation?.verdict ?? 'no verdict',
  };
}

/** Printable ASCII on one line, cut to SNS's limit: the subject of an email. */
function subjectLine(text: string): string {
  const ascii = text
    .replace(/[^\x20-\x7e]+/g, ' ')
    .replace(/ {2,}/g, ' ')
    .trim();
  return ascii.length <= SUBJECT_CHARS ? ascii : `${ascii.slice(0, SUBJECT_CHARS - 3)}...`;
}

/**
 * @param undelivered why Slack did not take it (`HTTP 403 invalid_token`, `network error
 *   (ECONNREFUSED)`, `the secret's URL is not a Slack incoming webhook ...`)
 */
export function fallbackAlert(
  event: NotifyEvent,
  message: SlackMessage,
  stage: string,
  undelivered: string,
): FallbackAlert {
  const { job, verdict } = runOf(event);
  return {
    subject: subjectLine(`serverless-dbt ${stage}: dbt job ${job} ended ${verdict}`),
    message: [
      `Slack did not take this alert (${undelivered}); it comes to the alarm topic instead.`,
      'Check the Slack webhook (docs/alerts.md, "When Slack refuses an alert").',
      '',
      renderText(message),
    ].join('\n'),
  };
}
