// @ts-check
'use strict';
// The dead man's switch of a job: how long the job may go without a successful run before
// its "no successful run" alarm goes off, and how CloudWatch can watch that long. config.cjs
// turns the result into an AWS::CloudWatch::Alarm on Evaluate's SucceededRuns metric.
// No network, no AWS SDK.

const scheduleTimes = require('./schedule-times.cjs');
// A run lasts at most as long as the overlap lock it holds: the same numbers size both.
const contracts = require('../functions/shared/contracts.ts');
const lockRules = require('../functions/prepare/lock-rules.ts');

// From a success's log line to the metric an alarm can see: the EMF metric is usually there
// within a minute or two.
const METRIC_DELAY_SECONDS = 900;
// CloudWatch's limits on Period x EvaluationPeriods (PutMetricAlarm): one day with a period
// under an hour, seven days with a period of an hour or more.
const SHORT_PERIOD_SECONDS = 300;
const SHORT_RANGE_SECONDS = 86_400;
const LONG_PERIOD_SECONDS = 3600;
const LONG_RANGE_SECONDS = 604_800;

/**
 * The longest one run can take, from its start to its outcome: every attempt at its whole
 * limit with its margin, and the run's own margin (functions/prepare/lock-rules.ts).
 * @param {number} timeoutSeconds
 */
function runSeconds(timeoutSeconds) {
  return (
    contracts.MAX_ATTEMPTS * (timeoutSeconds + lockRules.ATTEMPT_MARGIN_SECONDS) +
    lockRules.RUN_MARGIN_SECONDS
  );
}

/**
 * @typedef {{
 *   gapSeconds: number,
 *   runSeconds: number,
 *   graceSeconds: number,
 *   windowSeconds: number,
 *   describe: string,
 * }} Window
 *
 * @typedef {Window & { periodSeconds: number, evaluationPeriods: number }} Watchable
 * @typedef {{ unwatchable: string }} Unwatchable
 */

/**
 * How long a job may go without a successful run: the longest gap between two of its
 * scheduled starts (daylight saving included), plus the longest a run may take, plus a
 * grace for the schedule's own retries and the metric's delay. CloudWatch evaluates it as
 * N consecutive periods; a window CloudWatch cannot hold, or a job that runs once, has no
 * alarm, and `unwatchable` says why.
 * @param {{
 *   cron: string,
 *   timezone: string,
 *   timeoutSeconds: number,
 *   scheduleRetrySeconds: number,
 *   now: Date,
 * }} job
 * @returns {Watchable | Unwatchable}
 */
function noRunWindow({ cron, timezone, timeoutSeconds, scheduleRetrySeconds, now }) {
  if (scheduleTimes.parseSchedule(cron).kind === 'at') {
    return { unwatchable: `it runs once (${cron}), so there is no next run to expect` };
  }
  const { from, to } = scheduleTimes.horizon(now);
  const gapSeconds = scheduleTimes.longestGapSeconds(cron, timezone, from, to);
  const run = runSeconds(timeoutSeconds);
  const graceSeconds = scheduleRetrySeconds + METRIC_DELAY_SECONDS;
  const needed = gapSeconds + run + graceSeconds;
  const period = needed <= SHORT_RANGE_SECONDS ? SHORT_PERIOD_SECONDS : LONG_PERIOD_SECONDS;
  const evaluationPeriods = Math.ceil(needed / period);
  const windowSeconds = evaluationPeriods * period;
  const parts =
    `the longest gap between its scheduled runs, ${scheduleTimes.describeDuration(gapSeconds)}, ` +
    `+ the longest a run takes, ${scheduleTimes.describeDuration(run)}, ` +
    `+ ${scheduleTimes.describeDuration(graceSeconds)} grace`;
  if (windowSeconds > LONG_RANGE_SECONDS) {
    return {
      unwatchable:
        `its window, ${scheduleTimes.describeDuration(needed)} (${parts}), is longer than the 7 days ` +
        'a CloudWatch alarm can evaluate',
    };
  }
  return {
    gapSeconds,
    runSeconds: run,
    graceSeconds,
    windowSeconds,
    describe: parts,
    periodSeconds: period,
    evaluationPeriods,
  };
}

module.exports = { noRunWindow, runSeconds };
