/**
 * Prepare's settings, from its environment (set by serverless.yml from the stage's params),
 * and how they become one run's PrepareSettings. No AWS SDK.
 */
import * as z from 'zod';
import { ConfigurationError, commaList, type Environment, readConfig } from '../shared/config.ts';
import { MAX_TIMEOUT_SECONDS, MIN_TIMEOUT_SECONDS } from '../shared/run-input.ts';
import { LOCK_NAME_RE } from './lock-rules.ts';
import type { PrepareSettings } from './prepare.ts';
import type { JobSchedule } from './scheduled-vars.ts';

const NOTIFY_EVENTS = ['start', 'success', 'failure'] as const;

const trueOrFalse = z
  .enum(['true', 'false'], { error: 'must be true or false' })
  .transform((text) => text === 'true');

const seconds = z
  .string()
  .regex(/^\d+$/, { error: 'must be a whole number of seconds' })
  .transform(Number)
  .pipe(
    z
      .int()
      .min(MIN_TIMEOUT_SECONDS, { error: `must be at least ${MIN_TIMEOUT_SECONDS}` })
      .max(MAX_TIMEOUT_SECONDS, { error: `must be at most ${MAX_TIMEOUT_SECONDS}` }),
  );

// `file:///` too: local runs call this very handler and keep artifacts on the host.
const ARTIFACTS_URI_RE = /^(s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](\/.*)?|file:\/\/\/.+)$/;

/**
 * `job=group` pairs, comma-separated (infra/config.cjs writes them from the jobs' `lockGroup`):
 * the jobs that share one lock. A job not listed has a lock of its own.
 */
const jobLockGroups = z.string().transform((text, context) => {
  const groups: Record<string, string> = {};
  const pairs = text
    .split(',')
    .map((pair) => pair.trim())
    .filter(Boolean);
  for (const pair of pairs) {
    const [job = '', group = '', ...more] = pair.split('=').map((word) => word.trim());
    if (more.length > 0 || !LOCK_NAME_RE.test(job) || !LOCK_NAME_RE.test(group)) {
      context.addIssue({
        code: 'custom',
        message: `'${pair.slice(0, 140)}' is not job=group (each 1 to 64 of A-Z a-z 0-9 _ -)`,
      });
      return z.NEVER;
    }
    if (Object.hasOwn(groups, job)) {
      context.addIssue({ code: 'custom', message: `job '${job}' is given twice` });
      return z.NEVER;
    }
    groups[job] = group;
  }
  return groups;
});

/**
 * `{"<job>": {"cron": "cron(...)", "timezone": "Europe/Berlin"}, ...}` (infra/config.cjs writes
 * it from the jobs): what a scheduled time's vars are computed against (scheduled-vars.ts).
 */
const jobSchedules = z.string().transform((text, context) => {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    context.addIssue({
      code: 'custom',
      message: 'must be a JSON object of job → {cron, timezone}',
    });
    return z.NEVER;
  }
  const entry = z.strictObject({
    cron: z.string().min(1),
    timezone: z.string().refine(isTimeZone),
  });
  const result = z.record(z.string().regex(LOCK_NAME_RE), entry).safeParse(parsed);
  if (!result.success) {
    const issue = result.error.issues[0];
    const where = (issue?.path ?? []).join('.');
    context.addIssue({
      code: 'custom',
      message: `${where === '' ? 'the value' : where} is not job → {cron, timezone} (an IANA time zone)`,
    });
    return z.NEVER;
  }
  return result.data as Record<string, JobSchedule>;
});

function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

const shape = {
  STAGE: z.string().min(1, { error: 'must not be empty' }),
  LOCK_TABLE: z.string().min(1, { error: 'must not be empty' }).optional(),
  JOB_LOCK_GROUPS: jobLockGroups.default({}),
  JOB_SCHEDULES: jobSchedules.default({}),
  ALLOW_OVERLAP: trueOrFalse.default(false),
  DEFAULT_TIMEOUT_SECONDS: seconds,
  // On-demand unless asked: Spot is a cost choice that trades away uninterrupted runs.
  FARGATE_SPOT: trueOrFalse.default(false),
  ARTIFACTS_URI: z
    .string()
    .regex(ARTIFACTS_URI_RE, { error: 'must be s3://bucket/prefix or file:///path' }),
  NOTIFY_ON: commaList(NOTIFY_EVENTS).default([]),
};

export type PrepareConfig = z.infer<z.ZodObject<typeof shape>>;

/**
 * Read and check the environment.
 * @throws ConfigurationError naming the setting at fault.
 */
export function readPrepareConfig(environment: Environment): PrepareConfig {
  const config = readConfig(shape, environment);
  if (!config.ALLOW_OVERLAP && config.LOCK_TABLE === undefined) {
    throw new ConfigurationError(
      'LOCK_TABLE: not set; the overlap lock needs its table (or set ALLOW_OVERLAP=true)',
    );
  }
  return config;
}

/**
 * The state machine's name from an execution's ARN:
 * arn:aws:states:<region>:<account>:execution:<state machine>:<execution> (Standard), or
 * arn:aws:states:<region>:<account>:express:<state machine>:<execution>:<id> (Express).
 */
export function stateMachineNameOf(executionArn: string): string | undefined {
  const parts = executionArn.split(':');
  const kind = parts[5];
  const name = parts[6];
  if (parts[0] !== 'arn' || parts[2] !== 'states') return undefined;
  if ((kind !== 'execution' && kind !== 'express') || !name) return undefined;
  return name;
}

/**
 * One run's settings.
 * @throws ConfigurationError when the execution's ARN names no state machine to key the
 *   locks by.
 */
export function settingsFor(config: PrepareConfig, executionArn: string): PrepareSettings {
  return {
    stage: config.STAGE,
    defaultTimeoutSeconds: config.DEFAULT_TIMEOUT_SECONDS,
    fargateSpot: config.FARGATE_SPOT,
    artifactsUri: config.ARTIFACTS_URI,
    notifyOnStart: config.NOTIFY_ON.includes('start'),
    lock: lockFor(config, executionArn),
    schedules: config.JOB_SCHEDULES,
  };
}

function lockFor(config: PrepareConfig, executionArn: string): PrepareSettings['lock'] {
  if (config.ALLOW_OVERLAP || config.LOCK_TABLE === undefined) return undefined;
  const stateMachine = stateMachineNameOf(executionArn);
  if (stateMachine === undefined) {
    throw new ConfigurationError(
      `executionArn: '${executionArn.slice(0, 200)}' is not an execution ARN to take ` +
        "the state machine's name from (the overlap locks are keyed by it)",
    );
  }
  return { table: config.LOCK_TABLE, stateMachine, groups: config.JOB_LOCK_GROUPS };
}
