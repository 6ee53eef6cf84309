// `serverless-dbt backfill` against a deployed stage in moto, whose state machine moto executes
// (tests/cli/aws/stage.ts: a stand-in for the real definition, whose job decides the verdict;
// the ECS task is moto's, no container runs). The jobs' schedules are read from the stack's
// template, as in AWS.
import { DescribeExecutionCommand } from '@aws-sdk/client-sfn';
import { jest } from '@jest/globals';
import { backfillCommand } from '../../../cli/aws/backfill.ts';
import { backfillExecutionName } from '../../../cli/aws/backfill-plan.ts';
import { executionArnOf } from '../../../cli/aws/names.ts';
import { CliError, UsageError } from '../../../cli/errors.ts';
import { deployTestStageAroundTests, executionNames, STAGE } from './stage.ts';

// Each backfill runs several executions in moto; on a busy machine that takes seconds.
jest.setTimeout(30_000);

const stage = deployTestStageAroundTests();

const NOW = new Date('2026-11-30T12:00:00Z');

/** A context whose stdout and stderr also land, in order, in one log. */
function backfillContext(stop?: AbortSignal) {
  const log: string[] = [];
  const context = stage.context({ now: () => NOW });
  const out = context.out as (text: string) => void;
  const err = context.err as (text: string) => void;
  return {
    ...context,
    ...(stop === undefined ? {} : { stop }),
    out: (text: string) => {
      log.push(`out ${text}`);
      out(text);
    },
    err: (text: string) => {
      log.push(`err ${text}`);
      err(text);
    },
    log,
  };
}

const backfill = (args: string[], context: ReturnType<typeof backfillContext>) =>
  backfillCommand(['--stage', STAGE, ...args], context);

async function executionsOf(job: string): Promise<string[]> {
  const names = await executionNames(stage);
  return names.filter((name) => name.startsWith(`cli-backfill-${job}-`)).sort();
}

async function inputOf(name: string): Promise<unknown> {
  const execution = await stage.sfn.send(
    new DescribeExecutionCommand({ executionArn: executionArnOf(stage.stateMachineArn, name) }),
  );
  return JSON.parse(execution.input ?? 'null');
}

/** The log's lines that start runs and report dates, as `start <date>` / `end <date> <verdict>`. */
const steps = (log: string[]) =>
  log.flatMap((line) => {
    const started = /^err (\d{4}-\d{2}-\d{2}): started /.exec(line);
    if (started) return [`start ${started[1]}`];
    const ended = /^out (\d{4}-\d{2}-\d{2}) +(\S+)/.exec(line);
    return ended ? [`end ${ended[1]} ${ended[2]}`] : [];
  });

describe('serverless-dbt backfill', () => {
  test('runs one date after the other, each with the scheduled time its schedule gives that date', async () => {
    const context = backfillContext();
    const code = await backfill(
      ['--job', 'nightly', '--from', '2026-11-01', '--to', '2026-11-03'],
      context,
    );
    expect(code).toBe(0);
    expect(steps(context.log)).toEqual([
      'start 2026-11-01',
      'end 2026-11-01 SUCCEEDED',
      'start 2026-11-02',
      'end 2026-11-02 SUCCEEDED',
      'start 2026-11-03',
      'end 2026-11-03 SUCCEEDED',
    ]);
    expect(context.stdout[0]).toBe(
      '2026-11-01  SUCCEEDED     cli-backfill-nightly-2026-11-01  dbt build succeeded.',
    );
    expect(context.stdout.at(-1)).toBe(
      'backfill nightly 2026-11-01..2026-11-03: 3 succeeded, 0 failed, 0 not started, 0 without a scheduled time',
    );
    expect(await executionsOf('nightly')).toEqual([
      'cli-backfill-nightly-2026-11-01',
      'cli-backfill-nightly-2026-11-02',
      'cli-backfill-nightly-2026-11-03',
    ]);
    // 06:00 in Berlin, CET in November: 05:00 UTC. The input is the schedule's, time filled.
    expect(await inputOf('cli-backfill-nightly-2026-11-02')).toStrictEqual({
      job: 'nightly',
      scheduledTime: '2026-11-02T05:00:00Z',
    });
  });

  test('with --concurrency 2 runs every date, a third only once one of the first two ended', async () => {
    // How many run at once is runPlan's (backfill.test.ts, with runs the test ends itself);
    // here, the same through moto's executions.
    const context = backfillContext();
    const code = await backfill(
      ['--job', 'nightly', '--from', '2026-11-04', '--to', '2026-11-06', '--concurrency', '2'],
      context,
    );
    expect(code).toBe(0);
    const order = steps(context.log);
    const third = order.indexOf('start 2026-11-06');
    expect(third).toBeGreaterThan(0);
    expect(order.slice(0, third).some((step) => step.startsWith('end '))).toBe(true);
    expect(order.filter((step) => step.startsWith('end ')).sort()).toEqual([
      'end 2026-11-04 SUCCEEDED',
      'end 2026-11-05 SUCCEEDED',
      'end 2026-11-06 SUCCEEDED',
    ]);
  });

  test('stops starting dates after a failure and exits 1, naming the dates not started', async () => {
    const context = backfillContext();
    const code = await backfill(
      ['--job', 'broken', '--from', '2026-11-01', '--to', '2026-11-03'],
      context,
    );
    expect(code).toBe(1);
    expect(context.stdout).toEqual([
      expect.stringMatching(
        /^2026-11-01 {2}DBT_FAILED {4}cli-backfill-broken-2026-11-01 {2}dbt reported failures/,
      ),
      '2026-11-02  NOT_STARTED   -  not started: an earlier date failed; --keep-going runs the rest',
      '2026-11-03  NOT_STARTED   -  not started: an earlier date failed; --keep-going runs the rest',
      'backfill broken 2026-11-01..2026-11-03: 0 succeeded, 1 failed, 2 not started, 0 without a scheduled time',
    ]);
    expect(await executionsOf('broken')).toEqual(['cli-backfill-broken-2026-11-01']);
  });

  test('with --keep-going runs every date despite failures, and still exits 1', async () => {
    const context = backfillContext();
    const code = await backfill(
      ['--job', 'broken', '--from', '2026-10-01', '--to', '2026-10-02', '--keep-going'],
      context,
    );
    expect(code).toBe(1);
    expect(steps(context.log)).toEqual([
      'start 2026-10-01',
      'end 2026-10-01 DBT_FAILED',
      'start 2026-10-02',
      'end 2026-10-02 DBT_FAILED',
    ]);
  });

  test('run again, starts no date that succeeded and runs a failed date under its next name', async () => {
    const again = backfillContext();
    expect(
      await backfill(['--job', 'nightly', '--from', '2026-11-01', '--to', '2026-11-03'], again),
    ).toBe(0);
    expect(steps(again.log)).toEqual([
      'end 2026-11-01 SUCCEEDED',
      'end 2026-11-02 SUCCEEDED',
      'end 2026-11-03 SUCCEEDED',
    ]);
    expect(again.stdout[0]).toBe(
      '2026-11-01  SUCCEEDED     cli-backfill-nightly-2026-11-01  already succeeded; not run again',
    );
    expect(await executionsOf('nightly')).toHaveLength(6);

    const retried = backfillContext();
    await backfill(['--job', 'broken', '--from', '2026-11-01', '--to', '2026-11-01'], retried);
    expect(await executionsOf('broken')).toContain('cli-backfill-broken-2026-11-01-2');
  });

  test("skips the dates a job's cron does not run on, and dates by the job's time zone", async () => {
    const context = backfillContext();
    // Saturday to Monday; 22:30 in New York on Monday 23 November is 03:30 UTC on the 24th.
    const code = await backfill(
      ['--job', 'weekdays', '--from', '2026-11-21', '--to', '2026-11-23'],
      context,
    );
    expect(code).toBe(0);
    expect(context.stdout.slice(0, 2)).toEqual([
      '2026-11-21  SKIPPED       -  no scheduled time: cron(30 22 ? * MON-FRI *) in America/New_York does not run on that date',
      '2026-11-22  SKIPPED       -  no scheduled time: cron(30 22 ? * MON-FRI *) in America/New_York does not run on that date',
    ]);
    expect(await inputOf('cli-backfill-weekdays-2026-11-23')).toStrictEqual({
      command: 'run',
      select: 'tag:daily',
      job: 'weekdays',
      scheduledTime: '2026-11-24T03:30:00Z',
    });
  });

  test('Ctrl-C stops starting dates, lets the running one end, and exits 130', async () => {
    const controller = new AbortController();
    const context = backfillContext(controller.signal);
    const err = context.err;
    // Interrupted as soon as the first run has started.
    context.err = (text: string) => {
      err(text);
      if (/: started /.test(text)) controller.abort();
    };
    const code = await backfill(
      ['--job', 'nightly', '--from', '2026-09-01', '--to', '2026-09-03'],
      context,
    );
    expect(code).toBe(130);
    expect(context.stdout.slice(0, 3)).toEqual([
      '2026-09-01  SUCCEEDED     cli-backfill-nightly-2026-09-01  dbt build succeeded.',
      '2026-09-02  NOT_STARTED   -  not started: interrupted',
      '2026-09-03  NOT_STARTED   -  not started: interrupted',
    ]);
    expect(await executionsOf('nightly')).not.toContain('cli-backfill-nightly-2026-09-02');
  });

  test('refuses a job that runs more than once a day, and a job the stage does not have', async () => {
    const hourly = backfill(
      ['--job', 'hourly', '--from', '2026-11-01', '--to', '2026-11-01'],
      backfillContext(),
    );
    await expect(hourly).rejects.toBeInstanceOf(CliError);
    await expect(hourly).rejects.toThrow('job hourly runs 24 times on 2026-11-01');
    const unknown = backfill(
      ['--job', 'nightlyy', '--from', '2026-11-01', '--to', '2026-11-01'],
      backfillContext(),
    );
    await expect(unknown).rejects.toBeInstanceOf(CliError);
    await expect(unknown).rejects.toThrow(
      "the stage test has no job 'nightlyy' (its jobs: nightly, broken, weekdays, hourly)",
    );
  });

  test.each([
    [['--job', 'nightly', '--to', '2026-11-01'], '--from is required'],
    [['--job', 'nightly', '--from', '2026-02-30', '--to', '2026-03-01'], "--from '2026-02-30'"],
    [
      ['--job', 'nightly', '--from', '2026-11-02', '--to', '2026-11-01'],
      '--to 2026-11-01 is before',
    ],
    [
      ['--job', 'nightly', '--from', '2025-01-01', '--to', '2026-11-01'],
      '--to 2026-11-01 is 670 dates',
    ],
    [['--job', 'nightly', '--from', '2026-11-30', '--to', '2026-12-01'], '--to: 2026-12-01'],
    [
      ['--job', 'nightly', '--from', '2026-11-01', '--to', '2026-11-01', '--concurrency', '5'],
      "--concurrency '5' must be a whole number from 1 to 4",
    ],
    [['--from', '2026-11-01', '--to', '2026-11-01'], '--job is required'],
  ])('refuses %j with a usage error naming the option', async (args, message) => {
    const attempt = backfill(args, backfillContext());
    await expect(attempt).rejects.toBeInstanceOf(UsageError);
    await expect(attempt).rejects.toThrow(message);
  });

  test('--help prints the options and an example exit status', async () => {
    const context = backfillContext();
    expect(await backfillCommand(['--help'], context)).toBe(0);
    expect(context.stdout.join('\n')).toMatch(/--concurrency N +runs at once, 1\.\.4/);
    expect(context.stdout.join('\n')).toContain('--keep-going');
  });
});

describe('backfillExecutionName', () => {
  test('keeps a long job name within 80 characters and apart from another sharing its start', () => {
    const long = `${'a'.repeat(60)}x`;
    const other = `${'a'.repeat(60)}y`;
    const first = backfillExecutionName(long, '2026-11-01', 99);
    expect(first.length).toBeLessThanOrEqual(80);
    expect(first).toMatch(/^cli-backfill-a+-[0-9a-f]{8}-2026-11-01-99$/);
    expect(backfillExecutionName(other, '2026-11-01', 99)).not.toBe(first);
    expect(backfillExecutionName('nightly', '2026-11-01', 1)).toBe(
      'cli-backfill-nightly-2026-11-01',
    );
  });
});
