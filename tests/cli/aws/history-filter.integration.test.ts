// `serverless-dbt history`'s filters (--job, --verdict, --since) and its per-job stats (last
// success, success rate over the listed runs), against a deployed stage in moto whose state
// machine moto executes: `nightly` and `flaky` runs succeed, `broken` runs fail DBT_FAILED.
import { DescribeExecutionCommand } from '@aws-sdk/client-sfn';
import { historyCommand } from '../../../cli/aws/history.ts';
import { executionArnOf } from '../../../cli/aws/names.ts';
import { UsageError } from '../../../cli/errors.ts';
import { type PassThrough, startPassThrough } from './pass-through.ts';
import { deployTestStageAroundTests, runExecution, STAGE } from './stage.ts';

/** Between the older runs and the newer ones (see the set-up). */
let between: Date;
/**
 * In front of moto, lowering ListExecutions' page size to PAGE (moto pages with its own
 * nextToken) and keeping each Step Functions request: with six runs, the test sees the command
 * read page after page, and where it stops.
 */
let pager: PassThrough;

/** Pages of this many runs, so that six runs span three pages. */
const PAGE = 2;

/** A context whose AWS calls go through the pager. */
const paged = () => {
  pager.stepFunctionsRequests.length = 0;
  return stage.context({ env: { ...stage.moto.env, AWS_ENDPOINT_URL: pager.endpoint } });
};

/** The runs the command described, in the order it asked. */
const described = (): string[] =>
  pager.stepFunctionsRequests
    .filter((request) => request.target === 'DescribeExecution')
    .map((request) => String(request.body.executionArn).split(':').at(-1) ?? '');

const listCalls = (): number =>
  pager.stepFunctionsRequests.filter((request) => request.target === 'ListExecutions').length;

const pause = (milliseconds: number) => new Promise((resolve) => setTimeout(resolve, milliseconds));

const stage = deployTestStageAroundTests({
  setUp: async () => {
    // Oldest first. Step Functions lists them newest first.
    await runExecution(stage, 'nightly-1', { job: 'nightly' });
    await runExecution(stage, 'broken-1', { job: 'broken' });
    await runExecution(stage, 'nightly-2', { job: 'nightly' });
    // Start times may be kept to the second: --since falls clearly between the two groups.
    await pause(1100);
    between = new Date();
    await pause(1100);
    await runExecution(stage, 'broken-2', { job: 'broken' });
    await runExecution(stage, 'nightly-3', { job: 'nightly' });
    await runExecution(stage, 'flaky-1', { job: 'flaky' });
    pager = await startPassThrough(stage.moto.endpoint, {
      rewriteStepFunctions: (target, body) =>
        target === 'ListExecutions' ? { ...body, maxResults: PAGE } : undefined,
    });
  },
  tearDown: async () => {
    await pager?.close();
  },
});

/** The run ids of the printed table, in order. */
const runIdsIn = (table: string | undefined): string[] =>
  (table ?? '')
    .split('\n')
    .slice(1)
    .map((row) => row.split(/ {2,}/)[1] ?? '');

/** `2026-12-02 04:31 UTC`: when the run ended, to the minute, as the stats print it. */
async function endedMinute(runId: string): Promise<string> {
  const execution = await stage.sfn.send(
    new DescribeExecutionCommand({ executionArn: executionArnOf(stage.stateMachineArn, runId) }),
  );
  return `${execution.stopDate?.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

describe('serverless-dbt history: per-job stats', () => {
  test('after the runs, each job in the order it first appears: how many succeeded, the rate and its last success', async () => {
    const context = stage.context();
    expect(await historyCommand(['--stage', STAGE], context)).toBe(0);
    expect(runIdsIn(context.stdout[0])).toEqual([
      'flaky-1',
      'nightly-3',
      'broken-2',
      'nightly-2',
      'broken-1',
      'nightly-1',
    ]);
    expect(context.stdout[1]?.split('\n')).toEqual([
      `flaky: 1 of 1 succeeded (100 %), last success flaky-1 ${await endedMinute('flaky-1')}`,
      `nightly: 3 of 3 succeeded (100 %), last success nightly-3 ${await endedMinute('nightly-3')}`,
      'broken: 0 of 2 succeeded (0 %), no success among them',
    ]);
  });

  test('the rate is over the listed runs only: --limit 4 leaves the oldest out', async () => {
    const context = stage.context();
    expect(await historyCommand(['--stage', STAGE, '--limit', '4'], context)).toBe(0);
    expect(context.stdout[1]?.split('\n')).toEqual([
      `flaky: 1 of 1 succeeded (100 %), last success flaky-1 ${await endedMinute('flaky-1')}`,
      `nightly: 2 of 2 succeeded (100 %), last success nightly-3 ${await endedMinute('nightly-3')}`,
      'broken: 0 of 1 succeeded (0 %), no success among them',
    ]);
  });
});

describe('serverless-dbt history: filters', () => {
  test('--verdict keeps the runs with that verdict; several may be given, comma-separated', async () => {
    const failed = stage.context();
    expect(await historyCommand(['--stage', STAGE, '--verdict', 'DBT_FAILED'], failed)).toBe(0);
    expect(runIdsIn(failed.stdout[0])).toEqual(['broken-2', 'broken-1']);
    expect(failed.stdout[1]).toBe('broken: 0 of 2 succeeded (0 %), no success among them');

    const either = stage.context();
    expect(
      await historyCommand(['--stage', STAGE, '--verdict', 'DBT_FAILED,SUCCEEDED'], either),
    ).toBe(0);
    expect(runIdsIn(either.stdout[0])).toHaveLength(6);
  });

  test('--job with --limit: the newest runs of the job, its monthly projection (issue 13) and its stats', async () => {
    const context = stage.context();
    expect(
      await historyCommand(['--stage', STAGE, '--job', 'nightly', '--limit', '2'], context),
    ).toBe(0);
    expect(runIdsIn(context.stdout[0])).toEqual(['nightly-3', 'nightly-2']);
    expect(context.stdout[1]).toMatch(
      /^nightly: \$0\.0123 a run on average \(2 runs with a cost\), [\d.]+ runs a month as started: about \$[\d.]+ a month$/,
    );
    expect(context.stdout[2]).toBe(
      `nightly: 2 of 2 succeeded (100 %), last success nightly-3 ${await endedMinute('nightly-3')}`,
    );
  });

  test('--since an ISO time keeps the runs started since then; a duration counts back from now', async () => {
    const context = stage.context();
    expect(
      await historyCommand(['--stage', STAGE, '--since', between.toISOString()], context),
    ).toBe(0);
    expect(runIdsIn(context.stdout[0])).toEqual(['flaky-1', 'nightly-3', 'broken-2']);

    const hour = stage.context();
    expect(await historyCommand(['--stage', STAGE, '--since', '1h'], hour)).toBe(0);
    expect(runIdsIn(hour.stdout[0])).toHaveLength(6);
  });

  test('the filters combine: a job, a verdict and a time', async () => {
    const context = stage.context();
    const args = ['--job', 'broken', '--verdict', 'DBT_FAILED', '--since', between.toISOString()];
    expect(await historyCommand(['--stage', STAGE, ...args], context)).toBe(0);
    expect(runIdsIn(context.stdout[0])).toEqual(['broken-2']);
  });

  test('no match is a note on stderr naming the filters, exit 0', async () => {
    const future = new Date(Date.now() + 3_600_000).toISOString();
    const context = stage.context();
    expect(
      await historyCommand(
        ['--stage', STAGE, '--verdict', 'CANCELLED', '--since', future],
        context,
      ),
    ).toBe(0);
    expect(context.stdout).toEqual([]);
    expect(context.stderr).toEqual([
      `no runs in stage ${STAGE} match --verdict CANCELLED --since ${future}`,
    ]);
  });

  test('an unknown verdict or an unreadable --since is a usage error, before any AWS call', async () => {
    await expect(
      historyCommand(['--stage', STAGE, '--verdict', 'FAILED'], stage.context()),
    ).rejects.toThrow(UsageError);
    await expect(
      historyCommand(['--stage', STAGE, '--verdict', 'FAILED'], stage.context()),
    ).rejects.toThrow(/^--verdict must be one or more of SUCCEEDED, DBT_FAILED, /);
    await expect(
      historyCommand(['--stage', STAGE, '--since', 'last week'], stage.context()),
    ).rejects.toThrow(/^--since must be a duration such as 24h or 7d/);
  });
});

describe('serverless-dbt history: paging through the runs', () => {
  test('a filter reads page after page until --limit runs match, and no further', async () => {
    const context = paged();
    expect(
      await historyCommand(['--stage', STAGE, '--job', 'nightly', '--limit', '2'], context),
    ).toBe(0);
    expect(runIdsIn(context.stdout[0])).toEqual(['nightly-3', 'nightly-2']);
    // Pages [flaky-1, nightly-3], [broken-2, nightly-2]: two matches, the third page unread.
    expect(listCalls()).toBe(2);
    expect(described()).not.toContain('nightly-1');
  });

  test('--since stops at the first run started before it: older runs are not even described', async () => {
    const context = paged();
    expect(
      await historyCommand(['--stage', STAGE, '--since', between.toISOString()], context),
    ).toBe(0);
    expect(runIdsIn(context.stdout[0])).toEqual(['flaky-1', 'nightly-3', 'broken-2']);
    expect(listCalls()).toBe(2);
    expect(described().sort()).toEqual(['broken-2', 'flaky-1', 'nightly-3']);
  });

  test('with fewer matches than --limit, every page is read', async () => {
    const context = paged();
    expect(await historyCommand(['--stage', STAGE, '--job', 'nightly'], context)).toBe(0);
    expect(runIdsIn(context.stdout[0])).toEqual(['nightly-3', 'nightly-2', 'nightly-1']);
    expect(listCalls()).toBe(3);
  });
});

describe('serverless-dbt history --json', () => {
  test('one document on stdout: the filters, the runs, per-job stats and the projection', async () => {
    const context = stage.context();
    expect(
      await historyCommand(
        ['--stage', STAGE, '--job', 'broken', '--limit', '5', '--json'],
        context,
      ),
    ).toBe(0);
    expect(context.stdout).toHaveLength(1);
    const document = JSON.parse(context.stdout[0] ?? '');
    expect(document.stage).toBe(STAGE);
    expect(document.filters).toEqual({ job: 'broken', verdicts: null, since: null, limit: 5 });
    expect(document.runs).toHaveLength(2);
    expect(document.runs[0]).toEqual({
      runId: 'broken-2',
      job: 'broken',
      status: 'FAILED',
      verdict: 'DBT_FAILED',
      startedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      stoppedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      durationSeconds: expect.any(Number),
      costUsd: 0.0042,
      console: expect.stringContaining('#/v2/executions/details/'),
    });
    expect(document.jobs).toEqual([
      {
        job: 'broken',
        ended: 2,
        succeeded: 0,
        running: 0,
        successRate: 0,
        lastSuccess: null,
      },
    ]);
    expect(document.projection).toEqual({
      costedRuns: 2,
      averageUsd: 0.0042,
      runsPerMonth: expect.any(Number),
      monthlyUsd: expect.any(Number),
    });
    // What is printed for people goes nowhere else: stderr holds no table.
    expect(context.stderr).toEqual([]);
  });

  test('no match is still a document, with no runs', async () => {
    const context = stage.context();
    const future = new Date(Date.now() + 3_600_000).toISOString();
    expect(await historyCommand(['--stage', STAGE, '--since', future, '--json'], context)).toBe(0);
    const document = JSON.parse(context.stdout.join('\n'));
    expect(document).toMatchObject({ runs: [], jobs: [], projection: null });
    expect(document.filters.since).toBe(future);
  });
});
