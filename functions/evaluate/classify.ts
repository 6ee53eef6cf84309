/**
 * Evaluate's decisions, with no AWS SDK: from the state the machine hands over (the .sync
 * result, the error RunDbt's Catch caught, or the error Prepare failed with) to a verdict, a
 * one-sentence reason and a hint (DESIGN.md, "The state machine"; docs/verdicts.md).
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
 *  4. SpotInterruption, TerminationNotice, ServiceSchedulerInitiated → INFRA_RETRYABLE: AWS
 *     took the task away; dbt's exit code (143 after SIGTERM, or the runner's own) is not a
 *     judgement of the project.
 *  5. TaskFailedToStart (or a start-failure text with no exit code): the stopped reason says
 *     whether another attempt can help (rate limits, network and ENI timeouts) or not (a
 *     missing image, a secret or role that does not exist or may not be read).
 *  6. EssentialContainerExited, or no stop code: the dbt container's exit code, per the
 *     container contract; no exit code is a failure, never a success.
 *  7. Any other stop code → INFRA_FAILED, naming it.
 */
import type {
  CaughtError,
  PreparedRun,
  RunState,
  TaskResult,
  Verdict,
} from '../shared/contracts.ts';
import { parseJson, readTask, type TaskContainer, taskFromCause, taskIdOf } from './ecs-task.ts';

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

/** How much of a stopped reason or an error message a reason quotes. */
export const QUOTE_CHARS = 300;
/** How much of the stopped reason the evaluation keeps. */
export const STOPPED_REASON_CHARS = 1000;

/** The text, whitespace collapsed and control characters removed, cut to `max` characters. */
export function cut(text: string, max: number): string {
  const printable = Array.from(text, (ch) => {
    const code = ch.codePointAt(0) ?? 0;
    return code < 0x20 || code === 0x7f ? ' ' : ch;
  }).join('');
  const clean = printable.replace(/\s+/g, ' ').trim();
  const chars = Array.from(clean);
  return chars.length <= max ? clean : `${chars.slice(0, max - 1).join('')}…`;
}

/** `text` as the end of a sentence: quoted, cut, with exactly one full stop. */
function quote(text: string): string {
  const quoted = cut(text, QUOTE_CHARS);
  return /[.!?…]$/.test(quoted) ? quoted : `${quoted}.`;
}

// --- the texts ECS and Step Functions use ---------------------------------------------------

const OUT_OF_MEMORY_RE = /out[\s_-]*of[\s_-]*memory/i;
const START_FAILURE_RE =
  /CannotPullContainerError|ResourceInitializationError|network interface provisioning|\bENI\b/i;
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

/** The dbt runner's exit codes (DESIGN.md, "The container contract"). */
const EXIT_VERDICTS: Record<number, { verdict: Verdict; reason: string; hint: string | null }> = {
  0: { verdict: 'SUCCEEDED', reason: 'dbt finished successfully (exit 0).', hint: null },
  1: {
    verdict: 'DBT_FAILED',
    reason:
      'dbt reported failures (exit 1): a model error, a failing test or, with freshness fail, a stale source.',
    hint: "Open the run's summary.json and dbt.log to see which nodes failed; after fixing them, rerun only those with command retry and retryOf set to this run's id.",
  },
  2: {
    verdict: 'DBT_ERROR',
    reason:
      'dbt could not run (exit 2): the project did not parse or compile, or the warehouse connection failed.',
    hint: "Read the error at the end of the run's dbt.log; `serverless-dbt local` reproduces compile errors on a laptop.",
  },
  3: {
    verdict: 'CONFIG_ERROR',
    reason: "The dbt container's configuration or credentials are missing or invalid (exit 3).",
    hint: "Check the task definition's environment and secrets (CREDENTIALS_SOURCE and the warehouse secret); the task's log names the setting.",
  },
  4: {
    verdict: 'ARTIFACTS_LOST',
    reason: "dbt ran, but the run's artifacts could not be stored (exit 4).",
    hint: 'Check that the artifacts bucket exists and that the task role may write to it; the warehouse was updated as dbt reported.',
  },
};

// --- judgements -----------------------------------------------------------------------------

type Facts = Pick<Judgement, 'exitCode' | 'stopCode' | 'stoppedReason' | 'taskId' | 'readSummary'>;

const NO_FACTS: Facts = {
  exitCode: null,
  stopCode: null,
  stoppedReason: null,
  taskId: null,
  readSummary: false,
};

function verdict(
  facts: Facts,
  verdictName: Verdict,
  reason: string,
  hint: string | null,
): Judgement {
  return { verdict: verdictName, reason, hint, ...facts };
}

/** Judges the state Evaluate receives (RunState in functions/shared/contracts.ts). */
export function judge(state: unknown, settings: EvaluateSettings): Judgement {
  const fields = isRecord(state) ? (state as RunState) : {};
  const run = isRecord(fields.run) ? fields.run : undefined;
  if (fields.task !== undefined && fields.task !== null) {
    const task = readTask(fields.task);
    if (task === undefined) {
      return verdict(
        NO_FACTS,
        'INFRA_FAILED',
        'The ECS task that RunDbt returned could not be read, so the run cannot be judged.',
        "Look at the RunDbt step's output in the execution history and at the task's log.",
      );
    }
    return judgeTask(task, settings);
  }
  if (isRecord(fields.taskError)) return judgeCaughtError(fields.taskError, settings, run);
  if (fields.Error !== undefined) {
    return judgePrepareFailure({
      Error: typeof fields.Error === 'string' ? fields.Error : '',
      Cause: stringOrUndefined(fields.Cause),
    });
  }
  return verdict(
    NO_FACTS,
    'INFRA_FAILED',
    'Evaluate received neither a task nor an error, so the run cannot be judged.',
    'Look at the execution history: the state before Evaluate did not produce what it should.',
  );
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
  const because = stoppedReason ? `: ${quote(stoppedReason)}` : '.';

  if (stopCode === 'UserInitiated') {
    return verdict(
      facts,
      'CANCELLED',
      `The task was stopped by a person or a script (UserInitiated)${because}`,
      'If nobody meant to stop it, look for the StopTask call in CloudTrail; start the run again when ready.',
    );
  }

  const outOfMemory = [dbt?.Reason, task.StoppedReason].find(
    (text) => text !== undefined && OUT_OF_MEMORY_RE.test(text),
  );
  if (outOfMemory !== undefined) {
    return verdict(
      facts,
      'OUT_OF_MEMORY',
      `The dbt container ran out of memory${exitCode === null ? '' : ` (exit ${exitCode})`}: ${quote(outOfMemory)}`,
      `Raise the task memory (now ${settings.taskMemoryMiB} MiB) in the stage's settings, or lower the dbt profile's threads so fewer models build at once.`,
    );
  }

  switch (stopCode) {
    case 'SpotInterruption':
      return verdict(
        facts,
        'INFRA_RETRYABLE',
        `Fargate Spot reclaimed the task (SpotInterruption) before dbt finished${because}`,
        'If Spot interruptions are frequent, turn FARGATE_SPOT off for this stage.',
      );
    case 'TerminationNotice':
      return verdict(
        facts,
        'INFRA_RETRYABLE',
        `AWS retired the task's host (TerminationNotice) before dbt finished${because}`,
        'Nothing to fix: AWS retires hosts for maintenance.',
      );
    case 'ServiceSchedulerInitiated':
      return verdict(
        facts,
        'INFRA_RETRYABLE',
        `ECS stopped the task itself (ServiceSchedulerInitiated)${because}`,
        'Usually Fargate maintenance; if it repeats, check the AWS Health Dashboard.',
      );
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
    return judgeStartFailure(facts, startTexts);
  }

  if (stopCode === null || stopCode === 'EssentialContainerExited') {
    return judgeExit(facts, dbt, containers, settings);
  }

  return verdict(
    facts,
    'INFRA_FAILED',
    `ECS stopped the task with stop code ${cut(stopCode, 80)}, which serverless-dbt does not know${because}`,
    "Look at the task's stopped reason and log; ECS may have added a stop code since this was written.",
  );
}

function judgeStartFailure(facts: Facts, texts: string): Judgement {
  const said = texts === '' ? 'ECS gave no reason.' : quote(texts);
  if (/CannotPullContainerError/i.test(texts)) {
    if (NOT_FOUND_RE.test(texts)) {
      return verdict(
        facts,
        'INFRA_FAILED',
        `The task could not start because its image was not found: ${said}`,
        "Push the image (the deploy pipeline builds it) and check the tag in the task definition; ECR's lifecycle policy may have expired it.",
      );
    }
    if (DENIED_RE.test(texts)) {
      return verdict(
        facts,
        'INFRA_FAILED',
        `The task could not start because pulling its image was refused: ${said}`,
        "Check that the task's execution role may read the image (ecr:GetAuthorizationToken, ecr:BatchGetImage, ecr:GetDownloadUrlForLayer).",
      );
    }
    if (RATE_RE.test(texts) || NETWORK_RE.test(texts)) {
      return verdict(
        facts,
        'INFRA_RETRYABLE',
        `The task could not pull its image for now (rate limit or network): ${said}`,
        "If it repeats, check that the subnets reach ECR (NAT gateway or VPC endpoints) and the registry's pull rate limits.",
      );
    }
    return verdict(
      facts,
      'INFRA_FAILED',
      `The task could not pull its image: ${said}`,
      "Check the image in the task definition and that the task's execution role may pull it.",
    );
  }
  if (/ResourceInitializationError/i.test(texts)) {
    const refused = REFUSED_RE.test(texts);
    const secret = SECRET_RE.test(texts);
    if (refused && secret) {
      return verdict(
        facts,
        'INFRA_FAILED',
        `The task could not start because a secret could not be read: ${said}`,
        "Check the secret ARNs in the task definition and that the task's execution role may read them (secretsmanager:GetSecretValue, and kms:Decrypt for a customer key).",
      );
    }
    if (refused) {
      return verdict(
        facts,
        'INFRA_FAILED',
        `The task could not start because AWS refused one of its resources: ${said}`,
        "Check the task's execution role: it must be allowed to pull the image, read the secrets and write to the log group.",
      );
    }
    if (NETWORK_RE.test(texts) || RATE_RE.test(texts)) {
      return verdict(
        facts,
        'INFRA_RETRYABLE',
        `The task could not reach AWS to start (network): ${said}`,
        'If it repeats, check that the subnets reach Secrets Manager and ECR (NAT gateway, VPC endpoints or a public IP).',
      );
    }
    if (secret) {
      return verdict(
        facts,
        'INFRA_FAILED',
        `The task could not start because its secrets could not be loaded: ${said}`,
        "Check the secret ARNs in the task definition and the task's execution role.",
      );
    }
    return verdict(
      facts,
      'INFRA_FAILED',
      `The task could not initialise its resources: ${said}`,
      "Read the stopped reason; the task definition's execution role, secrets or log configuration is the usual cause.",
    );
  }
  if (ENI_RE.test(texts) || CAPACITY_RE.test(texts)) {
    return verdict(
      facts,
      'INFRA_RETRYABLE',
      `The task could not start because its network interface or capacity was not ready in time: ${said}`,
      'If it repeats, check the free IP addresses in the subnets.',
    );
  }
  return verdict(
    facts,
    'INFRA_FAILED',
    `The task failed to start: ${said}`,
    "Read the stopped reason in the ECS console and the task definition's settings.",
  );
}

function judgeExit(
  facts: Facts,
  dbt: TaskContainer | undefined,
  containers: TaskContainer[],
  settings: EvaluateSettings,
): Judgement {
  if (dbt === undefined) {
    const names = containers.map((container) => container.Name ?? '?').join(', ');
    return verdict(
      facts,
      'INFRA_FAILED',
      `The task has no container named ${settings.containerName} (${names === '' ? 'it lists none' : `it has ${cut(names, 200)}`}), so dbt's exit code is unknown.`,
      "Set DBT_CONTAINER_NAME to the name of the task definition's dbt container.",
    );
  }
  const { exitCode } = facts;
  const containerSaid = dbt.Reason ? `: ${quote(dbt.Reason)}` : '.';
  if (exitCode === null) {
    return verdict(
      facts,
      'INFRA_FAILED',
      `The dbt container reported no exit code, so the run cannot count as a success${containerSaid}`,
      "Look at the task's stopped reason and its log in CloudWatch.",
    );
  }
  const known = EXIT_VERDICTS[exitCode];
  if (known !== undefined) return verdict(facts, known.verdict, known.reason, known.hint);
  if (exitCode === 137) {
    // SIGKILL with no out-of-memory report: something killed dbt hard (a StopTask past its
    // grace period, an essential sidecar's exit taking the task down). Not a Spot event, which
    // carries its own stop code, so another attempt has no reason to fare better.
    return verdict(
      facts,
      'INFRA_FAILED',
      `The dbt container was killed (exit 137, SIGKILL) with no out-of-memory report${containerSaid}`,
      `Look at the task's other containers and stopped reason; if its memory graph reached the limit, raise the task memory (now ${settings.taskMemoryMiB} MiB).`,
    );
  }
  if (exitCode === 143) {
    return verdict(
      facts,
      'INFRA_FAILED',
      `The dbt container was stopped by SIGTERM (exit 143) before it finished${containerSaid}`,
      "Look at the task's other containers and stopped reason: an essential sidecar that exits stops the whole task.",
    );
  }
  return verdict(
    facts,
    'INFRA_FAILED',
    `The dbt container exited with code ${exitCode}, which the dbt runner never uses${containerSaid}`,
    "Read the task's log: the container's entrypoint itself may have crashed.",
  );
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
    return verdict(
      NO_FACTS,
      'TIMED_OUT',
      limit === undefined
        ? 'The run exceeded its time limit and Step Functions stopped the task.'
        : `The run exceeded its time limit of ${limit} s and Step Functions stopped the task.`,
      `Raise timeoutSeconds${limit === undefined ? '' : ` (now ${limit} s)`} in the run input or the stage's default, or select fewer models per run.`,
    );
  }

  const task = taskFromCause(cause);
  if (task !== undefined) return judgeTask(task, settings);

  const message = causeMessage(cause);
  const label = name === '' ? 'an unnamed error' : cut(name, 100);
  if (message === undefined && name.startsWith('ECS.')) {
    // The error's name alone still tells throttling (ECS.ThrottlingException) from a refusal.
    return judgeEcsApiError(label, name, "the error's cause could not be read.");
  }
  if (message === undefined) {
    return verdict(
      NO_FACTS,
      'INFRA_FAILED',
      `RunDbt failed with ${label}, and the error's cause could not be read.`,
      'Look at the RunDbt step in the execution history.',
    );
  }
  const said = quote(message);

  if (name === 'States.Permissions') {
    return verdict(
      NO_FACTS,
      'INFRA_FAILED',
      `The state machine may not run the task (States.Permissions): ${said}`,
      "Check the state machine's role: ecs:RunTask, ecs:StopTask, ecs:DescribeTasks, events:PutRule and iam:PassRole for the task's roles.",
    );
  }
  if (name.startsWith('ECS.') || name === 'States.TaskFailed') {
    return judgeEcsApiError(label, `${name} ${message}`, said);
  }
  return verdict(
    NO_FACTS,
    'INFRA_FAILED',
    `RunDbt failed with ${label}: ${said}`,
    'Look at the RunDbt step in the execution history.',
  );
}

/** An ECS API error (plain text): whether it is worth another attempt. */
function judgeEcsApiError(label: string, text: string, said: string): Judgement {
  if (DENIED_RE.test(text)) {
    return verdict(
      NO_FACTS,
      'INFRA_FAILED',
      `ECS refused to start the task (${label}): ${said}`,
      "Check the state machine's role (ecs:RunTask, iam:PassRole for the task's roles).",
    );
  }
  if (RATE_RE.test(text) || CAPACITY_RE.test(text)) {
    return verdict(
      NO_FACTS,
      'INFRA_RETRYABLE',
      `ECS could not start the task for now (${label}, throttling or capacity): ${said}`,
      "The state machine already retried with backoff; if it repeats, check the account's Fargate quotas.",
    );
  }
  if (INVALID_RE.test(text)) {
    return verdict(
      NO_FACTS,
      'INFRA_FAILED',
      `ECS rejected the task's parameters (${label}): ${said}`,
      "Check the cluster, task definition, subnets and security groups in the stage's settings, then deploy again.",
    );
  }
  if (SERVICE_RE.test(text)) {
    return verdict(
      NO_FACTS,
      'INFRA_RETRYABLE',
      `ECS had a service error (${label}): ${said}`,
      'If it repeats, check the AWS Health Dashboard.',
    );
  }
  return verdict(
    NO_FACTS,
    'INFRA_FAILED',
    `RunDbt failed with ${label}: ${said}`,
    'Look at the RunDbt step in the execution history.',
  );
}

/** Judges the error Prepare failed with (the state is then just `{ Error, Cause }`). */
export function judgePrepareFailure(error: Partial<CaughtError>): Judgement {
  const name = typeof error.Error === 'string' ? error.Error : '';
  const message = causeMessage(stringOrUndefined(error.Cause));
  const details = message === undefined ? 'Prepare gave no details.' : quote(message);
  switch (name) {
    case 'InvalidRunInput':
      return verdict(
        NO_FACTS,
        'INVALID_INPUT',
        `The run input is invalid: ${details}`,
        'Fix the field named in the reason; docs/run-input.md lists every field and its limits.',
      );
    case 'RunAlreadyInProgress':
      return verdict(
        NO_FACTS,
        'SKIPPED_OVERLAP',
        `Another run of this state machine is still in progress, so this one did not start: ${details}`,
        'Nothing to fix for this run; if runs keep overlapping, schedule the job less often or make it faster.',
      );
    case 'ConfigurationError':
      return verdict(
        NO_FACTS,
        'CONFIG_ERROR',
        `Prepare is misconfigured, so no task was started: ${details}`,
        "Fix the setting named in the reason (the stage's params in serverless.yml, or the execution's name) and deploy or start again.",
      );
    default:
      return verdict(
        NO_FACTS,
        'INFRA_FAILED',
        `Prepare failed with ${name === '' ? 'an unnamed error' : cut(name, 100)}, so no task was started: ${
          message === undefined ? "the error's cause could not be read." : quote(message)
        }`,
        "Look at the Prepare function's log for this execution; the run can be started again as it is.",
      );
  }
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
