// Notify end to end: the deployed handler (handler.ts wiring createNotify), configured by its
// environment as serverless.yml configures it, reading the webhook URL from Secrets Manager in a moto server and posting to
// a Slack stand-in on 127.0.0.1; an alert Slack refuses goes to the alarm topic in moto, read
// by an SQS queue subscribed to it. Nothing is mocked but the addresses.
import {
  CreateSecretCommand,
  DeleteSecretCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { SNSClient } from '@aws-sdk/client-sns';
import { jest } from '@jest/globals';
import { clearCache } from '@middy/util';
import type { Context } from 'aws-lambda';
import { createNotify } from '../../../functions/notify/notify-handler.ts';
import { readNotifyConfig } from '../../../functions/notify/settings.ts';
import type { NotifyEvent } from '../../../functions/shared/contracts.ts';
import type { CountMetric } from '../../../functions/shared/metrics.ts';
import { type AlarmTopic, startAlarmTopic } from '../../support/alarm-topic.ts';
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
let alarmTopic: AlarmTopic;
let sns: SNSClient;
const STATE_MACHINE = 'serverless-dbt-dev-dbt-run';
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
  alarmTopic = await startAlarmTopic(moto, 'serverless-dbt-dev-alarms');
  sns = new SNSClient(moto.clientConfig);
  environment = {
    STAGE: 'dev',
    SLACK_WEBHOOK_SECRET_ARN: secretArn,
    SLACK_ALLOW_LOCAL: 'true',
    NOTIFY_ON: 'start,success,failure',
    LOG_GROUP: '/ecs/serverless-dbt-dev',
    LOG_STREAM_PREFIX: 'dbt',
    DBT_CONTAINER_NAME: 'dbt',
    DOCS_URL: 'https://wiki.example.com/dbt',
    STATE_MACHINE_NAME: STATE_MACHINE,
  };
  // The deployed handler has the stack's alarm topic; `notifier()` has it only when asked.
  Object.assign(process.env, moto.env, environment, { ALARM_TOPIC_ARN: alarmTopic.arn });
  const module = await import('../../../functions/notify/handler.ts');
  ({ handler } = module);
}, 60_000);

afterAll(async () => {
  process.env = savedEnvironment;
  secrets?.destroy();
  sns?.destroy();
  await Promise.all([moto?.stop(), slack?.close()]);
});

beforeEach(async () => {
  slack.reset();
  await alarmTopic.received();
});

/**
 * A handler as the deployed one, with fast delivery settings. `send` counts Secrets Manager
 * requests (of the client the middleware creates); each test starts with an empty cache.
 */
function notifier(
  settings: Record<string, string | undefined> = {},
  cacheExpiryMs?: number,
): {
  invoke: (event: NotifyEvent) => Promise<unknown>;
  send: ReturnType<typeof spySends>;
  counted: CountMetric[];
} {
  const config = readNotifyConfig({ ...environment, ...settings });
  const counted: CountMetric[] = [];
  const notify = createNotify({
    config,
    secretsManagerClientConfig: moto.clientConfig,
    sleep: noSleep,
    delivery: FAST,
    metrics: { count: (metric) => counted.push(metric) },
    sns,
    ...(cacheExpiryMs !== undefined && { cacheExpiryMs }),
  });
  return { invoke: (event) => notify(event, LAMBDA_CONTEXT), send: spySends(), counted };
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

  it('without an alarm topic (local runs): fails with SlackDeliveryFailed on 404, logging the code, never the URL', async () => {
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
      metrics: { count: () => undefined },
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

describe('an alert Slack does not take, with the alarm topic set', () => {
  const UNDELIVERED = { name: 'UndeliveredAlerts', dimensions: { StateMachine: STATE_MACHINE } };
  const withTopic = () => notifier({ ALARM_TOPIC_ARN: alarmTopic.arn });

  /** The topic's messages hold nothing of the webhook URL. */
  function expectNoWebhook(texts: Array<string | undefined>) {
    for (const text of texts) {
      expect(text).not.toContain(slack.token);
      expect(text).not.toContain('/services/');
    }
  }

  it.each([
    ['403 invalid_token (a revoked webhook)', SLACK.invalidToken, 'HTTP 403 invalid_token'],
    ['404 no_service (a removed app)', SLACK.noService, 'HTTP 404 no_service'],
    ['410 channel_is_archived', SLACK.channelIsArchived, 'HTTP 410 channel_is_archived'],
    ['400 invalid_payload', SLACK.invalidPayload, 'HTTP 400 invalid_payload'],
  ])(
    'on %s: counts UndeliveredAlerts and publishes the alert to the topic',
    async (_name, reply, described) => {
      slack.setFallback(reply);
      const { invoke, counted } = withTopic();
      const { result, error, output } = await logged(() => invoke(DBT_FAILED));
      expect(error).toBeUndefined();
      expect(result).toStrictEqual({
        outcome: 'undelivered',
        error: described,
        status: reply.status,
        fallback: 'published to the alarm topic',
      });
      expect(slack.requests).toHaveLength(1);
      expect(counted).toStrictEqual([UNDELIVERED]);
      const messages = await alarmTopic.received();
      expect(messages).toHaveLength(1);
      const [message] = messages;
      expect(message?.Subject).toBe('serverless-dbt dev: dbt job nightly ended DBT_FAILED');
      expect(message?.Message).toContain(`Slack did not take this alert (${described})`);
      expect(message?.Message).toContain('model.shop.orders');
      expectNoWebhook([message?.Message, message?.Subject, output]);
    },
  );

  it('when Slack does not answer: counts it and publishes the alert, after its retries', async () => {
    slack.setFallback({ hang: true });
    const { invoke, counted } = withTopic();
    const { result } = await logged(() => invoke(OUT_OF_MEMORY));
    expect(result).toMatchObject({
      outcome: 'undelivered',
      status: null,
      error: 'no answer within 500 ms',
      fallback: 'published to the alarm topic',
    });
    expect(slack.requests).toHaveLength(FAST.maxAttempts);
    expect(counted).toStrictEqual([UNDELIVERED]);
    const [message] = await alarmTopic.received();
    expect(message?.Subject).toBe('serverless-dbt dev: dbt job nightly ended OUT_OF_MEMORY');
  });

  it('when the secret holds no Slack webhook: counts it and publishes, never showing the value', async () => {
    const value = 'https://attacker.example/services/T/B/not-a-slack-token-456';
    const arn = await createSecret('serverless-dbt/dev/slack-not-a-webhook', value);
    const { invoke, counted } = notifier({
      SLACK_WEBHOOK_SECRET_ARN: arn,
      SLACK_ALLOW_LOCAL: 'false',
      ALARM_TOPIC_ARN: alarmTopic.arn,
    });
    const { result, output } = await logged(() => invoke(DBT_FAILED));
    expect(result).toMatchObject({ outcome: 'undelivered', status: null });
    expect(counted).toStrictEqual([UNDELIVERED]);
    const [message] = await alarmTopic.received();
    expect(message?.Message).toContain('is not a Slack incoming webhook');
    expect(`${message?.Message} ${output}`).not.toContain('not-a-slack-token-456');
  });

  it('counts a refused start announcement but does not send it to the alarm topic', async () => {
    slack.setFallback(SLACK.invalidToken);
    const { invoke, counted } = withTopic();
    const { result, error } = await logged(() => invoke(started()));
    expect(error).toBeUndefined();
    expect(result).toMatchObject({ outcome: 'undelivered', fallback: 'not an alert: not sent' });
    expect(counted).toStrictEqual([UNDELIVERED]);
    expect(await alarmTopic.received()).toHaveLength(0);
  });

  it('counts nothing and publishes nothing when Slack takes the alert', async () => {
    const { invoke, counted } = withTopic();
    const { result } = await logged(() => invoke(DBT_FAILED));
    expect(result).toMatchObject({ outcome: 'delivered' });
    expect(counted).toStrictEqual([]);
    expect(await alarmTopic.received()).toHaveLength(0);
  });

  it('fails with AlertFallbackFailed when the topic refuses the alert too, still counted', async () => {
    slack.setFallback(SLACK.noService);
    const missing = 'arn:aws:sns:eu-west-1:123456789012:serverless-dbt-dev-no-such-topic';
    const { invoke, counted } = notifier({ ALARM_TOPIC_ARN: missing });
    const { error } = await logged(() => invoke(DBT_FAILED));
    expect(error?.name).toBe('AlertFallbackFailed');
    expect(error?.message).toContain('HTTP 404 no_service');
    expect(error?.message).toContain(missing);
    expect(counted).toStrictEqual([UNDELIVERED]);
  });

  it('as deployed: counts UndeliveredAlerts as an EMF line in its log and publishes the alert', async () => {
    slack.reply(SLACK.channelIsArchived);
    const { result, lines } = await logged(() => handler(DBT_FAILED, LAMBDA_CONTEXT));
    expect(result).toMatchObject({
      outcome: 'undelivered',
      fallback: 'published to the alarm topic',
    });
    const metric = lines.find((line) => '_aws' in line);
    expect(metric).toMatchObject({
      _aws: {
        CloudWatchMetrics: [
          {
            Namespace: 'serverless-dbt',
            Dimensions: [['StateMachine']],
            Metrics: [{ Name: 'UndeliveredAlerts', Unit: 'Count' }],
          },
        ],
      },
      StateMachine: STATE_MACHINE,
      UndeliveredAlerts: 1,
    });
    expect(await alarmTopic.received()).toHaveLength(1);
  });
});
