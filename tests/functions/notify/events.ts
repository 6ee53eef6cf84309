// Notify's events as the state machine sends them (Parameters of AnnounceStart and Notify),
// for a dev stage.
import type { MessageContext } from '../../../functions/notify/message.ts';
import type {
  Evaluation,
  NodeOutcome,
  NotifyEvent,
  PreparedRun,
  RunOutcome,
  StatusCounts,
  Verdict,
} from '../../../functions/shared/contracts.ts';

export const REGION = 'eu-west-1';
export const EXECUTION_NAME = 'nightly-2026-03-02';
export const EXECUTION_ARN = `arn:aws:states:${REGION}:123456789012:execution:serverless-dbt-dev-dbt-run:${EXECUTION_NAME}`;
export const STARTED_AT = '2026-03-02T05:00:00.000Z';
/** Eleven minutes and seven seconds after the start. */
export const NOW = new Date('2026-03-02T05:11:07.000Z');
export const TASK_ID = '4f1c2d3e4b5a69788796a5b4c3d2e1f0';
export const ARTIFACTS_URI = `s3://serverless-dbt-dev-artifacts/dbt/runs/${EXECUTION_NAME}/`;
/** The folder of the attempt Evaluate judged, as its outcome names it. */
export const ATTEMPT_ARTIFACTS_URI = `${ARTIFACTS_URI}attempt-1/`;

export const RUN: PreparedRun = {
  runId: EXECUTION_NAME,
  job: 'nightly',
  stage: 'dev',
  trigger: 'schedule',
  spec: {
    job: 'nightly',
    command: 'build',
    select: 'tag:daily',
    fullRefresh: false,
    freshness: 'warn',
    docs: true,
    allowEmpty: false,
    failFast: false,
    warnError: false,
  },
  timeoutSeconds: 3600,
  startedAt: STARTED_AT,
  startedBy: 'serverless-dbt',
  artifactsUri: ARTIFACTS_URI,
  notifyOnStart: true,
  lock: { table: 'serverless-dbt-dev-locks', key: 'serverless-dbt-dev-dbt-run' },
  runSpec:
    '{"job":"nightly","command":"build","select":"tag:daily","fullRefresh":false,"freshness":"warn","docs":true}',
};

export const COUNTS: StatusCounts = {
  success: 12,
  pass: 30,
  error: 1,
  fail: 2,
  warn: 0,
  skipped: 1,
};

export function outcome(verdict: Verdict, fields: Partial<RunOutcome> = {}): RunOutcome {
  return {
    runId: EXECUTION_NAME,
    job: 'nightly',
    verdict,
    reason: 'dbt finished',
    hint: null,
    exitCode: 0,
    counts: null,
    artifactsUri: ATTEMPT_ARTIFACTS_URI,
    ...fields,
  };
}

export function evaluation(verdict: Verdict, fields: Partial<Evaluation> = {}): Evaluation {
  const reason = fields.reason ?? 'dbt finished';
  const hint = fields.hint ?? null;
  return {
    verdict,
    retryable: false,
    reason,
    hint,
    exitCode: 0,
    stopCode: 'EssentialContainerExited',
    stoppedReason: 'Essential container in task exited',
    attempt: 1,
    retry: false,
    nextAttempt: 0,
    taskId: TASK_ID,
    summary: null,
    output: outcome(verdict, { reason, hint }),
    ...fields,
  };
}

export function node(index: number, fields: Partial<NodeOutcome> = {}): NodeOutcome {
  return {
    uniqueId: `model.shop.model_${String(index).padStart(4, '0')}`,
    resourceType: 'model',
    status: 'error',
    message: `Database Error in model model_${index}: relation "raw.orders_${index}" does not exist`,
    ...fields,
  };
}

export function summary(
  nodes: NodeOutcome[],
  nodesOmitted = 0,
): NonNullable<Evaluation['summary']> {
  return {
    counts: COUNTS,
    nodes,
    nodesOmitted,
    freshness: { status: 'pass', sources: [] },
    error: null,
  };
}

export function finished(evaluationValue: Evaluation | undefined, withRun = true): NotifyEvent {
  return {
    event: 'finished',
    state: {
      ...(withRun && {
        run: RUN,
        capacity: [{ CapacityProvider: 'FARGATE', Weight: 1 }],
        attempt: evaluationValue?.attempt ?? 1,
        task: { TaskArn: `arn:aws:ecs:${REGION}:123456789012:task/serverless-dbt-dev/${TASK_ID}` },
      }),
      ...(evaluationValue && { evaluation: evaluationValue }),
    },
    executionArn: EXECUTION_ARN,
    executionStartTime: STARTED_AT,
  };
}

export function started(): NotifyEvent {
  return {
    event: 'started',
    state: { run: RUN, capacity: [{ CapacityProvider: 'FARGATE', Weight: 1 }], attempt: 1 },
    executionArn: EXECUTION_ARN,
    executionStartTime: STARTED_AT,
  };
}

export const SUCCEEDED = finished(
  evaluation('SUCCEEDED', {
    reason: 'dbt build finished: every node succeeded',
    summary: { ...summary([]), counts: { ...COUNTS, error: 0, fail: 0, skipped: 0 } },
  }),
);

export const DBT_FAILED = finished(
  evaluation('DBT_FAILED', {
    reason: 'dbt reported failures (exit code 1): 1 error, 2 failing tests.',
    exitCode: 1,
    summary: summary([
      node(1, { status: 'skipped', message: null, uniqueId: 'model.shop.orders_daily' }),
      node(2, {
        uniqueId: 'test.shop.not_null_orders_id',
        resourceType: 'test',
        status: 'fail',
        message: 'Got 3 results, configured to fail if != 0',
      }),
      node(3, { uniqueId: 'model.shop.orders', message: 'relation "raw.orders" does not exist' }),
    ]),
  }),
);

export const OUT_OF_MEMORY = finished(
  evaluation('OUT_OF_MEMORY', {
    reason: 'The dbt container ran out of memory and was killed.',
    hint: 'Raise the task memory, now 1024 MiB (param taskMemory).',
    exitCode: 137,
    stopCode: 'EssentialContainerExited',
    stoppedReason: 'OutOfMemoryError: Container killed due to memory usage',
  }),
);

/** Prepare refused the input: the state has no run, only the caught error and the verdict. */
export const INVALID_INPUT: NotifyEvent = {
  event: 'finished',
  state: {
    Error: 'InvalidRunInput',
    Cause: "select: contains ';', which is not allowed in a selector",
    evaluation: {
      ...evaluation('INVALID_INPUT', {
        reason:
          "The run input is invalid: select: contains ';', which is not allowed in a selector",
        hint: 'Fix the run input; see docs/run-input.md.',
        exitCode: null,
        stopCode: null,
        stoppedReason: null,
        taskId: null,
      }),
      output: outcome('INVALID_INPUT', {
        job: 'hourly',
        runId: EXECUTION_NAME,
        reason:
          "The run input is invalid: select: contains ';', which is not allowed in a selector",
        exitCode: null,
        artifactsUri: null,
      }),
    },
  },
  executionArn: EXECUTION_ARN,
  executionStartTime: STARTED_AT,
};

/** Where a dev stage's message points: its region, log group and runbook. */
export const MESSAGE_CONTEXT: MessageContext = {
  stage: 'dev',
  region: REGION,
  logGroup: '/ecs/serverless-dbt-dev',
  logStreamPrefix: 'dbt',
  containerName: 'dbt',
  docsUrl: 'https://wiki.example.com/dbt/runbook',
  now: NOW,
};
