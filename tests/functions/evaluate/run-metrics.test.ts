import { runMetrics } from '../../../functions/evaluate/run-metrics.ts';
import type { Evaluation, Verdict } from '../../../functions/shared/contracts.ts';

const STATE_MACHINE = 'serverless-dbt-live-dbt-run';
const LIVE_ALARM_ON: Verdict[] = [
  'DBT_FAILED',
  'DBT_ERROR',
  'CONFIG_ERROR',
  'ARTIFACTS_LOST',
  'OUT_OF_MEMORY',
  'INFRA_RETRYABLE',
  'INFRA_FAILED',
  'TIMED_OUT',
];

function evaluation(verdict: Verdict, retry = false, job = 'nightly') {
  return {
    verdict,
    retry,
    output: { job } as Evaluation['output'],
  };
}

describe('runMetrics', () => {
  it.each<Verdict>(LIVE_ALARM_ON)('counts one AlarmingRuns for a final %s', (verdict) => {
    expect(runMetrics(evaluation(verdict), LIVE_ALARM_ON, STATE_MACHINE)).toStrictEqual([
      { name: 'AlarmingRuns', dimensions: { StateMachine: STATE_MACHINE } },
    ]);
  });

  it.each<Verdict>(['SKIPPED_OVERLAP', 'CANCELLED', 'INVALID_INPUT'])(
    'counts nothing for %s, a notice the live default does not page for',
    (verdict) => {
      expect(runMetrics(evaluation(verdict), LIVE_ALARM_ON, STATE_MACHINE)).toStrictEqual([]);
    },
  );

  it('counts a success as SucceededRuns under its job, and never as alarming', () => {
    expect(
      runMetrics(
        evaluation('SUCCEEDED', false, 'weekly-full-refresh'),
        LIVE_ALARM_ON,
        STATE_MACHINE,
      ),
    ).toStrictEqual([
      {
        name: 'SucceededRuns',
        dimensions: { StateMachine: STATE_MACHINE, Job: 'weekly-full-refresh' },
      },
    ]);
  });

  it('counts nothing for an evaluation that decides another attempt: only the final one counts', () => {
    expect(runMetrics(evaluation('INFRA_RETRYABLE', true), LIVE_ALARM_ON, STATE_MACHINE)).toEqual(
      [],
    );
  });

  it('follows the stage’s alarm set: a verdict left out does not page, one added does', () => {
    expect(runMetrics(evaluation('DBT_FAILED'), ['INFRA_FAILED'], STATE_MACHINE)).toEqual([]);
    expect(runMetrics(evaluation('CANCELLED'), ['CANCELLED'], STATE_MACHINE)).toEqual([
      { name: 'AlarmingRuns', dimensions: { StateMachine: STATE_MACHINE } },
    ]);
  });
});
