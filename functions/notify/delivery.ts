/**
 * Posting a message to a Slack incoming webhook with @slack/webhook, and what to do when
 * Slack does not take it. No AWS SDK.
 *
 * Policy, per request (each cut by a timeout, never past the Lambda's remaining time):
 *  - 2xx: delivered.
 *  - 429: one wait for `Retry-After`, if the Lambda has the time for the wait and one more
 *    request; else, or when rate limited again, given up.
 *  - 5xx, a network error or a timeout: bounded retry with backoff (maxAttempts requests).
 *  - any other 4xx (400 invalid_payload, 403 invalid_token, 404 no_service,
 *    410 channel_is_archived...): the message or the webhook is wrong; no retry.
 *
 * The webhook URL is a secret: it never appears in a log line, a result or an error. Errors
 * are described from the HTTP status, Slack's error text and the network error's code only.
 */
import {
  type FetchFunction,
  IncomingWebhook,
  IncomingWebhookHTTPError,
  IncomingWebhookRequestError,
} from '@slack/webhook';
import { logger } from '../shared/logger.ts';
import type { SlackMessage } from './message.ts';

export interface DeliveryOptions {
  /** The limit of one request, in milliseconds. */
  timeoutMs: number;
  /** Requests at most for 5xx, network errors and timeouts. */
  maxAttempts: number;
  /** Waits before the 2nd, 3rd... attempt after such a failure (the last repeats). */
  backoffMs: readonly number[];
  /** The Lambda's remaining time (context.getRemainingTimeInMillis). */
  remainingTimeMs: () => number;
  sleep: (milliseconds: number) => Promise<void>;
  /** Time kept back for the function to log and return; 1,000 ms unless given. */
  reserveMs?: number;
}

export const DEFAULT_DELIVERY = {
  timeoutMs: 5000,
  maxAttempts: 3,
  backoffMs: [500, 1000],
} as const satisfies Partial<DeliveryOptions>;

/** A request shorter than this is not worth making. */
export const MIN_ATTEMPT_MS = 100;
/** The longest `Retry-After` honoured. */
const MAX_RETRY_AFTER_MS = 900_000;

export interface DeliveryResult {
  delivered: boolean;
  /** Requests made. */
  attempts: number;
  /** The last HTTP status, or null when no response came. */
  status: number | null;
  /** Slack's error text (`invalid_payload`, `no_service`...), when it gave one. */
  slackError?: string;
  /** Why the message was not delivered, in words; never the URL. */
  error?: string;
  /** Time spent waiting between requests (backoff and Retry-After), in milliseconds. */
  waitedMs: number;
}

/** Slack did not take the message. The message names the status and Slack's error text. */
export class SlackDeliveryFailed extends Error {
  override readonly name = 'SlackDeliveryFailed';
  readonly status: number | null;
  readonly slackError: string | undefined;
  readonly attempts: number;

  constructor(result: DeliveryResult) {
    const plural = result.attempts === 1 ? '' : 's';
    super(
      `Slack did not take the message: ${result.error ?? 'unknown error'} ` +
        `(${result.attempts} request${plural})`,
    );
    this.status = result.status;
    this.slackError = result.slackError;
    this.attempts = result.attempts;
  }
}

/** The secret does not hold a usable webhook URL. The message never shows the value. */
export class SlackWebhookInvalid extends Error {
  override readonly name = 'SlackWebhookInvalid';
}

/**
 * The webhook URL in a secret's value: the URL itself, or JSON `{"url": "…"}`.
 * Accepts https://hooks.slack.com/services/… (and Slack GovSlack's hooks.slack-gov.com), and
 * with `allowLocal` also http://127.0.0.1:<port>/… (tests and local runs).
 * @throws SlackWebhookInvalid saying what is wrong, without the value.
 */
export function webhookUrlFrom(secret: unknown, source: string, allowLocal: boolean): string {
  let value = secret;
  if (typeof value === 'string' && value.trim().startsWith('{')) {
    try {
      value = JSON.parse(value);
    } catch {
      throw new SlackWebhookInvalid(`${source}: the secret's value is neither a URL nor JSON`);
    }
  }
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    value = (value as Record<string, unknown>).url;
    if (value === undefined) {
      throw new SlackWebhookInvalid(`${source}: the secret's JSON has no "url" field`);
    }
  }
  if (typeof value !== 'string') {
    throw new SlackWebhookInvalid(`${source}: the secret holds no webhook URL`);
  }
  let url: URL;
  try {
    url = new URL(value.trim());
  } catch {
    throw new SlackWebhookInvalid(`${source}: the secret's value is not a URL`);
  }
  const slack =
    url.protocol === 'https:' &&
    (url.hostname === 'hooks.slack.com' || url.hostname === 'hooks.slack-gov.com') &&
    url.pathname.startsWith('/services/') &&
    url.username === '' &&
    url.password === '';
  const local = allowLocal && url.protocol === 'http:' && url.hostname === '127.0.0.1';
  if (!slack && !local) {
    const expected = allowLocal
      ? 'https://hooks.slack.com/services/… or http://127.0.0.1:<port>/…'
      : 'https://hooks.slack.com/services/…';
    throw new SlackWebhookInvalid(
      `${source}: the secret's URL is not a Slack incoming webhook (expected ${expected})`,
    );
  }
  return url.toString();
}

interface Attempt {
  ok: boolean;
  status: number | null;
  slackError?: string;
  error: string;
  retryAfterMs?: number;
  transient: boolean;
}

/** `Retry-After` as milliseconds: seconds or an HTTP date; 1 s when absent or unreadable. */
export function retryAfterMs(header: string | null | undefined, now = Date.now()): number {
  if (header === null || header === undefined || header.trim() === '') return 1000;
  const text = header.trim();
  const milliseconds = /^\d+$/.test(text) ? Number(text) * 1000 : Date.parse(text) - now;
  if (!Number.isFinite(milliseconds)) return 1000;
  return Math.min(MAX_RETRY_AFTER_MS, Math.max(0, milliseconds));
}

/** Slack's error text, short and printable. */
function slackErrorOf(body: string): string | undefined {
  const text = body
    .replace(/[^\x20-\x7e]+/g, ' ')
    .trim()
    .slice(0, 200);
  return text === '' ? undefined : text;
}

/** Name and cause of a thrown value, whatever realm it comes from. */
function errorLike(value: unknown): { name: string; cause?: unknown; code?: unknown } {
  if (typeof value !== 'object' || value === null) return { name: typeof value };
  const { name, cause, code } = value as { name?: unknown; cause?: unknown; code?: unknown };
  return { name: typeof name === 'string' ? name : 'Error', cause, code };
}

/** A network error's code (ECONNREFUSED, ENOTFOUND, UND_ERR_SOCKET...), never its text. */
function networkCodeOf(error: { name: string; cause?: unknown; code?: unknown }): string {
  const code = (error.cause as { code?: unknown } | undefined)?.code ?? error.code;
  return typeof code === 'string' && /^[A-Z0-9_]{1,40}$/.test(code) ? code : error.name;
}

async function attemptOnce(
  url: string,
  message: SlackMessage,
  timeoutMs: number,
): Promise<Attempt> {
  let retryAfter: string | null = null;
  let fetchError: unknown;
  // To read Retry-After, which @slack/webhook's errors do not carry, and fetch's own error,
  // which it rewraps as a plain Error when the error comes from another realm (as in Jest).
  const fetchKeepingHeaders: FetchFunction = async (input, init) => {
    try {
      const response = await fetch(input, init);
      retryAfter = response.headers.get('retry-after');
      return response;
    } catch (error) {
      fetchError = error;
      throw error;
    }
  };
  const webhook = new IncomingWebhook(url, {
    timeout: timeoutMs,
    retryConfig: { retries: 0 },
    fetch: fetchKeepingHeaders,
  });
  try {
    await webhook.send({ text: message.text, blocks: message.blocks });
    return { ok: true, status: 200, error: '', transient: false };
  } catch (error) {
    if (error instanceof IncomingWebhookHTTPError) {
      const slackError = slackErrorOf(error.body);
      const status = error.statusCode;
      const described = `HTTP ${status}${slackError ? ` ${slackError}` : ''}`;
      if (status === 429) {
        return {
          ok: false,
          status,
          slackError,
          error: described,
          retryAfterMs: retryAfterMs(retryAfter),
          transient: false,
        };
      }
      return { ok: false, status, slackError, error: described, transient: status >= 500 };
    }
    if (error instanceof IncomingWebhookRequestError) {
      const original = errorLike(fetchError ?? error.original);
      const timedOut = original.name === 'TimeoutError' || original.name === 'AbortError';
      return {
        ok: false,
        status: null,
        error: timedOut
          ? `no answer within ${timeoutMs} ms`
          : `network error (${networkCodeOf(original)})`,
        transient: true,
      };
    }
    const name = error instanceof Error ? error.name : typeof error;
    return { ok: false, status: null, error: `unexpected error (${name})`, transient: false };
  }
}

/**
 * Post `message` to the webhook at `url`, by the policy above.
 * Never throws for Slack's or the network's failures: the result says what happened.
 */
export async function deliver(
  url: string,
  message: SlackMessage,
  options: DeliveryOptions,
): Promise<DeliveryResult> {
  const reserveMs = options.reserveMs ?? 1000;
  const budget = () => options.remainingTimeMs() - reserveMs;
  let attempts = 0;
  let transientFailures = 0;
  let rateLimitWaited = false;
  let waitedMs = 0;
  let last: Attempt | undefined;

  const giveUp = (why?: string): DeliveryResult => ({
    delivered: false,
    attempts,
    status: last?.status ?? null,
    ...(last?.slackError !== undefined && { slackError: last.slackError }),
    error: why ? `${last?.error ?? 'not sent'}; ${why}` : (last?.error ?? 'not sent'),
    waitedMs,
  });

  for (;;) {
    const timeoutMs = Math.min(options.timeoutMs, budget());
    if (timeoutMs < MIN_ATTEMPT_MS) {
      return giveUp('no time left for a request before the function times out');
    }
    attempts += 1;
    last = await attemptOnce(url, message, Math.floor(timeoutMs));
    if (last.ok) return { delivered: true, attempts, status: last.status, waitedMs };

    let waitMs: number;
    if (last.status === 429) {
      if (rateLimitWaited) return giveUp('rate limited again after waiting');
      waitMs = last.retryAfterMs ?? 1000;
      if (budget() - waitMs < MIN_ATTEMPT_MS) {
        logger.warn('Slack rate limited the message; no time to wait for Retry-After', {
          attempt: attempts,
          status: last.status,
          retryAfterMs: waitMs,
          remainingTimeMs: options.remainingTimeMs(),
        });
        return giveUp(`Retry-After ${Math.ceil(waitMs / 1000)} s is beyond the time left`);
      }
      rateLimitWaited = true;
    } else if (last.transient) {
      transientFailures += 1;
      if (transientFailures >= options.maxAttempts) return giveUp();
      const backoff = options.backoffMs;
      waitMs = backoff[Math.min(transientFailures - 1, backoff.length - 1)] ?? 0;
      if (budget() - waitMs < MIN_ATTEMPT_MS) {
        return giveUp('no time left to try again before the function times out');
      }
    } else {
      // The message or the webhook is wrong: the caller logs the status and Slack's text.
      return giveUp();
    }

    logger.warn('Slack did not take the message; trying again', {
      attempt: attempts,
      status: last.status,
      ...(last.slackError !== undefined && { slackError: last.slackError }),
      ...(last.status === null && { error: last.error }),
      waitMs,
    });
    await options.sleep(waitMs);
    waitedMs += waitMs;
  }
}
