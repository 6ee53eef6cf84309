/**
 * Notify's settings, from its environment (set by serverless.yml from the stage's params).
 * No AWS SDK.
 */
import * as z from 'zod';
import { commaList, type Environment, readConfig } from '../shared/config.ts';

export const NOTIFY_EVENTS = ['start', 'success', 'failure'] as const;
export type NotifyOn = (typeof NOTIFY_EVENTS)[number];

const trueOrFalse = z
  .enum(['true', 'false'], { error: 'must be true or false' })
  .transform((text) => text === 'true');

const nonEmpty = z.string().min(1, { error: 'must not be empty' });

const shape = {
  STAGE: nonEmpty,
  /** The secret holding the webhook URL (ARN or name). Unset: Slack is not configured. */
  SLACK_WEBHOOK_SECRET_ARN: nonEmpty.optional(),
  /** Accept an http://127.0.0.1 webhook (tests, local runs); never set in AWS. */
  SLACK_ALLOW_LOCAL: trueOrFalse.default(false),
  /** What to announce; unset means failures only. An empty value turns alerts off. */
  NOTIFY_ON: commaList(NOTIFY_EVENTS).default(['failure']),
  /** The task's `awslogs-group`; without it the alert has no log link. */
  LOG_GROUP: nonEmpty.optional(),
  /** The task's `awslogs-stream-prefix`. */
  LOG_STREAM_PREFIX: nonEmpty.default('dbt'),
  DBT_CONTAINER_NAME: nonEmpty.default('dbt'),
  DOCS_URL: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional(),
  /**
   * The stack's alarm topic: a failure alert Slack did not take is published there instead.
   * Unset (local runs): such a failure fails the invocation, as nothing else would tell.
   */
  ALARM_TOPIC_ARN: z
    .string()
    .regex(/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$/, {
      error: 'must be an SNS topic ARN',
    })
    .optional(),
  /** The state machine's name: the StateMachine dimension of UndeliveredAlerts. */
  STATE_MACHINE_NAME: nonEmpty,
  /** Set by Lambda; otherwise the region comes from the execution's ARN. */
  AWS_REGION: nonEmpty.optional(),
};

export type NotifyConfig = z.infer<z.ZodObject<typeof shape>>;

/**
 * Read and check the environment.
 * @throws ConfigurationError naming the setting at fault.
 */
export function readNotifyConfig(environment: Environment): NotifyConfig {
  return readConfig(shape, environment);
}
