// Executes the deployed state machine definition on this host with aws-local-stepfunctions:
// what `serverless-dbt local` and the state machine tests run. The definition is adapted only
// through local-definition.ts (the library's known gaps); every Task state is bound to a local
// function by state name, and those functions behave like the AWS integrations they stand
// for: a Lambda's error reaches the state machine as AWS reports it (Error = the error's name,
// Cause = JSON with errorType and errorMessage), an SDK integration's as `<Service>.<name>`.
import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';
import { StateMachine } from 'aws-local-stepfunctions';
import { type Definition, localDefinition, localStateContext } from './local-definition.ts';

/** One entry of an execution's event log (the library declares the type but does not export it). */
export type EventLog =
  ReturnType<StateMachine['run']>['eventLogs'] extends AsyncGenerator<infer Event> ? Event : never;

type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

export type LocalTask = (input: unknown) => Promise<unknown>;

/** The integrations the deployed definition uses besides its own Lambdas. */
export const ECS_RUN_TASK_SYNC = 'arn:aws:states:::ecs:runTask.sync';
export const DYNAMODB_DELETE_ITEM = 'arn:aws:states:::dynamodb:deleteItem';

export interface LocalStandIns {
  /** The Lambda states' functions, by the Lambda ARN the definition names. */
  lambdas: ReadonlyMap<string, LocalTask>;
  /** RunDbt: the ECS task. */
  runTask: LocalTask;
  /** ReleaseLock: the lock's conditional delete. */
  deleteItem: LocalTask;
}

/**
 * One local function per Task state of the definition, chosen by the state's Resource.
 * @throws when a Task state's Resource has no stand-in.
 */
export function bindTasks(
  definition: Definition,
  standIns: LocalStandIns,
): Record<string, LocalTask> {
  const tasks: Record<string, LocalTask> = {};
  for (const [name, state] of Object.entries(definition.States)) {
    if (state.Type !== 'Task') continue;
    const resource = String(state.Resource);
    const task =
      resource === ECS_RUN_TASK_SYNC
        ? standIns.runTask
        : resource === DYNAMODB_DELETE_ITEM
          ? standIns.deleteItem
          : standIns.lambdas.get(resource);
    if (task === undefined)
      throw new Error(`no local stand-in for the state ${name} (${resource})`);
    tasks[name] = task;
  }
  return tasks;
}

export interface ExecutionOptions {
  /** The execution's name: the run id. */
  executionName: string;
  /**
   * `$$.Execution.Id`; by default an ARN made from the state machine's and the execution's
   * names. Tests give the ARN of an execution started in moto, so that the handlers can read
   * its input with states:DescribeExecution.
   */
  executionArn?: string;
  stateMachineArn: string;
  /** One local function per Task state, by state name; a Task without one fails the run. */
  tasks: Record<string, LocalTask>;
  /** Wait between Retry attempts; AWS's intervals (seconds to minutes) by default. */
  retryIntervalMs?: number;
  /** Sees every event as it happens (the CLI prints progress from these). */
  onEvent?: (event: EventLog) => void;
  /** Stops the execution when it settles, as StopExecution does: it ends ABORTED. */
  abortWhen?: Promise<unknown>;
}

export type ExecutionStatus = 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

export interface LocalExecution {
  executionArn: string;
  status: ExecutionStatus;
  /** The execution's output when it succeeded. */
  output: unknown;
  /** A failed execution's error and cause, as DescribeExecution reports them. */
  error: string | null;
  cause: string | null;
  events: EventLog[];
}

export function executionArnOf(stateMachineArn: string, executionName: string): string {
  return `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${executionName}`;
}

export async function executeDefinition(
  deployed: Definition,
  input: unknown,
  options: ExecutionOptions,
): Promise<LocalExecution> {
  const definition = localDefinition(deployed);
  const taskStates = Object.entries(definition.States).filter(([, state]) => state.Type === 'Task');
  const missing = taskStates.map(([name]) => name).filter((name) => !(name in options.tasks));
  if (missing.length > 0) {
    throw new Error(`no local function for the Task state(s): ${missing.join(', ')}`);
  }
  const retryIntervalOverrides: Record<string, number> = {};
  if (options.retryIntervalMs !== undefined) {
    for (const [name, state] of taskStates) {
      if (Array.isArray(state.Retry)) retryIntervalOverrides[name] = options.retryIntervalMs;
    }
  }

  const executionArn =
    options.executionArn ?? executionArnOf(options.stateMachineArn, options.executionName);
  const machine = new StateMachine(definition as never, {
    // Paths such as `$$.Execution.Input` are valid ASL the validator does not know.
    validationOptions: { checkPaths: false, checkArn: false },
  });
  const execution = machine.run(input as JsonValue, {
    overrides: {
      taskResourceLocalHandlers: options.tasks as Record<
        string,
        (input: JsonValue) => Promise<JsonValue>
      >,
      retryIntervalOverrides,
    },
    context: {
      Execution: { Id: executionArn, Name: options.executionName },
      StateMachine: {
        Id: options.stateMachineArn,
        Name: options.stateMachineArn.split(':').pop(),
      },
      State: localStateContext(),
    } as never,
  });

  options.abortWhen?.then(() => execution.abort());

  const events: EventLog[] = [];
  const collecting = (async () => {
    for await (const event of execution.eventLogs) {
      events.push(event);
      options.onEvent?.(event);
    }
  })();

  let result: LocalExecution;
  try {
    const output = await execution.result;
    result = { executionArn, status: 'SUCCEEDED', output, error: null, cause: null, events };
  } catch (caught) {
    const failure = caught as Error & { cause?: unknown };
    const status: ExecutionStatus =
      failure.name === 'ExecutionTimeoutError'
        ? 'TIMED_OUT'
        : failure.name === 'ExecutionAbortedError'
          ? 'ABORTED'
          : 'FAILED';
    const inner = failure.cause as { name?: string; message?: string } | undefined;
    result = {
      executionArn,
      status,
      output: null,
      error: status === 'FAILED' ? (inner?.name ?? failure.name) : null,
      cause: status === 'FAILED' ? (inner?.message ?? failure.message) : null,
      events,
    };
  }
  await collecting;
  return result;
}

/** The error a Lambda's failure becomes in the state machine: its name, and a JSON Cause. */
export class LambdaFailure extends Error {
  constructor(errorType: string, errorMessage: string) {
    super(JSON.stringify({ errorType, errorMessage, trace: [] }));
    this.name = errorType;
  }
}

type LambdaHandler = (event: never, context: Context) => Promise<unknown>;

/**
 * A Lambda handler as a local Task: called with a Lambda context (remaining time counted from
 * the function's timeout), its errors reported as AWS reports them.
 */
export function lambdaTask(
  functionName: string,
  handler: LambdaHandler,
  timeoutSeconds = 25,
): LocalTask {
  return async (input) => {
    const deadline = Date.now() + timeoutSeconds * 1000;
    try {
      return await handler(input as never, lambdaContext(functionName, deadline));
    } catch (error) {
      if (error instanceof Error) throw new LambdaFailure(error.name, error.message);
      throw new LambdaFailure('Error', String(error));
    }
  };
}

function lambdaContext(functionName: string, deadline: number): Context {
  const unsupported = () => {
    throw new Error('callback-style Lambda handlers are not supported');
  };
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:local:000000000000:function:${functionName}`,
    memoryLimitInMB: '256',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: unsupported,
    fail: unsupported,
    succeed: unsupported,
  };
}

/**
 * An AWS SDK call as a local Task (e.g. `dynamodb:deleteItem`): a service error reaches the
 * state machine as `<Service>.<ErrorName>`, as the SDK integrations report it.
 */
export function sdkTask(service: string, call: (parameters: never) => Promise<unknown>): LocalTask {
  return async (input) => {
    try {
      return await call(input as never);
    } catch (error) {
      const failure = new Error(error instanceof Error ? error.message : String(error));
      failure.name = `${service}.${error instanceof Error ? error.name : 'Error'}`;
      throw failure;
    }
  };
}
