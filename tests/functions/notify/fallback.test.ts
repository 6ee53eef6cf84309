import { fallbackAlert } from '../../../functions/notify/fallback.ts';
import { buildMessage } from '../../../functions/notify/message.ts';
import { DBT_FAILED, MESSAGE_CONTEXT, OUT_OF_MEMORY } from './events.ts';

describe('fallbackAlert', () => {
  it('names the stage, job and verdict in a one-line ASCII subject within SNS’s 100 characters', () => {
    const alert = fallbackAlert(
      DBT_FAILED,
      buildMessage(DBT_FAILED, MESSAGE_CONTEXT),
      'live',
      'HTTP 403 invalid_token',
    );
    expect(alert.subject).toBe('serverless-dbt live: dbt job nightly ended DBT_FAILED');
    expect(alert.subject).toMatch(/^[\x20-\x7e]{1,100}$/);
  });

  it('says why Slack did not take it, then the alert as plain text', () => {
    const message = buildMessage(OUT_OF_MEMORY, MESSAGE_CONTEXT);
    const alert = fallbackAlert(OUT_OF_MEMORY, message, 'dev', 'HTTP 410 channel_is_archived');
    expect(alert.message.split('\n')[0]).toBe(
      'Slack did not take this alert (HTTP 410 channel_is_archived); it comes to the alarm topic instead.',
    );
    expect(alert.message).toContain('nightly: out of memory');
    // Plain text: no mrkdwn link syntax or entities.
    expect(alert.message).not.toMatch(/<https?:[^>]*\|/);
    expect(alert.message).not.toContain('&lt;');
  });

  it('cuts a long subject to 100 printable characters', () => {
    const longJob = {
      ...DBT_FAILED,
      state: { ...DBT_FAILED.state, run: { ...DBT_FAILED.state.run, job: `j${'x'.repeat(63)}` } },
    } as typeof DBT_FAILED;
    const alert = fallbackAlert(
      longJob,
      buildMessage(longJob, MESSAGE_CONTEXT),
      'a-very-long-stage-name',
      'HTTP 404 no_service',
    );
    expect(alert.subject).toHaveLength(100);
    expect(alert.subject.endsWith('...')).toBe(true);
  });
});
