// infra/no-run-alarm.cjs: how long a job may go without a successful run before its alarm
// goes off, and the periods CloudWatch watches that window with.
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { lockExpiresAt } from '../../functions/prepare/lock-rules.ts';
import { REPO_ROOT } from '../support/packaged.ts';

interface Watchable {
  gapSeconds: number;
  runSeconds: number;
  graceSeconds: number;
  windowSeconds: number;
  describe: string;
  periodSeconds: number;
  evaluationPeriods: number;
}

const noRunAlarm = createRequire(import.meta.url)(join(REPO_ROOT, 'infra', 'no-run-alarm.cjs')) as {
  noRunWindow: (job: {
    cron: string;
    timezone: string;
    timeoutSeconds: number;
    scheduleRetrySeconds: number;
    now: Date;
  }) => Watchable | { unwatchable: string };
  runSeconds: (timeoutSeconds: number) => number;
};

const HOUR = 3600;
const NOW = new Date('2026-12-01T00:00:00Z');
const windowOf = (cron: string, timeoutSeconds: number, timezone = 'Europe/Berlin') =>
  noRunAlarm.noRunWindow({ cron, timezone, timeoutSeconds, scheduleRetrySeconds: HOUR, now: NOW });

describe("a job's no-successful-run window", () => {
  it('is its longest gap, plus the longest a run takes, plus the grace, in whole periods', () => {
    // Daily at 03:30 Berlin: 25 h across the night the clocks go back; a 2-hour limit twice
    // with its margins is 4 h 25 min; an hour of schedule retries and 15 min for the metric.
    expect(windowOf('cron(30 3 * * ? *)', 7200)).toEqual({
      gapSeconds: 25 * HOUR,
      runSeconds: 4 * HOUR + 25 * 60,
      graceSeconds: HOUR + 15 * 60,
      windowSeconds: 31 * HOUR,
      describe:
        'the longest gap between its scheduled runs, 25 h, + the longest a run takes, 4 h 25 min, + 1 h 15 min grace',
      periodSeconds: HOUR,
      evaluationPeriods: 31,
    });
  });

  it('watches a window of up to a day in 5-minute periods', () => {
    // Hourly UTC, a 1-hour limit: 1 h + 2 h 25 min + 1 h 15 min = 4 h 40 min = 56 x 5 min.
    expect(windowOf('cron(0 * * * ? *)', 3600, 'UTC')).toMatchObject({
      windowSeconds: 4 * HOUR + 40 * 60,
      periodSeconds: 300,
      evaluationPeriods: 56,
    });
  });

  it('takes a run as long as the overlap lock it holds', () => {
    for (const timeout of [60, 3600, 14_400, 86_400]) {
      expect(noRunAlarm.runSeconds(timeout)).toBe(lockExpiresAt(0, timeout));
    }
  });

  it.each([
    ['cron(30 3 * * ? *)', 'Europe/Berlin', 86_400],
    ['cron(15 * * * ? *)', 'Europe/Berlin', 60],
    ['cron(0 6 ? * MON-FRI *)', 'America/New_York', 3600],
    ['cron(0 4 ? * SUN,WED *)', 'Australia/Sydney', 7200],
    ['rate(5 minutes)', 'UTC', 60],
    ['rate(2 days)', 'UTC', 3600],
  ])(
    "for %s in %s with a %i s limit, stays within CloudWatch's limits and covers the gap and a run",
    (cron, timezone, timeout) => {
      const window = windowOf(cron, timeout, timezone) as Watchable;
      expect(window).not.toHaveProperty('unwatchable');
      const { periodSeconds: period, evaluationPeriods: periods } = window;
      expect(period % 60).toBe(0);
      // PutMetricAlarm: Period x EvaluationPeriods at most a day for periods under an hour,
      // at most seven days otherwise.
      expect(period * periods).toBeLessThanOrEqual(period < HOUR ? 86_400 : 604_800);
      expect(period * periods).toBe(window.windowSeconds);
      expect(window.windowSeconds).toBeGreaterThanOrEqual(
        window.gapSeconds + window.runSeconds + window.graceSeconds,
      );
      expect(window.windowSeconds - period).toBeLessThan(
        window.gapSeconds + window.runSeconds + window.graceSeconds,
      );
    },
  );

  it.each([
    ['a weekly job', 'cron(0 4 ? * SUN *)', /its window, 7 d \d+ h .* is longer than the 7 days/],
    ['a monthly job', 'cron(0 4 1 * ? *)', /its window, 3\d d .* is longer than the 7 days/],
    [
      'a job that runs once',
      'at(2027-06-01T04:00:00)',
      /it runs once \(at\(2027-06-01T04:00:00\)\)/,
    ],
  ])('is none for %s, saying why', (_case, cron, reason) => {
    const window = windowOf(cron, 14_400);
    expect(window).toEqual({ unwatchable: expect.stringMatching(reason) });
  });
});
