// ECS tasks and caught errors as Step Functions hands them to Evaluate: the .sync result
// (DescribeTasks' Task, PascalCase keys), the `{ Error, Cause }` of RunDbt's Catch, and a
// Lambda's error as Prepare's Catch sees it. Shared by Evaluate's tests and the state machine
// tests; the stopped reasons are the texts ECS really writes.
import type { CaughtError, TaskResult } from '../../../functions/shared/contracts.ts';

export const REGION = 'eu-west-1';
export const ACCOUNT = '123456789012';
export const CLUSTER = 'serverless-dbt-dev';
export const CLUSTER_ARN = `arn:aws:ecs:${REGION}:${ACCOUNT}:cluster/${CLUSTER}`;
export const TASK_ID = '7c1d2e3f4a5b46c7d8e9f0a1b2c3d4e5';
export const IMAGE = `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/serverless-dbt:4f2a9c1`;

export const taskArnOf = (taskId: string = TASK_ID): string =>
  `arn:aws:ecs:${REGION}:${ACCOUNT}:task/${CLUSTER}/${taskId}`;

/** Stopped reasons and container reasons as ECS writes them. */
export const REASONS = {
  essentialExited: 'Essential container in task exited',
  userStopped: 'Task stopped by user',
  spot: 'Your Spot Task was interrupted.',
  terminationNotice: 'Task stopped due to a Fargate task retirement notice.',
  schedulerStopped: 'Task stopped by the ECS scheduler during Fargate infrastructure maintenance.',
  outOfMemory: 'OutOfMemoryError: Container killed due to memory usage',
  imageNotFound: `CannotPullContainerError: pull image manifest has been retried 7 time(s): failed to resolve ref ${IMAGE}: ${IMAGE}: not found`,
  manifestUnknown: `CannotPullContainerError: Error response from daemon: manifest for ${IMAGE} not found: manifest unknown: Requested image not found`,
  repositoryMissing:
    "CannotPullContainerError: pull access denied for serverless-dbt, repository does not exist or may require 'docker login'",
  pullRateLimit:
    'CannotPullContainerError: inspect image has been retried 5 time(s): httpReaderSeeker: failed open: unexpected status code https://registry-1.docker.io/v2/library/python/manifests/sha256:0f3c: 429 Too Many Requests - Server message: toomanyrequests: You have reached your pull rate limit.',
  pullTimeout:
    'CannotPullContainerError: ref pull has been retried 5 time(s): failed to copy: httpReadSeeker: failed open: failed to do request: Get "https://prod-eu-west-1-starport-layer-bucket.s3.eu-west-1.amazonaws.com/9a1b-123456789012-serverless-dbt/layer": dial tcp 52.218.1.10:443: i/o timeout',
  pullUnknown: 'CannotPullContainerError: failed to extract layer: no space left on device',
  secretAccessDenied: `ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve secret from asm: service call has been retried 1 time(s): failed to fetch secret arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:serverless-dbt/dev/warehouse-AbCdEf from secrets manager: AccessDeniedException: User: arn:aws:sts::${ACCOUNT}:assumed-role/serverless-dbt-dev-execution/7c1d is not authorized to perform: secretsmanager:GetSecretValue on resource: serverless-dbt/dev/warehouse because no identity-based policy allows the secretsmanager:GetSecretValue action`,
  secretNotFound: `ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve secret from asm: service call has been retried 1 time(s): failed to fetch secret arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:serverless-dbt/dev/warehouse-AbCdEf from secrets manager: ResourceNotFoundException: Secrets Manager can't find the specified secret.`,
  secretNetwork: `ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve secret from asm: service call has been retried 5 time(s): failed to fetch secret arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:serverless-dbt/dev/warehouse-AbCdEf from secrets manager: RequestError: send request failed caused by: Post "https://secretsmanager.${REGION}.amazonaws.com/": dial tcp 10.0.1.23:443: i/o timeout. Please check your task network configuration.`,
  registryAuthDeadline: `ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve ecr registry auth: service call has been retried 3 time(s): RequestError: send request failed caused by: Post "https://api.ecr.${REGION}.amazonaws.com/": context deadline exceeded`,
  logGroupDenied: `ResourceInitializationError: failed to validate logger args: create stream has been retried 1 times: failed to create Cloudwatch log stream: AccessDeniedException: User: arn:aws:sts::${ACCOUNT}:assumed-role/serverless-dbt-dev-execution/7c1d is not authorized to perform: logs:CreateLogStream`,
  resourceInitUnknown:
    'ResourceInitializationError: failed to configure the task: unexpected state of the volume',
  eniTimeout: 'Timeout waiting for network interface provisioning to complete.',
  startUnknown: 'Task failed to start: an internal error occurred',
} as const;

export interface SidecarOptions {
  name?: string;
  /** null: no exit code, as for a container that never ran. */
  exitCode?: number | null;
  reason?: string;
}

export interface StoppedTaskOptions {
  /** The dbt container's exit code; null or undefined: the task has none. Default 0. */
  exitCode?: number | null;
  /** null: the task has no StopCode. Default EssentialContainerExited. */
  stopCode?: string | null;
  /** null: the task has no StoppedReason. Default "Essential container in task exited". */
  stoppedReason?: string | null;
  /** The dbt container's Reason. */
  containerReason?: string;
  /** The dbt container's name. Default dbt. */
  containerName?: string;
  /** A second container (a log router, say): true for one that exited 0. */
  sidecar?: boolean | SidecarOptions;
  taskId?: string;
  /** false: the task never started (no StartedAt, containers never ran). Default true. */
  started?: boolean;
}

const CREATED_AT = Date.parse('2026-03-02T05:00:03.000Z');

/** A task as `ecs:runTask.sync` returns it once STOPPED (and as a States.TaskFailed Cause holds it). */
export function stoppedTask(
  options: StoppedTaskOptions = {},
): TaskResult & Record<string, unknown> {
  const {
    exitCode = 0,
    stopCode = 'EssentialContainerExited',
    stoppedReason = REASONS.essentialExited,
    containerReason,
    containerName = 'dbt',
    sidecar,
    taskId = TASK_ID,
    started = true,
  } = options;
  const taskArn = taskArnOf(taskId);
  const container = (
    name: string,
    image: string,
    code: number | null | undefined,
    reason: string | undefined,
  ) => ({
    ContainerArn: `arn:aws:ecs:${REGION}:${ACCOUNT}:container/${CLUSTER}/${taskId}/${name}-0a1b`,
    TaskArn: taskArn,
    Name: name,
    Image: image,
    ...(started ? { RuntimeId: `${taskId}-${name}`, ImageDigest: 'sha256:5e6f' } : {}),
    LastStatus: 'STOPPED',
    ...(code === null || code === undefined ? {} : { ExitCode: code }),
    ...(reason === undefined ? {} : { Reason: reason }),
    NetworkInterfaces: [{ AttachmentId: 'eni-attach-1', PrivateIpv4Address: '10.0.1.23' }],
    HealthStatus: 'UNKNOWN',
    Cpu: '0',
  });
  const containers = [container(containerName, IMAGE, exitCode, containerReason)];
  if (sidecar) {
    const side: SidecarOptions = sidecar === true ? {} : sidecar;
    containers.push(
      container(
        side.name ?? 'log-router',
        'public.ecr.aws/aws-observability/aws-for-fluent-bit:stable',
        side.exitCode === undefined ? 0 : side.exitCode,
        side.reason,
      ),
    );
  }
  return {
    Attachments: [
      {
        Id: 'a1b2c3d4',
        Type: 'ElasticNetworkInterface',
        Status: 'DELETED',
        Details: [{ Name: 'subnetId', Value: 'subnet-0abc' }],
      },
    ],
    AvailabilityZone: `${REGION}a`,
    CapacityProviderName: 'FARGATE_SPOT',
    ClusterArn: CLUSTER_ARN,
    Connectivity: started ? 'CONNECTED' : 'DISCONNECTED',
    Containers: containers,
    Cpu: '1024',
    CreatedAt: CREATED_AT,
    DesiredStatus: 'STOPPED',
    EnableExecuteCommand: false,
    Group: 'family:serverless-dbt-dev',
    LastStatus: 'STOPPED',
    LaunchType: 'FARGATE',
    Memory: '4096',
    Overrides: { ContainerOverrides: [{ Name: containerName }], InferenceAcceleratorOverrides: [] },
    PlatformFamily: 'Linux',
    PlatformVersion: '1.4.0',
    ...(started ? { PullStartedAt: CREATED_AT + 2_000, PullStoppedAt: CREATED_AT + 9_000 } : {}),
    ...(started ? { StartedAt: CREATED_AT + 10_000 } : {}),
    StartedBy: '0b5f4d0e-7c1a-4f39-9a52-8e6f3c2d1b70',
    ...(stopCode === null ? {} : { StopCode: stopCode }),
    StoppedAt: CREATED_AT + 600_000,
    ...(stoppedReason === null ? {} : { StoppedReason: stoppedReason }),
    StoppingAt: CREATED_AT + 590_000,
    Tags: [],
    TaskArn: taskArn,
    TaskDefinitionArn: `arn:aws:ecs:${REGION}:${ACCOUNT}:task-definition/serverless-dbt-dev:12`,
    Version: 4,
  };
}

/** A task that failed to start (TaskFailedToStart): no exit code, the reason on the container too. */
export function failedToStartTask(
  stoppedReason: string,
  options: Omit<StoppedTaskOptions, 'stoppedReason' | 'stopCode' | 'started' | 'exitCode'> = {},
) {
  return stoppedTask({
    containerReason: stoppedReason,
    ...options,
    exitCode: null,
    stopCode: 'TaskFailedToStart',
    stoppedReason,
    started: false,
  });
}

/** RunDbt's Catch after a task that stopped badly: States.TaskFailed with the task as JSON. */
export function taskFailed(task: TaskResult): CaughtError {
  return { Error: 'States.TaskFailed', Cause: JSON.stringify(task) };
}

/** RunDbt's Catch after the ECS API refused RunTask: the Cause is plain text. */
export function ecsApiError(cause: string, error = 'ECS.AmazonECSException'): CaughtError {
  return { Error: error, Cause: cause };
}

/** ECS API error texts as Step Functions puts them in the Cause. */
export const ECS_API_CAUSES = {
  throttled:
    'Rate exceeded (Service: AmazonECS; Status Code: 400; Error Code: ThrottlingException; Request ID: 5d0c7f0e-2b1a-4c3d-9e8f-0a1b2c3d4e5f; Proxy: null)',
  noCapacity:
    'No Container Instances were found in your capacity provider (Service: AmazonECS; Status Code: 400; Error Code: InvalidParameterException; Request ID: 6e1d8a1f-3c2b-4d4e-8f9a-1b2c3d4e5f6a; Proxy: null)',
  passRoleDenied: `User: arn:aws:sts::${ACCOUNT}:assumed-role/serverless-dbt-dev-states/abc is not authorized to perform: iam:PassRole on resource: arn:aws:iam::${ACCOUNT}:role/serverless-dbt-dev-task (Service: AmazonECS; Status Code: 400; Error Code: AccessDeniedException; Request ID: 7f2e9b2a-4d3c-4e5f-9a0b-2c3d4e5f6a7b; Proxy: null)`,
  invalidSubnet:
    'Invalid parameter: subnet-0dead does not exist (Service: AmazonECS; Status Code: 400; Error Code: InvalidParameterException; Request ID: 8a3f0c3b-5e4d-4f6a-8b1c-3d4e5f6a7b8c; Proxy: null)',
  inactiveTaskDefinition:
    'TaskDefinition is inactive (Service: AmazonECS; Status Code: 400; Error Code: ClientException; Request ID: 9b4a1d4c-6f5e-4a7b-9c2d-4e5f6a7b8c9d; Proxy: null)',
  serviceUnavailable:
    'Service Unavailable. Please try again later. (Service: AmazonECS; Status Code: 503; Error Code: ServerException; Request ID: 0c5b2e5d-7a6f-4b8c-8d3e-5f6a7b8c9d0e; Proxy: null)',
} as const;

/**
 * Causes of `AmazonECS.Unknown`, the error Step Functions fails `ecs:runTask.sync` with when
 * RunTask answers with `Failures` and no task (AWS Step Functions Developer Guide, "Amazon
 * ECS/Fargate"). AWS documents the name but not the Cause, so these are not recorded from AWS:
 * the RunTask response as Step Functions writes service output (PascalCase), with the reasons
 * ECS documents (ECS Developer Guide, "API failure reasons"; the Fargate capacity text from the
 * AWS Knowledge Center article "ecs-fargate-runtask-capacity"), plus the plain-text and camelCase
 * forms Evaluate also reads.
 */
const runTaskResponse = (...failures: Array<{ Reason: string; Detail?: string; Arn?: string }>) =>
  JSON.stringify({ Failures: failures, Tasks: [] });
export const RUN_TASK_FAILURE_CAUSES = {
  fargateCapacity: runTaskResponse({
    Arn: CLUSTER_ARN,
    Reason:
      'Capacity is unavailable at this time. Please try again later or in a different availability zone',
  }),
  clusterMemory: runTaskResponse({
    Arn: `arn:aws:ecs:eu-west-1:${ACCOUNT}:container-instance/serverless-dbt-dev/1f2e3d4c`,
    Reason: 'RESOURCE:MEMORY',
  }),
  agentDisconnected: runTaskResponse({
    Arn: `arn:aws:ecs:eu-west-1:${ACCOUNT}:container-instance/serverless-dbt-dev/1f2e3d4c`,
    Reason: 'AGENT',
  }),
  missingCluster: runTaskResponse({ Arn: CLUSTER_ARN, Reason: 'MISSING' }),
  missingAttribute: runTaskResponse({
    Arn: `arn:aws:ecs:eu-west-1:${ACCOUNT}:container-instance/serverless-dbt-dev/1f2e3d4c`,
    Reason: 'ATTRIBUTE',
    Detail: 'ecs.capability.task-eni',
  }),
  cpuAboveLimit: runTaskResponse({
    Reason: 'The requested CPU configuration is above your limit',
  }),
  capacityAndMissing: runTaskResponse(
    {
      Arn: CLUSTER_ARN,
      Reason:
        'Capacity is unavailable at this time. Please try again later or in a different availability zone',
    },
    { Arn: CLUSTER_ARN, Reason: 'MISSING' },
  ),
  camelCase: JSON.stringify({
    failures: [{ arn: CLUSTER_ARN, reason: 'Capacity is unavailable at this time.' }],
    tasks: [],
  }),
  plainText:
    'Capacity is unavailable at this time. Please try again later or in a different availability zone',
  noFailures: JSON.stringify({ Failures: [], Tasks: [] }),
  cutShort: '{"Failures":[{"Arn":"arn:aws:ecs:eu-west-1:1234',
} as const;

/** A Lambda error's Cause, as a Catch sees it: `{"errorType","errorMessage","trace"}` as JSON. */
export function lambdaCause(errorType: string, message: string): string {
  return JSON.stringify({
    errorType,
    errorMessage: message,
    trace: [
      `${errorType}: ${message}`,
      '    at prepareRun (file:///var/task/index.mjs:1:2345)',
      '    at Runtime.handler (file:///var/task/index.mjs:1:6789)',
    ],
  });
}

/** The state after Prepare failed: the caught error replaces it. */
export function prepareFailed(errorType: string, message: string): CaughtError {
  return { Error: errorType, Cause: lambdaCause(errorType, message) };
}
