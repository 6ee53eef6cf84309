// A stand-in for the one thing that cannot run here: ECS's control plane behind the
// `ecs:runTask.sync` integration (starting a Fargate task, waiting for it to stop). It
// answers as Step Functions does: a task whose containers all exited 0 is the state's result;
// any other stopped task fails the state with `States.TaskFailed` and the task's JSON as
// Cause (even when only a sidecar exited non-zero, or nothing ever ran); an ECS API error
// fails it with `ECS.<error>` and a plain-text Cause; a RunTask answered with `Failures` and no
// task fails it with `AmazonECS.Unknown` (the name AWS documents; the Cause, which AWS does not
// document, is the RunTask response as JSON: tests/functions/evaluate/tasks.ts); a task running
// past the state's limit is `States.Timeout`. Each call takes the next scripted outcome and
// records what the state machine asked for.
import type { TaskResult } from '../../functions/shared/contracts.ts';

export type TaskOutcome =
  | { stopped: TaskResult; beforeStop?: (request: RunTaskRequest) => Promise<void> }
  | { apiError: string; cause: string }
  | { runTaskFailures: string }
  | { failedWithCause: string }
  | { timedOut: true };

/** What the RunDbt state passes to ecs:RunTask (its Parameters, resolved). */
export interface RunTaskRequest {
  Cluster: string;
  TaskDefinition: string;
  CapacityProviderStrategy: Array<{ CapacityProvider: string; Weight: number }>;
  NetworkConfiguration: unknown;
  Overrides: {
    ContainerOverrides: Array<{
      Name: string;
      Environment: Array<{ Name: string; Value: string }>;
    }>;
  };
  StartedBy: string;
  [field: string]: unknown;
}

export interface FakeEcs {
  runTask: (input: unknown) => Promise<unknown>;
  requests: RunTaskRequest[];
}

function namedError(name: string, message: string): Error {
  const error = new Error(message);
  error.name = name;
  return error;
}

export function fakeEcs(...outcomes: TaskOutcome[]): FakeEcs {
  const requests: RunTaskRequest[] = [];
  const runTask = async (input: unknown) => {
    const request = input as RunTaskRequest;
    requests.push(request);
    const outcome = outcomes[requests.length - 1];
    if (outcome === undefined) {
      throw new Error(
        `RunTask called ${requests.length} times; the test scripted ${outcomes.length}`,
      );
    }
    if ('apiError' in outcome) throw namedError(outcome.apiError, outcome.cause);
    if ('runTaskFailures' in outcome) {
      throw namedError('AmazonECS.Unknown', outcome.runTaskFailures);
    }
    if ('failedWithCause' in outcome)
      throw namedError('States.TaskFailed', outcome.failedWithCause);
    if ('timedOut' in outcome) {
      throw namedError('States.Timeout', 'The task did not stop within the state timeout.');
    }
    await outcome.beforeStop?.(request);
    // ECS reports the capacity provider the task ran on: the one the strategy asked for.
    const task = {
      ...outcome.stopped,
      CapacityProviderName:
        request.CapacityProviderStrategy[0]?.CapacityProvider ??
        outcome.stopped.CapacityProviderName,
    };
    const allExitedZero =
      (task.Containers ?? []).length > 0 &&
      (task.Containers ?? []).every((container) => container.ExitCode === 0);
    if (!allExitedZero) throw namedError('States.TaskFailed', JSON.stringify(task));
    return task;
  };
  return { runTask, requests };
}

/** The environment a RunTask request gives the dbt container. */
export function containerEnvironment(request: RunTaskRequest): Record<string, string> {
  const overrides = request.Overrides.ContainerOverrides;
  return Object.fromEntries(
    overrides.flatMap((override) => override.Environment.map((item) => [item.Name, item.Value])),
  );
}

/** The same outcome `times` times over: a failure that lasts through RunDbt's retries. */
export function times(count: number, outcome: TaskOutcome): TaskOutcome[] {
  return Array.from({ length: count }, () => outcome);
}
