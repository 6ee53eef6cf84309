// `--json` on each AWS command that prints results (start, watch, logs, docs, cancel, retry,
// backfill; history's is in history-filter.integration.test.ts), against a deployed stage in
// moto whose state machine moto executes (tests/cli/aws/stage.ts: `nightly` succeeds, `broken`
// fails DBT_FAILED, `slow` waits a minute before its task). Each prints one JSON document on
// stdout; a followed run's progress goes to stderr.
import { StopExecutionCommand } from '@aws-sdk/client-sfn';
import { jest } from '@jest/globals';
import { backfillCommand } from '../../../cli/aws/backfill.ts';
import { cancelCommand } from '../../../cli/aws/cancel.ts';
import { docsCommand } from '../../../cli/aws/docs.ts';
import { logsCommand } from '../../../cli/aws/logs.ts';
import { executionArnOf, executionNameFor } from '../../../cli/aws/names.ts';
import { retryCommand } from '../../../cli/aws/retry.ts';
import { startCommand } from '../../../cli/aws/start.ts';
import { watchCommand } from '../../../cli/aws/watch.ts';
import { CliError } from '../../../cli/errors.ts';
import {
  BUCKET,
  deployTestStageAroundTests,
  FAILED_REASON,
  finished,
  LOG_GROUP,
  putArtifact,
  putLastAttempt,
  runCli,
  runExecution,
  STAGE,
  startExecution,
  startSlowRun,
  taskIds,
  writeTaskLog,
} from './stage.ts';

jest.setTimeout(30_000);

/** The task the `nightly-1` run started, and the lines its log holds. */
let nightlyTask: string;
const NIGHTLY_LOG = ['Running with dbt=1.10.0', 'Completed successfully'];

const stage = deployTestStageAroundTests({
  setUp: async () => {
    const before = new Set(await taskIds(stage));
    await runExecution(stage, 'nightly-1', { job: 'nightly' });
    nightlyTask = (await taskIds(stage)).find((id) => !before.has(id)) ?? '';
    await writeTaskLog(stage, nightlyTask, NIGHTLY_LOG);
    await runExecution(stage, 'broken-1', { job: 'broken' });
    // What the container stores for a run that ran dbt (moto runs no container).
    for (const name of ['run_results.json', 'manifest.json']) {
      await putArtifact(stage, 'runs/broken-1/attempt-1', name, '{}');
    }
    await putLastAttempt(stage, 'broken-1', 1);
  },
});

/** The one JSON document a command printed on stdout. */
function documentOf(stdout: string[]): Record<string, unknown> {
  expect(stdout).toHaveLength(1);
  return JSON.parse(stdout[0] ?? '') as Record<string, unknown>;
}

const consoleOf = (executionArn: string) =>
  `https://eu-west-1.console.aws.amazon.com/states/home?region=eu-west-1#/v2/executions/details/${executionArn}`;

describe('start --json', () => {
  test('prints the started run: its id, stage, job, execution and console link, and nothing else', async () => {
    const now = new Date('2026-11-24T21:05:09Z');
    const context = stage.context({ now: () => now });
    expect(await startCommand(['--stage', STAGE, '--job', 'nightly', '--json'], context)).toBe(0);
    const name = executionNameFor('nightly', { job: 'nightly' }, now);
    const executionArn = executionArnOf(stage.stateMachineArn, name);
    expect(documentOf(context.stdout)).toEqual({
      runId: name,
      stage: STAGE,
      job: 'nightly',
      executionArn,
      console: consoleOf(executionArn),
    });
    expect(context.stderr).toEqual([]);
    await finished(stage.sfn, executionArn);
  });

  test('with --wait: the progress on stderr, then one document with the exit code and the report', async () => {
    const now = new Date('2026-11-24T21:20:00Z');
    const context = stage.context({ now: () => now });
    const args = ['--stage', STAGE, '--job', 'broken', '--wait', '--json'];
    expect(await startCommand(args, context)).toBe(1);
    const name = executionNameFor('broken', { job: 'broken' }, now);
    const document = documentOf(context.stdout);
    expect(document).toMatchObject({
      runId: name,
      job: 'broken',
      exitCode: 1,
      stoppedFollowing: false,
      report: {
        outcome: { runId: name, job: 'broken', verdict: 'DBT_FAILED', reason: FAILED_REASON },
        summary: null,
        docs: null,
      },
    });
    // What a person follows, the start and the states, is on stderr; the summary is not.
    expect(context.stderr[0]).toBe(`started run ${name} (stage test)`);
    expect(context.stderr.join('\n')).toMatch(/^==> \S+ entered RunDbt: attempt 1\b/m);
    expect(context.stderr.join('\n')).not.toContain('FAILED: DBT_FAILED');
  });
});

describe('watch --json', () => {
  test('a run that has ended: one document with its report, the summary.json it stored included', async () => {
    await putArtifact(
      stage,
      'runs/nightly-1/attempt-1',
      'summary.json',
      JSON.stringify({ counts: { success: 12, pass: 30, error: 0, fail: 0, warn: 0, skipped: 0 } }),
    );
    const context = stage.context();
    expect(await watchCommand(['--stage', STAGE, 'nightly-1', '--json'], context)).toBe(0);
    const document = documentOf(context.stdout);
    expect(document).toMatchObject({
      runId: 'nightly-1',
      stage: STAGE,
      executionArn: executionArnOf(stage.stateMachineArn, 'nightly-1'),
      exitCode: 0,
      stoppedFollowing: false,
      report: {
        outcome: { verdict: 'SUCCEEDED', job: 'nightly' },
        summary: { counts: { success: 12, pass: 30 } },
        artifacts: `s3://${BUCKET}/dbt/runs/nightly-1/attempt-1/`,
      },
    });
    expect(context.stderr).toEqual([]);
  });

  test('a run followed to its end: its states on stderr, the document on stdout', async () => {
    // `long` ends 3 seconds after its task starts: still running when watch looks.
    await startExecution(stage, 'long-watched', { job: 'long' });
    const context = stage.context();
    expect(await watchCommand(['--stage', STAGE, 'long-watched', '--json'], context)).toBe(0);
    expect(documentOf(context.stdout)).toMatchObject({
      runId: 'long-watched',
      exitCode: 0,
      report: { outcome: { verdict: 'SUCCEEDED' } },
    });
    expect(context.stderr.join('\n')).toMatch(/^==> \S+ entered RunDbt: attempt 1\b/m);
  });

  test('stopped following (Ctrl-C): exit 130, a document with no report, the note on stderr', async () => {
    await startExecution(stage, 'slow-watched', { job: 'slow' });
    const stop = new AbortController();
    const context = Object.assign(stage.context(), { stop: stop.signal });
    const watching = watchCommand(['--stage', STAGE, 'slow-watched', '--json'], context);
    setTimeout(() => stop.abort(), 200);
    expect(await watching).toBe(130);
    expect(documentOf(context.stdout)).toMatchObject({
      runId: 'slow-watched',
      exitCode: 130,
      stoppedFollowing: true,
      report: null,
    });
    expect(context.stderr.at(-1)).toBe(
      `stopped following; the run goes on: serverless-dbt watch --stage ${STAGE} slow-watched`,
    );
    await stage.sfn.send(
      new StopExecutionCommand({
        executionArn: executionArnOf(stage.stateMachineArn, 'slow-watched'),
      }),
    );
  });
});

describe('logs --json', () => {
  test("one document: each attempt's task, log stream and lines", async () => {
    const context = stage.context();
    expect(await logsCommand(['--stage', STAGE, 'nightly-1', '--json'], context)).toBe(0);
    expect(documentOf(context.stdout)).toEqual({
      runId: 'nightly-1',
      stage: STAGE,
      attempts: [
        {
          attempt: 1,
          taskId: nightlyTask,
          logGroupName: LOG_GROUP,
          logStreamName: `dbt/dbt/${nightlyTask}`,
          lines: NIGHTLY_LOG,
        },
      ],
    });
    expect(context.stderr).toEqual([]);
  });

  test('an attempt whose stream does not exist has lines null, and the note stays on stderr', async () => {
    const context = stage.context();
    expect(await logsCommand(['--stage', STAGE, 'broken-1', '--json'], context)).toBe(0);
    const document = documentOf(context.stdout);
    expect(document.attempts).toEqual([expect.objectContaining({ attempt: 1, lines: null })]);
    expect(context.stderr).toEqual([expect.stringMatching(/^no log stream dbt\/dbt\/\S+ in /)]);
  });
});

describe('docs --json', () => {
  test("one document: the run, the page's S3 URI, the presigned link and when it expires", async () => {
    await putArtifact(stage, 'runs/nightly-1/attempt-1', 'index.html', '<p>nightly docs</p>');
    await putLastAttempt(stage, 'nightly-1', 1);
    const now = new Date('2026-12-02T04:00:00Z');
    const context = stage.context({ now: () => now });
    expect(await docsCommand(['--stage', STAGE, 'nightly-1', '--json'], context)).toBe(0);
    const document = documentOf(context.stdout);
    expect(document).toMatchObject({
      stage: STAGE,
      runId: 'nightly-1',
      page: `s3://${BUCKET}/dbt/runs/nightly-1/attempt-1/index.html`,
      expiresAt: '2026-12-02T05:00:00.000Z',
    });
    expect(await (await fetch(String(document.link))).text()).toBe('<p>nightly docs</p>');
  });
});

describe('cancel --json', () => {
  test('one document: the run, its ABORTED status, CANCELLED verdict and the recorded cause', async () => {
    // Cancel once it waits before its task (moto starts the execution in a thread).
    const executionArn = await startSlowRun(stage, 'slow-1');
    const context = stage.context({ env: { ...stage.moto.env, USER: 'alice' } });
    expect(
      await cancelCommand(['--stage', STAGE, 'slow-1', '--reason', 'wrong day', '--json'], context),
    ).toBe(0);
    expect(documentOf(context.stdout)).toEqual({
      runId: 'slow-1',
      stage: STAGE,
      job: 'slow',
      executionArn,
      status: 'ABORTED',
      verdict: 'CANCELLED',
      cause: 'cancelled with serverless-dbt cancel by alice: wrong day',
      releaseLockFunction: 'serverless-dbt-test-release-lock',
    });
    expect(context.stderr).toEqual([]);
  });

  test('an error is still one sentence, not JSON, with the same exit code', async () => {
    await expect(
      cancelCommand(['--stage', STAGE, 'nightly-1', '--json'], stage.context()),
    ).rejects.toThrow(CliError);
    const cli = await runCli(['cancel', '--stage', STAGE, 'nightly-1', '--json'], stage.moto.env);
    expect(cli.code).toBe(1);
    expect(cli.stdout).toBe('');
    expect(cli.stderr).toMatch(/^serverless-dbt: run nightly-1 has already ended: .*\n$/);
  });
});

describe('retry --json', () => {
  test('one document: the retry started, what it retries and where it starts from', async () => {
    const now = new Date('2026-11-25T08:00:00Z');
    const context = stage.context({ now: () => now });
    expect(await retryCommand(['--stage', STAGE, 'broken-1', '--json'], context)).toBe(0);
    const input = { job: 'broken', command: 'retry', retryOf: 'broken-1' };
    const name = executionNameFor('broken', input, now);
    const executionArn = executionArnOf(stage.stateMachineArn, name);
    expect(documentOf(context.stdout)).toEqual({
      runId: name,
      stage: STAGE,
      job: 'broken',
      retryOf: 'broken-1',
      from: `s3://${BUCKET}/dbt/runs/broken-1/attempt-1/`,
      executionArn,
      console: consoleOf(executionArn),
    });
    await finished(stage.sfn, executionArn);
  });
});

describe('--json from the command line', () => {
  test('stdout is the document alone, parseable whole, exit 0', async () => {
    const cli = await runCli(['history', '--stage', STAGE, '--json'], stage.moto.env);
    expect(cli.code).toBe(0);
    const document = JSON.parse(cli.stdout) as { runs: Array<{ runId: string }> };
    expect(document.runs.map((run) => run.runId)).toContain('nightly-1');
    expect(cli.stderr).toBe('');
  });
});

describe('backfill --json', () => {
  test("one document: each date's verdict and run, the counts and the exit code", async () => {
    const context = stage.context({ now: () => new Date('2026-11-30T12:00:00Z') });
    const args = ['--job', 'nightly', '--from', '2026-11-20', '--to', '2026-11-21', '--json'];
    expect(await backfillCommand(['--stage', STAGE, ...args], context)).toBe(0);
    expect(documentOf(context.stdout)).toEqual({
      stage: STAGE,
      job: 'nightly',
      from: '2026-11-20',
      to: '2026-11-21',
      exitCode: 0,
      succeeded: 2,
      failed: 0,
      notStarted: 0,
      skipped: 0,
      dates: [
        {
          date: '2026-11-20',
          verdict: 'SUCCEEDED',
          runId: 'cli-backfill-nightly-2026-11-20',
          note: 'dbt build succeeded.',
        },
        {
          date: '2026-11-21',
          verdict: 'SUCCEEDED',
          runId: 'cli-backfill-nightly-2026-11-21',
          note: 'dbt build succeeded.',
        },
      ],
    });
    // Its notes (each run started) stay on stderr.
    expect(context.stderr.join('\n')).toContain('started cli-backfill-nightly-2026-11-20');
  });
});
