// What `watch` and `start --wait` print as a run moves: a line for each state entered and
// left, for each report of the run's ECS task, and for the end of the execution, read from
// the execution's history events in order. Pure: plain shapes of the Step Functions API, no
// AWS SDK here.
import type { CapacityProviderItem } from '../../functions/shared/contracts.ts';
import { formatDuration } from './format.ts';
import { TASK_ARN_RE } from './outcome.ts';

/** The fields of a GetExecutionHistory event that the progress lines read. */
export interface ProgressEvent {
  id?: number;
  timestamp?: Date;
  type?: string;
  stateEnteredEventDetails?: { name?: string; input?: string };
  stateExitedEventDetails?: { name?: string; output?: string };
  taskSubmittedEventDetails?: { resourceType?: string; output?: string };
  taskSucceededEventDetails?: { resourceType?: string; output?: string };
  taskFailedEventDetails?: { resourceType?: string; error?: string; cause?: string };
  taskTimedOutEventDetails?: { resourceType?: string; error?: string; cause?: string };
  lambdaFunctionFailedEventDetails?: { error?: string; cause?: string };
  lambdaFunctionTimedOutEventDetails?: { error?: string; cause?: string };
  executionFailedEventDetails?: { error?: string; cause?: string };
  executionTimedOutEventDetails?: { error?: string; cause?: string };
}

/** What one event means for the follower. */
export interface ProgressStep {
  /** The lines to print, in order. */
  lines: string[];
  /** A task this event names for the first time: its log is followed from now on. */
  taskNamed?: string;
  /** A task this event reports stopped: its log is read to the end before the lines. */
  taskStopped?: string;
}

/** The state that runs dbt on ECS (state-machines/dbt-run.asl.yml). */
const RUN_DBT = 'RunDbt';
/** The state that judges an attempt and decides whether another one follows. */
const EVALUATE = 'Evaluate';
/** The dbt container, whose exit code is the attempt's (serverless.yml, custom.containerName). */
const DBT_CONTAINER = 'dbt';
const CAUSE_CHARACTERS = 200;

// Choice states only route (`AnotherAttempt?`, `Outcome?`): they are not shown. Succeed and
// Fail end the execution, which its own event reports. Pass states take no time: entered only.
const SHOWN_ENTERED = new Set([
  'TaskStateEntered',
  'PassStateEntered',
  'WaitStateEntered',
  'MapStateEntered',
  'ParallelStateEntered',
]);
const SHOWN_EXITED = new Set([
  'TaskStateExited',
  'WaitStateExited',
  'MapStateExited',
  'ParallelStateExited',
]);

const ECS_RESOURCES = new Set(['ecs', 'aws-sdk:ecs']);

function parseJson(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

/** `21:05:09` (UTC). */
function clock(date: Date | undefined): string {
  return date === undefined ? '--:--:--' : date.toISOString().slice(11, 19);
}

/** A cause as one short line: a Lambda's `{errorMessage}`, else the text's first line. */
function shortCause(cause: string | undefined): string {
  const parsed = parseJson(cause);
  const text =
    isRecord(parsed) && typeof parsed.errorMessage === 'string' ? parsed.errorMessage : cause;
  const line = (text ?? '').trim().split('\n')[0] ?? '';
  return line.length > CAUSE_CHARACTERS ? `${line.slice(0, CAUSE_CHARACTERS - 1)}…` : line;
}

/** `Spot` or `on-demand`: the capacity provider the attempt asks for first. */
function capacityOf(state: unknown): string | undefined {
  if (!isRecord(state) || !Array.isArray(state.capacity)) return undefined;
  const items = state.capacity.filter(isRecord) as Partial<CapacityProviderItem>[];
  const first = [...items].sort((a, b) => (b.Weight ?? 0) - (a.Weight ?? 0))[0];
  if (first?.CapacityProvider === 'FARGATE_SPOT') return 'Spot';
  if (first?.CapacityProvider === 'FARGATE') return 'on-demand';
  return undefined;
}

/** The text after `entered RunDbt`: which attempt, on which capacity. */
function attemptText(input: string | undefined): string {
  const state = parseJson(input);
  const attempt = isRecord(state) && typeof state.attempt === 'number' ? state.attempt : undefined;
  if (attempt === undefined) return '';
  const capacity = capacityOf(state);
  return `: attempt ${attempt}${capacity === undefined ? '' : ` (${capacity})`}`;
}

/** What Evaluate decided, from the state it left: the verdict, and the next attempt if any. */
function evaluationText(output: string | undefined): string {
  const state = parseJson(output);
  const evaluation = isRecord(state) ? state.evaluation : undefined;
  if (!isRecord(evaluation) || typeof evaluation.verdict !== 'string') return '';
  if (evaluation.retry === true) {
    const reason =
      typeof evaluation.reason === 'string' ? ` (${shortCause(evaluation.reason)})` : '';
    const next = typeof evaluation.nextAttempt === 'number' ? ` ${evaluation.nextAttempt}` : '';
    return `: ${evaluation.verdict}${reason}; attempt${next} follows on on-demand Fargate`;
  }
  return `: ${evaluation.verdict}`;
}

interface EcsTask {
  id: string;
  status: string | undefined;
  stopCode: string | undefined;
  stoppedReason: string | undefined;
  exitCode: number | undefined;
}

const field = (record: Record<string, unknown>, pascal: string): unknown =>
  record[pascal] ?? record[pascal.charAt(0).toLowerCase() + pascal.slice(1)];

const text = (value: unknown): string | undefined =>
  typeof value === 'string' && value !== '' ? value : undefined;

/**
 * The tasks an ECS event reports: RunTask's response (`Tasks`), or one task (the stopped task
 * of `runTask.sync`), in the integration's PascalCase or the `aws-sdk:ecs` one's camelCase.
 */
function ecsTasksIn(value: unknown): EcsTask[] {
  if (!isRecord(value)) return [];
  const listed = field(value, 'Tasks');
  const candidates = Array.isArray(listed) ? listed.filter(isRecord) : [value];
  return candidates.flatMap((task) => {
    const arn = text(field(task, 'TaskArn'));
    const id = arn === undefined ? undefined : TASK_ARN_RE.exec(arn)?.[1];
    if (id === undefined) return [];
    const containers = field(task, 'Containers');
    const list = Array.isArray(containers) ? containers.filter(isRecord) : [];
    const dbt = list.find((container) => field(container, 'Name') === DBT_CONTAINER) ?? list[0];
    const exitCode = dbt === undefined ? undefined : field(dbt, 'ExitCode');
    return [
      {
        id,
        status: text(field(task, 'LastStatus')),
        stopCode: text(field(task, 'StopCode')),
        stoppedReason: text(field(task, 'StoppedReason')),
        exitCode: typeof exitCode === 'number' ? exitCode : undefined,
      },
    ];
  });
}

/** `task 3f2a… STOPPED (EssentialContainerExited: Essential container in task exited), dbt exit code 1` */
function taskText(task: EcsTask): string {
  const status = task.status ?? 'reported';
  if (status !== 'STOPPED') return `task ${task.id} ${status}`;
  const why = [task.stopCode, task.stoppedReason].filter((part) => part !== undefined).join(': ');
  const exit = task.exitCode === undefined ? '' : `, dbt exit code ${task.exitCode}`;
  return `task ${task.id} STOPPED${why === '' ? '' : ` (${why})`}${exit}`;
}

/**
 * Reads a run's history events one after the other, oldest first, and says what each shows.
 * It remembers what it has seen (when each state was entered, the tasks already named), so
 * the events of one execution go through one reader, each once.
 */
export function progressReader(): (event: ProgressEvent) => ProgressStep {
  const enteredAt = new Map<string, Date | undefined>();
  const tasksNamed = new Set<string>();
  let state = '';

  const ecsStep = (
    event: ProgressEvent,
    value: unknown,
    failedWith?: { error?: string; cause?: string },
  ): ProgressStep => {
    const tasks = ecsTasksIn(value);
    if (tasks.length === 0) {
      // An ECS API error (throttling, no capacity): no task, a plain-text cause.
      if (failedWith === undefined) return { lines: [] };
      const error = failedWith.error ?? 'an error';
      const cause = shortCause(failedWith.cause);
      return { lines: [line(event, `${state} failed: ${error}${cause ? `: ${cause}` : ''}`)] };
    }
    const step: ProgressStep = { lines: [] };
    for (const task of tasks) {
      if (!tasksNamed.has(task.id)) {
        tasksNamed.add(task.id);
        step.taskNamed = task.id;
      }
      if (task.status === 'STOPPED') step.taskStopped = task.id;
      step.lines.push(line(event, `${state}: ${taskText(task)}`));
    }
    return step;
  };

  return (event) => {
    const type = event.type ?? '';
    if (SHOWN_ENTERED.has(type)) {
      const name = event.stateEnteredEventDetails?.name ?? '?';
      state = name;
      enteredAt.set(name, event.timestamp);
      const detail = name === RUN_DBT ? attemptText(event.stateEnteredEventDetails?.input) : '';
      return { lines: [line(event, `entered ${name}${detail}`)] };
    }
    if (SHOWN_EXITED.has(type)) {
      const name = event.stateExitedEventDetails?.name ?? '?';
      const since = enteredAt.get(name);
      const after =
        since === undefined || event.timestamp === undefined
          ? ''
          : ` after ${formatDuration(event.timestamp.getTime() - since.getTime())}`;
      const detail = name === EVALUATE ? evaluationText(event.stateExitedEventDetails?.output) : '';
      return { lines: [line(event, `left ${name}${after}${detail}`)] };
    }
    switch (type) {
      case 'TaskSubmitted':
      case 'TaskSucceeded': {
        const details = event.taskSubmittedEventDetails ?? event.taskSucceededEventDetails;
        if (!ECS_RESOURCES.has(details?.resourceType ?? '')) return { lines: [] };
        return ecsStep(event, parseJson(details?.output));
      }
      case 'TaskFailed': {
        const details = event.taskFailedEventDetails ?? {};
        if (ECS_RESOURCES.has(details.resourceType ?? '')) {
          return ecsStep(event, parseJson(details.cause), details);
        }
        return failure(event, state, details);
      }
      case 'TaskTimedOut':
        return failure(event, state, event.taskTimedOutEventDetails ?? {});
      case 'LambdaFunctionFailed':
        return failure(event, state, event.lambdaFunctionFailedEventDetails ?? {});
      case 'LambdaFunctionTimedOut':
        return failure(event, state, event.lambdaFunctionTimedOutEventDetails ?? {});
      case 'ExecutionSucceeded':
        return { lines: [line(event, 'the execution succeeded')] };
      case 'ExecutionFailed': {
        const error = event.executionFailedEventDetails?.error;
        return { lines: [line(event, `the execution failed${error ? `: ${error}` : ''}`)] };
      }
      case 'ExecutionAborted':
        return { lines: [line(event, 'the execution was stopped (ABORTED)')] };
      case 'ExecutionTimedOut':
        return { lines: [line(event, 'the execution ran past its time limit (TIMED_OUT)')] };
      default:
        return { lines: [] };
    }
  };
}

/** One progress line: `==> 21:05:09 entered Prepare`, apart from the dbt log lines between. */
function line(event: ProgressEvent, text: string): string {
  return `==> ${clock(event.timestamp)} ${text}`;
}

function failure(
  event: ProgressEvent,
  state: string,
  details: { error?: string; cause?: string },
): ProgressStep {
  const cause = shortCause(details.cause);
  const error = details.error ?? 'an error';
  return { lines: [line(event, `${state} failed: ${error}${cause ? `: ${cause}` : ''}`)] };
}
