/**
 * The metrics a run's evaluation earns, with no metrics library (the factory publishes them):
 * only the final evaluation of an execution counts, not one that decides another attempt,
 * so that a run is counted once, by how it ended.
 *  - AlarmingRuns {StateMachine} when the verdict is one the stage pages for (ALARM_ON);
 *  - SucceededRuns {StateMachine, Job} when it succeeded: each job's alarm on "no successful
 *    run within its window" watches it.
 */
import type { Evaluation, Verdict } from '../shared/contracts.ts';
import type { CountMetric } from '../shared/metrics.ts';

export function runMetrics(
  evaluation: Pick<Evaluation, 'verdict' | 'retry' | 'output'>,
  alarmOn: readonly Verdict[],
  stateMachine: string,
): CountMetric[] {
  if (evaluation.retry) return [];
  const metrics: CountMetric[] = [];
  if (alarmOn.includes(evaluation.verdict)) {
    metrics.push({ name: 'AlarmingRuns', dimensions: { StateMachine: stateMachine } });
  }
  if (evaluation.verdict === 'SUCCEEDED') {
    metrics.push({
      name: 'SucceededRuns',
      dimensions: { StateMachine: stateMachine, Job: evaluation.output.job },
    });
  }
  return metrics;
}
