// The AWS commands' pure parts: execution names, links, outcomes, exit codes, the tasks an
// execution history names, and the history table.
import {
  formatDuration,
  formatHistory,
  formatProjection,
  monthlyProjection,
} from '../../../cli/aws/format.ts';
import {
  canonicalJson,
  checkStage,
  docsPageOf,
  executionConsoleLink,
  executionNameFor,
  lastAttemptFileOf,
  objectIn,
  RUN_ID_RE,
  runArtifactsUriOf,
  runIdFromArgument,
} from '../../../cli/aws/names.ts';
import {
  exitCodeOf,
  failedOutcomeIn,
  type HistoryEvent,
  jobOf,
  outcomeOf,
  summaryFromText,
  taskIdsOf,
  verdictOf,
} from '../../../cli/aws/outcome.ts';
import { CliError, UsageError } from '../../../cli/errors.ts';
import { triggerOf } from '../../../functions/prepare/prepare.ts';

const NOW = new Date('2026-11-24T21:05:09.500Z');

describe('execution names', () => {
  test('are cli-<job>-<UTC time>-<8 hex of the input>, a valid run id with the cli trigger', () => {
    const name = executionNameFor('nightly', { job: 'nightly' }, NOW);
    expect(name).toMatch(/^cli-nightly-20261124T210509-[0-9a-f]{8}$/);
    expect(name).toMatch(RUN_ID_RE);
    expect(triggerOf(name, 'nightly')).toBe('cli');
  });

  test('are the same for the same input in the same second, whatever the key order', () => {
    const a = executionNameFor('x', { job: 'x', vars: { b: 1, a: [1, { d: 2, c: 3 }] } }, NOW);
    const b = executionNameFor('x', { vars: { a: [1, { c: 3, d: 2 }], b: 1 }, job: 'x' }, NOW);
    expect(a).toBe(b);
    expect(executionNameFor('x', { job: 'x', docs: false }, NOW)).not.toBe(a);
    expect(executionNameFor('x', { job: 'x' }, new Date('2026-11-24T21:05:10Z'))).not.toBe(
      executionNameFor('x', { job: 'x' }, NOW),
    );
  });

  test('stay within 80 characters for the longest job name', () => {
    const job = 'j'.repeat(64);
    const name = executionNameFor(job, { job }, NOW);
    expect(name.length).toBe(80);
    expect(name).toMatch(RUN_ID_RE);
    expect(name).toMatch(/^cli-j+-20261124T210509-[0-9a-f]{8}$/);
  });

  test('canonical JSON sorts keys at every level and keeps arrays in order', () => {
    expect(canonicalJson({ b: [2, 1], a: { d: null, c: 'x' } })).toBe(
      '{"a":{"c":"x","d":null},"b":[2,1]}',
    );
  });
});

describe('run ids and stages from the command line', () => {
  test('a run id, or the execution ARN that start prints', () => {
    expect(runIdFromArgument('cli-x-1', 'dev')).toBe('cli-x-1');
    expect(
      runIdFromArgument('arn:aws:states:eu-west-1:123456789012:execution:sm:cli-x-1', 'dev'),
    ).toBe('cli-x-1');
  });

  test.each(['', 'a/b', 'a b', 'x'.repeat(81), 'a:b'])(
    '%p is not a run id (one sentence)',
    (argument) => {
      expect(() => runIdFromArgument(argument, 'dev')).toThrow(CliError);
    },
  );

  test('--stage is required and must fit in a stack name', () => {
    expect(checkStage('live', 'usage')).toBe('live');
    expect(() => checkStage(undefined, 'usage')).toThrow(UsageError);
    expect(() => checkStage('my_stage', 'usage')).toThrow(UsageError);
  });
});

describe('links and places', () => {
  test('the console link of an execution', () => {
    const arn = 'arn:aws:states:eu-west-1:123456789012:execution:serverless-dbt-live:cli-x-1';
    expect(executionConsoleLink(arn, 'eu-west-1')).toBe(
      `https://eu-west-1.console.aws.amazon.com/states/home?region=eu-west-1#/v2/executions/details/${arn}`,
    );
  });

  test('docs pages: an attempt’s of a run, a run’s stored before attempt folders, or the latest', () => {
    expect(docsPageOf('b', 'cli-x-1', 2)).toEqual({
      bucket: 'b',
      key: 'dbt/runs/cli-x-1/attempt-2/index.html',
    });
    expect(docsPageOf('b', 'cli-x-1')).toEqual({ bucket: 'b', key: 'dbt/runs/cli-x-1/index.html' });
    expect(docsPageOf('b', undefined)).toEqual({ bucket: 'b', key: 'dbt/latest/index.html' });
    expect(runArtifactsUriOf('b', 'cli-x-1', 1)).toBe('s3://b/dbt/runs/cli-x-1/attempt-1/');
    expect(lastAttemptFileOf('b', 'cli-x-1')).toEqual({
      bucket: 'b',
      key: 'dbt/runs/cli-x-1/last-attempt.json',
    });
    expect(objectIn('s3://b/dbt/runs/r/', 'summary.json')).toEqual({
      bucket: 'b',
      key: 'dbt/runs/r/summary.json',
    });
    expect(objectIn('file:///tmp/x/', 'summary.json')).toBeUndefined();
  });
});

describe('outcomes and exit codes', () => {
  const outcome = {
    runId: 'cli-x-1',
    job: 'nightly',
    verdict: 'SUCCEEDED',
    reason: 'dbt build succeeded.',
    hint: null,
    exitCode: 0,
    counts: { success: 3, pass: 1, error: 0, fail: 0, warn: 0, skipped: 0 },
    artifactsUri: 's3://b/dbt/runs/cli-x-1/',
  };

  test('SUCCEEDED: the output is the RunOutcome; exit 0', () => {
    const execution = { status: 'SUCCEEDED', output: JSON.stringify(outcome), input: '{}' };
    expect(outcomeOf(execution, 'cli-x-1')).toEqual(outcome);
    expect(exitCodeOf('SUCCEEDED')).toBe(0);
  });

  test('FAILED: the error is the verdict and the cause the reason; exit 1', () => {
    const execution = {
      status: 'FAILED',
      error: 'OUT_OF_MEMORY',
      cause: 'The dbt container ran out of memory (1024 MiB).',
      input: '{"job":"nightly"}',
    };
    expect(outcomeOf(execution, 'cli-x-1')).toEqual({
      runId: 'cli-x-1',
      job: 'nightly',
      verdict: 'OUT_OF_MEMORY',
      reason: 'The dbt container ran out of memory (1024 MiB).',
      hint: null,
      exitCode: null,
      counts: null,
      artifactsUri: null,
    });
    expect(exitCodeOf('FAILED')).toBe(1);
  });

  test('FAILED with an error that is no verdict: INFRA_FAILED, naming the error', () => {
    const result = outcomeOf(
      { status: 'FAILED', error: 'States.Runtime', cause: 'boom', input: '{}' },
      'r',
    );
    expect(result.verdict).toBe('INFRA_FAILED');
    expect(result.job).toBe('manual');
    expect(result.reason).toBe('The execution failed with States.Runtime: boom');
  });

  test('FAILED: the rest of the outcome comes from the state the Fail state entered with', () => {
    const recorded = { ...outcome, verdict: 'DBT_FAILED', reason: 'r', hint: 'h', exitCode: 1 };
    const events: HistoryEvent[] = [
      {
        type: 'FailStateEntered',
        stateEnteredEventDetails: {
          name: 'Failed',
          input: JSON.stringify({
            run: {},
            evaluation: { verdict: 'DBT_FAILED', output: recorded },
          }),
        },
      },
      { type: 'ExecutionFailed' },
    ];
    const found = failedOutcomeIn(events);
    expect(found).toEqual(recorded);
    const execution = { status: 'FAILED', error: 'DBT_FAILED', cause: 'r', input: '{}' };
    expect(outcomeOf(execution, 'cli-x-1', found)).toEqual(recorded);
    // Failed elsewhere, or the state was cut short: error and cause only.
    expect(failedOutcomeIn([{ type: 'ExecutionFailed' }])).toBeUndefined();
    expect(
      failedOutcomeIn([
        {
          type: 'FailStateEntered',
          stateEnteredEventDetails: { name: 'Failed', input: '{"run":' },
        },
      ]),
    ).toBeUndefined();
  });

  test('TIMED_OUT and ABORTED: no verdict from the state machine; exit 3', () => {
    expect(outcomeOf({ status: 'TIMED_OUT', input: '{}' }, 'r').verdict).toBe('TIMED_OUT');
    expect(outcomeOf({ status: 'ABORTED', input: '{}' }, 'r').verdict).toBe('CANCELLED');
    expect(exitCodeOf('TIMED_OUT')).toBe(3);
    expect(exitCodeOf('ABORTED')).toBe(3);
  });

  test('the job and the verdict a history row shows', () => {
    expect(jobOf('{"job":"daily"}')).toBe('daily');
    expect(jobOf('{}')).toBe('manual');
    expect(jobOf('not json')).toBe('?');
    expect(verdictOf({ status: 'FAILED', error: 'DBT_ERROR' })).toBe('DBT_ERROR');
    expect(verdictOf({ status: 'RUNNING' })).toBe('-');
  });

  test('summary.json: the parts the report shows; anything else is no summary', () => {
    expect(
      summaryFromText(
        '{"counts":{"success":1},"nodes":[{"uniqueId":"m","status":"error","message":null,"resourceType":"model"}],"extra":1}',
      ),
    ).toEqual({
      counts: { success: 1 },
      nodes: [{ uniqueId: 'm', status: 'error', message: null }],
    });
    expect(summaryFromText('[]')).toBeNull();
    expect(summaryFromText('{')).toBeNull();
  });

  test('summary.json: the slow models the report shows; unreadable ones are left out', () => {
    const orders = {
      uniqueId: 'model.shop.orders',
      seconds: 252,
      medianSeconds: 65,
      runsCompared: 4,
    };
    expect(summaryFromText(JSON.stringify({ slowModels: [orders] }))?.slowModels).toEqual([orders]);
    expect(
      summaryFromText(JSON.stringify({ counts: { success: 1 }, slowModels: [{ uniqueId: 'x' }] })),
    ).toEqual({ counts: { success: 1 } });
  });
});

describe('the ECS tasks of an execution', () => {
  const task = (id: string) => `arn:aws:ecs:eu-west-1:123456789012:task/serverless-dbt-live/${id}`;
  // As AWS records `ecs:runTask.sync`: TaskSubmitted carries RunTask's response, TaskSucceeded
  // the stopped task, TaskFailed the stopped task as the cause.
  const submitted = (id: string): HistoryEvent => ({
    type: 'TaskSubmitted',
    taskSubmittedEventDetails: {
      resourceType: 'ecs',
      output: JSON.stringify({
        Failures: [],
        Tasks: [{ TaskArn: task(id), Containers: [{ TaskArn: task(id), Name: 'dbt' }] }],
      }),
    },
  });

  test('one per attempt, oldest first, from the ecs events only', () => {
    const events: HistoryEvent[] = [
      { type: 'ExecutionStarted' },
      submitted('aaaa1111'),
      {
        type: 'TaskFailed',
        taskFailedEventDetails: {
          resourceType: 'ecs',
          cause: JSON.stringify({ TaskArn: task('aaaa1111'), StopCode: 'SpotInterruption' }),
        },
      },
      {
        // A Lambda's output that mentions a task is not a task of this run's RunDbt.
        type: 'TaskSucceeded',
        taskSucceededEventDetails: {
          resourceType: 'lambda',
          output: JSON.stringify({ task: { TaskArn: task('ffff0000') } }),
        },
      },
      submitted('bbbb2222'),
      {
        type: 'TaskSucceeded',
        taskSucceededEventDetails: {
          resourceType: 'ecs',
          output: JSON.stringify({ TaskArn: task('bbbb2222'), LastStatus: 'STOPPED' }),
        },
      },
    ];
    expect(taskIdsOf(events)).toEqual(['aaaa1111', 'bbbb2222']);
  });

  test('none when the run ended before RunDbt, or a task never started', () => {
    expect(taskIdsOf([{ type: 'ExecutionStarted' }, { type: 'ExecutionFailed' }])).toEqual([]);
    expect(
      taskIdsOf([
        {
          type: 'TaskFailed',
          taskFailedEventDetails: { resourceType: 'ecs', cause: 'ECS.AmazonECSException: …' },
        },
      ]),
    ).toEqual([]);
  });

  test('old-format task ARNs (no cluster) and task-definition ARNs are told apart', () => {
    const events: HistoryEvent[] = [
      {
        type: 'TaskSucceeded',
        taskSucceededEventDetails: {
          resourceType: 'aws-sdk:ecs',
          output: JSON.stringify({
            tasks: [
              {
                taskArn: 'arn:aws:ecs:eu-west-1:123456789012:task/0123abcd',
                containers: [{ taskArn: 'arn:aws:ecs:eu-west-1:123456789012:task-definition/d:1' }],
              },
            ],
          }),
        },
      },
    ];
    expect(taskIdsOf(events)).toEqual(['0123abcd']);
  });
});

describe('the history table', () => {
  test('durations', () => {
    expect(formatDuration(45_400)).toBe('45s');
    expect(formatDuration(12 * 60_000 + 3_000)).toBe('12m 03s');
    expect(formatDuration(2 * 3_600_000 + 5 * 60_000)).toBe('2h 05m');
  });

  test('aligned columns, newest first as given, a running run’s duration so far', () => {
    const now = new Date('2026-11-24T22:00:00Z');
    const text = formatHistory(
      [
        {
          startDate: new Date('2026-11-24T21:58:00Z'),
          stopDate: undefined,
          runId: 'cli-a-1',
          job: 'a',
          status: 'RUNNING',
          verdict: '-',
          link: 'https://l/1',
        },
        {
          startDate: new Date('2026-11-24T21:00:00Z'),
          stopDate: new Date('2026-11-24T21:12:03Z'),
          runId: 'nightly-run-with-a-long-id',
          job: 'nightly',
          status: 'FAILED',
          verdict: 'DBT_FAILED',
          costUsd: 0.01234,
          link: 'https://l/2',
        },
      ],
      now,
    );
    expect(text.split('\n')).toEqual([
      'STARTED (UTC)        RUN ID                      JOB      STATUS   VERDICT     DURATION  COST     CONSOLE',
      '2026-11-24 21:58:00  cli-a-1                     a        RUNNING  -           2m 00s…   -        https://l/1',
      '2026-11-24 21:00:00  nightly-run-with-a-long-id  nightly  FAILED   DBT_FAILED  12m 03s   $0.0123  https://l/2',
    ]);
  });
});

describe('the monthly projection of a job', () => {
  const day = (n: number) => new Date(Date.UTC(2026, 10, n, 6));

  test('a daily job: its average cost times the runs a month at the pace they started', () => {
    const rows = [4, 3, 2, 1].map((n) => ({ startDate: day(n), costUsd: n === 4 ? 0.02 : 0.01 }));
    const projection = monthlyProjection(rows);
    expect(projection.costedRuns).toBe(4);
    expect(projection.averageUsd).toBeCloseTo(0.0125, 12);
    // 4 starts over 3 days: one a day, 365/12 a month.
    expect(projection.runsPerMonth).toBeCloseTo(365 / 12, 10);
    expect(projection.monthlyUsd).toBeCloseTo((0.0125 * 365) / 12, 10);
    expect(formatProjection('nightly', projection)).toBe(
      'nightly: $0.0125 a run on average (4 runs with a cost), 30.4 runs a month as started: about $0.3802 a month',
    );
  });

  test('runs with no cost are left out of the average but count in the pace', () => {
    const projection = monthlyProjection([
      { startDate: day(3), costUsd: undefined },
      { startDate: day(2), costUsd: 0.01 },
      { startDate: day(1), costUsd: undefined },
    ]);
    expect(projection.averageUsd).toBe(0.01);
    expect(projection.runsPerMonth).toBeCloseTo(365 / 12, 10);
  });

  test('says so when no run has a cost, and projects no month from one run', () => {
    expect(
      formatProjection('a', monthlyProjection([{ startDate: day(1), costUsd: undefined }])),
    ).toBe('a: no listed run says what it cost');
    expect(formatProjection('a', monthlyProjection([{ startDate: day(1), costUsd: 0.5 }]))).toBe(
      'a: $0.5000 a run on average (1 run with a cost); one run is too few to project a month',
    );
  });
});
