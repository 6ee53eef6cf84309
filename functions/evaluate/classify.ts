/**
 * Evaluate's decisions, with no AWS SDK: from the state the machine hands over (the .sync
 * result, the error RunDbt's Catch caught, or the error Prepare failed with) to a verdict and
 * the facts it rests on (docs/design.md, "Verdicts"; docs/verdicts.md). Each case's
 * reason and hint are worded in reasons.ts.
 *
 * Nothing here throws on what ECS or Step Functions send: an unreadable task or cause is
 * itself a verdict (INFRA_FAILED, saying what could not be read).
 *
 * A task is judged in this order, and the order is the point:
 *  1. Only the dbt container (DBT_CONTAINER_NAME) counts: a sidecar's exit code says nothing
 *     about dbt, and a log router that exits 0 must never turn a failed run into a success.
 *  2. UserInitiated → CANCELLED, whatever the exit code: a person (or a script) stopped it,
 *     and the dbt runner's graceful exit on SIGTERM may well be 0 or 1.
 *  3. Out of memory, before the exit code: the kernel's SIGKILL shows as exit 137 under
 *     EssentialContainerExited, which would otherwise read as an unexplained kill. The hint
 *     (raise the memory) only helps if the verdict names the memory.
 *  4. SpotInterruption, TerminationNotice, ServiceSchedulerInitiated, InfrastructureHealth →
 *     INFRA_RETRYABLE: AWS took the task away; dbt's exit code (143 after SIGTERM, or the
 *     runner's own) is not a judgement of the project. Unless dbt had already exited 0: a
 *     notice that came after the run finished takes nothing away, and the run is judged by
 *     its exit code like any other.
 *  5. TaskFailedToStart (or a start-failure text with no exit code): the stopped reason says
 *     whether another attempt can help (rate limits, network and ENI timeouts) or not (a
 *     missing image, a secret or role that does not exist or may not be read).
 *  6. EssentialContainerExited, or no stop code: the dbt container's exit code, per the
 *     container contract; no exit code is a failure, never a success. Exit 5 (AWS unreachable
 *     from the task) is retryable, until the last attempt (lastAttemptJudgement).
 *  7. Any other stop code → INFRA_FAILED, naming it.
 */
import type {
  CaughtError,
  PreparedRun,
  RunState,
  TaskResult,
  Verdict,
} from '../shared/contracts.ts';
import {
  parseJson,
  type RunTaskFailure,
  readTask,
  runTaskFailuresFromCause,
  type TaskContainer,
  taskFromCause,
  taskIdOf,
} from './ecs-task.ts';
import * as reasons from './reasons.ts';
import { type ConfigCause, cut, type RunPlace, type Selection, type Wording } from './reasons.ts';

// evaluate.ts words its own reasons with these.
export { cut, QUOTE_CHARS } from './reasons.ts';

export interface EvaluateSettings {
  /** The task definition's container that runs dbt; only its exit code counts. */
  containerName: string;
  /** The task's memory, for the out-of-memory hint. */
  taskMemoryMiB: number;
  /** Attempts per execution, the first included. */
  maxAttempts: number;
}

/** A verdict and what it rests on; evaluate.ts adds the attempt, the summary and the output. */
export interface Judgement {
  verdict: Verdict;
  reason: string;
  hint: string | null;
  exitCode: number | null;
  stopCode: string | null;
  stoppedReason: string | null;
  taskId: string | null;
  /**
   * Whether the dbt container ran to an exit, so that summary.json (written last, by the
   * container itself) belongs to this attempt and is worth reading.
   */
  readSummary: boolean;
}

/** How much of the stopped reason the evaluation keeps. */
export const STOPPED_REASON_CHARS = 1000;

// --- the texts ECS and Step Functions use ---------------------------------------------------

const OUT_OF_MEMORY_RE = /out[\s_-]*of[\s_-]*memory/i;
const START_FAILURE_RE =
  /CannotPullContainerError|ResourceInitializationError|CannotStartContainerError|ContainerRuntimeTimeoutError|network interface provisioning|\bENI\b/i;
// The container runtime's own start failures, which another attempt on another host escapes.
const RUNTIME_START_RE = /CannotStartContainerError|ContainerRuntimeTimeoutError/i;
const NOT_FOUND_RE =
  /not found|manifest unknown|does not exist|name unknown|repository .*not exist/i;
const DENIED_RE =
  /AccessDenied|access denied|not authori[sz]ed|unauthori[sz]ed|\b403\b|forbidden|UnauthorizedOperation/i;
const RATE_RE = /rate exceeded|toomanyrequests|too many requests|\b429\b|throttl|LimitExceeded/i;
const NETWORK_RE =
  /timeout|timed out|dial tcp|context deadline exceeded|connection reset|connection refused|no such host|network|TLS handshake|\bEOF\b|\b50[234]\b/i;
const REFUSED_RE =
  /AccessDenied|not authori[sz]ed|ResourceNotFoundException|InvalidParameterException|ValidationException|KMS|decrypt|InvalidRequestException/i;
const SECRET_RE = /secret|\bssm\b|parameter store/i;
const ENI_RE = /network interface provisioning|\bENI\b/i;
const CAPACITY_RE =
  /No Container Instances were found|capacity is unavailable|insufficient capacity|capacity provider|RESOURCE:/i;
const INVALID_RE =
  /InvalidParameter|ClientException|ValidationException|ClusterNotFound|PlatformUnknown|PlatformTaskDefinitionIncompatibility|is inactive|not found|does not exist/i;
const SERVICE_RE =
  /ServerException|ServiceUnavailable|InternalFailure|InternalError|InternalServerError|Status Code: 5\d\d|ServiceException/i;
/**
 * The RunTask failures that pass (ECS's "API failure reasons"): no Fargate capacity now, the
 * cluster's CPU, memory, ports or ENIs taken (RESOURCE:*), a container agent disconnected
 * (AGENT), throttling, a service fault. Any other reason lasts: MISSING (no such cluster or
 * task definition), INACTIVE, ATTRIBUTE (the task needs what no capacity offers), a CPU
 * configuration above the account's limit, an invalid parameter.
 */
const PASSING_FAILURE_RE =
  /capacity is unavailable|insufficient capacity|^\s*RESOURCE:|^\s*AGENT\b|throttl|rate exceeded|too many requests|service unavailable|ServerException|InternalError|InternalFailure/i;

/** The dbt runner's exit codes (docs/design.md, "The container contract"). */
export const DBT_EXIT_VERDICTS: Record<keyof typeof reasons.DBT_EXITS, Verdict> = {
  0: 'SUCCEEDED',
  1: 'DBT_FAILED',
  2: 'DBT_ERROR',
  3: 'CONFIG_ERROR',
  4: 'ARTIFACTS_LOST',
  // AWS could not be reached from the task for now: another attempt may get through.
  5: 'INFRA_RETRYABLE',
  // The runner stopped dbt at the run's own deadline, shortly before RunDbt's timer fires:
  // the same verdict as Step Functions timing the task out (States.Timeout).
  6: 'TIMED_OUT',
  // The command's selection matched no node (a typo, a tag no model carries any more): dbt
  // itself calls that a success, which would hide a broken job.
  7: 'NOTHING_SELECTED',
};

/** The runner's exit when it could not reach Secrets Manager, Glue or S3 (a network error,
 * a timeout, throttling, a 5xx), after boto3's own retries. */
export const EXIT_AWS_UNREACHABLE = 5;

const isDbtExitCode = (exitCode: number): exitCode is keyof typeof DBT_EXIT_VERDICTS =>
  Object.hasOwn(DBT_EXIT_VERDICTS, exitCode);

// --- judgements -----------------------------------------------------------------------------

type Facts = Pick<Judgement, 'exitCode' | 'stopCode' | 'stoppedReason' | 'taskId' | 'readSummary'>;

const NO_FACTS: Facts = {
  exitCode: null,
  stopCode: null,
  stoppedReason: null,
  taskId: null,
  readSummary: false,
};

function judged(facts: Facts, verdict: Verdict, wording: Wording): Judgement {
  return { verdict, reason: wording.reason, hint: wording.hint, ...facts };
}

/** Judges the state Evaluate receives (RunState in functions/shared/contracts.ts). */
export function judge(state: unknown, settings: EvaluateSettings): Judgement {
  const fields = isRecord(state) ? (state as RunState) : {};
  const run = isRecord(fields.run) ? fields.run : undefined;
  if (fields.task !== undefined && fields.task !== null) {
    const task = readTask(fields.task);
    if (task === undefined) return judged(NO_FACTS, 'INFRA_FAILED', reasons.taskUnreadable());
    return judgeTask(task, settings);
  }
  if (isRecord(fields.taskError)) return judgeCaughtError(fields.taskError, settings, run);
  if (fields.Error !== undefined) {
    return judgePrepareFailure({
      Error: typeof fields.Error === 'string' ? fields.Error : '',
      Cause: stringOrUndefined(fields.Cause),
    });
  }
  return judged(NO_FACTS, 'INFRA_FAILED', reasons.nothingToJudge());
}

/** Judges a stopped ECS task (the .sync result, or the task in a States.TaskFailed cause). */
export function judgeTask(task: TaskResult, settings: EvaluateSettings): Judgement {
  const containers = task.Containers ?? [];
  const dbt = containers.find((container) => container.Name === settings.containerName);
  const exitCode = dbt?.ExitCode ?? null;
  const stopCode = task.StopCode ?? null;
  const stoppedReason = task.StoppedReason ? cut(task.StoppedReason, STOPPED_REASON_CHARS) : null;
  const facts: Facts = {
    exitCode,
    stopCode,
    stoppedReason,
    taskId: taskIdOf(task),
    readSummary: exitCode !== null,
  };

  if (stopCode === 'UserInitiated') {
    return judged(facts, 'CANCELLED', reasons.cancelled(stoppedReason));
  }

  const outOfMemory = [dbt?.Reason, task.StoppedReason].find(
    (text) => text !== undefined && OUT_OF_MEMORY_RE.test(text),
  );
  if (outOfMemory !== undefined) {
    return judged(
      facts,
      'OUT_OF_MEMORY',
      reasons.outOfMemory(exitCode, outOfMemory, settings.taskMemoryMiB),
    );
  }

  const takenAway = [
    'SpotInterruption',
    'TerminationNotice',
    'ServiceSchedulerInitiated',
    'InfrastructureHealth',
  ];
  if (exitCode === 0 && stopCode !== null && takenAway.includes(stopCode)) {
    return judgeExit(facts, dbt, containers, settings);
  }

  switch (stopCode) {
    case 'InfrastructureHealth':
      return judged(facts, 'INFRA_RETRYABLE', reasons.infrastructureHealth(stoppedReason));
    case 'SpotInterruption':
      return judged(facts, 'INFRA_RETRYABLE', reasons.spotInterruption(stoppedReason));
    case 'TerminationNotice':
      return judged(facts, 'INFRA_RETRYABLE', reasons.terminationNotice(stoppedReason));
    case 'ServiceSchedulerInitiated':
      return judged(facts, 'INFRA_RETRYABLE', reasons.stoppedByEcs(stoppedReason));
    default:
      break;
  }

  const startTexts = [task.StoppedReason, ...containers.map((container) => container.Reason)]
    .filter((text): text is string => typeof text === 'string' && text !== '')
    .join(' | ');
  if (
    stopCode === 'TaskFailedToStart' ||
    (exitCode === null && START_FAILURE_RE.test(startTexts))
  ) {
    return judged(facts, ...judgeStartFailure(startTexts));
  }

  if (stopCode === null || stopCode === 'EssentialContainerExited') {
    return judgeExit(facts, dbt, containers, settings);
  }

  return judged(facts, 'INFRA_FAILED', reasons.unknownStopCode(stopCode, stoppedReason));
}

/** Whether another attempt can help a task that did not start, by what ECS said. */
function judgeStartFailure(texts: string): [Verdict, Wording] {
  if (/CannotPullContainerError/i.test(texts)) {
    if (NOT_FOUND_RE.test(texts)) return ['INFRA_FAILED', reasons.imageNotFound(texts)];
    if (DENIED_RE.test(texts)) return ['INFRA_FAILED', reasons.imagePullRefused(texts)];
    if (RATE_RE.test(texts) || NETWORK_RE.test(texts)) {
      return ['INFRA_RETRYABLE', reasons.imagePullUnavailable(texts)];
    }
    return ['INFRA_FAILED', reasons.imagePullFailed(texts)];
  }
  if (/ResourceInitializationError/i.test(texts)) {
    const refused = REFUSED_RE.test(texts);
    const secret = SECRET_RE.test(texts);
    if (refused && secret) return ['INFRA_FAILED', reasons.secretRefused(texts)];
    if (refused) return ['INFRA_FAILED', reasons.resourceRefused(texts)];
    if (NETWORK_RE.test(texts) || RATE_RE.test(texts)) {
      return ['INFRA_RETRYABLE', reasons.awsUnreachable(texts)];
    }
    if (secret) return ['INFRA_FAILED', reasons.secretsNotLoaded(texts)];
    return ['INFRA_FAILED', reasons.resourcesNotInitialised(texts)];
  }
  if (RUNTIME_START_RE.test(texts)) return ['INFRA_RETRYABLE', reasons.runtimeStartFailed(texts)];
  if (ENI_RE.test(texts) || CAPACITY_RE.test(texts)) {
    return ['INFRA_RETRYABLE', reasons.networkNotReady(texts)];
  }
  return ['INFRA_FAILED', reasons.startFailed(texts)];
}

function judgeExit(
  facts: Facts,
  dbt: TaskContainer | undefined,
  containers: TaskContainer[],
  settings: EvaluateSettings,
): Judgement {
  if (dbt === undefined) {
    const names = containers.map((container) => container.Name);
    return judged(facts, 'INFRA_FAILED', reasons.noDbtContainer(settings.containerName, names));
  }
  const { exitCode } = facts;
  if (exitCode === null) return judged(facts, 'INFRA_FAILED', reasons.noExitCode(dbt.Reason));
  if (isDbtExitCode(exitCode)) {
    return judged(facts, DBT_EXIT_VERDICTS[exitCode], reasons.DBT_EXITS[exitCode]);
  }
  if (exitCode === 137) {
    // SIGKILL with no out-of-memory report: something killed dbt hard (a StopTask past its
    // grace period, an essential sidecar's exit taking the task down). Not a Spot event, which
    // carries its own stop code, so another attempt has no reason to fare better.
    return judged(facts, 'INFRA_FAILED', reasons.killed(dbt.Reason, settings.taskMemoryMiB));
  }
  if (exitCode === 143) return judged(facts, 'INFRA_FAILED', reasons.terminated(dbt.Reason));
  return judged(facts, 'INFRA_FAILED', reasons.unknownExitCode(exitCode, dbt.Reason));
}

/**
 * The judgement of an attempt that no other attempt follows. AWS unreachable from the task
 * (exit 5) on the last attempt too is no longer a passing fault but the task's network (no
 * NAT gateway or VPC endpoint, a security group without outbound HTTPS): INFRA_FAILED, which
 * another attempt will not fix. Every other judgement stands: AWS taking a task away twice
 * says nothing about the run's settings.
 */
export function lastAttemptJudgement(judgement: Judgement): Judgement {
  if (judgement.verdict !== 'INFRA_RETRYABLE' || judgement.exitCode !== EXIT_AWS_UNREACHABLE) {
    return judgement;
  }
  return { ...judgement, verdict: 'INFRA_FAILED', ...reasons.unreachableFromTask(null, true) };
}

/** The runner's exit when it stopped dbt at the run's own deadline, shortly before its limit. */
export const EXIT_DEADLINE = 6;

/**
 * A run the runner stopped at its own deadline (exit 6), worded with the run's limit and the
 * nodes its summary.json says were running then; any other judgement stands.
 */
export function deadlineJudgement(
  judgement: Judgement,
  limitSeconds: number | undefined,
  runningNodes: string[] | undefined,
): Judgement {
  if (judgement.verdict !== 'TIMED_OUT' || judgement.exitCode !== EXIT_DEADLINE) return judgement;
  return { ...judgement, ...reasons.stoppedAtDeadline(limitSeconds, runningNodes) };
}

/** Judges the error RunDbt's Catch put under `taskError`. */
export function judgeCaughtError(
  error: Partial<CaughtError>,
  settings: EvaluateSettings,
  run: Partial<PreparedRun> | undefined,
): Judgement {
  const name = typeof error.Error === 'string' ? error.Error : '';
  const cause = stringOrUndefined(error.Cause);

  if (name === 'States.Timeout') {
    const limit = typeof run?.timeoutSeconds === 'number' ? run.timeoutSeconds : undefined;
    return judged(NO_FACTS, 'TIMED_OUT', reasons.timedOut(limit));
  }

  if (name === RUN_TASK_FAILURES_ERROR) {
    return judged(NO_FACTS, ...judgeRunTaskFailures(runTaskFailuresFromCause(cause)));
  }

  const task = taskFromCause(cause);
  if (task !== undefined) return judgeTask(task, settings);

  const message = causeMessage(cause);
  if (message === undefined && name.startsWith('ECS.')) {
    // The error's name alone still tells throttling (ECS.ThrottlingException) from a refusal.
    return judged(NO_FACTS, ...judgeEcsApiError(name, name, undefined));
  }
  if (message === undefined) {
    return judged(NO_FACTS, 'INFRA_FAILED', reasons.runDbtCauseUnreadable(name));
  }
  if (name === 'States.Permissions') {
    return judged(NO_FACTS, 'INFRA_FAILED', reasons.notPermitted(message));
  }
  if (name.startsWith('ECS.') || name === 'States.TaskFailed') {
    return judged(NO_FACTS, ...judgeEcsApiError(name, `${name} ${message}`, message));
  }
  return judged(NO_FACTS, 'INFRA_FAILED', reasons.runDbtFailed(name, message));
}

/** An ECS API error, by its name and message (`text`): whether it is worth another attempt. */
function judgeEcsApiError(
  name: string,
  text: string,
  message: string | undefined,
): [Verdict, Wording] {
  if (DENIED_RE.test(text)) return ['INFRA_FAILED', reasons.ecsRefused(name, message)];
  if (RATE_RE.test(text) || CAPACITY_RE.test(text)) {
    return ['INFRA_RETRYABLE', reasons.ecsUnavailable(name, message)];
  }
  if (INVALID_RE.test(text)) return ['INFRA_FAILED', reasons.ecsRejected(name, message)];
  if (SERVICE_RE.test(text)) return ['INFRA_RETRYABLE', reasons.ecsServiceError(name, message)];
  return ['INFRA_FAILED', reasons.runDbtFailed(name, message)];
}

/**
 * The error Step Functions fails `ecs:runTask.sync` with when RunTask answers HTTP 200 with
 * `Failures` and no task (AWS Step Functions Developer Guide, "Amazon ECS/Fargate"). RunDbt's
 * Retry retries it with backoff first.
 */
export const RUN_TASK_FAILURES_ERROR = 'AmazonECS.Unknown';

/**
 * RunTask's failures: another attempt (on on-demand Fargate) can help only when every failure
 * is one that passes; a failure that lasts, or none that can be read, is INFRA_FAILED.
 */
function judgeRunTaskFailures(failures: RunTaskFailure[]): [Verdict, Wording] {
  if (failures.length === 0) return ['INFRA_FAILED', reasons.runTaskFailuresUnreadable()];
  const passing = failures.every((failure) =>
    PASSING_FAILURE_RE.test(`${failure.reason} ${failure.detail ?? ''}`),
  );
  return passing
    ? ['INFRA_RETRYABLE', reasons.runTaskFailedForNow(failures)]
    : ['INFRA_FAILED', reasons.runTaskRefused(failures)];
}

/** Judges the error Prepare failed with (the state is then just `{ Error, Cause }`). */
export function judgePrepareFailure(error: Partial<CaughtError>): Judgement {
  const name = typeof error.Error === 'string' ? error.Error : '';
  const message = causeMessage(stringOrUndefined(error.Cause));
  switch (name) {
    case 'InvalidRunInput':
      return judged(NO_FACTS, 'INVALID_INPUT', reasons.invalidInput(message));
    case 'RunAlreadyInProgress':
      return judged(NO_FACTS, 'SKIPPED_OVERLAP', reasons.overlapping(message));
    case 'ConfigurationError':
      return judged(NO_FACTS, 'CONFIG_ERROR', reasons.prepareMisconfigured(message));
    default:
      return judged(NO_FACTS, 'INFRA_FAILED', reasons.prepareFailed(name, message));
  }
}

// --- the dbt runner's own error (summary.json's `error`, worded by container/dbt_runner/) ----

const ENV_VAR_MISSING_RE = /Env vars? required but not provided: ((?:'[^']+'(?:, )?)+)/i;
const CONNECTION_RE = /could not connect to the warehouse: /i;
// The database's words for a refused login: PostgreSQL and Redshift (28P01, 28000), Snowflake,
// Databricks, SQL Server.
const LOGIN_RE =
  /password authentication failed|authentication failed|no password supplied|role "[^"]*" does not exist|invalid (?:user(?:name)?|password)|incorrect username or password|login failed|\b28P01\b|\b28000\b/i;
const UNREACHABLE_RE =
  /connection refused|could not translate host name|name or service not known|temporary failure in name resolution|no route to host|network is unreachable|timed? ?out|timeout expired|could not connect to server/i;

/** What the runner's error says is wrong with the run's configuration. */
export function configCause(error: string): ConfigCause {
  const missing = ENV_VAR_MISSING_RE.exec(error);
  if (missing?.[1] !== undefined) {
    return { kind: 'envVar', names: [...missing[1].matchAll(/'([^']+)'/g)].map((m) => m[1] ?? '') };
  }
  if (CONNECTION_RE.test(error)) {
    if (LOGIN_RE.test(error)) return { kind: 'login' };
    if (UNREACHABLE_RE.test(error)) return { kind: 'unreachable' };
    return { kind: 'connection' };
  }
  if (/^InvalidRunInput:/.test(error)) return { kind: 'runInput' };
  if (/DBT_PROJECT_DIR: no dbt_project\.yml/.test(error)) return { kind: 'noProject' };
  if (/DBT_PROFILES_DIR: no profiles\.yml|Could not find profile named/i.test(error)) {
    return { kind: 'noProfile' };
  }
  if (/does not have a target named/i.test(error)) return { kind: 'noTarget' };
  if (/Credentials in profile|in profile "|profiles\.yml/i.test(error)) {
    return { kind: 'profileInvalid' };
  }
  if (
    /CREDENTIALS_SOURCE|Glue connection|secret .*(?:could not be read|is not a JSON object)/i.test(
      error,
    )
  ) {
    return { kind: 'credentialsSource' };
  }
  return { kind: 'other' };
}

/** `serverless-dbt local` stores its artifacts on the laptop; a deployed stage's go to S3. */
export const placeOf = (artifactsUri: string | null | undefined): RunPlace =>
  typeof artifactsUri === 'string' && artifactsUri.startsWith('file://') ? 'local' : 'aws';

/**
 * The hint for what the dbt runner itself reported (exit 2, 3, 5 or 7), made to fit its cause,
 * as its summary.json's `error` names it, where the run ran and the run input's selection
 * (`selection`, for exit 7); the judgement's own hint when none applies.
 */
export function runnerHint(
  judgement: Pick<Judgement, 'verdict' | 'exitCode' | 'hint'>,
  error: string | null,
  artifactsUri: string | null | undefined,
  selection?: Selection,
): string | null {
  const place = placeOf(artifactsUri);
  if (judgement.verdict === 'NOTHING_SELECTED' && selection !== undefined) {
    return reasons.nothingSelectedHint(selection);
  }
  if (judgement.verdict === 'DBT_ERROR' && judgement.exitCode === 2) {
    return reasons.dbtErrorHint(place);
  }
  if (judgement.verdict === 'CONFIG_ERROR' && judgement.exitCode === 3) {
    return reasons.configErrorHint(configCause(error ?? ''), place);
  }
  if (
    (judgement.verdict === 'INFRA_RETRYABLE' || judgement.verdict === 'INFRA_FAILED') &&
    judgement.exitCode === EXIT_AWS_UNREACHABLE
  ) {
    return reasons.unreachableHint(place);
  }
  return judgement.hint;
}

/**
 * The readable message of a Catch's `Cause`: a Lambda error's `errorMessage` (its Cause is
 * `{"errorType","errorMessage","trace"}`), or plain text as ECS API errors give it; undefined
 * when empty or unreadable (JSON that holds no message, text with no letter in it).
 */
export function causeMessage(cause: string | undefined): string | undefined {
  if (cause === undefined) return undefined;
  const parsed = parseJson(cause);
  let message: string | undefined;
  if (parsed === undefined) {
    // JSON cut short (a Cause is limited to 32,768 characters) is not a message: its words
    // (NetworkInterfaces, CapacityProviderName...) would mislead the text rules.
    if (/^\s*[{[]/.test(cause)) return undefined;
    message = cause;
  } else if (typeof parsed === 'string') {
    message = parsed;
  } else if (isRecord(parsed)) {
    message = [parsed.errorMessage, parsed.message, parsed.Message].find(
      (item): item is string => typeof item === 'string',
    );
  }
  if (message === undefined) return undefined;
  const clean = cut(message, 2000);
  return /\p{L}/u.test(clean) ? clean : undefined;
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const stringOrUndefined = (value: unknown): string | undefined =>
  typeof value === 'string' ? value : undefined;
