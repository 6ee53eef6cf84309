// `serverless-dbt cancel` against a deployed stage in moto, whose state machine moto executes:
// a `slow` run (it waits a minute before its task) is stopped; runs that have ended are
// refused, each with how it ended.
import { DescribeExecutionCommand } from '@aws-sdk/client-sfn';
import { cancelCommand } from '../../../cli/aws/cancel.ts';
import { executionArnOf } from '../../../cli/aws/names.ts';
import { outcomeOf } from '../../../cli/aws/outcome.ts';
import { CliError, UsageError } from '../../../cli/errors.ts';
import { type PassThrough, startPassThrough } from './pass-through.ts';
import {
  deployTestStageAroundTests,
  runCli,
  runExecution,
  STAGE,
  startSlowRun,
  taskIds,
} from './stage.ts';

/**
 * In front of moto, keeping the Step Functions requests the commands sent: moto 5.2.5 stops an
 * execution but forgets the error and cause StopExecution sent, so the test reads them on the way.
 */
let recorder: PassThrough;

const stage = deployTestStageAroundTests({
  setUp: async () => {
    recorder = await startPassThrough(stage.moto.endpoint);
    await runExecution(stage, 'nightly-done', { job: 'nightly' });
    await runExecution(stage, 'broken-done', { job: 'broken' });
  },
  tearDown: async () => {
    await recorder?.close();
  },
});

describe('serverless-dbt cancel', () => {
  test('stops a running run with a cause naming who and why: the execution ends ABORTED, reported CANCELLED, and no task starts', async () => {
    const arn = await startSlowRun(stage, 'slow-to-cancel');
    const tasksBefore = await taskIds(stage);
    const context = stage.context({
      env: { ...stage.moto.env, AWS_ENDPOINT_URL: recorder.endpoint, USER: 'alice' },
    });
    const code = await cancelCommand(
      ['--stage', STAGE, 'slow-to-cancel', '--reason', 'wrong\nselection'],
      context,
    );
    expect(code).toBe(0);
    expect(context.stdout).toEqual([
      'cancelled run slow-to-cancel (stage test, job slow): its execution is ABORTED, its verdict CANCELLED',
      'cause: cancelled with serverless-dbt cancel by alice: wrong selection',
      "task:  Step Functions stops the run's ECS task, if it had started one",
      "lock:  serverless-dbt-test-release-lock releases the run's overlap lock, if it holds one, when the ABORTED status change reaches it (seconds)",
    ]);
    expect(context.stderr).toEqual([]);

    const stop = recorder.stepFunctionsRequests.filter(
      (request) => request.target === 'StopExecution',
    );
    expect(stop).toEqual([
      {
        target: 'StopExecution',
        body: {
          executionArn: arn,
          error: 'CANCELLED',
          cause: 'cancelled with serverless-dbt cancel by alice: wrong selection',
        },
      },
    ]);
    const execution = await stage.sfn.send(new DescribeExecutionCommand({ executionArn: arn }));
    expect(execution.status).toBe('ABORTED');
    expect(outcomeOf(execution, 'slow-to-cancel').verdict).toBe('CANCELLED');
    // Stopped in its Wait state, before RunDbt: no ECS task was ever started for it.
    expect(await taskIds(stage)).toEqual(tasksBefore);
  });

  test('takes the execution ARN that start prints as the run id', async () => {
    const arn = await startSlowRun(stage, 'slow-by-arn');
    const context = stage.context();
    expect(await cancelCommand(['--stage', STAGE, arn], context)).toBe(0);
    expect(context.stdout[1]).toBe('cause: cancelled with serverless-dbt cancel');
    const execution = await stage.sfn.send(new DescribeExecutionCommand({ executionArn: arn }));
    expect(execution.status).toBe('ABORTED');
  });

  test('refuses a run that has already ended, saying how it ended', async () => {
    const context = stage.context();
    await expect(cancelCommand(['--stage', STAGE, 'nightly-done'], context)).rejects.toThrow(
      new CliError('run nightly-done has already ended: it succeeded'),
    );
    await expect(cancelCommand(['--stage', STAGE, 'broken-done'], context)).rejects.toThrow(
      new CliError('run broken-done has already ended: it failed with DBT_FAILED'),
    );
    await startSlowRun(stage, 'slow-twice');
    expect(await cancelCommand(['--stage', STAGE, 'slow-twice'], context)).toBe(0);
    await expect(cancelCommand(['--stage', STAGE, 'slow-twice'], context)).rejects.toThrow(
      new CliError('run slow-twice has already ended: it was cancelled (stopped: ABORTED)'),
    );
  });

  test('refuses an unknown run in one sentence', async () => {
    await expect(cancelCommand(['--stage', STAGE, 'no-such-run'], stage.context())).rejects.toThrow(
      new CliError(
        'no run no-such-run in stage test (serverless-dbt history --stage test lists the recent ones)',
      ),
    );
  });

  test('a missing RUN_ID or a blank reason is a usage error, before any AWS call', async () => {
    const noAws = stage.context({
      env: {},
      credentials: async () => {
        throw new Error('credentials were asked for');
      },
    });
    await expect(cancelCommand(['--stage', STAGE], noAws)).rejects.toThrow(
      /^cancel takes one RUN_ID \(got 0\)/,
    );
    await expect(cancelCommand(['--stage', STAGE, 'a', 'b'], noAws)).rejects.toThrow(UsageError);
    await expect(
      cancelCommand(['--stage', STAGE, 'run-1', '--reason', ' '], noAws),
    ).rejects.toThrow(/^--reason must not be blank/);
  });

  test('from the command line: exit 0 when it cancels, 1 with one sentence when the run has ended', async () => {
    const env = { ...stage.moto.env };
    await startSlowRun(stage, 'slow-from-cli');
    const cancelled = await runCli(['cancel', '--stage', STAGE, 'slow-from-cli'], env);
    expect(cancelled.stderr).toBe('');
    expect(cancelled.code).toBe(0);
    expect(cancelled.stdout).toMatch(/^cancelled run slow-from-cli \(stage test, job slow\)/);

    const again = await runCli(['cancel', '--stage', STAGE, 'slow-from-cli'], env);
    expect(again.code).toBe(1);
    expect(again.stderr).toBe(
      'serverless-dbt: run slow-from-cli has already ended: it was cancelled (stopped: ABORTED)\n',
    );
    const usage = await runCli(['cancel', '--stage', STAGE], env);
    expect(usage.code).toBe(2);
    const execution = await stage.sfn.send(
      new DescribeExecutionCommand({
        executionArn: executionArnOf(stage.stateMachineArn, 'slow-from-cli'),
      }),
    );
    expect(execution.status).toBe('ABORTED');
  });
});
