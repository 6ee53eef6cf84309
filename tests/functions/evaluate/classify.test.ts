// Evaluate's classifier over every way a run can end, with tasks and errors of the shapes
// Step Functions really hands over (tasks.ts).
import {
  causeMessage,
  configCause,
  judge,
  placeOf,
  runnerHint,
} from '../../../functions/evaluate/classify.ts';
import { buildEvaluation } from '../../../functions/evaluate/evaluate.ts';
import type {
  Evaluation,
  PreparedRun,
  RunState,
  Verdict,
} from '../../../functions/shared/contracts.ts';
import {
  evaluateEvent,
  preparedRun,
  RUN_ID,
  SETTINGS,
  taskErrorState,
  taskState,
} from './events.ts';
import {
  ECS_API_CAUSES,
  ecsApiError,
  failedToStartTask,
  prepareFailed,
  REASONS,
  RUN_TASK_FAILURE_CAUSES,
  stoppedTask,
  TASK_ID,
  taskArnOf,
  taskFailed,
} from './tasks.ts';

function evaluate(state: unknown, settings = SETTINGS): Evaluation {
  const event = evaluateEvent(state as RunState);
  return buildEvaluation(event, settings, judge(state, settings), null);
}

interface Expected {
  verdict: Verdict;
  reason?: RegExp;
  hint?: RegExp | null;
  exitCode?: number | null;
  stopCode?: string | null;
  taskId?: string | null;
}

type Row = [string, unknown, Expected];

const PREPARE_FAILURES: Row[] = [
  [
    'InvalidRunInput → INVALID_INPUT, quoting the field from the Lambda error message',
    prepareFailed('InvalidRunInput', "select: contains ';', which is not allowed in a selector"),
    {
      verdict: 'INVALID_INPUT',
      reason:
        /^The run input is invalid: select: contains ';', which is not allowed in a selector\.$/,
      hint: /docs\/run-input\.md/,
    },
  ],
  [
    'InvalidRunInput with a plain-text cause → INVALID_INPUT with that text',
    { Error: 'InvalidRunInput', Cause: 'timeoutSeconds: must be at most 86400' },
    { verdict: 'INVALID_INPUT', reason: /timeoutSeconds: must be at most 86400\.$/ },
  ],
  [
    'InvalidRunInput with no cause → INVALID_INPUT saying Prepare gave no details',
    { Error: 'InvalidRunInput' },
    { verdict: 'INVALID_INPUT', reason: /Prepare gave no details/ },
  ],
  [
    'RunAlreadyInProgress → SKIPPED_OVERLAP, naming the holder and the lock',
    prepareFailed(
      'RunAlreadyInProgress',
      "execution run-first (job nightly) holds the overlap lock 'm#group#warehouse' until 2026-03-02T07:20:00.000Z",
    ),
    {
      verdict: 'SKIPPED_OVERLAP',
      reason:
        /^Another run holds this job's overlap lock, so this one did not start: execution run-first \(job nightly\) holds the overlap lock 'm#group#warehouse'/,
      hint: /less often.*lockGroup/,
    },
  ],
  [
    'ConfigurationError → CONFIG_ERROR, naming the setting',
    prepareFailed('ConfigurationError', 'LOCK_TABLE: not set'),
    { verdict: 'CONFIG_ERROR', reason: /misconfigured.*LOCK_TABLE: not set\./, hint: /setting/ },
  ],
  [
    'Lambda.Unknown (a crash, plain text) → INFRA_FAILED',
    {
      Error: 'Lambda.Unknown',
      Cause: 'The cause could not be determined because Lambda did not return an error type.',
    },
    { verdict: 'INFRA_FAILED', reason: /^Prepare failed with Lambda\.Unknown, so no task/ },
  ],
  [
    'Prepare timing out (States.Timeout, empty cause) → INFRA_FAILED, not TIMED_OUT',
    { Error: 'States.Timeout', Cause: '' },
    { verdict: 'INFRA_FAILED', reason: /States\.Timeout.*cause could not be read/ },
  ],
  [
    'Lambda.ServiceException with a garbage cause → INFRA_FAILED saying the cause is unreadable',
    { Error: 'Lambda.ServiceException', Cause: '{"errorType": 42, "trace": [' },
    { verdict: 'INFRA_FAILED', reason: /Lambda\.ServiceException/ },
  ],
  [
    'a Lambda error whose JSON cause holds no message → INFRA_FAILED, cause unreadable',
    { Error: 'Lambda.AWSLambdaException', Cause: '{"errorType":"Oops"}' },
    { verdict: 'INFRA_FAILED', reason: /cause could not be read/ },
  ],
];

const TASK_ENDINGS: Row[] = [
  [
    'exit 0 → SUCCEEDED',
    stoppedTask({ exitCode: 0 }),
    { verdict: 'SUCCEEDED', exitCode: 0, stopCode: 'EssentialContainerExited', hint: null },
  ],
  [
    'exit 0 with a sidecar that exited 1 → SUCCEEDED (the sidecar is ignored)',
    stoppedTask({ exitCode: 0, sidecar: { exitCode: 1, reason: 'fluent-bit crashed' } }),
    { verdict: 'SUCCEEDED', exitCode: 0 },
  ],
  [
    'exit 0 with no stop code → SUCCEEDED',
    stoppedTask({ exitCode: 0, stopCode: null, stoppedReason: null }),
    { verdict: 'SUCCEEDED', stopCode: null },
  ],
  [
    'exit 1 → DBT_FAILED with a retry hint',
    stoppedTask({ exitCode: 1 }),
    { verdict: 'DBT_FAILED', exitCode: 1, reason: /exit 1/, hint: /retryOf/ },
  ],
  [
    'exit 2 with a sidecar that exited 0 → DBT_ERROR (the dbt container decides)',
    stoppedTask({ exitCode: 2, sidecar: true }),
    { verdict: 'DBT_ERROR', exitCode: 2, hint: /dbt\.log/ },
  ],
  [
    'exit 3 → CONFIG_ERROR',
    stoppedTask({ exitCode: 3 }),
    { verdict: 'CONFIG_ERROR', exitCode: 3, hint: /CREDENTIALS_SOURCE/ },
  ],
  [
    'exit 4 → ARTIFACTS_LOST',
    stoppedTask({ exitCode: 4 }),
    { verdict: 'ARTIFACTS_LOST', exitCode: 4, hint: /artifacts bucket/ },
  ],
  [
    'exit 5 → INFRA_RETRYABLE: AWS could not be reached from the task, with the network hint',
    stoppedTask({ exitCode: 5 }),
    {
      verdict: 'INFRA_RETRYABLE',
      exitCode: 5,
      reason:
        /^The dbt container could not reach AWS from the task \(exit 5\): Secrets Manager, Glue or S3/,
      hint: /^Attempt 2 of 2 follows on on-demand Fargate\. Check that the task's subnets reach Secrets Manager, Glue and S3 .*NAT gateway, VPC endpoints/,
    },
  ],
  [
    'exit 6 → TIMED_OUT: the container stopped dbt at the run’s own deadline, naming the limit',
    stoppedTask({ exitCode: 6 }),
    {
      verdict: 'TIMED_OUT',
      exitCode: 6,
      reason: /^dbt was stopped at its 3600 s limit \(exit 6\)\.$/,
      hint: /^Raise timeoutSeconds \(now 3600 s\)/,
    },
  ],
  [
    'exit 7 → NOTHING_SELECTED: the selection matched no node, not retryable',
    stoppedTask({ exitCode: 7 }),
    {
      verdict: 'NOTHING_SELECTED',
      exitCode: 7,
      reason: /^The run's selection matched no node, so dbt ran nothing \(exit 7\)\.$/,
      hint: /allowEmpty: true/,
    },
  ],
  [
    'exit 137 without an out-of-memory reason → INFRA_FAILED (killed, not a Spot event)',
    stoppedTask({ exitCode: 137 }),
    { verdict: 'INFRA_FAILED', exitCode: 137, reason: /SIGKILL/, hint: /4096 MiB/ },
  ],
  [
    'exit 143 → INFRA_FAILED (SIGTERM)',
    stoppedTask({ exitCode: 143, sidecar: { exitCode: 1 } }),
    { verdict: 'INFRA_FAILED', exitCode: 143, reason: /SIGTERM/ },
  ],
  [
    'an exit code the runner never uses → INFRA_FAILED naming it',
    stoppedTask({ exitCode: 255 }),
    { verdict: 'INFRA_FAILED', exitCode: 255, reason: /code 255/ },
  ],
  [
    'no exit code under EssentialContainerExited → INFRA_FAILED, never success',
    stoppedTask({ exitCode: null }),
    { verdict: 'INFRA_FAILED', exitCode: null, reason: /no exit code/ },
  ],
  [
    'no dbt exit code while the sidecar exited 0 → INFRA_FAILED (the sidecar’s 0 does not count)',
    stoppedTask({ exitCode: null, sidecar: { exitCode: 0 } }),
    { verdict: 'INFRA_FAILED', exitCode: null },
  ],
  [
    'an exit code of the wrong type ("0") → treated as missing: INFRA_FAILED',
    {
      ...stoppedTask(),
      Containers: [{ Name: 'dbt', ExitCode: '0', LastStatus: 'STOPPED' }],
    },
    { verdict: 'INFRA_FAILED', exitCode: null },
  ],
  [
    'no container named dbt → INFRA_FAILED naming the containers and DBT_CONTAINER_NAME',
    stoppedTask({ exitCode: 0, containerName: 'app' }),
    {
      verdict: 'INFRA_FAILED',
      reason: /no container named dbt \(it has app\)/,
      hint: /DBT_CONTAINER_NAME/,
    },
  ],
  [
    'UserInitiated with exit 0 → CANCELLED',
    stoppedTask({ exitCode: 0, stopCode: 'UserInitiated', stoppedReason: REASONS.userStopped }),
    {
      verdict: 'CANCELLED',
      reason: /UserInitiated\): Task stopped by user\./,
      stopCode: 'UserInitiated',
    },
  ],
  [
    'UserInitiated with exit 137 and an out-of-memory reason → CANCELLED (whatever the exit)',
    stoppedTask({
      exitCode: 137,
      stopCode: 'UserInitiated',
      stoppedReason: REASONS.userStopped,
      containerReason: REASONS.outOfMemory,
    }),
    { verdict: 'CANCELLED', exitCode: 137 },
  ],
  [
    'OutOfMemoryError on the dbt container with exit 137 → OUT_OF_MEMORY with the memory in the hint',
    stoppedTask({ exitCode: 137, containerReason: REASONS.outOfMemory }),
    {
      verdict: 'OUT_OF_MEMORY',
      exitCode: 137,
      reason:
        /ran out of memory \(exit 137\): OutOfMemoryError: Container killed due to memory usage\./,
      hint: /^Raise the task memory \(now 4096 MiB\)/,
    },
  ],
  [
    'an out-of-memory reason in lower case → OUT_OF_MEMORY',
    stoppedTask({ exitCode: 137, containerReason: 'outofmemoryerror: container killed' }),
    { verdict: 'OUT_OF_MEMORY' },
  ],
  [
    'an out-of-memory stopped reason in capitals, no exit code → OUT_OF_MEMORY',
    stoppedTask({ exitCode: null, stoppedReason: 'OUTOFMEMORYERROR: TASK KILLED' }),
    { verdict: 'OUT_OF_MEMORY', exitCode: null },
  ],
  [
    'a sidecar out of memory while dbt exited 0 → SUCCEEDED (only the dbt container counts)',
    stoppedTask({ exitCode: 0, sidecar: { exitCode: 137, reason: REASONS.outOfMemory } }),
    { verdict: 'SUCCEEDED' },
  ],
  [
    'SpotInterruption → INFRA_RETRYABLE',
    stoppedTask({ exitCode: 143, stopCode: 'SpotInterruption', stoppedReason: REASONS.spot }),
    { verdict: 'INFRA_RETRYABLE', reason: /Spot/, hint: /on-demand/, exitCode: 143 },
  ],
  [
    'SpotInterruption even after dbt exited 1 on SIGTERM → INFRA_RETRYABLE',
    stoppedTask({ exitCode: 1, stopCode: 'SpotInterruption', stoppedReason: REASONS.spot }),
    { verdict: 'INFRA_RETRYABLE' },
  ],
  [
    'TerminationNotice → INFRA_RETRYABLE',
    stoppedTask({
      exitCode: 143,
      stopCode: 'TerminationNotice',
      stoppedReason: REASONS.terminationNotice,
    }),
    { verdict: 'INFRA_RETRYABLE', reason: /TerminationNotice/ },
  ],
  [
    'ServiceSchedulerInitiated → INFRA_RETRYABLE',
    stoppedTask({
      exitCode: null,
      stopCode: 'ServiceSchedulerInitiated',
      stoppedReason: REASONS.schedulerStopped,
    }),
    { verdict: 'INFRA_RETRYABLE', reason: /ServiceSchedulerInitiated/ },
  ],
  [
    'InfrastructureHealth → INFRA_RETRYABLE (the host failed, another attempt runs elsewhere)',
    stoppedTask({
      exitCode: null,
      stopCode: 'InfrastructureHealth',
      stoppedReason: 'Task stopped due to an unhealthy host',
    }),
    { verdict: 'INFRA_RETRYABLE', reason: /InfrastructureHealth/ },
  ],
  [
    'SpotInterruption after dbt already exited 0 → SUCCEEDED (the notice took nothing away)',
    stoppedTask({ exitCode: 0, stopCode: 'SpotInterruption', stoppedReason: REASONS.spot }),
    { verdict: 'SUCCEEDED', exitCode: 0 },
  ],
  [
    'TerminationNotice after dbt already exited 0 → SUCCEEDED',
    stoppedTask({
      exitCode: 0,
      stopCode: 'TerminationNotice',
      stoppedReason: REASONS.terminationNotice,
    }),
    { verdict: 'SUCCEEDED' },
  ],
  [
    'CannotStartContainerError → INFRA_RETRYABLE (the container runtime, not the project)',
    stoppedTask({
      exitCode: null,
      stopCode: 'TaskFailedToStart',
      stoppedReason:
        'CannotStartContainerError: failed to create task for container: failed to create shim task',
      started: false,
    }),
    { verdict: 'INFRA_RETRYABLE', reason: /container runtime could not start/ },
  ],
  [
    'ContainerRuntimeTimeoutError, even without a stop code → INFRA_RETRYABLE',
    stoppedTask({
      exitCode: null,
      stopCode: null,
      stoppedReason:
        'ContainerRuntimeTimeoutError: Could not transition to running; timed out after waiting 3m',
      started: false,
    }),
    { verdict: 'INFRA_RETRYABLE', reason: /ContainerRuntimeTimeoutError/ },
  ],
  [
    'an unknown stop code → INFRA_FAILED naming the code',
    stoppedTask({ exitCode: 0, stopCode: 'TaskPlacementRebalanced', stoppedReason: 'moved' }),
    { verdict: 'INFRA_FAILED', reason: /stop code TaskPlacementRebalanced.*: moved\./ },
  ],
];

const START_FAILURES: Row[] = [
  [
    'CannotPullContainerError "not found" → INFRA_FAILED, push the image',
    failedToStartTask(REASONS.imageNotFound),
    {
      verdict: 'INFRA_FAILED',
      reason: /image was not found/,
      hint: /Push the image.*tag/,
      stopCode: 'TaskFailedToStart',
      exitCode: null,
    },
  ],
  [
    'CannotPullContainerError "manifest unknown" → INFRA_FAILED',
    failedToStartTask(REASONS.manifestUnknown),
    { verdict: 'INFRA_FAILED', hint: /Push the image/ },
  ],
  [
    'CannotPullContainerError "repository does not exist" → INFRA_FAILED',
    failedToStartTask(REASONS.repositoryMissing),
    { verdict: 'INFRA_FAILED', hint: /Push the image/ },
  ],
  [
    'CannotPullContainerError toomanyrequests (rate limit) → INFRA_RETRYABLE',
    failedToStartTask(REASONS.pullRateLimit),
    { verdict: 'INFRA_RETRYABLE', reason: /rate limit or network/ },
  ],
  [
    'CannotPullContainerError i/o timeout (network) → INFRA_RETRYABLE',
    failedToStartTask(REASONS.pullTimeout),
    { verdict: 'INFRA_RETRYABLE', hint: /NAT gateway or VPC endpoints/ },
  ],
  [
    'CannotPullContainerError of another kind → INFRA_FAILED',
    failedToStartTask(REASONS.pullUnknown),
    { verdict: 'INFRA_FAILED', reason: /could not pull its image: CannotPullContainerError/ },
  ],
  [
    'ResourceInitializationError AccessDenied on the secret → INFRA_FAILED, execution role hint',
    failedToStartTask(REASONS.secretAccessDenied),
    {
      verdict: 'INFRA_FAILED',
      reason: /a secret could not be read/,
      hint: /secret ARNs.*execution role/,
    },
  ],
  [
    'ResourceInitializationError ResourceNotFoundException (no such secret) → INFRA_FAILED',
    failedToStartTask(REASONS.secretNotFound),
    { verdict: 'INFRA_FAILED', hint: /secret ARNs/ },
  ],
  [
    'ResourceInitializationError i/o timeout fetching the secret (network) → INFRA_RETRYABLE',
    failedToStartTask(REASONS.secretNetwork),
    { verdict: 'INFRA_RETRYABLE', reason: /\(network\)/, hint: /Secrets Manager/ },
  ],
  [
    'ResourceInitializationError context deadline exceeded (registry auth) → INFRA_RETRYABLE',
    failedToStartTask(REASONS.registryAuthDeadline),
    { verdict: 'INFRA_RETRYABLE' },
  ],
  [
    'ResourceInitializationError AccessDenied on the log stream → INFRA_FAILED, execution role hint',
    failedToStartTask(REASONS.logGroupDenied),
    { verdict: 'INFRA_FAILED', reason: /refused one of its resources/, hint: /log group/ },
  ],
  [
    'ResourceInitializationError of another kind → INFRA_FAILED',
    failedToStartTask(REASONS.resourceInitUnknown),
    { verdict: 'INFRA_FAILED', reason: /could not initialise its resources/ },
  ],
  [
    'ENI provisioning timeout → INFRA_RETRYABLE',
    failedToStartTask(REASONS.eniTimeout),
    { verdict: 'INFRA_RETRYABLE', reason: /network interface/, hint: /IP addresses/ },
  ],
  [
    'TaskFailedToStart for an unknown reason → INFRA_FAILED',
    failedToStartTask(REASONS.startUnknown),
    {
      verdict: 'INFRA_FAILED',
      reason: /^The task failed to start: Task failed to start: an internal error occurred/,
    },
  ],
  [
    'TaskFailedToStart with no reason at all → INFRA_FAILED saying ECS gave none',
    stoppedTask({
      exitCode: null,
      stopCode: 'TaskFailedToStart',
      stoppedReason: null,
      started: false,
    }),
    { verdict: 'INFRA_FAILED', reason: /ECS gave no reason/ },
  ],
  [
    'a pull failure with no stop code and no exit code → judged as a start failure',
    stoppedTask({ exitCode: null, stopCode: null, stoppedReason: REASONS.pullRateLimit }),
    { verdict: 'INFRA_RETRYABLE', stopCode: null },
  ],
];

const CAUGHT_ERRORS: Row[] = [
  [
    'States.TaskFailed with the task as JSON (exit 1) → DBT_FAILED, with the task id',
    taskErrorState(taskFailed(stoppedTask({ exitCode: 1 }))),
    { verdict: 'DBT_FAILED', exitCode: 1, taskId: TASK_ID },
  ],
  [
    'States.TaskFailed with an out-of-memory task → OUT_OF_MEMORY',
    taskErrorState(
      taskFailed(stoppedTask({ exitCode: 137, containerReason: REASONS.outOfMemory })),
    ),
    { verdict: 'OUT_OF_MEMORY' },
  ],
  [
    'States.TaskFailed with a task that failed to start (image not found) → INFRA_FAILED',
    taskErrorState(taskFailed(failedToStartTask(REASONS.imageNotFound))),
    { verdict: 'INFRA_FAILED', hint: /Push the image/ },
  ],
  [
    'States.TaskFailed with a Spot-interrupted task → INFRA_RETRYABLE',
    taskErrorState(
      taskFailed(
        stoppedTask({ exitCode: 143, stopCode: 'SpotInterruption', stoppedReason: REASONS.spot }),
      ),
    ),
    { verdict: 'INFRA_RETRYABLE' },
  ],
  [
    'States.TaskFailed with a camelCase task (as the ECS API spells it) → read the same',
    taskErrorState({
      Error: 'States.TaskFailed',
      Cause: JSON.stringify({
        taskArn: taskArnOf(),
        lastStatus: 'STOPPED',
        stopCode: 'EssentialContainerExited',
        containers: [{ name: 'dbt', exitCode: 2, lastStatus: 'STOPPED' }],
      }),
    }),
    { verdict: 'DBT_ERROR', exitCode: 2, taskId: TASK_ID },
  ],
  [
    'States.Timeout → TIMED_OUT with the limit in the hint',
    taskErrorState({ Error: 'States.Timeout', Cause: '' }),
    {
      verdict: 'TIMED_OUT',
      reason: /time limit of 3600 s/,
      hint: /^Raise timeoutSeconds \(now 3600 s\)/,
      exitCode: null,
      taskId: null,
    },
  ],
  [
    'ECS throttling (plain-text cause) → INFRA_RETRYABLE',
    taskErrorState(ecsApiError(ECS_API_CAUSES.throttled)),
    {
      verdict: 'INFRA_RETRYABLE',
      reason:
        /^ECS could not start the task for now \(ECS\.AmazonECSException, throttling or capacity\): Rate exceeded/,
    },
  ],
  [
    'ECS with no capacity → INFRA_RETRYABLE',
    taskErrorState(ecsApiError(ECS_API_CAUSES.noCapacity)),
    { verdict: 'INFRA_RETRYABLE', reason: /No Container Instances/ },
  ],
  [
    'ECS.ServerException (service unavailable) → INFRA_RETRYABLE',
    taskErrorState(ecsApiError(ECS_API_CAUSES.serviceUnavailable, 'ECS.ServerException')),
    { verdict: 'INFRA_RETRYABLE', reason: /service error/ },
  ],
  [
    'ECS access denied (iam:PassRole) → INFRA_FAILED, role hint',
    taskErrorState(ecsApiError(ECS_API_CAUSES.passRoleDenied, 'ECS.AccessDeniedException')),
    { verdict: 'INFRA_FAILED', reason: /refused/, hint: /iam:PassRole/ },
  ],
  [
    'ECS invalid parameter (a missing subnet) → INFRA_FAILED',
    taskErrorState(ecsApiError(ECS_API_CAUSES.invalidSubnet, 'ECS.InvalidParameterException')),
    { verdict: 'INFRA_FAILED', reason: /rejected the task's parameters/, hint: /subnets/ },
  ],
  [
    'ECS ClientException (inactive task definition) → INFRA_FAILED',
    taskErrorState(ecsApiError(ECS_API_CAUSES.inactiveTaskDefinition)),
    { verdict: 'INFRA_FAILED', reason: /TaskDefinition is inactive/ },
  ],
  [
    'an ECS error of another kind → INFRA_FAILED',
    taskErrorState(ecsApiError('Something unexpected happened', 'ECS.SomethingNewException')),
    {
      verdict: 'INFRA_FAILED',
      reason: /ECS\.SomethingNewException: Something unexpected happened\./,
    },
  ],
  [
    'States.Permissions → INFRA_FAILED, state machine role hint',
    taskErrorState({
      Error: 'States.Permissions',
      Cause: 'The state machine is not authorized to perform ecs:RunTask.',
    }),
    { verdict: 'INFRA_FAILED', reason: /States\.Permissions/, hint: /ecs:RunTask/ },
  ],
  [
    'States.TaskFailed with a plain-text cause → INFRA_FAILED quoting it',
    taskErrorState({ Error: 'States.TaskFailed', Cause: 'Task failed for an unknown reason' }),
    { verdict: 'INFRA_FAILED', reason: /Task failed for an unknown reason/ },
  ],
  [
    'States.TaskFailed with a truncated JSON cause → INFRA_FAILED, never a throw',
    taskErrorState({ Error: 'States.TaskFailed', Cause: '{"TaskArn":"arn:aws:ecs:eu-west-1:1' }),
    { verdict: 'INFRA_FAILED', reason: /cause could not be read/ },
  ],
  [
    'a task JSON cut short with network words in it → INFRA_FAILED, never read as a network error',
    taskErrorState({
      Error: 'States.TaskFailed',
      Cause: JSON.stringify(failedToStartTask(REASONS.eniTimeout)).slice(0, 900),
    }),
    { verdict: 'INFRA_FAILED', reason: /cause could not be read/ },
  ],
  [
    'an empty cause → INFRA_FAILED saying the cause could not be read',
    taskErrorState({ Error: 'ECS.AmazonECSException', Cause: '' }),
    { verdict: 'INFRA_FAILED', reason: /cause could not be read/ },
  ],
  [
    'a binary garbage cause → INFRA_FAILED saying the cause could not be read',
    taskErrorState({ Error: 'States.TaskFailed', Cause: '\u0000\u0001\u0002{[' }),
    { verdict: 'INFRA_FAILED', reason: /cause could not be read/ },
  ],
  [
    'a JSON cause that is neither a task nor a message (a number) → INFRA_FAILED, unreadable',
    taskErrorState({ Error: 'States.TaskFailed', Cause: '42' }),
    { verdict: 'INFRA_FAILED', reason: /cause could not be read/ },
  ],
  [
    'ECS.ThrottlingException with an empty cause → INFRA_RETRYABLE, by its name',
    taskErrorState({ Error: 'ECS.ThrottlingException', Cause: '' }),
    { verdict: 'INFRA_RETRYABLE', reason: /cause could not be read/ },
  ],
  [
    'a missing cause → INFRA_FAILED',
    taskErrorState({ Error: 'States.Runtime' }),
    { verdict: 'INFRA_FAILED', reason: /States\.Runtime/ },
  ],
  [
    'an error with no name → INFRA_FAILED',
    taskErrorState({ Cause: 'x y z' } as never),
    { verdict: 'INFRA_FAILED', reason: /an unnamed error/ },
  ],
];

/**
 * RunTask answered with `Failures` and no task: Step Functions fails the .sync state with
 * AmazonECS.Unknown. The causes' source is in tests/functions/evaluate/tasks.ts.
 */
const runTaskFailed = (cause: string) =>
  taskErrorState({ Error: 'AmazonECS.Unknown', Cause: cause });
const RUN_TASK_FAILURES: Row[] = [
  [
    'RunTask failure: no Fargate capacity now → INFRA_RETRYABLE, quoting the reason and the ARN',
    runTaskFailed(RUN_TASK_FAILURE_CAUSES.fargateCapacity),
    {
      verdict: 'INFRA_RETRYABLE',
      reason:
        /^ECS could not place the task for now \(RunTask failure, AmazonECS\.Unknown\): 'Capacity is unavailable at this time\. .*' for arn:aws:ecs:eu-west-1:123456789012:cluster\/serverless-dbt-dev\.$/,
      hint: /Availability Zones/,
      exitCode: null,
      taskId: null,
    },
  ],
  [
    "RunTask failure: the cluster's memory taken (RESOURCE:MEMORY) → INFRA_RETRYABLE",
    runTaskFailed(RUN_TASK_FAILURE_CAUSES.clusterMemory),
    {
      verdict: 'INFRA_RETRYABLE',
      reason: /'RESOURCE:MEMORY' for arn:aws:ecs:.*container-instance/,
    },
  ],
  [
    'RunTask failure: a disconnected agent (AGENT) → INFRA_RETRYABLE',
    runTaskFailed(RUN_TASK_FAILURE_CAUSES.agentDisconnected),
    { verdict: 'INFRA_RETRYABLE', reason: /'AGENT'/ },
  ],
  [
    'RunTask failure in camelCase (as the ECS API spells it) → read the same',
    runTaskFailed(RUN_TASK_FAILURE_CAUSES.camelCase),
    { verdict: 'INFRA_RETRYABLE', reason: /'Capacity is unavailable at this time\.' for arn:/ },
  ],
  [
    'RunTask failure as plain text → read as its reason',
    runTaskFailed(RUN_TASK_FAILURE_CAUSES.plainText),
    { verdict: 'INFRA_RETRYABLE', reason: /'Capacity is unavailable at this time/ },
  ],
  [
    'RunTask failure: no such cluster (MISSING) → INFRA_FAILED, no other attempt',
    runTaskFailed(RUN_TASK_FAILURE_CAUSES.missingCluster),
    {
      verdict: 'INFRA_FAILED',
      reason:
        /^ECS refused to place the task \(RunTask failure, AmazonECS\.Unknown\): 'MISSING' for arn:aws:ecs:eu-west-1:123456789012:cluster\/serverless-dbt-dev\.$/,
      hint: /API failure reasons/,
    },
  ],
  [
    'RunTask failure: an attribute no capacity offers (ATTRIBUTE) → INFRA_FAILED with its detail',
    runTaskFailed(RUN_TASK_FAILURE_CAUSES.missingAttribute),
    { verdict: 'INFRA_FAILED', reason: /'ATTRIBUTE' \(ecs\.capability\.task-eni\) for arn:/ },
  ],
  [
    "RunTask failure: a CPU above the account's limit → INFRA_FAILED",
    runTaskFailed(RUN_TASK_FAILURE_CAUSES.cpuAboveLimit),
    { verdict: 'INFRA_FAILED', reason: /'The requested CPU configuration is above your limit'\./ },
  ],
  [
    'RunTask failures of both kinds → INFRA_FAILED: the lasting one decides',
    runTaskFailed(RUN_TASK_FAILURE_CAUSES.capacityAndMissing),
    { verdict: 'INFRA_FAILED', reason: /'Capacity is unavailable.*; 'MISSING'/ },
  ],
  [
    'RunTask failures that cannot be read (none listed) → INFRA_FAILED',
    runTaskFailed(RUN_TASK_FAILURE_CAUSES.noFailures),
    { verdict: 'INFRA_FAILED', reason: /did not say which/ },
  ],
  [
    'RunTask failures cut short → INFRA_FAILED, no JSON words taken for a reason',
    runTaskFailed(RUN_TASK_FAILURE_CAUSES.cutShort),
    { verdict: 'INFRA_FAILED', reason: /did not say which/ },
  ],
];

const ODD_STATES: Row[] = [
  [
    'a task that is a string → INFRA_FAILED, the task could not be read',
    { run: preparedRun(), attempt: 1, task: 'STOPPED' },
    { verdict: 'INFRA_FAILED', reason: /could not be read/ },
  ],
  [
    'a task with none of a task’s fields → INFRA_FAILED',
    { run: preparedRun(), attempt: 1, task: { Hello: 'world' } },
    { verdict: 'INFRA_FAILED', reason: /could not be read/ },
  ],
  [
    'a task whose Containers is not a list → INFRA_FAILED (no exit code)',
    { run: preparedRun(), attempt: 1, task: { ...stoppedTask(), Containers: 'dbt' } },
    { verdict: 'INFRA_FAILED', reason: /no container named dbt/ },
  ],
  [
    'neither task nor error → INFRA_FAILED',
    { run: preparedRun(), attempt: 1 },
    { verdict: 'INFRA_FAILED', reason: /neither a task nor an error/ },
  ],
  ['a null state → INFRA_FAILED', null, { verdict: 'INFRA_FAILED' }],
];

/** Table rows of tasks are judged both as the .sync result and as a States.TaskFailed cause. */
const asTaskStates = (rows: Row[]): Row[] =>
  rows.flatMap(([name, task, expected]) => [
    [`${name} (as the .sync result)`, taskState(task as never), expected],
    [`${name} (as a States.TaskFailed cause)`, taskErrorState(taskFailed(task as never)), expected],
  ]);

describe('judge', () => {
  it.each<Row>([
    ...PREPARE_FAILURES,
    ...asTaskStates(TASK_ENDINGS),
    ...asTaskStates(START_FAILURES),
    ...CAUGHT_ERRORS,
    ...RUN_TASK_FAILURES,
    ...ODD_STATES,
  ])('%s', (_name, state, expected) => {
    const evaluation = evaluate(state);
    expect(evaluation.verdict).toBe(expected.verdict);
    expect(evaluation.retryable).toBe(expected.verdict === 'INFRA_RETRYABLE');
    if (expected.reason) expect(evaluation.reason).toMatch(expected.reason);
    if (expected.hint === null) expect(evaluation.hint).toBeNull();
    else if (expected.hint) expect(evaluation.hint).toMatch(expected.hint);
    if (expected.exitCode !== undefined) expect(evaluation.exitCode).toBe(expected.exitCode);
    if (expected.stopCode !== undefined) expect(evaluation.stopCode).toBe(expected.stopCode);
    if (expected.taskId !== undefined) expect(evaluation.taskId).toBe(expected.taskId);
    // One sentence, one line, of a size an alert can show.
    expect(evaluation.reason).toMatch(/^[A-Za-z].*[.…]$/);
    expect(evaluation.reason).not.toMatch(/\n/);
    expect(evaluation.reason.length).toBeLessThanOrEqual(500);
    expect(evaluation.output.verdict).toBe(evaluation.verdict);
    expect(evaluation.output.reason).toBe(evaluation.reason);
    expect(JSON.parse(JSON.stringify(evaluation))).toStrictEqual(evaluation);
  });

  it('takes the exit code, stop code, stopped reason and task id from the task', () => {
    const evaluation = evaluate(
      taskState(
        stoppedTask({
          exitCode: 1,
          taskId: 'abc123',
          stoppedReason: 'Essential container in task exited',
        }),
      ),
    );
    expect(evaluation).toMatchObject({
      exitCode: 1,
      stopCode: 'EssentialContainerExited',
      stoppedReason: 'Essential container in task exited',
      taskId: 'abc123',
    });
  });

  it('quotes at most 300 characters of a long stopped reason and keeps at most 1000', () => {
    const long = `CannotPullContainerError: ${'x'.repeat(3000)}`;
    const evaluation = evaluate(taskState(failedToStartTask(long)));
    expect(evaluation.reason.length).toBeLessThan(420);
    expect(evaluation.reason).toMatch(/…$/);
    expect(evaluation.stoppedReason).toHaveLength(1000);
  });

  it('honours another dbt container name', () => {
    const task = stoppedTask({
      exitCode: 0,
      containerName: 'runner',
      sidecar: { name: 'dbt', exitCode: 1 },
    });
    expect(evaluate(taskState(task), { ...SETTINGS, containerName: 'runner' }).verdict).toBe(
      'SUCCEEDED',
    );
    expect(evaluate(taskState(task)).verdict).toBe('DBT_FAILED');
  });

  it('quotes the configured memory in the out-of-memory hint', () => {
    const task = stoppedTask({ exitCode: 137, containerReason: REASONS.outOfMemory });
    expect(evaluate(taskState(task), { ...SETTINGS, taskMemoryMiB: 16384 }).hint).toMatch(
      /now 16384 MiB/,
    );
  });
});

describe('another attempt', () => {
  const spot = stoppedTask({
    exitCode: 143,
    stopCode: 'SpotInterruption',
    stoppedReason: REASONS.spot,
  });

  it('is made after a retryable failure on the first attempt, as attempt 2', () => {
    expect(evaluate(taskState(spot, { attempt: 1 }))).toMatchObject({
      retryable: true,
      retry: true,
      attempt: 1,
      nextAttempt: 2,
    });
  });

  it('is announced in the hint: the attempt that follows, or that none does', () => {
    expect(evaluate(taskState(spot, { attempt: 1 })).hint).toBe(
      'Attempt 2 of 2 follows on on-demand Fargate. If Spot interruptions are frequent, turn FARGATE_SPOT off for this stage.',
    );
    expect(evaluate(taskState(spot, { attempt: 2 })).hint).toMatch(
      /^No other attempt follows \(this was attempt 2 of 2\)\. If Spot/,
    );
    expect(evaluate(taskState(stoppedTask({ exitCode: 1 }))).hint).not.toMatch(/attempt \d/i);
  });

  it('is not made after a retryable failure on the last attempt', () => {
    expect(evaluate(taskState(spot, { attempt: 2 }))).toMatchObject({
      verdict: 'INFRA_RETRYABLE',
      retryable: true,
      retry: false,
      attempt: 2,
      nextAttempt: 3,
    });
  });

  it('retries only while attempts are left', () => {
    expect(evaluate(taskState(spot, { attempt: 2 }), { ...SETTINGS, maxAttempts: 3 }).retry).toBe(
      true,
    );
    expect(evaluate(taskState(spot, { attempt: 1 }), { ...SETTINGS, maxAttempts: 1 }).retry).toBe(
      false,
    );
  });

  it('is never made for a failure that is not retryable', () => {
    for (const exitCode of [1, 2, 3, 4, 6, 137]) {
      expect(evaluate(taskState(stoppedTask({ exitCode }))).retry).toBe(false);
    }
    expect(evaluate(taskErrorState({ Error: 'States.Timeout' })).retry).toBe(false);
  });

  it('is made on on-demand Fargate after RunTask found no capacity, and not after MISSING', () => {
    const capacity = evaluate(
      taskErrorState({
        Error: 'AmazonECS.Unknown',
        Cause: RUN_TASK_FAILURE_CAUSES.fargateCapacity,
      }),
    );
    expect(capacity).toMatchObject({ verdict: 'INFRA_RETRYABLE', retry: true, nextAttempt: 2 });
    expect(capacity.hint).toMatch(/^Attempt 2 of 2 follows on on-demand Fargate\. RunDbt already/);
    const missing = evaluate(
      taskErrorState({ Error: 'AmazonECS.Unknown', Cause: RUN_TASK_FAILURE_CAUSES.missingCluster }),
    );
    expect(missing).toMatchObject({ verdict: 'INFRA_FAILED', retry: false });
  });

  describe('after AWS could not be reached from the task (exit 5)', () => {
    const unreachable = stoppedTask({ exitCode: 5 });

    it('is made once, as for any retryable failure', () => {
      expect(evaluate(taskState(unreachable, { attempt: 1 }))).toMatchObject({
        verdict: 'INFRA_RETRYABLE',
        retryable: true,
        retry: true,
        nextAttempt: 2,
      });
    });

    it('is not made again: exit 5 on the last attempt too is INFRA_FAILED, the task’s network', () => {
      const evaluation = evaluate(taskState(unreachable, { attempt: 2 }));
      expect(evaluation).toMatchObject({
        verdict: 'INFRA_FAILED',
        retryable: false,
        retry: false,
        attempt: 2,
        exitCode: 5,
      });
      expect(evaluation.reason).toMatch(
        /^The dbt container could not reach AWS from the task on the last attempt too \(exit 5\)/,
      );
      expect(evaluation.hint).toMatch(/^Check that the task's subnets reach Secrets Manager/);
      expect(evaluation.output).toMatchObject({ verdict: 'INFRA_FAILED', hint: evaluation.hint });
    });

    it('leaves other retryable failures on the last attempt as they are', () => {
      const spotAgain = evaluate(taskState(spot, { attempt: 2 }));
      expect(spotAgain.verdict).toBe('INFRA_RETRYABLE');
    });

    it('quotes the runner’s error from summary.json, naming the service and the error class', () => {
      const error =
        'Secrets Manager could not be reached to read secret arn:aws:secretsmanager:eu-west-1:1:secret:w (ConnectTimeoutError at https://secretsmanager.eu-west-1.amazonaws.com/)';
      const summary = {
        counts: { success: 0, pass: 0, error: 0, fail: 0, warn: 0, skipped: 0 },
        nodes: [],
        nodesOmitted: 0,
        freshness: { status: 'skipped', sources: [] },
        error,
      };
      const judged = (attempt: number) => {
        const state = taskState(unreachable, { attempt });
        return buildEvaluation(evaluateEvent(state), SETTINGS, judge(state, SETTINGS), summary);
      };
      expect(judged(1).reason).toBe(
        `The dbt container could not reach AWS from the task (exit 5): ${error}.`,
      );
      expect(judged(2).reason).toBe(
        `The dbt container could not reach AWS from the task on the last attempt too (exit 5): ${error}.`,
      );
    });
  });

  describe('after the container stopped dbt at the run’s deadline (exit 6)', () => {
    const stopped = stoppedTask({ exitCode: 6 });
    const summaryWith = (runningNodes?: string[]) => ({
      counts: { success: 3, pass: 4, error: 0, fail: 0, warn: 0, skipped: 0 },
      nodes: [],
      nodesOmitted: 0,
      freshness: { status: 'skipped', sources: [] },
      error:
        "stopped at the run's deadline: its 5400 s limit less 90 s to stop dbt and store the artifacts",
      ...(runningNodes === undefined ? {} : { runningNodes }),
    });
    const judged = (runningNodes?: string[], attempt = 1) => {
      const state = {
        ...taskState(stopped, { attempt }),
        run: preparedRun({ timeoutSeconds: 5400 }),
      };
      return buildEvaluation(
        evaluateEvent(state),
        SETTINGS,
        judge(state, SETTINGS),
        summaryWith(runningNodes),
      );
    };

    it('names the models that were running, by name, with the run’s limit', () => {
      const evaluation = judged(['model.shop.orders', 'model.shop.customers']);
      expect(evaluation).toMatchObject({
        verdict: 'TIMED_OUT',
        retryable: false,
        retry: false,
        exitCode: 6,
        reason:
          'dbt was stopped at its 5400 s limit while orders, customers were running (exit 6).',
        hint: expect.stringMatching(/^Raise timeoutSeconds \(now 5400 s\)/),
      });
      expect(evaluation.output.reason).toBe(evaluation.reason);
      expect(judged(['model.shop.orders']).reason).toBe(
        'dbt was stopped at its 5400 s limit while orders was running (exit 6).',
      );
    });

    it('counts the running nodes past the first five', () => {
      const many = Array.from({ length: 7 }, (_, index) => `model.shop.m${index + 1}`);
      expect(judged(many).reason).toBe(
        'dbt was stopped at its 5400 s limit while m1, m2, m3, m4, m5 and 2 more were running (exit 6).',
      );
    });

    it('says when nothing was running, and stays TIMED_OUT on the last attempt', () => {
      expect(judged([], 2)).toMatchObject({
        verdict: 'TIMED_OUT',
        retry: false,
        reason: 'dbt was stopped at its 5400 s limit, between dbt steps (exit 6).',
      });
    });

    it('keeps the summary’s running nodes in the evaluation for the alert', () => {
      expect(judged(['model.shop.orders']).summary?.runningNodes).toEqual(['model.shop.orders']);
    });
  });

  describe('after the selection matched no node (exit 7)', () => {
    const judged = (spec: Partial<PreparedRun['spec']>, error: string | null) => {
      const run = preparedRun();
      const state = {
        ...taskState(stoppedTask({ exitCode: 7 })),
        run: { ...run, spec: { ...run.spec, ...spec } },
      };
      return buildEvaluation(evaluateEvent(state), SETTINGS, judge(state, SETTINGS), {
        counts: { success: 0, pass: 0, error: 0, fail: 0, warn: 0, skipped: 0 },
        nodes: [],
        nodesOmitted: 0,
        freshness: { status: 'skipped', sources: [] },
        error,
      });
    };

    it('quotes the runner’s error, which names the selection and the word that matched nothing', () => {
      const evaluation = judged(
        { select: 'ordrs' },
        "build: the selection matched no node (--select ordrs); no enabled node matches 'ordrs'",
      );
      expect(evaluation).toMatchObject({
        verdict: 'NOTHING_SELECTED',
        retryable: false,
        retry: false,
        exitCode: 7,
        reason:
          "The run's selection matched no node, so dbt ran nothing (exit 7): build: the selection matched no node (--select ordrs); no enabled node matches 'ordrs'.",
      });
      expect(evaluation.output.reason).toBe(evaluation.reason);
    });

    it('hints at listing what the run input’s selection matches, quoted for a shell', () => {
      expect(judged({ select: 'ordrs' }, null).hint).toBe(
        'Check the spelling of each selector word and that the models, tags or paths it names still exist: `serverless-dbt local --command ls --select ordrs` lists what the selection matches. If a run that selects nothing is expected (a tag that only some days carry), set allowEmpty: true in its run input.',
      );
      expect(judged({ select: 'tag:daily +orders', exclude: 'stg_*' }, null).hint).toContain(
        "`serverless-dbt local --command ls --select 'tag:daily +orders' --exclude 'stg_*'`",
      );
      expect(judged({ selector: 'nightly' }, null).hint).toContain(
        '`serverless-dbt local --command ls --selector nightly`',
      );
    });

    it('says when no selection was given: the project has nothing the command runs', () => {
      expect(judged({ command: 'snapshot' }, null).hint).toMatch(
        /^No select, exclude or selector was given: the project has no node that dbt snapshot runs\./,
      );
    });
  });

  it('is not made without a prepared run, which RetryOnDemand starts from', () => {
    const evaluation = evaluate({ taskError: ecsApiError(ECS_API_CAUSES.throttled) });
    expect(evaluation).toMatchObject({ verdict: 'INFRA_RETRYABLE', retry: false });
  });

  it('counts a missing or malformed attempt as the first', () => {
    const { attempt: _attempt, ...withoutAttempt } = taskState(spot);
    expect(evaluate(withoutAttempt)).toMatchObject({ attempt: 1, retry: true, nextAttempt: 2 });
    expect(evaluate({ ...withoutAttempt, attempt: 'two' })).toMatchObject({ attempt: 1 });
  });
});

describe('the run outcome', () => {
  it('reports a judged task under the run Prepare built', () => {
    const evaluation = evaluate(taskState(stoppedTask({ exitCode: 1 })));
    expect(evaluation.output).toStrictEqual({
      runId: RUN_ID,
      job: 'nightly',
      verdict: 'DBT_FAILED',
      reason: evaluation.reason,
      hint: evaluation.hint,
      exitCode: 1,
      counts: null,
      artifactsUri: `s3://serverless-dbt-dev-artifacts/dbt/runs/${RUN_ID}/attempt-1/`,
    });
  });

  it("points the outcome's artifacts at the judged attempt's own folder", () => {
    const second = evaluate(taskState(stoppedTask({ exitCode: 0 }), { attempt: 2 }));
    expect(second.output.artifactsUri).toBe(
      `s3://serverless-dbt-dev-artifacts/dbt/runs/${RUN_ID}/attempt-2/`,
    );
  });

  it.each<[string, unknown, string]>([
    ['a valid job from the raw input', { job: 'nightly-orders_2' }, 'nightly-orders_2'],
    ['manual for {}', {}, 'manual'],
    ['manual for an input without a job', { select: 'tag:daily' }, 'manual'],
    ['unknown for a job that is not a job name', { job: 'rm -rf /' }, 'unknown'],
    ['unknown for a job that is not a string', { job: 42 }, 'unknown'],
    ['unknown for a job that is too long', { job: 'j'.repeat(65) }, 'unknown'],
    ['unknown for an input that is not an object', ['nightly'], 'unknown'],
    ['unknown for a missing input', undefined, 'unknown'],
    ['a job from an input given as JSON text', '{"job":"hourly"}', 'hourly'],
  ])('reports a refused run with %s', (_name, executionInput, job) => {
    const state = prepareFailed('InvalidRunInput', 'command: must be one of build, run');
    const event = { state, executionName: 'cli-refused-1', executionInput };
    const evaluation = buildEvaluation(event, SETTINGS, judge(state, SETTINGS), null);
    expect(evaluation.output).toStrictEqual({
      runId: 'cli-refused-1',
      job,
      verdict: 'INVALID_INPUT',
      reason: 'The run input is invalid: command: must be one of build, run.',
      hint: evaluation.hint,
      exitCode: null,
      counts: null,
      artifactsUri: null,
    });
    expect(evaluation).toMatchObject({ attempt: 1, retry: false, taskId: null, summary: null });
  });
});

describe('causeMessage', () => {
  it.each<[string, string | undefined, string | undefined]>([
    ['a Lambda error’s errorMessage', '{"errorType":"X","errorMessage":"it broke"}', 'it broke'],
    ['plain text as is', 'Rate exceeded', 'Rate exceeded'],
    ['a JSON string', '"quoted"', 'quoted'],
    ['nothing for an empty cause', '', undefined],
    ['nothing for a missing cause', undefined, undefined],
    ['nothing for JSON without a message', '{"a":1}', undefined],
    ['nothing for text without a letter', '()) 123', undefined],
    ['nothing for JSON cut short', '{"errorMessage":"it bro', undefined],
  ])('reads %s', (_name, cause, expected) => {
    expect(causeMessage(cause)).toBe(expected);
  });
});

describe('configCause: what the runner’s error (summary.json) says is wrong', () => {
  it.each<[string, string, string]>([
    [
      'a variable dbt names',
      "parse: Env var required but not provided: 'DBT_ENV_SECRET_HOST'",
      'envVar',
    ],
    [
      'a login the warehouse refused',
      'freshness: could not connect to the warehouse: connection to server at "*****", port 5432 failed: FATAL: password authentication failed for user "*****"',
      'login',
    ],
    [
      'a warehouse that cannot be reached',
      'build: could not connect to the warehouse: connection to server at "*****", port 5439 failed: Connection refused Is the server running on that host and accepting TCP/IP connections?',
      'unreachable',
    ],
    [
      'a connection refused for another reason',
      'parse: could not connect to the warehouse: FATAL: database "shop" does not exist',
      'connection',
    ],
    ['a missing project', 'DBT_PROJECT_DIR: no dbt_project.yml in /app/dbt', 'noProject'],
    ['a missing profiles.yml', 'DBT_PROFILES_DIR: no profiles.yml in /app/dbt', 'noProfile'],
    [
      'a missing profile',
      "parse: Could not find profile named 'shop' in /app/dbt/profiles.yml",
      'noProfile',
    ],
    [
      'a missing target',
      "parse: The profile 'shop' does not have a target named 'prod'. The valid target names for this profile are: - local",
      'noTarget',
    ],
    [
      'a profile dbt refused',
      'parse: Credentials in profile "shop", target "pg" invalid: \'x\' is not of type \'integer\'',
      'profileInvalid',
    ],
    [
      'a credentials source that failed',
      'secret arn:aws:secretsmanager:eu-west-1:1:secret:w could not be read (AccessDeniedException)',
      'credentialsSource',
    ],
    ['a refused run input', "InvalidRunInput: select: contains ';'", 'runInput'],
    ['anything else', "retryOf: run 'x' has no run_results.json", 'other'],
  ])('tells %s', (_name, error, kind) => {
    expect(configCause(error).kind).toBe(kind);
  });

  it('names every variable the runner named, without their quotes', () => {
    expect(
      configCause(
        "parse: Env vars required but not provided: 'DBT_ENV_SECRET_PASSWORD', 'DBT_SCHEMA' (dbt: None is not of type 'string')",
      ),
    ).toStrictEqual({ kind: 'envVar', names: ['DBT_ENV_SECRET_PASSWORD', 'DBT_SCHEMA'] });
  });
});

describe('runnerHint: the hint for exit 2 and 3, by cause and by where the run ran', () => {
  const MISSING = "parse: Env var required but not provided: 'DBT_ENV_SECRET_PASSWORD'";
  const config = { verdict: 'CONFIG_ERROR', exitCode: 3, hint: 'generic' } as const;

  it('tells a local run (file:// artifacts) from a task in AWS (s3://)', () => {
    expect(placeOf('file:///home/me/.serverless-dbt/runs/x/')).toBe('local');
    expect(placeOf('s3://bucket/dbt/runs/x/')).toBe('aws');
    expect(placeOf(null)).toBe('aws');
    expect(runnerHint(config, MISSING, 'file:///tmp/runs/x/')).toMatch(
      /^Export DBT_ENV_SECRET_PASSWORD/,
    );
    expect(runnerHint(config, MISSING, 's3://b/dbt/runs/x/')).toMatch(/^Add the key password/);
  });

  it('gives exit 5 the network hint of its place: the task’s subnets, or this machine', () => {
    for (const verdict of ['INFRA_RETRYABLE', 'INFRA_FAILED'] as const) {
      const unreachable = { verdict, exitCode: 5, hint: 'generic' };
      expect(runnerHint(unreachable, null, 's3://b/dbt/runs/x/')).toMatch(
        /^Check that the task's subnets reach Secrets Manager, Glue and S3/,
      );
      expect(runnerHint(unreachable, null, 'file:///tmp/runs/x/')).toMatch(
        /^Check this machine's network, proxy and VPN, and AWS_REGION and AWS_ENDPOINT_URL/,
      );
    }
    const spot = { verdict: 'INFRA_RETRYABLE', exitCode: 143, hint: 'turn Spot off' } as const;
    expect(runnerHint(spot, null, 'file:///tmp/runs/x/')).toBe('turn Spot off');
  });

  it('gives exit 3 without a summary the hint for its place, and leaves other verdicts alone', () => {
    expect(runnerHint(config, null, 's3://b/dbt/runs/x/')).toMatch(/task definition/);
    expect(runnerHint(config, null, 'file:///tmp/runs/x/')).toMatch(/command line and your shell/);
    const prepare = { verdict: 'CONFIG_ERROR', exitCode: null, hint: 'fix Prepare' } as const;
    expect(runnerHint(prepare, MISSING, 'file:///tmp/runs/x/')).toBe('fix Prepare');
    const failed = { verdict: 'DBT_FAILED', exitCode: 1, hint: 'retry' } as const;
    expect(runnerHint(failed, null, 'file:///tmp/runs/x/')).toBe('retry');
  });

  it('reaches the evaluation’s hint and outcome through summary.json', () => {
    const run = preparedRun({ artifactsUri: 'file:///tmp/state/runs/r/' });
    const state = taskState(stoppedTask({ exitCode: 3 }), { run });
    const summary = {
      counts: { success: 0, pass: 0, error: 0, fail: 0, warn: 0, skipped: 0 },
      nodes: [],
      nodesOmitted: 0,
      freshness: { status: 'skipped', sources: [] },
      error: MISSING,
    };
    const evaluation = buildEvaluation(
      evaluateEvent(state),
      SETTINGS,
      judge(state, SETTINGS),
      summary,
    );
    expect(evaluation.reason).toBe(
      "The dbt container is misconfigured (exit 3): parse: Env var required but not provided: 'DBT_ENV_SECRET_PASSWORD'.",
    );
    expect(evaluation.hint).toMatch(/^Export DBT_ENV_SECRET_PASSWORD in the shell/);
    expect(evaluation.output.hint).toBe(evaluation.hint);
  });
});
