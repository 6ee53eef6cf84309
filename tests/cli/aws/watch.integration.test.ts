// `serverless-dbt watch` and `start --wait` following runs that moto's ASL interpreter executes
// (each attempt a real ECS task in moto; only the container does not run, so the test writes
// its log lines into the task's stream, as the awslogs driver would).
import { CreateLogStreamCommand, PutLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { DescribeExecutionCommand } from '@aws-sdk/client-sfn';
import type { CommandContext } from '../../../cli/aws/context.ts';
import { executionArnOf } from '../../../cli/aws/names.ts';
import { startCommand } from '../../../cli/aws/start.ts';
import { watchCommand } from '../../../cli/aws/watch.ts';
import { CliError, UsageError } from '../../../cli/errors.ts';
import { startPassThrough } from './pass-through.ts';
import {
  deployTestStageAroundTests,
  FAILED_REASON,
  LOG_GROUP,
  runCli,
  runExecution,
  STAGE,
  startCli,
  startExecution,
  stopRunningExecutions,
} from './stage.ts';

const stage = deployTestStageAroundTests({
  // Runs a test left going (a `slow` one lingers a minute).
  tearDown: () => stopRunningExecutions(stage),
});

/** The progress lines without their time: `==> 21:05:09 entered Prepare` → `entered Prepare`. */
const progress = (lines: string[]): string[] =>
  lines.filter((line) => line.startsWith('==> ')).map((line) => line.replace(/^==> \S+ /, ''));

/** The task ids the progress lines name, in order. */
const tasksIn = (lines: string[]): string[] =>
  lines.flatMap((line) => /RunDbt: task (\S+) /.exec(line)?.[1] ?? []);

/** The lines with task ids and durations made generic, to compare with a fixed list. */
const generic = (lines: string[]): string[] =>
  lines.map((line) =>
    line.replace(/task \S+ /, 'task T ').replace(/ after \d+(?:s|m \d\ds)$/, ' after N'),
  );

async function statusOf(executionArn: string): Promise<string | undefined> {
  return (await stage.sfn.send(new DescribeExecutionCommand({ executionArn }))).status;
}

/** One line into the task's dbt log, as the awslogs driver writes it. */
async function logLine(taskId: string, message: string, create: boolean): Promise<void> {
  const logStreamName = `dbt/dbt/${taskId}`;
  if (create) {
    await stage.logs.send(new CreateLogStreamCommand({ logGroupName: LOG_GROUP, logStreamName }));
  }
  await stage.logs.send(
    new PutLogEventsCommand({
      logGroupName: LOG_GROUP,
      logStreamName,
      logEvents: [{ timestamp: Date.now(), message }],
    }),
  );
}

/** The context of a command whose following the test stops, as Ctrl-C would. */
const withStop = (signal: AbortSignal, extra: Partial<CommandContext>) =>
  Object.assign(stage.context(extra), { stop: signal });

const pause = (milliseconds: number) =>
  new Promise<void>((resolve) => setTimeout(resolve, milliseconds).unref());

describe('serverless-dbt start --wait', () => {
  test('shows each state as it is entered and left, each attempt with its capacity and task, the retry, then the summary', async () => {
    const context = stage.context();
    expect(await startCommand(['--stage', STAGE, '--job', 'flaky', '--wait'], context)).toBe(0);
    const name = /^started run (\S+) /.exec(context.stdout[0] ?? '')?.[1] ?? '';
    expect(generic(progress(context.stdout))).toEqual([
      'entered Prepare',
      'entered RunDbt: attempt 1 (Spot)',
      'RunDbt: task T RUNNING',
      'left RunDbt after N',
      'entered Evaluate',
      'entered RetryOnDemand',
      'entered RunDbt: attempt 2 (on-demand)',
      'RunDbt: task T RUNNING',
      'left RunDbt after N',
      'entered Evaluate',
      'entered JudgedSucceeded',
      'entered Notify',
      'the execution succeeded',
    ]);
    const tasks = tasksIn(context.stdout);
    expect(new Set(tasks).size).toBe(2);
    // The lines: what start printed, a blank line, the progress, a blank line, the summary.
    const blank = context.stdout.lastIndexOf('');
    expect(context.stdout[blank - 1]).toMatch(/^==> \d\d:\d\d:\d\d the execution succeeded$/);
    expect(context.stdout[blank + 1]).toMatch(
      new RegExp(`^run ${name} \\(job flaky\\): succeeded: SUCCEEDED\n`),
    );
    // moto runs no container: neither task has a log, which is no error (the STOPPED line of a
    // real task says why its container never started).
    expect(context.stderr).toEqual([]);
  });

  test('a failed run: the progress, then the verdict and reason, exit 1', async () => {
    const context = stage.context();
    expect(await startCommand(['--stage', STAGE, '--job', 'broken', '--wait'], context)).toBe(1);
    expect(generic(progress(context.stdout)).slice(-3)).toEqual([
      'entered JudgedFailed',
      'entered Notify',
      'the execution failed: DBT_FAILED',
    ]);
    expect(context.stdout.join('\n')).toContain(`FAILED: DBT_FAILED\n  ${FAILED_REASON}`);
  });

  test('Ctrl-C stops following, not the run: exit 130, the note names the watch command, the execution runs on', async () => {
    const stop = new AbortController();
    const context = withStop(stop.signal, {
      sleep: async () => {
        // Once the run lingers before its task, as a user gives up waiting.
        if (progress(context.stdout).includes('entered Linger')) stop.abort();
        await pause(20);
      },
    });
    expect(await startCommand(['--stage', STAGE, '--job', 'slow', '--wait'], context)).toBe(130);
    const name = /^started run (\S+) /.exec(context.stdout[0] ?? '')?.[1] ?? '';
    expect(context.stderr).toEqual([
      `stopped following; the run goes on: serverless-dbt watch --stage ${STAGE} ${name}`,
    ]);
    expect(await statusOf(executionArnOf(stage.stateMachineArn, name))).toBe('RUNNING');
    // No summary: the run has not ended.
    expect(context.stdout.join('\n')).not.toContain(`run ${name} (job slow):`);
  });
});

describe('serverless-dbt watch', () => {
  test('streams the dbt log lines as they arrive, after the task is named and before the states that follow', async () => {
    const runId = 'scheduled-long-1';
    const executionArn = await startExecution(stage, runId, { job: 'long' });
    const lines = [
      '03:10:01  Running with dbt=1.10.0',
      '03:10:02  1 of 2 START sql table model shop.orders',
      '03:10:03  Done. PASS=2 WARN=0 ERROR=0 SKIP=0 TOTAL=2',
    ];
    let written = 0;
    /** The status of the execution when each line was first seen in the output. */
    const seenWhile: string[] = [];
    const context = stage.context({
      sleep: async () => {
        const [taskId] = tasksIn(context.stdout);
        // The stream does not exist until the first line: the follower reads on regardless.
        if (taskId !== undefined && written < lines.length) {
          const printed = context.stdout.includes(lines[written - 1] ?? '');
          if (written === 0 || printed) {
            if (written > 0) seenWhile.push((await statusOf(executionArn)) ?? '?');
            await logLine(taskId, lines[written] as string, written === 0);
            written += 1;
          }
        }
        await pause(20);
      },
    });
    expect(await watchCommand(['--stage', STAGE, runId], context)).toBe(0);

    expect(context.stdout[0]).toMatch(
      /^watching run scheduled-long-1 \(stage test\), started \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$/,
    );
    // Lines 1 and 2 were printed while the task still ran (line 3 may come with the end).
    expect(seenWhile).toEqual(['RUNNING', 'RUNNING']);
    const out = context.stdout;
    const task = out.findIndex((line) => / RunDbt: task \S+ RUNNING$/.test(line));
    const left = out.findIndex((line) => / left TaskRuns after \d+s$/.test(line));
    const logged = lines.map((line) => out.indexOf(line));
    expect(task).toBeGreaterThan(0);
    expect(logged).toEqual([...logged].sort((a, b) => a - b));
    expect(logged[0]).toBeGreaterThan(task);
    expect(logged[2]).toBeLessThan(left);
    // Each line once: the follower reads on from where it stopped.
    for (const line of lines) expect(out.filter((candidate) => candidate === line)).toHaveLength(1);
    expect(context.stderr).toEqual([]);
    expect(out.at(-1)).toMatch(new RegExp(`^run ${runId} \\(job long\\): succeeded: SUCCEEDED\n`));
  });

  test('a run that has ended is summed up at once, with its exit code', async () => {
    await runExecution(stage, 'console-broken-1', { job: 'broken' });
    const context = stage.context({
      sleep: async () => {
        throw new Error('a run that has ended needs no polling');
      },
    });
    expect(await watchCommand(['--stage', STAGE, 'console-broken-1'], context)).toBe(1);
    expect(context.stdout[0]).toMatch(
      new RegExp(
        `^run console-broken-1 \\(job broken\\): FAILED: DBT_FAILED\n  ${FAILED_REASON}\n`,
      ),
    );
    expect(progress(context.stdout)).toEqual([]);

    await runExecution(stage, 'console-nightly-1', { job: 'nightly' });
    const succeeded = stage.context();
    const arn = executionArnOf(stage.stateMachineArn, 'console-nightly-1');
    expect(await watchCommand(['--stage', STAGE, arn], succeeded)).toBe(0);
    expect(succeeded.stdout[0]).toMatch(
      /^run console-nightly-1 \(job nightly\): succeeded: SUCCEEDED\n/,
    );
  });

  test('Ctrl-C stops watching at once, even in the middle of a wait, and the run goes on', async () => {
    const runId = 'scheduled-slow-1';
    const executionArn = await startExecution(stage, runId, { job: 'slow' });
    const stop = new AbortController();
    const context = withStop(stop.signal, {
      sleep: async () => {
        if (progress(context.stdout).includes('entered Linger')) {
          stop.abort();
          // The wait between polls is cut short by the abort: this one would outlast the test.
          await pause(600_000);
        }
        await pause(20);
      },
    });
    expect(await watchCommand(['--stage', STAGE, runId], context)).toBe(130);
    expect(context.stderr).toEqual([
      `stopped following; the run goes on: serverless-dbt watch --stage ${STAGE} ${runId}`,
    ]);
    expect(await statusOf(executionArn)).toBe('RUNNING');
  });

  test('without leave to read the log, it says so once and follows the states to the summary', async () => {
    // In front of moto, AWS refusing GetLogEvents (a role without logs:GetLogEvents); every
    // other call goes through.
    const refuser = await startPassThrough(stage.moto.endpoint, {
      refuse: (amzTarget) =>
        amzTarget === 'Logs_20140328.GetLogEvents'
          ? {
              status: 400,
              body: {
                __type: 'AccessDeniedException',
                message: 'not authorized to perform: logs:GetLogEvents',
              },
            }
          : undefined,
    });
    try {
      await startExecution(stage, 'scheduled-long-2', { job: 'long' });
      const context = stage.context({ env: { ...stage.env, AWS_ENDPOINT_URL: refuser.endpoint } });
      expect(await watchCommand(['--stage', STAGE, 'scheduled-long-2'], context)).toBe(0);
      expect(context.stderr).toEqual([
        'serverless-dbt: could not read the dbt log (AccessDeniedException: not authorized to perform: logs:GetLogEvents); following the states only',
      ]);
      expect(progress(context.stdout).at(-1)).toBe('the execution succeeded');
      expect(context.stdout.at(-1)).toMatch(/^run scheduled-long-2 \(job long\): succeeded/);
    } finally {
      await refuser.close();
    }
  }, 15_000);

  test('needs one run id; an unknown run is one sentence', async () => {
    await expect(watchCommand(['--stage', STAGE], stage.context())).rejects.toThrow(UsageError);
    await expect(watchCommand(['--stage', STAGE, 'a', 'b'], stage.context())).rejects.toThrow(
      UsageError,
    );
    await expect(watchCommand(['--stage', STAGE, 'cli-nope-1'], stage.context())).rejects.toThrow(
      new CliError(
        `no run cli-nope-1 in stage ${STAGE} (serverless-dbt history --stage ${STAGE} lists the recent ones)`,
      ),
    );
  });
});

describe('serverless-dbt watch from the command line', () => {
  test('Ctrl-C (SIGINT) exits 130 with the note and leaves the execution running', async () => {
    const runId = 'scheduled-slow-2';
    const executionArn = await startExecution(stage, runId, { job: 'slow' });
    const child = startCli(['watch', '--stage', STAGE, runId], stage.env);
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    const closed = new Promise<number | null>((resolve) => child.on('close', resolve));
    await new Promise<void>((resolve) => {
      child.stdout.on('data', (chunk) => {
        stdout += chunk;
        if (stdout.includes('entered Linger')) resolve();
      });
    });
    child.kill('SIGINT');
    expect(await closed).toBe(130);
    expect(stderr).toBe(
      `stopped following; the run goes on: serverless-dbt watch --stage ${STAGE} ${runId}\n`,
    );
    expect(await statusOf(executionArn)).toBe('RUNNING');
  });

  test('watch of a run that failed exits 1, and --help lists the command', async () => {
    await runExecution(stage, 'console-broken-2', { job: 'broken' });
    const watched = await runCli(['watch', '--stage', STAGE, 'console-broken-2'], stage.moto.env);
    expect(watched.code).toBe(1);
    expect(watched.stdout).toMatch(/^run console-broken-2 \(job broken\): FAILED: DBT_FAILED\n/);
    const help = await runCli(['--help'], {});
    expect(help.stdout).toMatch(/^ {2}watch +follow a run on AWS as it moves/m);
  });
});
