// `serverless-dbt retry` against a deployed stage in moto, whose state machine moto executes:
// a `broken` run whose last attempt left its dbt results is retried; runs with nothing to
// retry are refused, each in one sentence.
import { StopExecutionCommand } from '@aws-sdk/client-sfn';
import { executionNameFor } from '../../../cli/aws/names.ts';
import { retryCommand } from '../../../cli/aws/retry.ts';
import { CliError, UsageError } from '../../../cli/errors.ts';
import {
  BUCKET,
  deployTestStageAroundTests,
  executionNames,
  FAILED_REASON,
  finished,
  putArtifact,
  putLastAttempt,
  runCli,
  runExecution,
  STAGE,
  startSlowRun,
} from './stage.ts';

const BROKEN_INPUT = {
  job: 'broken',
  select: 'tag:daily',
  fullRefresh: true,
  vars: { region: 'eu' },
  threads: 4,
  scheduledTime: '2026-11-24T05:00:00Z',
};

/** What the container stores for an attempt that ran dbt (moto runs no container). */
async function putDbtResults(runId: string, attempt: number | undefined): Promise<void> {
  const folder = attempt === undefined ? `runs/${runId}` : `runs/${runId}/attempt-${attempt}`;
  await putArtifact(stage, folder, 'run_results.json', '{"results": []}');
  await putArtifact(stage, folder, 'manifest.json', '{"nodes": {}}');
  if (attempt !== undefined) await putLastAttempt(stage, runId, attempt);
}

const stage = deployTestStageAroundTests({
  setUp: async () => {
    await runExecution(stage, 'broken-1', BROKEN_INPUT);
    // Its second attempt stored last: the retry starts from that one.
    await putArtifact(stage, 'runs/broken-1/attempt-1', 'run_results.json', '{"results": []}');
    await putDbtResults('broken-1', 2);
    await runExecution(stage, 'broken-bare', { job: 'broken' });
    await runExecution(stage, 'broken-no-manifest', { job: 'broken' });
    await putArtifact(stage, 'runs/broken-no-manifest/attempt-1', 'run_results.json', '{}');
    await putLastAttempt(stage, 'broken-no-manifest', 1);
    // Stored before attempts had folders of their own: the run's own folder.
    await runExecution(stage, 'broken-old', { job: 'broken' });
    await putDbtResults('broken-old', undefined);
    await runExecution(stage, 'nightly-1', { job: 'nightly' });
  },
});

describe('serverless-dbt retry', () => {
  test('starts a retry of a failed run: same job, command retry, retryOf the run, how it ran kept and its selection left to dbt retry', async () => {
    const now = new Date('2026-11-25T08:00:00Z');
    const context = stage.context({ now: () => now });
    expect(await retryCommand(['--stage', STAGE, 'broken-1'], context)).toBe(0);

    const input = {
      job: 'broken',
      command: 'retry',
      retryOf: 'broken-1',
      vars: { region: 'eu' },
      scheduledTime: '2026-11-24T05:00:00Z',
      threads: 4,
    };
    const name = executionNameFor('broken', input, now);
    expect(name).toMatch(/^cli-broken-20261125T080000-[0-9a-f]{8}$/);
    const arn = `${stage.stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
    expect(context.stdout).toEqual([
      `started run ${name} (stage test): a retry of broken-1`,
      `from:      s3://${BUCKET}/dbt/runs/broken-1/attempt-2/`,
      `execution: ${arn}`,
      `console:   https://eu-west-1.console.aws.amazon.com/states/home?region=eu-west-1#/v2/executions/details/${arn}`,
    ]);
    const execution = await finished(stage.sfn, arn);
    expect(JSON.parse(execution.input ?? '')).toEqual(input);

    // The same retry in the same second is the same request: Step Functions refuses it once
    // that execution has ended.
    await expect(retryCommand(['--stage', STAGE, 'broken-1'], context)).rejects.toThrow(
      new CliError(
        `a run named ${name} already exists with another input or has ended: retry again in a second`,
      ),
    );
  });

  test('retry --wait follows the retry to its end and reports it as start --wait does', async () => {
    const context = stage.context({ now: () => new Date('2026-11-25T08:05:00Z') });
    // The stand-in fails every run of job `broken`, its retries too.
    expect(await retryCommand(['--stage', STAGE, 'broken-old', '--wait'], context)).toBe(1);
    expect(context.stdout[1]).toBe(`from:      s3://${BUCKET}/dbt/runs/broken-old/`);
    const printed = context.stdout.join('\n');
    // start --wait's follower: the retry's states as they come, then its summary.
    expect(printed).toMatch(/^==> \S+ entered RunDbt: attempt 1\b/m);
    expect(printed).toMatch(/^==> \S+ the execution failed: DBT_FAILED$/m);
    const report = printed.slice(printed.search(/^run cli-broken-/m));
    expect(report).toMatch(
      /^run cli-broken-20261125T080500-[0-9a-f]{8} \(job broken\): FAILED: DBT_FAILED$/m,
    );
    expect(report).toContain(FAILED_REASON);
  });

  test('refuses a run that succeeded: nothing to retry', async () => {
    const before = await executionNames(stage);
    await expect(retryCommand(['--stage', STAGE, 'nightly-1'], stage.context())).rejects.toThrow(
      new CliError('run nightly-1 succeeded: nothing to retry'),
    );
    expect(await executionNames(stage)).toEqual(before);
  });

  test('refuses a run that is still running, and says how to stop it', async () => {
    const executionArn = await startSlowRun(stage, 'slow-running');
    try {
      await expect(
        retryCommand(['--stage', STAGE, 'slow-running'], stage.context()),
      ).rejects.toThrow(
        new CliError(
          'run slow-running is still running: retry it once it has ended (or stop it: serverless-dbt cancel --stage test slow-running)',
        ),
      );
    } finally {
      await stage.sfn.send(new StopExecutionCommand({ executionArn }));
    }
    // Cancelled before its task: it left nothing to retry from.
    const stopped = await finished(stage.sfn, executionArn);
    expect(stopped.status).toBe('ABORTED');
    await expect(retryCommand(['--stage', STAGE, 'slow-running'], stage.context())).rejects.toThrow(
      new CliError(
        `run slow-running was cancelled (stopped: ABORTED) and left no run_results.json to retry from (s3://${BUCKET}/dbt/runs/slow-running/): start a new run instead`,
      ),
    );
  });

  test('refuses a run whose last attempt left no dbt results to retry from, naming the file and the folder', async () => {
    const before = await executionNames(stage);
    await expect(retryCommand(['--stage', STAGE, 'broken-bare'], stage.context())).rejects.toThrow(
      new CliError(
        `run broken-bare failed with DBT_FAILED and left no run_results.json to retry from (s3://${BUCKET}/dbt/runs/broken-bare/): start a new run instead`,
      ),
    );
    await expect(
      retryCommand(['--stage', STAGE, 'broken-no-manifest'], stage.context()),
    ).rejects.toThrow(
      new CliError(
        `run broken-no-manifest failed with DBT_FAILED and left no manifest.json to retry from (s3://${BUCKET}/dbt/runs/broken-no-manifest/attempt-1/): start a new run instead`,
      ),
    );
    expect(await executionNames(stage)).toEqual(before);
  });

  test('refuses an unknown run, and a missing RUN_ID is a usage error', async () => {
    await expect(retryCommand(['--stage', STAGE, 'no-such-run'], stage.context())).rejects.toThrow(
      new CliError(
        'no run no-such-run in stage test (serverless-dbt history --stage test lists the recent ones)',
      ),
    );
    await expect(retryCommand(['--stage', STAGE], stage.context())).rejects.toThrow(UsageError);
  });

  test('from the command line: exit 0 once the retry has started, 1 with one sentence when refused', async () => {
    const env = { ...stage.moto.env };
    const started = await runCli(['retry', '--stage', STAGE, 'broken-1'], env);
    expect(started.stderr).toBe('');
    expect(started.code).toBe(0);
    expect(started.stdout).toMatch(
      /^started run cli-broken-\S+ \(stage test\): a retry of broken-1$/m,
    );
    const refused = await runCli(['retry', '--stage', STAGE, 'nightly-1'], env);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe('serverless-dbt: run nightly-1 succeeded: nothing to retry\n');
  });
});
