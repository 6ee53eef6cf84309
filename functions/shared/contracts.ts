// The data that travels through the state machine (state-machines/dbt-run.asl.yml) and the
// files it reads, as types. Each Lambda validates what it receives from outside (the ECS
// task, summary.json) before trusting it; what the state machine passes between our own
// Lambdas is trusted as typed here.
import type { RunCost } from './cost.ts';
import type { RunSpec } from './run-input.ts';
import type { SlowModel } from './slow-models.ts';

export const VERDICTS = [
  'SUCCEEDED',
  'DBT_FAILED',
  'DBT_ERROR',
  'NOTHING_SELECTED',
  'CONFIG_ERROR',
  'ARTIFACTS_LOST',
  'OUT_OF_MEMORY',
  'INFRA_RETRYABLE',
  'INFRA_FAILED',
  'TIMED_OUT',
  'CANCELLED',
  'SKIPPED_OVERLAP',
  'INVALID_INPUT',
] as const;
export type Verdict = (typeof VERDICTS)[number];

/**
 * Attempts one execution makes: the first, and one more on on-demand Fargate after a
 * retryable infrastructure failure (docs/design.md). Evaluate decides the retry from it and
 * Prepare sizes the overlap lock's lifetime by it, so it is one constant, not a setting.
 */
export const MAX_ATTEMPTS = 2;

/** How the execution was started, for alerts and history. */
export type Trigger = 'schedule' | 'console' | 'cli' | 'airflow';

export interface CapacityProviderItem {
  CapacityProvider: 'FARGATE' | 'FARGATE_SPOT';
  Weight: number;
  Base?: number;
}

/** The overlap lock this execution holds (absent when it holds none). */
export interface RunLock {
  table: string;
  key: string;
}

/** Prepare's output, under `$.run`. */
export interface PreparedRun {
  runId: string;
  job: string;
  stage: string;
  trigger: Trigger;
  spec: RunSpec;
  timeoutSeconds: number;
  startedAt: string;
  /** `StartedBy` of the ECS task: at most 36 characters. */
  startedBy: string;
  /** This run's own folder, `<ARTIFACTS_URI>/runs/<runId>/`; each attempt stores in `attempt-<N>/`. */
  artifactsUri: string;
  notifyOnStart: boolean;
  lock?: RunLock;
  /**
   * The container's RUN_SPEC: `spec` as compact JSON, size-checked. RunDbt builds the task's
   * overrides from it (dbt-run.asl.yml), adding RUN_ID, RUN_ATTEMPT and RUN_ATTEMPT_STARTED_AT.
   */
  runSpec: string;
}

/** Prepare's whole output: the state the rest of the machine starts from. */
export interface PreparedState {
  run: PreparedRun;
  capacity: CapacityProviderItem[];
  attempt: number;
}

/** The fields of the .sync result (ECS DescribeTasks' Task) that serverless-dbt reads. */
export interface TaskResult {
  TaskArn?: string;
  LastStatus?: string;
  StopCode?: string;
  StoppedReason?: string;
  /** When Fargate began pulling the image: where its billing starts. */
  PullStartedAt?: string | number;
  StartedAt?: string | number;
  StoppedAt?: string | number;
  /** FARGATE or FARGATE_SPOT: what this task ran on, for its cost. */
  CapacityProviderName?: string;
  /** The task's CPU units and memory MiB, as text (ECS writes `"1024"`). */
  Cpu?: string;
  Memory?: string;
  Containers?: Array<{
    Name?: string;
    ExitCode?: number;
    Reason?: string;
    LastStatus?: string;
    RuntimeId?: string;
  }>;
}

/** An error caught by a Catch: `Cause` is JSON for task failures, plain text for API errors. */
export interface CaughtError {
  Error: string;
  Cause?: string;
}

/** What the state holds when Evaluate runs. */
export interface RunState extends Partial<PreparedState> {
  task?: TaskResult;
  taskError?: CaughtError;
  previousAttempt?: Evaluation;
  /** Present when Prepare failed: the state is then just the caught error. */
  Error?: string;
  Cause?: string;
}

/** What the Evaluate state passes: the state and the execution's names, never its input. */
export interface EvaluateEvent {
  state: RunState;
  executionName: string;
  /** `$$.Execution.Id`: where Evaluate reads the input when Prepare built no run. */
  executionArn?: string;
}

export type StatusCounts = Record<
  'success' | 'pass' | 'error' | 'fail' | 'warn' | 'skipped',
  number
> &
  Record<string, number>;

export interface NodeOutcome {
  uniqueId: string;
  resourceType: string;
  status: string;
  message: string | null;
}

/** The execution's output, and what the CLI, alerts and Airflow read. */
export interface RunOutcome {
  runId: string;
  job: string;
  verdict: Verdict;
  reason: string;
  hint: string | null;
  exitCode: number | null;
  counts: StatusCounts | null;
  /** The judged attempt's folder, `<ARTIFACTS_URI>/runs/<runId>/attempt-<N>/`; null without a run. */
  artifactsUri: string | null;
  /**
   * What the run cost at list prices (functions/shared/cost.ts): every attempt's task and the
   * orchestration. Absent when Evaluate itself failed (EvaluateFailed) or had nothing to price.
   */
  cost?: RunCost;
}

/** summary.json's `stateAware`: a state-aware run's comparison, in the container's words. */
export interface StateAwareOutcome {
  /** The job's last successful run it compared with; null when there was none to compare with. */
  comparedWith: string | null;
  /** The project's enabled models. */
  models: number;
  built: number;
  deferred: number;
  /** One sentence: what changed since which run, or why everything was built. */
  reason: string;
}

/** Evaluate's output, under `$.evaluation`. */
export interface Evaluation {
  verdict: Verdict;
  retryable: boolean;
  reason: string;
  hint: string | null;
  exitCode: number | null;
  stopCode: string | null;
  stoppedReason: string | null;
  attempt: number;
  /** Whether the state machine makes another attempt (retryable and attempts left). */
  retry: boolean;
  nextAttempt: number;
  /** The task's id, for the CloudWatch log stream link. */
  taskId: string | null;
  /** From summary.json when the container wrote one; nodes cut to keep the state small. */
  summary: {
    counts: StatusCounts;
    nodes: NodeOutcome[];
    nodesOmitted: number;
    freshness: { status: string; sources: Array<{ uniqueId: string; status: string }> };
    error: string | null;
    /** Only for a run that was stopped (SIGTERM or its deadline): the nodes running then. */
    runningNodes?: string[];
    /**
     * Only when nodes were skipped because others failed: those skipped nodes, counted per
     * failure instead of listed in `nodes` (functions/shared/skipped-downstream.ts).
     */
    skippedDownstream?: Array<{ of: string[]; count: number }>;
    /**
     * Only when the container compared the run with the job's earlier successful runs: the
     * models slower than usual (functions/shared/slow-models.ts), slowest beyond usual first.
     */
    slowModels?: SlowModel[];
    /**
     * Only for a state-aware run (`only: changed`): what it compared with, and how many of the
     * project's models it built and deferred (docs/run-input.md, "State-aware runs").
     */
    stateAware?: StateAwareOutcome;
  } | null;
  output: RunOutcome;
  /** As `output.cost`: the run's cost so far, read by the next attempt's evaluation. */
  cost?: RunCost;
}

export interface NotifyEvent {
  event: 'started' | 'finished';
  state: RunState & { evaluation?: Evaluation };
  executionArn: string;
  executionStartTime: string;
}
