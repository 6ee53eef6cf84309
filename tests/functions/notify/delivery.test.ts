// Delivery to Slack against a real HTTP server on 127.0.0.1 scripted per test. Real timers,
// tiny timeouts; waits go through an injected sleep that records what it was asked to wait.
import { jest } from '@jest/globals';
import {
  type DeliveryOptions,
  deliver,
  retryAfterMs,
  SlackDeliveryFailed,
  SlackWebhookInvalid,
  webhookUrlFrom,
} from '../../../functions/notify/delivery.ts';
import { buildMessage, type SlackMessage } from '../../../functions/notify/message.ts';
import { freePort } from '../../support/moto.ts';
import { SLACK, type SlackServer, startSlackServer } from '../../support/slack-server.ts';
import { DBT_FAILED, evaluation, finished, NOW, node, REGION, summary } from './events.ts';

let slack: SlackServer;
const message: SlackMessage = buildMessage(DBT_FAILED, {
  stage: 'dev',
  region: REGION,
  logStreamPrefix: 'dbt',
  containerName: 'dbt',
  now: NOW,
});

beforeAll(async () => {
  slack = await startSlackServer();
});
afterAll(async () => {
  await slack?.close();
});
// Delivery logs its retries and failures: collected here instead of printed, and each test's
// lines must not hold the webhook's secret token.
let written: string[] = [];
beforeEach(() => {
  slack.reset();
  written = [];
  for (const stream of [process.stdout, process.stderr]) {
    jest.spyOn(stream, 'write').mockImplementation((chunk: unknown) => {
      written.push(String(chunk));
      return true;
    });
  }
});
afterEach(() => {
  jest.restoreAllMocks();
  expect(written.join('')).not.toContain(slack.token);
});

function options(overrides: Partial<DeliveryOptions> = {}) {
  const sleeps: number[] = [];
  const all: DeliveryOptions = {
    timeoutMs: 1000,
    maxAttempts: 3,
    backoffMs: [50, 100],
    remainingTimeMs: () => 20_000,
    sleep: async (milliseconds) => {
      sleeps.push(milliseconds);
    },
    reserveMs: 100,
    ...overrides,
  };
  return { options: all, sleeps };
}

describe('deliver', () => {
  it('posts the blocks and fallback text once on 200', async () => {
    const { options: opts, sleeps } = options();
    const result = await deliver(slack.webhookUrl, message, opts);
    expect(result).toStrictEqual({ delivered: true, attempts: 1, status: 200, waitedMs: 0 });
    expect(slack.requests).toHaveLength(1);
    const [request] = slack.requests;
    expect(request?.method).toBe('POST');
    expect(request?.path).toBe(`/services/T00000000/B00000000/${slack.token}`);
    expect(request?.headers['content-type']).toBe('application/json');
    expect(request?.json).toStrictEqual({ text: message.text, blocks: message.blocks });
    expect(sleeps).toStrictEqual([]);
  });

  it('does not retry 400 invalid_payload, and names Slack’s error', async () => {
    slack.reply(SLACK.invalidPayload);
    const result = await deliver(slack.webhookUrl, message, options().options);
    expect(result).toMatchObject({
      delivered: false,
      attempts: 1,
      status: 400,
      slackError: 'invalid_payload',
      error: 'HTTP 400 invalid_payload',
    });
    expect(slack.requests).toHaveLength(1);
  });

  it.each([
    [SLACK.invalidToken, 403, 'invalid_token'],
    [SLACK.noService, 404, 'no_service'],
    [SLACK.channelIsArchived, 410, 'channel_is_archived'],
  ])('does not retry %o', async (reply, status, slackError) => {
    slack.reply(reply);
    const { options: opts, sleeps } = options();
    const result = await deliver(slack.webhookUrl, message, opts);
    expect(result).toMatchObject({ delivered: false, attempts: 1, status, slackError });
    expect(slack.requests).toHaveLength(1);
    expect(sleeps).toStrictEqual([]);
  });

  it('waits once for Retry-After on 429, then delivers', async () => {
    slack.reply(SLACK.rateLimited(1));
    const { options: opts, sleeps } = options();
    const result = await deliver(slack.webhookUrl, message, opts);
    expect(result).toStrictEqual({ delivered: true, attempts: 2, status: 200, waitedMs: 1000 });
    expect(sleeps).toStrictEqual([1000]);
    expect(slack.requests).toHaveLength(2);
  });

  it('waits for Retry-After only once: rate limited twice is given up', async () => {
    slack.reply(SLACK.rateLimited(1), SLACK.rateLimited(1));
    const { options: opts, sleeps } = options();
    const result = await deliver(slack.webhookUrl, message, opts);
    expect(result).toMatchObject({ delivered: false, attempts: 2, status: 429 });
    expect(result.error).toBe('HTTP 429 rate_limited; rate limited again after waiting');
    expect(sleeps).toStrictEqual([1000]);
  });

  it('does not wait for Retry-After when the Lambda has not the time left', async () => {
    slack.reply(SLACK.rateLimited(30));
    const { options: opts, sleeps } = options({ remainingTimeMs: () => 5000 });
    const result = await deliver(slack.webhookUrl, message, opts);
    expect(result).toMatchObject({ delivered: false, attempts: 1, status: 429 });
    expect(result.error).toBe('HTTP 429 rate_limited; Retry-After 30 s is beyond the time left');
    expect(sleeps).toStrictEqual([]);
    expect(slack.requests).toHaveLength(1);
  });

  it('retries 500 a bounded number of times with backoff', async () => {
    slack.setFallback(SLACK.serverError);
    const { options: opts, sleeps } = options();
    const result = await deliver(slack.webhookUrl, message, opts);
    expect(result).toMatchObject({
      delivered: false,
      attempts: 3,
      status: 500,
      slackError: 'internal_error',
      waitedMs: 150,
    });
    expect(slack.requests).toHaveLength(3);
    expect(sleeps).toStrictEqual([50, 100]);
  });

  it('delivers when a 5xx is followed by a 200', async () => {
    slack.reply({ status: 503, body: 'service_unavailable' });
    const result = await deliver(slack.webhookUrl, message, options().options);
    expect(result).toMatchObject({ delivered: true, attempts: 2, status: 200 });
  });

  it('cuts a request that hangs at the timeout, and retries it a bounded number of times', async () => {
    slack.setFallback({ hang: true });
    const { options: opts, sleeps } = options({ timeoutMs: 150, maxAttempts: 2, backoffMs: [10] });
    const started = performance.now();
    const result = await deliver(slack.webhookUrl, message, opts);
    const elapsed = performance.now() - started;
    expect(result).toMatchObject({
      delivered: false,
      attempts: 2,
      status: null,
      error: 'no answer within 150 ms',
    });
    expect(slack.requests).toHaveLength(2);
    expect(sleeps).toStrictEqual([10]);
    // Two cut requests, not a hang: far below the server's patience (forever).
    expect(elapsed).toBeLessThan(5000);
  });

  it('never waits past the Lambda’s remaining time: the timeout shrinks to fit', async () => {
    slack.setFallback({ hang: true });
    const deadline = performance.now() + 600;
    const { options: opts, sleeps } = options({
      timeoutMs: 5000,
      reserveMs: 300,
      remainingTimeMs: () => deadline - performance.now(),
    });
    const result = await deliver(slack.webhookUrl, message, opts);
    expect(result.attempts).toBe(1);
    expect(result.error).toMatch(
      /^no answer within (29\d|300) ms; no time left to try again before the function times out$/,
    );
    expect(sleeps).toStrictEqual([]);
    expect(performance.now()).toBeLessThan(deadline);
  });

  it('retries a refused connection, then reports the network error by its code', async () => {
    const port = await freePort();
    const { options: opts, sleeps } = options();
    const result = await deliver(`http://127.0.0.1:${port}/services/T/B/token`, message, opts);
    expect(result).toMatchObject({
      delivered: false,
      attempts: 3,
      status: null,
      error: 'network error (ECONNREFUSED)',
    });
    expect(sleeps).toStrictEqual([50, 100]);
  });

  it('makes no request when no time is left', async () => {
    const { options: opts } = options({ remainingTimeMs: () => 150 });
    const result = await deliver(slack.webhookUrl, message, opts);
    expect(result).toMatchObject({ delivered: false, attempts: 0 });
    expect(slack.requests).toHaveLength(0);
  });
});

describe('deliver, with a message of 2,000 failing nodes', () => {
  it('is taken by a Slack that enforces Block Kit limits', async () => {
    const nodes = Array.from({ length: 2000 }, (_, index) =>
      node(index, { message: `${'Database Error: '.repeat(40)} <${index}> & more` }),
    );
    const big = buildMessage(
      finished(evaluation('DBT_FAILED', { exitCode: 1, summary: summary(nodes) })),
      { stage: 'dev', region: REGION, logStreamPrefix: 'dbt', containerName: 'dbt', now: NOW },
    );
    const result = await deliver(slack.webhookUrl, big, options().options);
    expect(result).toMatchObject({ delivered: true, attempts: 1, status: 200 });
    const posted = slack.requests[0]?.json as SlackMessage;
    expect(posted.blocks.length).toBeLessThanOrEqual(50);
  });

  it('is refused, and not retried, by that Slack when the limits are broken (the check works)', async () => {
    const tooMany: SlackMessage = {
      text: 'x',
      blocks: Array.from({ length: 51 }, () => ({ type: 'divider' as const })),
    };
    const result = await deliver(slack.webhookUrl, tooMany, options().options);
    expect(result).toMatchObject({ delivered: false, attempts: 1, status: 400 });
    expect(result.slackError).toMatch(/^invalid_blocks/);
  });
});

describe('SlackDeliveryFailed', () => {
  it('carries the status, Slack’s text and the attempts, and not the URL', async () => {
    slack.reply(SLACK.noService);
    const result = await deliver(slack.webhookUrl, message, options().options);
    const error = new SlackDeliveryFailed(result);
    expect(error.name).toBe('SlackDeliveryFailed');
    expect(error.message).toBe('Slack did not take the message: HTTP 404 no_service (1 request)');
    expect(error.status).toBe(404);
    expect(error.slackError).toBe('no_service');
    expect(`${error.stack} ${JSON.stringify(result)}`).not.toContain(slack.token);
  });
});

describe('retryAfterMs', () => {
  it('reads seconds or an HTTP date, and falls back to one second', () => {
    const now = Date.parse('2026-03-02T05:00:00Z');
    expect(retryAfterMs('3', now)).toBe(3000);
    expect(retryAfterMs('Mon, 02 Mar 2026 05:00:10 GMT', now)).toBe(10_000);
    expect(retryAfterMs(null, now)).toBe(1000);
    expect(retryAfterMs('soon', now)).toBe(1000);
    expect(retryAfterMs('999999', now)).toBe(900_000);
  });
});

describe('webhookUrlFrom', () => {
  const SOURCE = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:slack-AbCdEf';
  const URL_TEXT = 'https://hooks.slack.com/services/T0/B0/secretToken';

  it('takes the URL itself or JSON {"url": …}', () => {
    expect(webhookUrlFrom(URL_TEXT, SOURCE, false)).toBe(URL_TEXT);
    expect(webhookUrlFrom(` ${URL_TEXT}\n`, SOURCE, false)).toBe(URL_TEXT);
    expect(webhookUrlFrom(JSON.stringify({ url: URL_TEXT }), SOURCE, false)).toBe(URL_TEXT);
    expect(webhookUrlFrom({ url: URL_TEXT }, SOURCE, false)).toBe(URL_TEXT);
  });

  it('accepts http://127.0.0.1 only when local webhooks are allowed', () => {
    expect(webhookUrlFrom(slack.webhookUrl, SOURCE, true)).toBe(slack.webhookUrl);
    expect(() => webhookUrlFrom(slack.webhookUrl, SOURCE, false)).toThrow(SlackWebhookInvalid);
  });

  it.each([
    'http://hooks.slack.com/services/T0/B0/secretToken',
    'https://hooks.slack.com.evil.example/services/T0/B0/secretToken',
    'https://evil.example/services/T0/B0/secretToken',
    'https://hooks.slack.com/triggers/T0/1/secretToken',
    '{"webhook": "https://hooks.slack.com/services/T0/B0/secretToken"}',
    '{not json secretToken',
    'secretToken',
  ])('refuses %s without showing the value', (value) => {
    let thrown: unknown;
    try {
      webhookUrlFrom(value, SOURCE, true);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(SlackWebhookInvalid);
    const error = thrown as Error;
    expect(error.message.startsWith(`${SOURCE}: `)).toBe(true);
    expect(`${error.message} ${error.stack}`).not.toContain('secretToken');
  });
});
