/**
 * Notify: posts a run's start or finish to Slack (states AnnounceStart and Notify of
 * dbt-run.asl.yml). The state machine ignores what it returns and catches whatever it
 * throws: a Slack failure never changes a run's outcome, but it fails this state, visibly,
 * in the execution's history.
 *
 * Middleware, in order: the request id and the execution's name on every log line;
 * NOTIFY_ON (an unwanted event returns at once, without reading the secret); the webhook URL
 * from Secrets Manager through @middy/secrets-manager, cached for SECRET_CACHE_MS. Without
 * SLACK_WEBHOOK_SECRET_ARN, Slack is not configured: the handler logs so and returns the
 * message as terminal text. The middleware builds the Secrets Manager client itself (middy
 * takes a client class and its settings, not a client), on the first read.
 *
 * @middy/secrets-manager is 6.4.5 (the newest the registry serves here) on @middy/util 7.9.2
 * (package.json `overrides`): util 6's cache refresh timer kept the process alive and its
 * failed refresh was an unhandled rejection, which ends a Node 24 process; util 7 unrefs the
 * timer and silences the refresh's rejection. Prefetch is off so that an event NOTIFY_ON
 * does not want never reads the secret.
 *
 * When Slack does not take the message (a refusal such as 403 invalid_token, 404 no_service,
 * 410 channel_is_archived or 400 invalid_payload, no answer, or a secret that holds no usable
 * URL), it counts UndeliveredAlerts (whose alarm pages) and, for a failure alert, publishes
 * the alert as plain text to the stack's alarm topic (ALARM_TOPIC_ARN), then returns
 * `undelivered`: the failure is told, so the invocation does not fail and the function's
 * Errors alarm stays for what nobody accounted for. Without ALARM_TOPIC_ARN (local runs) it
 * throws SlackDeliveryFailed or SlackWebhookInvalid as the only sign; AlertFallbackFailed when
 * the topic refused the alert too; SlackSecretUnavailable (naming Secrets Manager's error)
 * when the secret cannot be read. None of them carries the URL.
 *
 * handler.ts builds it for Lambda from the environment; `serverless-dbt local` builds it with
 * a local stage's settings and, when given, SLACK_WEBHOOK_URL in place of the secret.
 */
import {
  SecretsManagerClient,
  type SecretsManagerClientConfig,
} from '@aws-sdk/client-secrets-manager';
import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import middy, { type MiddlewareObj } from '@middy/core';
import secretsManager from '@middy/secrets-manager';
import type { Context } from 'aws-lambda';
import type { NotifyEvent } from '../shared/contracts.ts';
import { invocationLogging, logger } from '../shared/logger.ts';
import type { MetricSink } from '../shared/metrics.ts';
import {
  DEFAULT_DELIVERY,
  type DeliveryOptions,
  type DeliveryResult,
  deliver,
  SlackDeliveryFailed,
  SlackWebhookInvalid,
  webhookUrlFrom,
} from './delivery.ts';
import { fallbackAlert } from './fallback.ts';
import { buildMessage, type SlackMessage } from './message.ts';
import { notifyCategory, shouldNotify } from './policy.ts';
import { renderText } from './render-text.ts';
import type { NotifyConfig } from './settings.ts';

/** How long the webhook URL is used before Secrets Manager is asked again. */
export const SECRET_CACHE_MS = 15 * 60 * 1000;
/** Time kept back from Slack's retries to publish to the alarm topic and return. */
const FALLBACK_RESERVE_MS = 3000;
/** The time budget when the context cannot tell (a local run). */
const LOCAL_BUDGET_MS = 25_000;

export interface NotifyDependencies {
  config: NotifyConfig;
  /**
   * The webhook URL itself, in place of the secret: local runs (`serverless-dbt local` with
   * SLACK_WEBHOOK_URL set). Checked as a secret's value is.
   */
  webhookUrl?: string;
  /** Settings of the Secrets Manager client; by default the environment's. */
  secretsManagerClientConfig?: SecretsManagerClientConfig;
  sleep?: (milliseconds: number) => Promise<void>;
  delivery?: Partial<
    Pick<DeliveryOptions, 'timeoutMs' | 'maxAttempts' | 'backoffMs' | 'reserveMs'>
  >;
  cacheExpiryMs?: number;
  clock?: () => Date;
  /** Where UndeliveredAlerts goes: EMF in Lambda, noMetrics locally. */
  metrics: MetricSink;
  /** Publishes to ALARM_TOPIC_ARN; needed only when it is set. */
  sns?: SNSClient;
}

/**
 * What became of an alert Slack did not take: published to the alarm topic, or not sent
 * there because it only announced a start or a success (UndeliveredAlerts still pages).
 */
export type Fallback = 'published to the alarm topic' | 'not an alert: not sent';

export type NotifyResult =
  | { outcome: 'not-wanted'; category: string }
  | { outcome: 'not-configured'; text: string }
  | ({ outcome: 'delivered' } & DeliveryResult)
  | { outcome: 'undelivered'; error: string; status: number | null; fallback: Fallback };

/** What the secrets-manager middleware puts on the context: the secret, parsed when JSON. */
type NotifyContext = Context & { slackWebhookUrl?: unknown };

const realSleep = (milliseconds: number) =>
  new Promise<void>((resolve) => setTimeout(resolve, milliseconds));

/** Ends the invocation early, before the secret is read, when NOTIFY_ON does not want it. */
function onlyWhenWanted(config: NotifyConfig): MiddlewareObj<NotifyEvent, NotifyResult> {
  return {
    name: 'onlyWhenWanted',
    before: (request) => {
      if (shouldNotify(request.event, config.NOTIFY_ON)) return undefined;
      const category = notifyCategory(request.event);
      logger.info('not notified: NOTIFY_ON does not include it', {
        category,
        notifyOn: config.NOTIFY_ON,
      });
      return { outcome: 'not-wanted', category };
    },
  };
}

/** Neither Slack nor the alarm topic took the alert; the message says why, never the URL. */
export class AlertFallbackFailed extends Error {
  override readonly name = 'AlertFallbackFailed';
}

/** The webhook secret could not be read; the message names the secret and the cause. */
export class SlackSecretUnavailable extends Error {
  override readonly name = 'SlackSecretUnavailable';
}

/**
 * middy reports any failed secret read as "Failed to resolve internal values", with the real
 * error in `cause.data`: name it, so the execution history says what went wrong.
 */
function explainSecretFailure(secretArn: string): MiddlewareObj<NotifyEvent, NotifyResult> {
  return {
    name: 'explainSecretFailure',
    onError: (request) => {
      const causes = (request.error?.cause as { data?: unknown } | undefined)?.data;
      if (!Array.isArray(causes) || causes.length === 0) return;
      const described = causes
        .map((cause) =>
          cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause),
        )
        .join('; ');
      request.error = new SlackSecretUnavailable(
        `${secretArn}: the Slack webhook secret could not be read (${described})`,
      );
    },
  };
}

export function createNotify(dependencies: NotifyDependencies) {
  const { config } = dependencies;
  const clock = dependencies.clock ?? (() => new Date());
  const sleep = dependencies.sleep ?? realSleep;
  const { webhookUrl } = dependencies;
  const secretArn = webhookUrl === undefined ? config.SLACK_WEBHOOK_SECRET_ARN : undefined;
  const topicArn = config.ALARM_TOPIC_ARN;
  const { sns } = dependencies;
  if (topicArn !== undefined && sns === undefined) {
    throw new Error('createNotify: ALARM_TOPIC_ARN is set but no SNS client was given');
  }

  const messageFor = (event: NotifyEvent): SlackMessage =>
    buildMessage(event, {
      stage: config.STAGE,
      region: config.AWS_REGION,
      logGroup: config.LOG_GROUP,
      logStreamPrefix: config.LOG_STREAM_PREFIX,
      containerName: config.DBT_CONTAINER_NAME,
      docsUrl: config.DOCS_URL,
      now: clock(),
    });

  const chain = middy<NotifyEvent, NotifyResult, Error, NotifyContext>()
    .use(invocationLogging())
    .use(onlyWhenWanted(config));
  if (secretArn !== undefined) {
    chain.use(explainSecretFailure(secretArn)).use(
      secretsManager({
        AwsClient: SecretsManagerClient,
        awsClientOptions: dependencies.secretsManagerClientConfig ?? {},
        fetchData: { slackWebhookUrl: secretArn },
        cacheKey: `slack-webhook:${secretArn}`,
        cacheExpiry: dependencies.cacheExpiryMs ?? SECRET_CACHE_MS,
        setToContext: true,
        disablePrefetch: true,
      }),
    );
  }

  return chain.handler(async (event, context): Promise<NotifyResult> => {
    const started = Date.now();
    const message = messageFor(event);
    const verdict = event.state.evaluation?.verdict;
    if (secretArn === undefined && webhookUrl === undefined) {
      logger.info('Slack not configured (SLACK_WEBHOOK_SECRET_ARN is not set)', {
        event: event.event,
        verdict,
      });
      return { outcome: 'not-configured', text: renderText(message) };
    }
    let url: string;
    try {
      url =
        webhookUrl === undefined
          ? webhookUrlFrom(context.slackWebhookUrl, secretArn ?? '', config.SLACK_ALLOW_LOCAL)
          : webhookUrlFrom(webhookUrl, 'SLACK_WEBHOOK_URL', config.SLACK_ALLOW_LOCAL);
    } catch (error) {
      if (!(error instanceof SlackWebhookInvalid)) throw error;
      logger.error('Slack notification failed', {
        event: event.event,
        verdict,
        error: error.message,
      });
      return undelivered(event, message, { error: error.message, status: null }, error);
    }
    const remainingTimeMs =
      typeof context.getRemainingTimeInMillis === 'function'
        ? () => context.getRemainingTimeInMillis()
        : () => LOCAL_BUDGET_MS - (Date.now() - started);
    const result = await deliver(url, message, {
      ...DEFAULT_DELIVERY,
      // Slack's retries leave time to publish the alert to the alarm topic if they all fail.
      ...(topicArn !== undefined && { reserveMs: FALLBACK_RESERVE_MS }),
      ...dependencies.delivery,
      remainingTimeMs,
      sleep,
    });
    const facts = {
      event: event.event,
      verdict,
      blocks: message.blocks.length,
      attempts: result.attempts,
      status: result.status,
      waitedMs: result.waitedMs,
    };
    if (!result.delivered) {
      logger.error('Slack notification failed', {
        ...facts,
        slackError: result.slackError,
        error: result.error,
      });
      return undelivered(
        event,
        message,
        { error: result.error ?? 'not sent', status: result.status },
        new SlackDeliveryFailed(result),
      );
    }
    logger.info('Slack notified', facts);
    return { outcome: 'delivered', ...result };
  });

  /**
   * Slack did not take the message: count it, and send a failure alert to the alarm topic.
   * `failure` is what is thrown when there is no topic to tell instead.
   */
  async function undelivered(
    event: NotifyEvent,
    message: SlackMessage,
    slack: { error: string; status: number | null },
    failure: Error,
  ): Promise<NotifyResult> {
    dependencies.metrics.count({
      name: 'UndeliveredAlerts',
      dimensions: { StateMachine: config.STATE_MACHINE_NAME },
    });
    if (topicArn === undefined || sns === undefined) throw failure;
    if (notifyCategory(event) !== 'failure') {
      logger.warn('Slack did not take an announcement; not sent to the alarm topic', {
        event: event.event,
        error: slack.error,
      });
      return { outcome: 'undelivered', ...slack, fallback: 'not an alert: not sent' };
    }
    const alert = fallbackAlert(event, message, config.STAGE, slack.error);
    try {
      await sns.send(
        new PublishCommand({ TopicArn: topicArn, Subject: alert.subject, Message: alert.message }),
      );
    } catch (error) {
      const cause = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      throw new AlertFallbackFailed(
        `Slack did not take the alert (${slack.error}) and the alarm topic ${topicArn} did not either (${cause})`,
      );
    }
    logger.warn('alert published to the alarm topic instead of Slack', {
      event: event.event,
      verdict: event.state.evaluation?.verdict,
      topic: topicArn,
    });
    return { outcome: 'undelivered', ...slack, fallback: 'published to the alarm topic' };
  }
}
