// What `serverless-dbt backfill` decides before any run starts, with no AWS SDK: the dates
// from --from to --to, the job's schedule as the deployed stack's template holds it, the
// scheduled time of each date (its cron in its time zone, infra/schedule-times.cjs, the
// reader the deployment checks use), the run input of each, and the execution names.
import { createHash } from 'node:crypto';
import { BACKFILL_PREFIX } from '../../functions/prepare/prepare.ts';
import { utcSeconds } from '../../functions/prepare/scheduled-vars.ts';
import { parseRunInput } from '../../functions/shared/run-input.ts';
import scheduleTimes from '../../infra/schedule-times.cjs';
import { CliError, UsageError } from '../errors.ts';
import { MAX_EXECUTION_NAME } from './names.ts';

/** More runs at once would compete for the warehouse more than they save time. */
export const MAX_CONCURRENCY = 4;
/** A year and a day: a longer backfill is a mistake more often than a plan. */
export const MAX_DATES = 366;
/** A date's later attempts are named `-2` … `-99`, after earlier ones failed. */
export const MAX_ATTEMPT_NAMES = 99;

const DATE_RE = /^\d{4}-\d{2}-\d{2}$/;
const DAY_MS = 86_400_000;

/** A job's schedule, as the stack's AWS::Scheduler::Schedule resource holds it. */
export interface DeployedSchedule {
  job: string;
  cron: string;
  timezone: string;
  /** The schedule's target input, with `scheduledTime` left for the Scheduler to fill. */
  input: Record<string, unknown>;
}

/** One date of a backfill: its scheduled time and run input, or why it has none. */
export type PlannedDate =
  | { date: string; scheduledTime: string; input: Record<string, unknown> }
  | { date: string; scheduledTime: undefined; skipped: string };

/**
 * A `--from`/`--to` value, checked.
 * @throws UsageError naming the option.
 */
export function parseDateOption(option: string, value: string | undefined): string {
  if (value === undefined) throw new UsageError(`--${option} is required (a date, YYYY-MM-DD)`);
  const instant = Date.parse(`${value}T00:00:00Z`);
  if (
    !DATE_RE.test(value) ||
    Number.isNaN(instant) ||
    new Date(instant).toISOString().slice(0, 10) !== value
  ) {
    throw new UsageError(`--${option} '${value.slice(0, 40)}' is not a date (YYYY-MM-DD)`);
  }
  return value;
}

/**
 * The dates from `from` to `to`, both included.
 * @throws UsageError naming --to when it is before --from or the span is too long.
 */
export function datesBetween(from: string, to: string): string[] {
  const first = Date.parse(`${from}T00:00:00Z`);
  const last = Date.parse(`${to}T00:00:00Z`);
  if (last < first) throw new UsageError(`--to ${to} is before --from ${from}`);
  const count = (last - first) / DAY_MS + 1;
  if (count > MAX_DATES) {
    throw new UsageError(
      `--to ${to} is ${count} dates after --from ${from}; backfill at most ${MAX_DATES} dates at once`,
    );
  }
  return Array.from({ length: count }, (_, index) =>
    new Date(first + index * DAY_MS).toISOString().slice(0, 10),
  );
}

/**
 * --concurrency, 1 when not given.
 * @throws UsageError naming the option.
 */
export function parseConcurrency(value: string | undefined): number {
  if (value === undefined) return 1;
  const number = /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isInteger(number) || number < 1 || number > MAX_CONCURRENCY) {
    throw new UsageError(
      `--concurrency '${value.slice(0, 20)}' must be a whole number from 1 to ${MAX_CONCURRENCY}`,
    );
  }
  return number;
}

interface TemplateShape {
  Resources?: Record<string, { Type?: string; Properties?: Record<string, unknown> }>;
}

/** The input a schedule resource sends, or undefined when it is not a JSON object. */
function inputOf(properties: Record<string, unknown>): Record<string, unknown> | undefined {
  const target = properties.Target as { Input?: unknown } | undefined;
  if (typeof target?.Input !== 'string') return undefined;
  try {
    const input: unknown = JSON.parse(target.Input);
    return input !== null && typeof input === 'object' && !Array.isArray(input)
      ? (input as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The job's schedule in the deployed stack's template (infra/config.cjs writes one
 * AWS::Scheduler::Schedule per job, its input naming the job).
 * @throws CliError when the stage has no such job, naming the jobs it has.
 */
export function deployedSchedule(template: unknown, job: string, stage: string): DeployedSchedule {
  const resources = Object.values((template as TemplateShape | null)?.Resources ?? {});
  const schedules: DeployedSchedule[] = [];
  for (const resource of resources) {
    if (resource.Type !== 'AWS::Scheduler::Schedule' || resource.Properties === undefined) continue;
    const { ScheduleExpression: cron, ScheduleExpressionTimezone: timezone = 'UTC' } =
      resource.Properties;
    const input = inputOf(resource.Properties);
    if (typeof cron !== 'string' || typeof timezone !== 'string' || input === undefined) continue;
    if (typeof input.job === 'string') schedules.push({ job: input.job, cron, timezone, input });
  }
  const found = schedules.find((schedule) => schedule.job === job);
  if (found === undefined) {
    const jobs = schedules.map((schedule) => schedule.job).join(', ') || 'none';
    throw new CliError(
      `the stage ${stage} has no job '${job}' (its jobs: ${jobs}); backfill runs a job of serverless.yml's jobs`,
    );
  }
  return found;
}

/**
 * Each date's scheduled time and run input: the schedule's input with `scheduledTime` set, as
 * EventBridge Scheduler would have sent it on that date. A date the cron skips (a weekday
 * job's Sunday, a time lost to the clocks going forward) is skipped, not an error.
 * @throws CliError for a job whose schedule no date anchors (rate(), at()), or that runs more
 *   than once on a date, and UsageError naming --to for a time not yet reached.
 */
export function planDates(
  schedule: DeployedSchedule,
  dates: readonly string[],
  now: Date,
): PlannedDate[] {
  return dates.map((date) => {
    const instants = scheduleTimes.firesOn(schedule.cron, schedule.timezone, date);
    if (instants === undefined) {
      throw new CliError(
        `job ${schedule.job} runs on ${schedule.cron}, which gives no time per date; backfill needs a cron(...) job`,
      );
    }
    if (instants.length > 1) {
      throw new CliError(
        `job ${schedule.job} runs ${instants.length} times on ${date} (${schedule.cron}); backfill starts one run per date and needs a job that runs at most once a day`,
      );
    }
    const [instant] = instants;
    if (instant === undefined) {
      return {
        date,
        scheduledTime: undefined,
        skipped: `no scheduled time: ${schedule.cron} in ${schedule.timezone} does not run on that date`,
      };
    }
    const scheduledTime = utcSeconds(instant);
    if (instant > now.getTime()) {
      throw new UsageError(
        `--to: ${date}'s scheduled time ${scheduledTime} has not come yet; backfill only dates whose time has passed`,
      );
    }
    const input = { ...schedule.input, scheduledTime };
    // As Prepare will check it: a bad input costs no run.
    parseRunInput(input);
    return { date, scheduledTime, input };
  });
}

/**
 * The execution name of a date's backfill run: `cli-backfill-<job>-<date>`, then `-2`, `-3`...
 * for a date whose earlier run failed. The same date always gives the same first name, so a
 * rerun finds the runs of the first (idempotent). The `cli-` prefix makes the trigger `cli`;
 * Prepare reads `cli-backfill-` to lock the run on its job and date. A job name too long to fit
 * is cut and given a hash of the whole, so two long names stay apart.
 */
export function backfillExecutionName(job: string, date: string, attempt: number): string {
  const suffix = attempt === 1 ? '' : `-${attempt}`;
  const room =
    MAX_EXECUTION_NAME - BACKFILL_PREFIX.length - date.length - 1 - `-${MAX_ATTEMPT_NAMES}`.length;
  const digest = createHash('sha256').update(job).digest('hex').slice(0, 8);
  const safeJob = job.length <= room ? job : `${job.slice(0, room - digest.length - 1)}-${digest}`;
  return `${BACKFILL_PREFIX}${safeJob}-${date}${suffix}`;
}
