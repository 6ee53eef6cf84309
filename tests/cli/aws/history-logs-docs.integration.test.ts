// `serverless-dbt history`, `logs` and `docs` against a deployed stage in moto, with runs that
// moto's ASL interpreter executed (each attempt a real ECS task in moto), their task logs in
// CloudWatch Logs and their artifacts in S3.
import { PutLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { StartExecutionCommand, StopExecutionCommand } from '@aws-sdk/client-sfn';
import { docsCommand } from '../../../cli/aws/docs.ts';
import { historyCommand } from '../../../cli/aws/history.ts';
import { logsCommand } from '../../../cli/aws/logs.ts';
import { CliError, UsageError } from '../../../cli/errors.ts';
import {
  BUCKET,
  deployTestStageAroundTests,
  LOG_GROUP,
  putArtifact,
  runExecution,
  STAGE,
  taskIds,
  writeTaskLog,
} from './stage.ts';

/** The ECS tasks each run started, found in moto's ECS (not through the execution history). */
const tasksOf: Record<string, string[]> = {};

async function run(name: string, input: unknown): Promise<void> {
  const before = new Set(await taskIds(stage));
  await runExecution(stage, name, input);
  tasksOf[name] = (await taskIds(stage)).filter((id) => !before.has(id));
}

const stage = deployTestStageAroundTests({
  setUp: async () => {
    // Oldest first: a scheduled job, a failing manual run, a run that needed a second attempt.
    await run('cli-nightly-20261124T010000-aaaaaaaa', { job: 'nightly' });
    await run('console-run-1', {});
    await run('cli-broken-20261124T020000-bbbbbbbb', { job: 'broken', select: 'tag:daily' });
    await run('cli-flaky-20261124T030000-cccccccc', { job: 'flaky' });
  },
});

describe('serverless-dbt history', () => {
  test('lists the recent runs newest first with job, status, verdict, duration and console link', async () => {
    const context = stage.context({ now: () => new Date() });
    expect(await historyCommand(['--stage', STAGE], context)).toBe(0);
    const [header, ...rows] = (context.stdout[0] ?? '').split('\n');
    expect(header).toMatch(
      /^STARTED \(UTC\) +RUN ID +JOB +STATUS +VERDICT +DURATION +COST +CONSOLE$/,
    );
    expect(rows).toHaveLength(4);
    const cells = rows.map((row) => row.split(/ {2,}/));
    expect(cells.map((cell) => cell.slice(1, 5))).toEqual([
      ['cli-flaky-20261124T030000-cccccccc', 'flaky', 'SUCCEEDED', 'SUCCEEDED'],
      ['cli-broken-20261124T020000-bbbbbbbb', 'broken', 'FAILED', 'DBT_FAILED'],
      ['console-run-1', 'manual', 'SUCCEEDED', 'SUCCEEDED'],
      ['cli-nightly-20261124T010000-aaaaaaaa', 'nightly', 'SUCCEEDED', 'SUCCEEDED'],
    ]);
    for (const cell of cells) {
      expect(cell[0]).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
      expect(cell[5]).toMatch(/^\d+s$/);
      expect(cell[7]).toBe(
        `https://eu-west-1.console.aws.amazon.com/states/home?region=eu-west-1#/v2/executions/details/${stage.stateMachineArn.replace(':stateMachine:', ':execution:')}:${cell[1]}`,
      );
    }
  });

  test("shows each run's cost, a failed run's read from its history", async () => {
    const context = stage.context({ now: () => new Date() });
    expect(await historyCommand(['--stage', STAGE], context)).toBe(0);
    const rows = (context.stdout[0] ?? '').split('\n').slice(1);
    // The stand-in prices a success at $0.0123 and a DBT_FAILED run at $0.0042 (stage.ts).
    expect(rows.map((row) => row.split(/ {2,}/).slice(3, 7))).toEqual([
      ['SUCCEEDED', 'SUCCEEDED', expect.stringMatching(/^\d+s$/), '$0.0123'],
      ['FAILED', 'DBT_FAILED', expect.stringMatching(/^\d+s$/), '$0.0042'],
      ['SUCCEEDED', 'SUCCEEDED', expect.stringMatching(/^\d+s$/), '$0.0123'],
      ['SUCCEEDED', 'SUCCEEDED', expect.stringMatching(/^\d+s$/), '$0.0123'],
    ]);
  });

  test('--job lists only that job’s runs and projects what it costs a month from their pace', async () => {
    const context = stage.context({ now: () => new Date() });
    expect(await historyCommand(['--stage', STAGE, '--job', 'flaky'], context)).toBe(0);
    const rows = (context.stdout[0] ?? '').split('\n').slice(1);
    expect(rows.map((row) => row.split(/ {2,}/)[2])).toEqual(['flaky']);
    // One run: an average, but too few to know how often the job runs.
    expect(context.stdout[1]).toBe(
      'flaky: $0.0123 a run on average (1 run with a cost); one run is too few to project a month',
    );
    const none = stage.context();
    expect(await historyCommand(['--stage', STAGE, '--job', 'nope'], none)).toBe(0);
    expect(none.stderr).toEqual([`no runs of job nope in stage ${STAGE}`]);
  });

  test('--limit keeps the newest runs, and a limit out of range is a usage error', async () => {
    const context = stage.context();
    expect(await historyCommand(['--stage', STAGE, '--limit', '2'], context)).toBe(0);
    const rows = (context.stdout[0] ?? '').split('\n').slice(1);
    expect(rows.map((row) => row.split(/ {2,}/)[1])).toEqual([
      'cli-flaky-20261124T030000-cccccccc',
      'cli-broken-20261124T020000-bbbbbbbb',
    ]);
    await expect(historyCommand(['--stage', STAGE, '--limit', '101'], context)).rejects.toThrow(
      UsageError,
    );
    await expect(historyCommand(['--stage', STAGE, '--limits', '1'], context)).rejects.toThrow(
      UsageError,
    );
  });

  test('a stage that is not deployed is one sentence', async () => {
    await expect(historyCommand(['--stage', 'prod'], stage.context())).rejects.toThrow(
      new CliError(
        'no stack serverless-dbt-prod in eu-west-1: deploy it first (npx serverless deploy --stage prod)',
      ),
    );
  });
});

describe('serverless-dbt logs', () => {
  test("prints the dbt log lines of the run's task", async () => {
    const runId = 'cli-broken-20261124T020000-bbbbbbbb';
    const [taskId] = tasksOf[runId] ?? [];
    expect(tasksOf[runId]).toHaveLength(1);
    const lines = [
      '21:00:01  Running with dbt=1.10.0',
      '21:00:09  1 of 3 ERROR creating sql table model shop.orders',
      '21:00:10  Done. PASS=1 WARN=0 ERROR=1 SKIP=1 TOTAL=3',
    ];
    await writeTaskLog(stage, taskId as string, lines);
    // Another run's log in the same group must not show.
    const [otherTask] = tasksOf['cli-nightly-20261124T010000-aaaaaaaa'] ?? [];
    await writeTaskLog(stage, otherTask as string, ['a line of the nightly run']);

    const context = stage.context();
    expect(await logsCommand(['--stage', STAGE, runId], context)).toBe(0);
    expect(context.stdout).toEqual([
      `==> attempt 1 of run ${runId}: task ${taskId} (/ecs/serverless-dbt-test dbt/dbt/${taskId})`,
      ...lines,
    ]);
    expect(context.stderr).toEqual([]);
  });

  test('prints one log per attempt when the run needed a second task', async () => {
    const runId = 'cli-flaky-20261124T030000-cccccccc';
    const tasks = tasksOf[runId] ?? [];
    expect(tasks).toHaveLength(2);
    for (const taskId of tasks) await writeTaskLog(stage, taskId, [`dbt in task ${taskId}`]);

    const context = stage.context();
    // The execution ARN, as `start` prints it, names the run too.
    const arn = `${stage.stateMachineArn.replace(':stateMachine:', ':execution:')}:${runId}`;
    expect(await logsCommand(['--stage', STAGE, arn], context)).toBe(0);
    const headers = context.stdout.filter((line) => line.startsWith('==> '));
    expect(headers.map((line) => line.match(/^==> attempt (\d)/)?.[1])).toEqual(['1', '2']);
    for (const taskId of tasks) {
      const header = context.stdout.findIndex((line) => line.includes(`: task ${taskId} `));
      expect(context.stdout[header + 1]).toBe(`dbt in task ${taskId}`);
    }
  });

  test('prints a long log whole, page after page', async () => {
    const runId = 'cli-nightly-20261124T010000-aaaaaaaa';
    const [taskId] = tasksOf[runId] ?? [];
    // GetLogEvents returns at most 10,000 events a page; PutLogEvents takes 10,000 a call.
    const logStreamName = `dbt/dbt/${taskId}`;
    const start = Date.now() - 600_000;
    for (const batch of [0, 1]) {
      await stage.logs.send(
        new PutLogEventsCommand({
          logGroupName: LOG_GROUP,
          logStreamName,
          logEvents: Array.from({ length: 6000 }, (_, index) => ({
            timestamp: start + batch * 6000 + index,
            message: `line ${batch * 6000 + index}`,
          })),
        }),
      );
    }
    const context = stage.context();
    expect(await logsCommand(['--stage', STAGE, runId], context)).toBe(0);
    // In time order: the header, all 12,000, then the line written by an earlier test (later).
    expect(context.stdout).toHaveLength(1 + 12_000 + 1);
    expect(context.stdout[1]).toBe('line 0');
    expect(context.stdout.at(-2)).toBe('line 11999');
    expect(context.stdout.at(-1)).toBe('a line of the nightly run');
  });

  test('says on stderr when a task has no log stream, and still prints the others', async () => {
    const runId = 'console-run-1';
    const context = stage.context();
    expect(await logsCommand(['--stage', STAGE, runId], context)).toBe(0);
    expect(context.stdout).toHaveLength(1);
    expect(context.stderr).toEqual([
      `no log stream dbt/dbt/${tasksOf[runId]?.[0]} in /ecs/serverless-dbt-test: the task stopped before its container started (or the log expired)`,
    ]);
  });

  test('an unknown run is one sentence', async () => {
    await expect(logsCommand(['--stage', STAGE, 'cli-nope-1'], stage.context())).rejects.toThrow(
      new CliError(
        `no run cli-nope-1 in stage ${STAGE} (serverless-dbt history --stage ${STAGE} lists the recent ones)`,
      ),
    );
    await expect(logsCommand(['--stage', STAGE, 'a:b'], stage.context())).rejects.toThrow(CliError);
  });

  test('needs exactly one run id', async () => {
    await expect(logsCommand(['--stage', STAGE], stage.context())).rejects.toThrow(UsageError);
  });
});

describe('serverless-dbt docs', () => {
  /** What the container stores last: the run's pointer to the attempt that stored. */
  const storedAttempt = (runId: string, attempt: number) =>
    putArtifact(
      stage,
      `runs/${runId}`,
      'last-attempt.json',
      JSON.stringify({ runId, attempt, folder: `attempt-${attempt}/` }),
    );

  test("gives a presigned link that downloads the run's docs page", async () => {
    const runId = 'cli-nightly-20261124T010000-aaaaaaaa';
    const page = '<!doctype html><title>dbt docs</title><p>nightly</p>';
    await putArtifact(stage, `runs/${runId}/attempt-1`, 'index.html', page);
    await storedAttempt(runId, 1);
    const context = stage.context();
    expect(await docsCommand(['--stage', STAGE, runId], context)).toBe(0);
    expect(context.stdout).toHaveLength(1);
    const link = new URL(context.stdout[0] ?? '');
    expect(link.pathname).toBe(`/${BUCKET}/dbt/runs/${runId}/attempt-1/index.html`);
    expect(link.searchParams.get('X-Amz-Expires')).toBe('3600');
    expect(link.searchParams.get('X-Amz-Signature')).toMatch(/^[0-9a-f]{64}$/);
    const response = await fetch(link);
    expect(response.status).toBe(200);
    expect(await response.text()).toBe(page);
  });

  test("links the docs of a run's last attempt", async () => {
    const runId = 'cli-flaky-20261124T030000-cccccccc';
    await putArtifact(stage, `runs/${runId}/attempt-1`, 'index.html', '<p>first attempt</p>');
    await putArtifact(stage, `runs/${runId}/attempt-2`, 'index.html', '<p>second attempt</p>');
    await storedAttempt(runId, 2);
    const context = stage.context();
    expect(await docsCommand(['--stage', STAGE, runId], context)).toBe(0);
    expect(new URL(context.stdout[0] ?? '').pathname).toBe(
      `/${BUCKET}/dbt/runs/${runId}/attempt-2/index.html`,
    );
    expect(await (await fetch(context.stdout[0] ?? '')).text()).toBe('<p>second attempt</p>');
  });

  test('links the docs of a run stored before attempts had folders of their own', async () => {
    await putArtifact(stage, 'runs/console-run-1', 'index.html', '<p>older layout</p>');
    const context = stage.context();
    expect(await docsCommand(['--stage', STAGE, 'console-run-1'], context)).toBe(0);
    expect(new URL(context.stdout[0] ?? '').pathname).toBe(
      `/${BUCKET}/dbt/runs/console-run-1/index.html`,
    );
  });

  test('without a run id, links the latest docs', async () => {
    await putArtifact(stage, 'latest', 'index.html', '<p>latest</p>');
    const context = stage.context();
    expect(await docsCommand(['--stage', STAGE], context)).toBe(0);
    expect(new URL(context.stdout[0] ?? '').pathname).toBe(`/${BUCKET}/dbt/latest/index.html`);
    expect(await (await fetch(context.stdout[0] ?? '')).text()).toBe('<p>latest</p>');
  });

  test('a run without a docs page is one sentence, and so is an unknown run', async () => {
    const runId = 'cli-broken-20261124T020000-bbbbbbbb';
    await expect(docsCommand(['--stage', STAGE, runId], stage.context())).rejects.toThrow(
      new CliError(
        `run ${runId} has no docs page (docs: false, or the run failed before docs generate)`,
      ),
    );
    await expect(docsCommand(['--stage', STAGE, 'cli-nope-2'], stage.context())).rejects.toThrow(
      /^no run cli-nope-2 in stage test /,
    );
  });

  test('a run still running is said to be running, not to have no docs', async () => {
    // A `slow` run waits a minute before its task: still running while docs is asked.
    const runId = 'cli-slow-20261124T040000-dddddddd';
    const { executionArn } = await stage.sfn.send(
      new StartExecutionCommand({
        stateMachineArn: stage.stateMachineArn,
        name: runId,
        input: JSON.stringify({ job: 'slow' }),
      }),
    );
    try {
      await expect(docsCommand(['--stage', STAGE, runId], stage.context())).rejects.toThrow(
        new CliError(
          `run ${runId} is still running: its docs page is written when dbt ends (serverless-dbt watch --stage test ${runId} follows it)`,
        ),
      );
    } finally {
      await stage.sfn.send(new StopExecutionCommand({ executionArn }));
    }
  });
});
