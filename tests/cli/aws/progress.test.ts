// The progress lines of `watch` and `start --wait`, from history events shaped as AWS records
// the real state machine (state-machines/dbt-run.asl.yml): Lambda tasks, `ecs:runTask.sync`
// with its PascalCase task, Evaluate's evaluation, the retry on on-demand Fargate.
import {
  type ProgressEvent,
  type ProgressStep,
  progressReader,
} from '../../../cli/aws/progress.ts';

const T0 = Date.parse('2026-11-24T21:05:09Z');
/** An event `seconds` after the run started. */
const at = (seconds: number, event: ProgressEvent): ProgressEvent => ({
  ...event,
  timestamp: new Date(T0 + seconds * 1000),
});
const taskArn = (id: string) => `arn:aws:ecs:eu-west-1:123456789012:task/serverless-dbt-live/${id}`;
const entered = (name: string, type = 'TaskStateEntered', input?: object): ProgressEvent => ({
  type,
  stateEnteredEventDetails: { name, input: JSON.stringify(input ?? {}) },
});
const exited = (name: string, type = 'TaskStateExited', output?: object): ProgressEvent => ({
  type,
  stateExitedEventDetails: { name, output: JSON.stringify(output ?? {}) },
});
const submitted = (id: string): ProgressEvent => ({
  type: 'TaskSubmitted',
  taskSubmittedEventDetails: {
    resourceType: 'ecs',
    output: JSON.stringify({
      Failures: [],
      Tasks: [
        {
          TaskArn: taskArn(id),
          LastStatus: 'PROVISIONING',
          Containers: [{ Name: 'dbt', TaskArn: taskArn(id), LastStatus: 'PENDING' }],
        },
      ],
    }),
  },
});
const stoppedTask = (id: string, stopCode: string, reason: string, exitCode: number) => ({
  TaskArn: taskArn(id),
  LastStatus: 'STOPPED',
  StopCode: stopCode,
  StoppedReason: reason,
  Containers: [
    { Name: 'log-router', ExitCode: 0 },
    { Name: 'dbt', ExitCode: exitCode },
  ],
});
const evaluation = (verdict: string, retry: boolean, reason: string) => ({
  evaluation: { verdict, retry, nextAttempt: retry ? 2 : 0, reason },
});

/** Every event through one reader: the lines without the `==> hh:mm:ss` prefix, and the steps. */
function read(events: ProgressEvent[]): { lines: string[]; steps: ProgressStep[] } {
  const reader = progressReader();
  const steps = events.map(reader);
  const lines = steps
    .flatMap((step) => step.lines)
    .map((line) => line.slice('==> 21:05:09 '.length));
  return { lines, steps };
}

describe('progress lines', () => {
  test('a run that retried on on-demand Fargate: each state entered and left, each task, what Evaluate decided', () => {
    const { lines } = read([
      at(0, { type: 'ExecutionStarted' }),
      at(0, entered('Prepare')),
      at(0, { type: 'LambdaFunctionScheduled' }),
      at(1, { type: 'LambdaFunctionSucceeded' }),
      at(1, exited('Prepare')),
      at(1, entered('AnnounceStart?', 'ChoiceStateEntered')),
      at(1, exited('AnnounceStart?', 'ChoiceStateExited')),
      at(
        1,
        entered('RunDbt', 'TaskStateEntered', {
          attempt: 1,
          capacity: [{ CapacityProvider: 'FARGATE_SPOT', Weight: 1 }],
        }),
      ),
      at(1, { type: 'TaskScheduled' }),
      at(2, submitted('aaaa1111')),
      at(241, {
        type: 'TaskFailed',
        taskFailedEventDetails: {
          resourceType: 'ecs',
          error: 'States.TaskFailed',
          cause: JSON.stringify(
            stoppedTask('aaaa1111', 'SpotInterruption', 'Your Spot Task was interrupted.', 143),
          ),
        },
      }),
      at(241, exited('RunDbt')),
      at(241, entered('Evaluate')),
      at(
        242,
        exited(
          'Evaluate',
          'TaskStateExited',
          evaluation('INFRA_RETRYABLE', true, 'Spot took the task back.'),
        ),
      ),
      at(242, entered('AnotherAttempt?', 'ChoiceStateEntered')),
      at(242, entered('RetryOnDemand', 'PassStateEntered')),
      at(242, exited('RetryOnDemand', 'PassStateExited')),
      at(
        242,
        entered('RunDbt', 'TaskStateEntered', {
          attempt: 2,
          capacity: [{ CapacityProvider: 'FARGATE', Weight: 1 }],
        }),
      ),
      at(243, submitted('bbbb2222')),
      at(543, {
        type: 'TaskSucceeded',
        taskSucceededEventDetails: {
          resourceType: 'ecs',
          output: JSON.stringify(
            stoppedTask(
              'bbbb2222',
              'EssentialContainerExited',
              'Essential container in task exited',
              0,
            ),
          ),
        },
      }),
      at(543, exited('RunDbt')),
      at(543, entered('Evaluate')),
      at(
        545,
        exited(
          'Evaluate',
          'TaskStateExited',
          evaluation('SUCCEEDED', false, 'dbt build succeeded.'),
        ),
      ),
      at(545, entered('ReleaseLock')),
      at(545, {
        type: 'TaskSucceeded',
        taskSucceededEventDetails: { resourceType: 'dynamodb', output: '{}' },
      }),
      at(545, exited('ReleaseLock')),
      at(545, entered('Notify')),
      at(546, exited('Notify')),
      at(546, entered('Outcome?', 'ChoiceStateEntered')),
      at(546, entered('Succeeded', 'SucceedStateEntered')),
      at(546, { type: 'ExecutionSucceeded' }),
    ]);
    expect(lines).toEqual([
      'entered Prepare',
      'left Prepare after 1s',
      'entered RunDbt: attempt 1 (Spot)',
      'RunDbt: task aaaa1111 PROVISIONING',
      'RunDbt: task aaaa1111 STOPPED (SpotInterruption: Your Spot Task was interrupted.), dbt exit code 143',
      'left RunDbt after 4m 00s',
      'entered Evaluate',
      'left Evaluate after 1s: INFRA_RETRYABLE (Spot took the task back.); attempt 2 follows on on-demand Fargate',
      'entered RetryOnDemand',
      'entered RunDbt: attempt 2 (on-demand)',
      'RunDbt: task bbbb2222 PROVISIONING',
      'RunDbt: task bbbb2222 STOPPED (EssentialContainerExited: Essential container in task exited), dbt exit code 0',
      'left RunDbt after 5m 01s',
      'entered Evaluate',
      'left Evaluate after 2s: SUCCEEDED',
      'entered ReleaseLock',
      'left ReleaseLock after 0s',
      'entered Notify',
      'left Notify after 1s',
      'the execution succeeded',
    ]);
  });

  test('each line starts with ==> and the UTC time of its event', () => {
    const reader = progressReader();
    expect(reader(at(75, entered('Prepare'))).lines).toEqual(['==> 21:06:24 entered Prepare']);
    expect(reader({ type: 'ExecutionSucceeded' }).lines).toEqual([
      '==> --:--:-- the execution succeeded',
    ]);
  });

  test('tells the follower when a task is first named and when it stopped', () => {
    const { steps } = read([
      entered('RunDbt'),
      submitted('aaaa1111'),
      {
        type: 'TaskSucceeded',
        taskSucceededEventDetails: {
          resourceType: 'ecs',
          output: JSON.stringify(stoppedTask('aaaa1111', 'EssentialContainerExited', 'done', 0)),
        },
      },
    ]);
    expect(steps.map(({ taskNamed, taskStopped }) => ({ taskNamed, taskStopped }))).toEqual([
      { taskNamed: undefined, taskStopped: undefined },
      { taskNamed: 'aaaa1111', taskStopped: undefined },
      { taskNamed: undefined, taskStopped: 'aaaa1111' },
    ]);
  });

  test('the aws-sdk:ecs integration: RunTask’s camelCase answer names the task, not its task definition', () => {
    const definition =
      'arn:aws:ecs:eu-west-1:123456789012:task-definition/serverless-dbt-live-dbt:1';
    const { lines, steps } = read([
      entered('RunDbt', 'TaskStateEntered', { attempt: 1 }),
      {
        type: 'TaskSucceeded',
        taskSucceededEventDetails: {
          resourceType: 'aws-sdk:ecs',
          output: JSON.stringify({
            tasks: [
              {
                taskArn: taskArn('cccc3333'),
                lastStatus: 'RUNNING',
                containers: [{ name: 'dbt', taskArn: definition }],
              },
            ],
            failures: [],
          }),
        },
      },
    ]);
    expect(lines).toEqual(['entered RunDbt: attempt 1', 'RunDbt: task cccc3333 RUNNING']);
    expect(steps[1]?.taskNamed).toBe('cccc3333');
  });

  test('an ECS API refusal, a task past its limit and a failed Lambda name the state and the error', () => {
    const { lines, steps } = read([
      entered('Prepare'),
      {
        type: 'LambdaFunctionFailed',
        lambdaFunctionFailedEventDetails: {
          error: 'InvalidRunInput',
          cause: JSON.stringify({
            errorType: 'InvalidRunInput',
            errorMessage: 'select: contains ;',
          }),
        },
      },
      entered('RunDbt'),
      {
        type: 'TaskFailed',
        taskFailedEventDetails: {
          resourceType: 'ecs',
          error: 'ECS.AmazonECSException',
          cause: 'Rate exceeded (Service: AmazonECS; Status Code: 400)\nmore',
        },
      },
      {
        type: 'TaskTimedOut',
        taskTimedOutEventDetails: { resourceType: 'ecs', error: 'States.Timeout' },
      },
      entered('Notify'),
      {
        type: 'TaskFailed',
        taskFailedEventDetails: {
          resourceType: 'lambda',
          error: 'Lambda.Unknown',
          cause: 'x'.repeat(300),
        },
      },
    ]);
    expect(lines.slice(0, 5)).toEqual([
      'entered Prepare',
      'Prepare failed: InvalidRunInput: select: contains ;',
      'entered RunDbt',
      'RunDbt failed: ECS.AmazonECSException: Rate exceeded (Service: AmazonECS; Status Code: 400)',
      'RunDbt failed: States.Timeout',
    ]);
    // A long cause is cut.
    expect(lines[6]).toBe(`Notify failed: Lambda.Unknown: ${'x'.repeat(199)}…`);
    expect(steps.some((step) => step.taskNamed !== undefined)).toBe(false);
  });

  test('choice states and the end states are not shown; the execution’s end is', () => {
    const ends: Array<[ProgressEvent, string]> = [
      [
        {
          type: 'ExecutionFailed',
          executionFailedEventDetails: { error: 'DBT_FAILED', cause: 'why' },
        },
        'the execution failed: DBT_FAILED',
      ],
      [{ type: 'ExecutionAborted' }, 'the execution was stopped (ABORTED)'],
      [{ type: 'ExecutionTimedOut' }, 'the execution ran past its time limit (TIMED_OUT)'],
    ];
    for (const [end, line] of ends) {
      const { lines } = read([
        entered('Outcome?', 'ChoiceStateEntered'),
        exited('Outcome?', 'ChoiceStateExited'),
        entered('Failed', 'FailStateEntered'),
        end,
      ]);
      expect(lines).toEqual([line]);
    }
  });

  test('Evaluate that decides no retry shows its verdict only; one that gives no evaluation, nothing more', () => {
    const { lines } = read([
      entered('Evaluate'),
      exited(
        'Evaluate',
        'TaskStateExited',
        evaluation('DBT_FAILED', false, 'dbt reported failures.'),
      ),
      entered('Evaluate'),
      exited('Evaluate', 'TaskStateExited', { run: {} }),
    ]);
    expect(lines).toEqual([
      'entered Evaluate',
      'left Evaluate: DBT_FAILED',
      'entered Evaluate',
      'left Evaluate',
    ]);
  });
});
