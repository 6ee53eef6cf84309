// Notify end to end: the deployed handler (handler.ts wiring createNotify), configured by its
// environment as serverless.yml configures it, reading the webhook URL from Secrets Manager in a moto server and posting to
// a Slack stand-in on 127.0.0.1. Nothing is mocked but the addresses.
import {
  CreateSecretCommand,
  DeleteSecretCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { jest } from '@jest/globals';
import { clearCache } from '@middy/util';
import type { Context } from 'aws-lambda';
import { createNotify } from '../../../functions/notify/notify-handler.ts';
import { readNotifyConfig } from '../../../functions/notify/settings.ts';
import type { NotifyEvent } from '../../../functions/shared/contracts.ts';
import { logged } from '../../support/logged.ts';
import { type Moto, startMoto } from '../../support/moto.ts';
import { SLACK, type SlackServer, startSlackServer } from '../../support/slack-server.ts';
import { DBT_FAILED, EXECUTION_NAME, OUT_OF_MEMORY, SUCCEEDED, started } from './events.ts';

const LAMBDA_CONTEXT = {
  functionName: 'serverless-dbt-dev-notify',
  awsRequestId: 'c0ffee00-0000-4000-8000-000000000002',
  getRemainingTimeInMillis: () => 20_000,
} as unknown as Context;

let moto: Moto;
let slack: SlackServer;
let secrets: SecretsManagerClient;
let secretArn: string;
// Imported once the environment is set, as the handler reads it when its module loads.
type HandlerModule = typeof import('../../../functions/notify/handler.ts');
let handler: HandlerModule['handler'];
const savedEnvironment = { ...process.env };
let environment: Record<string, string>;

const FAST = { timeoutMs: 500, maxAttempts: 2, backoffMs: [20], reserveMs: 100 };
const noSleep = async () => {};

async function createSecret(name: string, value: string): Promise<string> {
  const { ARN } = await secrets.send(new CreateSecretCommand({ Name: name, SecretString: value }));
  if (ARN === undefined) throw new Error('moto returned no ARN');
  return ARN;
}

beforeAll(async () => {
  [moto, slack] = await Promise.all([startMoto(), startSlackServer()]);
  secrets = new SecretsManagerClient(moto.clientConfig);
  secretArn = await createSecret('serverless-dbt/dev/slack-webhook', slack.webhookUrl);
  environment = {
    STAGE: 'dev',
    SLACK_WEBHOOK_SECRET_ARN: secretArn,
    SLACK_ALLOW_LOCAL: 'true',
    NOTIFY_ON: 'start,success,failure',
    LOG_GROUP: '/ecs/serverless-dbt-dev',
    LOG_STREAM_PREFIX: 'dbt',
    DBT_CONTAINER_NAME: 'dbt',
    DOCS_URL: 'https://wiki.example.com/dbt',
  };
  Object.assign(process.env, moto.env, environment);
  const module = await import('../../../functions/notify/handler.ts');
  ({ handler } = module);
}, 60_000);

afterAll(async () => {
  process.env = savedEnvironment;
  secrets?.destroy();
  await Promise.all([moto?.stop(), slack?.close()]);
});

beforeEach(() => slack.reset());

/**
 * A handler as the deployed one, with fast delivery settings. `send` counts Secrets Manager
 * requests (of the client the middleware creates); each test starts with an empty cache.
 */
function notifier(
  settings: Record<string, string | undefined> = {},
  cacheExpiryMs?: number,
): { invoke: (event: NotifyEvent) => Promise<unknown>; send: ReturnType<typeof spySends> } {
  const config = readNotifyConfig({ ...environment, ...settings });
  const notify = createNotify({
    config,
    secretsManagerClientConfig: moto.clientConfig,
    sleep: noSleep,
    delivery: FAST,
    ...(cacheExpiryMs !== undefined && { cacheExpiryMs }),
  });
  return { invoke: (event) => notify(event, LAMBDA_CONTEXT), send: spySends() };
}

function spySends() {
  return jest.spyOn(SecretsManagerClient.prototype, 'send');
}

beforeEach(() => clearCache());
afterEach(() => jest.restoreAllMocks());

describe('the Notify handler', () => {
  it('as deployed: reads the URL from Secrets Manager and posts the alert, one log line', async () => {
    const { result, error, lines } = await logged(() => handler(DBT_FAILED, LAMBDA_CONTEXT));
    expect(error).toBeUndefined();
    expect(result).toMatchObject({ outcome: 'delivered', delivered: true, attempts: 1 });
    expect(slack.requests).toHaveLength(1);
    const body = slack.requests[0]?.json as { text: string; blocks: unknown[] };
    expect(body.text).toMatch(/^❌ dbt job nightly dbt reported failures \(dev\)/);
    expect(JSON.stringify(body.blocks)).toContain('<https://wiki.example.com/dbt|Docs>');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: 'INFO',
      message: 'Slack notified',
      executionName: EXECUTION_NAME,
      function_request_id: LAMBDA_CONTEXT.awsRequestId,
      cold_start: expect.any(Boolean),
      event: 'finished',
      verdict: 'DBT_FAILED',
      status: 200,
      attempts: 1,
    });
  });

  it('reads the secret once for two invocations (cached)', async () => {
    const { invoke, send } = notifier();
    await invoke(SUCCEEDED);
    await invoke(OUT_OF_MEMORY);
    expect(send).toHaveBeenCalledTimes(1);
    expect(slack.requests).toHaveLength(2);
  });

  it('reads the secret again once the cache has expired', async () => {
    const { invoke, send } = notifier({}, 0);
    await invoke(SUCCEEDED);
    await invoke(SUCCEEDED);
    expect(send).toHaveBeenCalledTimes(2);
  });

  it('accepts a secret holding JSON {"url": …}', async () => {
    const arn = await createSecret(
      'serverless-dbt/dev/slack-json',
      JSON.stringify({ url: slack.webhookUrl }),
    );
    const { invoke } = notifier({ SLACK_WEBHOOK_SECRET_ARN: arn });
    await expect(invoke(SUCCEEDED)).resolves.toMatchObject({ outcome: 'delivered' });
    expect(slack.requests).toHaveLength(1);
  });

  it('fails with SlackDeliveryFailed on 404, logging the code, never the URL', async () => {
    slack.reply(SLACK.noService);
    const { invoke } = notifier();
    const { error, output, lines } = await logged(() => invoke(DBT_FAILED));
    expect(error?.name).toBe('SlackDeliveryFailed');
    expect(error?.message).toBe('Slack did not take the message: HTTP 404 no_service (1 request)');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: 'ERROR',
      message: 'Slack notification failed',
      executionName: EXECUTION_NAME,
      status: 404,
      slackError: 'no_service',
      attempts: 1,
    });
    for (const text of [output, error?.message, error?.stack, JSON.stringify(error)]) {
      expect(text).not.toContain(slack.token);
      expect(text).not.toContain('/services/');
    }
  });

  it('logs each retry of a 500 and the final failure, never the URL', async () => {
    slack.setFallback(SLACK.serverError);
    const { invoke } = notifier();
    const { error, output, lines } = await logged(() => invoke(DBT_FAILED));
    expect(error?.name).toBe('SlackDeliveryFailed');
    expect(slack.requests).toHaveLength(2);
    expect(lines.map((line) => [line.level, line.message, line.executionName])).toStrictEqual([
      ['WARN', 'Slack did not take the message; trying again', EXECUTION_NAME],
      ['ERROR', 'Slack notification failed', EXECUTION_NAME],
    ]);
    expect(output).not.toContain(slack.token);
  });

  it('refuses a secret that is not a Slack webhook, without showing it', async () => {
    const value = 'https://attacker.example/services/T/B/not-a-slack-token-123';
    const arn = await createSecret('serverless-dbt/dev/slack-wrong', value);
    const { invoke } = notifier({
      SLACK_WEBHOOK_SECRET_ARN: arn,
      SLACK_ALLOW_LOCAL: 'false',
    });
    const { error, output } = await logged(() => invoke(SUCCEEDED));
    expect(error?.name).toBe('SlackWebhookInvalid');
    expect(`${error?.message} ${error?.stack} ${output}`).not.toContain('not-a-slack-token-123');
    expect(slack.requests).toHaveLength(0);
  });

  it('does not cache a failed read: once the secret exists, the next invocation posts', async () => {
    const name = 'serverless-dbt/dev/slack-later';
    const arn = await createSecret(name, 'placeholder');
    await secrets.send(
      new DeleteSecretCommand({ SecretId: arn, ForceDeleteWithoutRecovery: true }),
    );
    const { invoke } = notifier({ SLACK_WEBHOOK_SECRET_ARN: name });
    const { error } = await logged(() => invoke(SUCCEEDED));
    expect(error?.name).toBe('SlackSecretUnavailable');
    expect(error?.message).toContain('ResourceNotFoundException');
    expect(error?.message).toContain(name);
    await createSecret(name, slack.webhookUrl);
    await expect(invoke(SUCCEEDED)).resolves.toMatchObject({ outcome: 'delivered' });
  });

  it('picks up a rotated URL after the cache expires', async () => {
    const arn = await createSecret(
      'serverless-dbt/dev/slack-rotated',
      `${slack.origin}/services/T/B/old`,
    );
    const { invoke } = notifier({ SLACK_WEBHOOK_SECRET_ARN: arn }, 0);
    await invoke(SUCCEEDED);
    await secrets.send(
      new PutSecretValueCommand({
        SecretId: arn,
        SecretString: `${slack.origin}/services/T/B/new`,
      }),
    );
    await invoke(SUCCEEDED);
    expect(slack.requests.map((request) => request.path)).toStrictEqual([
      '/services/T/B/old',
      '/services/T/B/new',
    ]);
  });

  it('without SLACK_WEBHOOK_SECRET_ARN: logs "Slack not configured", returns the text, reads no secret', async () => {
    const { invoke, send } = notifier({ SLACK_WEBHOOK_SECRET_ARN: undefined });
    const { result, lines } = await logged(() => invoke(OUT_OF_MEMORY));
    expect(result).toMatchObject({ outcome: 'not-configured' });
    expect((result as { text: string }).text).toContain('💥 nightly: out of memory');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: 'INFO',
      message: 'Slack not configured (SLACK_WEBHOOK_SECRET_ARN is not set)',
      executionName: EXECUTION_NAME,
    });
    expect(send).not.toHaveBeenCalled();
    expect(slack.requests).toHaveLength(0);
  });

  it('skips what NOTIFY_ON does not want, before reading the secret', async () => {
    const { invoke, send } = notifier({ NOTIFY_ON: 'failure' });
    const { result: start, lines } = await logged(() => invoke(started()));
    const { result: success } = await logged(() => invoke(SUCCEEDED));
    expect(start).toStrictEqual({ outcome: 'not-wanted', category: 'start' });
    expect(success).toStrictEqual({ outcome: 'not-wanted', category: 'success' });
    // Logged by a middleware that answers before the handler, with the invocation's keys.
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: 'INFO',
      message: 'not notified: NOTIFY_ON does not include it',
      category: 'start',
      executionName: EXECUTION_NAME,
      function_request_id: LAMBDA_CONTEXT.awsRequestId,
    });
    expect(send).not.toHaveBeenCalled();
    expect(slack.requests).toHaveLength(0);
  });

  it('with a webhook URL given (local runs), posts to it and reads no secret, even with one set', async () => {
    const send = spySends();
    const config = readNotifyConfig(environment);
    expect(config.SLACK_WEBHOOK_SECRET_ARN).toBe(secretArn);
    const notify = createNotify({
      config,
      webhookUrl: `${slack.origin}/services/T/B/local`,
      sleep: noSleep,
      delivery: FAST,
    });
    const { result } = await logged(() => notify(DBT_FAILED, LAMBDA_CONTEXT));
    expect(result).toMatchObject({ outcome: 'delivered' });
    expect(slack.requests.map((request) => request.path)).toStrictEqual(['/services/T/B/local']);
    expect(send).not.toHaveBeenCalled();
  });

  it('announces a start', async () => {
    const { invoke } = notifier();
    await expect(invoke(started())).resolves.toMatchObject({ outcome: 'delivered' });
    expect((slack.requests[0]?.json as { text?: string } | undefined)?.text).toBe(
      '▶️ dbt job nightly started (dev, schedule)',
    );
  });
});
