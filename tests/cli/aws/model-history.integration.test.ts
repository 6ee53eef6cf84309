// `serverless-dbt history --model` against a deployed stage in moto: the artifacts bucket
// holds a job's successful runs as the container leaves them (a pointer per run under
// dbt/jobs/<job>/successes/, naming the attempt folder), each with a real run_results.json
// of the sample project's build (tests/fixtures/artifacts/), its model times set per run.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { historyCommand } from '../../../cli/aws/history.ts';
import { CliError, UsageError } from '../../../cli/errors.ts';
import { deployTestStageAroundTests, putArtifact, repo, STAGE } from './stage.ts';

const REAL_RUN_RESULTS = JSON.parse(
  readFileSync(join(repo, 'tests/fixtures/artifacts/shop-build.run_results.json'), 'utf-8'),
) as { results: Array<{ unique_id: string; execution_time: number }> };

/** A successful run of `job` whose orders model took `ordersSeconds` (absent: not built). */
async function success(job: string, runId: string, day: number, ordersSeconds?: number) {
  const results = REAL_RUN_RESULTS.results
    .filter((result) => ordersSeconds !== undefined || result.unique_id !== 'model.shop.orders')
    .map((result) =>
      result.unique_id === 'model.shop.orders'
        ? { ...result, execution_time: ordersSeconds }
        : result,
    );
  const folder = `runs/${runId}/attempt-1/`;
  await putArtifact(
    stage,
    folder.slice(0, -1),
    'run_results.json',
    JSON.stringify({ ...REAL_RUN_RESULTS, results }),
  );
  const finishedAt = `2026-11-${String(day).padStart(2, '0')}T05:10:00Z`;
  const pointer = { runId, attempt: 1, folder, finishedAt, command: 'build' };
  const name = `${finishedAt.replace(/[-:]/g, '')}-${runId}.json`;
  await putArtifact(stage, `jobs/${job}/successes`, name, JSON.stringify(pointer));
}

const stage = deployTestStageAroundTests({
  setUp: async () => {
    await success('nightly', 'nightly-1', 1, 60);
    await success('nightly', 'nightly-2', 2, 65);
    await success('nightly', 'nightly-3', 3, 70);
    await success('nightly', 'nightly-4', 4);
    await success('nightly', 'nightly-5', 5, 252);
    await success('hourly', 'hourly-1', 3, 2);
  },
});

describe('serverless-dbt history --model', () => {
  test("shows the model's time in each of the job's successful runs, newest first, and its median", async () => {
    const context = stage.context();
    expect(
      await historyCommand(['--stage', STAGE, '--model', 'orders', '--job', 'nightly'], context),
    ).toBe(0);

    const lines = (context.stdout[0] ?? '').split('\n');
    expect(lines[0]).toMatch(/^FINISHED \(UTC\) +JOB +RUN ID +TIME +STATUS$/);
    expect(lines.slice(1, 6).map((line) => line.split(/ {2,}/))).toEqual([
      ['2026-11-05 05:10:00', 'nightly', 'nightly-5', '4m12s', 'success'],
      ['2026-11-04 05:10:00', 'nightly', 'nightly-4', '-', 'not run'],
      ['2026-11-03 05:10:00', 'nightly', 'nightly-3', '1m10s', 'success'],
      ['2026-11-02 05:10:00', 'nightly', 'nightly-2', '1m05s', 'success'],
      ['2026-11-01 05:10:00', 'nightly', 'nightly-1', '1m00s', 'success'],
    ]);
    expect(lines.slice(6)).toEqual(['', 'nightly: orders usually takes 1m08s (median of 4 runs)']);
  });

  test('without --job, every job with successful runs; --limit keeps the newest of each', async () => {
    const context = stage.context();
    expect(
      await historyCommand(
        ['--stage', STAGE, '--model', 'model.shop.orders', '--limit', '2', '--json'],
        context,
      ),
    ).toBe(0);

    const history = JSON.parse(context.stdout[0] ?? '');
    expect(history.runs.map((run: { runId: string }) => run.runId)).toEqual([
      'nightly-5',
      'nightly-4',
      'hourly-1',
    ]);
    expect(history.runs[0]).toEqual({
      job: 'nightly',
      runId: 'nightly-5',
      finishedAt: '2026-11-05T05:10:00Z',
      seconds: 252,
      status: 'success',
    });
    expect(history.jobs).toEqual([
      { job: 'hourly', medianSeconds: 2, runsCompared: 1 },
      { job: 'nightly', medianSeconds: 252, runsCompared: 1 },
    ]);
  });

  test('a job without successful runs yet, and a model name that is not one, are one sentence', async () => {
    await expect(
      historyCommand(['--stage', STAGE, '--model', 'orders', '--job', 'weekly'], stage.context()),
    ).rejects.toThrow(CliError);
    await expect(
      historyCommand(['--stage', STAGE, '--model', '../secrets'], stage.context()),
    ).rejects.toThrow(
      new UsageError(
        "--model must be a model's name or unique id (letters, digits, '_', '.', '-'; got '../secrets')",
      ),
    );
    const context = stage.context();
    expect(
      await historyCommand(['--stage', STAGE, '--model', 'ordrs', '--job', 'nightly'], context),
    ).toBe(0);
    expect(context.stderr).toEqual([
      'ordrs did not run in any of these successful runs: is the name right?',
    ]);
  });
});
