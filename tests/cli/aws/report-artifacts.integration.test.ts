// The artifacts folder in a run's summary (`watch`, `start --wait`, `retry --wait`): named when
// the run stored something there or its verdict says a task ran, never for a run that ended
// before any task (an overlap, a refused input, a cancel while it waited). Runs that moto's ASL
// interpreter executes, against the stand-in of a deployed stage (stage.ts).
import { StopExecutionCommand } from '@aws-sdk/client-sfn';
import { watchCommand } from '../../../cli/aws/watch.ts';
import {
  BUCKET,
  deployTestStageAroundTests,
  finished,
  putArtifact,
  putLastAttempt,
  runExecution,
  STAGE,
  startSlowRun,
} from './stage.ts';

const stage = deployTestStageAroundTests();

/** `watch` of a run that has ended: its summary, and its exit code. */
async function summaryOf(runId: string): Promise<{ code: number; lines: string[] }> {
  const context = stage.context();
  const code = await watchCommand(['--stage', STAGE, runId], context);
  return { code, lines: context.stdout.flatMap((text) => text.split('\n')) };
}

/** A `slow` run stopped while it waits before its task: CANCELLED, and no task started. */
async function cancelledBeforeItsTask(runId: string): Promise<void> {
  const executionArn = await startSlowRun(stage, runId);
  await stage.sfn.send(new StopExecutionCommand({ executionArn, cause: 'a test' }));
  await finished(stage.sfn, executionArn);
}

const artifactsLines = (lines: string[]) => lines.filter((line) => line.startsWith('artifacts:'));

describe('the artifacts folder in a run’s summary', () => {
  test('is left out for a run skipped for an overlap, and for a refused input', async () => {
    await runExecution(stage, 'overlapped-1', { job: 'overlapped' });
    const overlapped = await summaryOf('overlapped-1');
    expect(overlapped.code).toBe(1);
    expect(overlapped.lines).toContain(
      'run overlapped-1 (job overlapped): FAILED: SKIPPED_OVERLAP',
    );
    expect(artifactsLines(overlapped.lines)).toEqual([]);

    await runExecution(stage, 'refused-1', { job: 'refused' });
    const refused = await summaryOf('refused-1');
    expect(refused.lines).toContain('run refused-1 (job refused): FAILED: INVALID_INPUT');
    expect(artifactsLines(refused.lines)).toEqual([]);
  }, 30_000);

  test('is left out for a run cancelled before its task', async () => {
    await cancelledBeforeItsTask('cancelled-early');
    const cancelled = await summaryOf('cancelled-early');
    expect(cancelled.code).toBe(3);
    expect(cancelled.lines).toContain('run cancelled-early (job slow): FAILED: CANCELLED');
    expect(artifactsLines(cancelled.lines)).toEqual([]);
  }, 30_000);

  test('is named for a run that ended so but stored artifacts', async () => {
    await cancelledBeforeItsTask('cancelled-with-artifacts');
    await putArtifact(stage, 'runs/cancelled-with-artifacts/attempt-1', 'dbt.log', 'cancelled');
    await putLastAttempt(stage, 'cancelled-with-artifacts', 1);
    const cancelled = await summaryOf('cancelled-with-artifacts');
    expect(artifactsLines(cancelled.lines)).toEqual([
      `artifacts: s3://${BUCKET}/dbt/runs/cancelled-with-artifacts/attempt-1/`,
    ]);
  }, 30_000);

  test('is named for a verdict from a task, where its artifacts belong', async () => {
    // The stand-in's task stores nothing: the folder is where dbt's artifacts would be.
    await runExecution(stage, 'broken-1', { job: 'broken' });
    const broken = await summaryOf('broken-1');
    expect(broken.lines).toContain('run broken-1 (job broken): FAILED: DBT_FAILED');
    expect(artifactsLines(broken.lines)).toEqual([
      `artifacts: s3://${BUCKET}/dbt/runs/broken-1/attempt-1/`,
    ]);
  }, 30_000);
});
