/**
 * The dbt vars a run's scheduled time gives, with no AWS SDK. A scheduled run's input carries
 * `scheduledTime` (EventBridge Scheduler fills `<aws.scheduler.scheduled-time>`, `backfill`
 * sets it); Prepare turns it into vars, read in the job's time zone and against its cron
 * (Prepare's JOB_SCHEDULES):
 *
 *  - `scheduled_time`: the time itself, `YYYY-MM-DDThh:mm:ssZ`;
 *  - `run_date`: its date in the job's time zone (UTC for a job with no schedule);
 *  - `data_interval_start` / `data_interval_end`: Airflow's interval, from the job's previous
 *    scheduled time to this one, so consecutive runs cover time without gap or overlap. A job
 *    with no schedule (or an `at()` one) has no previous time: the interval is empty, start =
 *    end = the scheduled time, as Airflow's for a run with no schedule.
 *
 * The run input's own `vars` win over these, name by name: a person who sets `run_date` by
 * hand means it.
 */
import scheduleTimes from '../../infra/schedule-times.cjs';
import { InvalidRunInput, type JsonValue } from '../shared/run-input.ts';

/** A job's schedule as serverless.yml gives it: the expression and its time zone. */
export interface JobSchedule {
  cron: string;
  timezone: string;
}

export interface ScheduledVars {
  scheduled_time: string;
  run_date: string;
  data_interval_start: string;
  data_interval_end: string;
}

/** `YYYY-MM-DDThh:mm:ssZ`, as EventBridge Scheduler writes times. */
export const utcSeconds = (instant: number): string =>
  new Date(instant).toISOString().replace(/\.\d{3}Z$/, 'Z');

/**
 * The vars of a run scheduled at `scheduledTime`.
 * @throws InvalidRunInput naming `scheduledTime` for a date that does not exist (Feb 30),
 *   which its pattern alone lets through.
 */
export function scheduledVars(
  scheduledTime: string,
  schedule: JobSchedule | undefined,
): ScheduledVars {
  const instant = Date.parse(scheduledTime);
  // Date.parse rolls 2026-02-30 over to March 2: only a time that reads back the same exists.
  if (Number.isNaN(instant) || utcSeconds(instant) !== scheduledTime) {
    throw new InvalidRunInput('scheduledTime', `${scheduledTime} is not a date in the calendar`);
  }
  const timezone = schedule?.timezone ?? 'UTC';
  const previous =
    schedule === undefined
      ? undefined
      : scheduleTimes.previousFireTime(schedule.cron, timezone, instant);
  return {
    scheduled_time: scheduledTime,
    run_date: scheduleTimes.localDateOf(timezone, instant),
    data_interval_start: previous === undefined ? scheduledTime : utcSeconds(previous),
    data_interval_end: scheduledTime,
  };
}

/** The run's vars: the scheduled ones under the input's own, which win name by name. */
export function mergeVars(
  scheduled: ScheduledVars | undefined,
  own: Record<string, JsonValue> | undefined,
): Record<string, JsonValue> | undefined {
  if (scheduled === undefined) return own;
  return { ...scheduled, ...own };
}
