// Evaluate's events as the state machine sends them (Parameters of the Evaluate state): the
// state after Prepare and RunDbt and the execution's name; with the raw input the handler reads
// when Prepare built no run.
import type { EvaluateSettings } from '../../../functions/evaluate/classify.ts';
import type { EvaluationInput } from '../../../functions/evaluate/evaluate.ts';
import type {
  CaughtError,
  PreparedRun,
  RunState,
  TaskResult,
} from '../../../functions/shared/contracts.ts';

export const RUN_ID = '0b5f4d0e-7c1a-4f39-9a52-8e6f3c2d1b70';
export const ARTIFACTS_URI = `s3://serverless-dbt-dev-artifacts/dbt/runs/${RUN_ID}/`;

export const SETTINGS: EvaluateSettings = {
  containerName: 'dbt',
  taskMemoryMiB: 4096,
  maxAttempts: 2,
};

/** Prepare's `run` for a nightly job, as functions/prepare builds it. */
export function preparedRun(overrides: Partial<PreparedRun> = {}): PreparedRun {
  const runId = overrides.runId ?? RUN_ID;
  const spec = {
    job: 'nightly',
    command: 'build' as const,
    fullRefresh: false,
    freshness: 'warn' as const,
    docs: true,
    allowEmpty: false,
    failFast: false,
    warnError: false,
    timeoutSeconds: 3600,
  };
  return {
    runId,
    job: 'nightly',
    stage: 'dev',
    trigger: 'schedule',
    spec,
    timeoutSeconds: 3600,
    startedAt: '2026-03-02T05:00:00.123Z',
    startedBy: runId.slice(0, 36),
    artifactsUri: `s3://serverless-dbt-dev-artifacts/dbt/runs/${runId}/`,
    notifyOnStart: false,
    lock: { table: 'serverless-dbt-dev-locks', key: 'serverless-dbt-dev-dbt-run' },
    runSpec: JSON.stringify(spec),
    ...overrides,
  };
}

export interface StateOptions {
  attempt?: number;
  run?: PreparedRun;
}

/** The state after RunDbt succeeded: the .sync result under `task`. */
export function taskState(task: TaskResult, options: StateOptions = {}): RunState {
  return {
    run: options.run ?? preparedRun(),
    capacity: [{ CapacityProvider: 'FARGATE_SPOT', Weight: 1 }],
    attempt: options.attempt ?? 1,
    task,
  };
}

/** The state after RunDbt's Catch: the error under `taskError`. */
export function taskErrorState(taskError: CaughtError, options: StateOptions = {}): RunState {
  return {
    run: options.run ?? preparedRun(),
    capacity: [{ CapacityProvider: 'FARGATE', Weight: 1 }],
    attempt: options.attempt ?? 1,
    taskError,
  };
}

export function evaluateEvent(
  state: RunState,
  executionInput: unknown = { job: 'nightly' },
  executionName = RUN_ID,
): EvaluationInput {
  return { state, executionName, executionInput };
}
