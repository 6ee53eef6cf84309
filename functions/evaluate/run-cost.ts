/**
 * What the run cost so far, from the state Evaluate is given: this attempt's ECS task (its
 * pull start, stop, CPU, memory and capacity provider), the earlier attempts' costs (carried in
 * `previousAttempt` by RetryOnDemand), and the states and Lambda invocations the execution
 * passes on the path it takes (dbt-run.asl.yml). No AWS SDK; prices and billing rules are in
 * ../shared/cost.ts.
 */
import type { Evaluation, RunState, TaskResult } from '../shared/contracts.ts';
import {
  type AttemptCost,
  attemptCost,
  type CapacityProviderName,
  type CpuArchitecture,
  fargateBilledSeconds,
  type RunCost,
  runCost,
  S3_GETS_PER_ATTEMPT,
  S3_PUTS_PER_ATTEMPT,
} from '../shared/cost.ts';
import { readTask, taskFromCause } from './ecs-task.ts';

/** What the task definition sets, for a task whose description lacks its size. */
export interface CostSettings {
  taskCpuUnits: number;
  taskMemoryMiB: number;
  taskCpuArchitecture: CpuArchitecture;
  /** The functions' memory (serverless.yml, provider.memorySize). */
  lambdaMemoryMb: number;
}

/** The region of a local run's task ARN (cli/local/run-dbt.ts). */
const LOCAL_REGION = 'local';

/** The region of an ARN (`arn:aws:<service>:<region>:…`), or undefined. */
export function regionOfArn(arn: string | undefined): string | undefined {
  const region = arn?.split(':')[3];
  return region ? region : undefined;
}

function epochMs(value: string | number | undefined): number | undefined {
  if (value === undefined) return undefined;
  const ms = typeof value === 'number' ? value : Date.parse(value);
  return Number.isFinite(ms) ? ms : undefined;
}

function positiveNumber(text: string | undefined): number | undefined {
  const value = Number(text);
  return text !== undefined && Number.isFinite(value) && value > 0 ? value : undefined;
}

/** The task this attempt ran: the .sync result, or the one a States.TaskFailed cause holds. */
function taskOf(state: RunState): TaskResult | undefined {
  if (state.task !== undefined && state.task !== null) return readTask(state.task);
  return taskFromCause(state.taskError?.Cause);
}

/**
 * The capacity provider the task ran on: its own word (CapacityProviderName), else the only
 * provider the attempt asked for, else on-demand.
 */
function capacityOf(task: TaskResult, state: RunState): CapacityProviderName {
  const named = task.CapacityProviderName ?? state.capacity?.[0]?.CapacityProvider;
  return named === 'FARGATE_SPOT' ? 'FARGATE_SPOT' : 'FARGATE';
}

/**
 * This attempt's task, priced; undefined when no task was started (Fargate bills nothing).
 * A task with a start but no stop time (read while stopping) is billed to `now`.
 */
export function thisAttemptCost(
  state: RunState,
  attempt: number,
  settings: CostSettings,
  now: number,
): AttemptCost | undefined {
  const task = taskOf(state);
  if (task === undefined) return undefined;
  const billedSeconds = fargateBilledSeconds(
    {
      pullStartedAt: epochMs(task.PullStartedAt),
      startedAt: epochMs(task.StartedAt),
      stoppedAt: epochMs(task.StoppedAt),
    },
    now,
  );
  if (billedSeconds === 0) return undefined;
  const cpuUnits = positiveNumber(task.Cpu) ?? settings.taskCpuUnits;
  const memoryMiB = positiveNumber(task.Memory) ?? settings.taskMemoryMiB;
  return attemptCost(
    attempt,
    {
      billedSeconds,
      vcpu: cpuUnits / 1024,
      memoryGb: memoryMiB / 1024,
      architecture: settings.taskCpuArchitecture,
      capacityProvider: capacityOf(task, state),
    },
    regionOfArn(task.TaskArn) ?? '',
  );
}

/**
 * States the execution enters, and Lambda invocations it makes, on its path to the end once
 * this evaluation is the last (dbt-run.asl.yml): Prepare, AnnounceStart? (and AnnounceStart),
 * per attempt RunDbt, Evaluate and AnotherAttempt? (and RetryOnDemand between attempts), then
 * HoldsLock? (and ReleaseLock), Notify, Outcome? and Succeeded or Failed. Without a run
 * (Prepare failed): Prepare, Evaluate, AnotherAttempt?, HoldsLock?, Notify, Outcome?, Failed.
 */
export function pathTaken(
  state: RunState,
  attempt: number,
): { stateTransitions: number; lambdaInvocations: number } {
  const run = state.run;
  if (run === undefined) return { stateTransitions: 7, lambdaInvocations: 3 };
  const announce = run.notifyOnStart ? 1 : 0;
  const lock = run.lock !== undefined ? 1 : 0;
  return {
    stateTransitions: 2 + announce + 3 * attempt + (attempt - 1) + 4 + lock,
    lambdaInvocations: 1 + announce + attempt + 1,
  };
}

/**
 * The run's cost as this evaluation sees it: every attempt's task so far and the whole
 * execution's orchestration, as if this evaluation were the last. Null when there is nothing
 * to price it by (no task and no region in the execution's ARN), or for a local run.
 */
export function costOf(
  state: RunState,
  attempt: number,
  executionArn: string | undefined,
  settings: CostSettings,
  now: number,
): RunCost | null {
  // `serverless-dbt local` runs dbt on this machine (cli/local/run-dbt.ts): nothing on AWS.
  if (regionOfArn(taskOf(state)?.TaskArn) === LOCAL_REGION) return null;
  const previous: Evaluation['cost'] = state.previousAttempt?.cost;
  const thisOne = thisAttemptCost(state, attempt, settings, now);
  const attempts = [...(previous?.attempts ?? []), ...(thisOne === undefined ? [] : [thisOne])];
  const region =
    regionOfArn(executionArn) ?? regionOfArn(taskOf(state)?.TaskArn) ?? previous?.pricesRegion;
  if (region === undefined) return null;
  const path = pathTaken(state, attempt);
  return runCost(region, attempts, {
    ...path,
    lambdaMemoryMb: settings.lambdaMemoryMb,
    s3Puts: attempts.length * S3_PUTS_PER_ATTEMPT,
    s3Gets: attempts.length * S3_GETS_PER_ATTEMPT,
  });
}
