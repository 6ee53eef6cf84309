/**
 * The words of Evaluate's judgements: for each case classify.ts tells apart, the one-sentence
 * reason and the hint that the run's outcome, its alerts, the CLI and Airflow show
 * (docs/verdicts.md). Which case applies, and its verdict, is decided in classify.ts; nothing
 * here decides, so the wording can change without touching a rule.
 *
 * A reason is one line that ends in exactly one full stop, of a size an alert can show: a text
 * from ECS, Step Functions or Prepare is quoted cut to QUOTE_CHARS.
 */

/** What a judgement says: a reason, and a hint when there is something to do. */
export interface Wording {
  reason: string;
  hint: string | null;
}

/** How much of a stopped reason or an error message a reason quotes. */
export const QUOTE_CHARS = 300;

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

/** The end of a sentence that cites what ECS said, when it said anything. */
const citing = (said: string | null | undefined): string => (said ? `: ${quote(said)}` : '.');

/** ECS's reasons for a task that did not start, or that it gave none. */
const startTexts = (texts: string): string => (texts === '' ? 'ECS gave no reason.' : quote(texts));

/** An error's message, or that its cause could not be read. */
const errorDetails = (message: string | undefined): string =>
  message === undefined ? "the error's cause could not be read." : quote(message);

/** Prepare's message, or that it gave none. */
const prepareDetails = (message: string | undefined): string =>
  message === undefined ? 'Prepare gave no details.' : quote(message);

const errorLabel = (name: string): string => (name === '' ? 'an unnamed error' : cut(name, 100));

// --- nothing to judge -----------------------------------------------------------------------

export const taskUnreadable = (): Wording => ({
  reason: 'The ECS task that RunDbt returned could not be read, so the run cannot be judged.',
  hint: "Look at the RunDbt step's output in the execution history and at the task's log.",
});

export const nothingToJudge = (): Wording => ({
  reason: 'Evaluate received neither a task nor an error, so the run cannot be judged.',
  hint: 'Look at the execution history: the state before Evaluate did not produce what it should.',
});

// --- a stopped task -------------------------------------------------------------------------

export const cancelled = (stoppedReason: string | null): Wording => ({
  reason: `The task was stopped by a person or a script (UserInitiated)${citing(stoppedReason)}`,
  hint: 'If nobody meant to stop it, look for the StopTask call in CloudTrail; start the run again when ready.',
});

export const outOfMemory = (
  exitCode: number | null,
  report: string,
  taskMemoryMiB: number,
): Wording => ({
  reason: `The dbt container ran out of memory${exitCode === null ? '' : ` (exit ${exitCode})`}: ${quote(report)}`,
  hint: `Raise the task memory (now ${taskMemoryMiB} MiB) in the stage's settings, or lower the dbt profile's threads so fewer models build at once.`,
});

export const spotInterruption = (stoppedReason: string | null): Wording => ({
  reason: `Fargate Spot reclaimed the task (SpotInterruption) before dbt finished${citing(stoppedReason)}`,
  hint: 'If Spot interruptions are frequent, turn FARGATE_SPOT off for this stage.',
});

export const infrastructureHealth = (stoppedReason: string | null): Wording => ({
  reason: `ECS stopped the task because its host was unhealthy (InfrastructureHealth) before dbt finished${citing(stoppedReason)}`,
  hint: 'Nothing to fix: another attempt runs on another host.',
});

export const terminationNotice = (stoppedReason: string | null): Wording => ({
  reason: `AWS retired the task's host (TerminationNotice) before dbt finished${citing(stoppedReason)}`,
  hint: 'Nothing to fix: AWS retires hosts for maintenance.',
});

export const stoppedByEcs = (stoppedReason: string | null): Wording => ({
  reason: `ECS stopped the task itself (ServiceSchedulerInitiated)${citing(stoppedReason)}`,
  hint: 'Usually Fargate maintenance; if it repeats, check the AWS Health Dashboard.',
});

export const unknownStopCode = (stopCode: string, stoppedReason: string | null): Wording => ({
  reason: `ECS stopped the task with stop code ${cut(stopCode, 80)}, which serverless-dbt does not know${citing(stoppedReason)}`,
  hint: "Look at the task's stopped reason and log; ECS may have added a stop code since this was written.",
});

// --- a task that did not start (`texts`: ECS's stopped reason and the containers' reasons) ---

export const imageNotFound = (texts: string): Wording => ({
  reason: `The task could not start because its image was not found: ${startTexts(texts)}`,
  hint: "Push the image (the deploy pipeline builds it) and check the tag in the task definition; ECR's lifecycle policy may have expired it.",
});

export const imagePullRefused = (texts: string): Wording => ({
  reason: `The task could not start because pulling its image was refused: ${startTexts(texts)}`,
  hint: "Check that the task's execution role may read the image (ecr:GetAuthorizationToken, ecr:BatchGetImage, ecr:GetDownloadUrlForLayer).",
});

export const imagePullUnavailable = (texts: string): Wording => ({
  reason: `The task could not pull its image for now (rate limit or network): ${startTexts(texts)}`,
  hint: "If it repeats, check that the subnets reach ECR (NAT gateway or VPC endpoints) and the registry's pull rate limits.",
});

export const imagePullFailed = (texts: string): Wording => ({
  reason: `The task could not pull its image: ${startTexts(texts)}`,
  hint: "Check the image in the task definition and that the task's execution role may pull it.",
});

export const secretRefused = (texts: string): Wording => ({
  reason: `The task could not start because a secret could not be read: ${startTexts(texts)}`,
  hint: "Check the secret ARNs in the task definition and that the task's execution role may read them (secretsmanager:GetSecretValue, and kms:Decrypt for a customer key).",
});

export const resourceRefused = (texts: string): Wording => ({
  reason: `The task could not start because AWS refused one of its resources: ${startTexts(texts)}`,
  hint: "Check the task's execution role: it must be allowed to pull the image, read the secrets and write to the log group.",
});

export const awsUnreachable = (texts: string): Wording => ({
  reason: `The task could not reach AWS to start (network): ${startTexts(texts)}`,
  hint: 'If it repeats, check that the subnets reach Secrets Manager and ECR (NAT gateway, VPC endpoints or a public IP).',
});

export const secretsNotLoaded = (texts: string): Wording => ({
  reason: `The task could not start because its secrets could not be loaded: ${startTexts(texts)}`,
  hint: "Check the secret ARNs in the task definition and the task's execution role.",
});

export const resourcesNotInitialised = (texts: string): Wording => ({
  reason: `The task could not initialise its resources: ${startTexts(texts)}`,
  hint: "Read the stopped reason; the task definition's execution role, secrets or log configuration is the usual cause.",
});

export const runtimeStartFailed = (texts: string): Wording => ({
  reason: `The container runtime could not start the dbt container: ${startTexts(texts)}`,
  hint: 'Usually a passing fault of the host; if it repeats on every attempt, check the image and its entrypoint.',
});

export const networkNotReady = (texts: string): Wording => ({
  reason: `The task could not start because its network interface or capacity was not ready in time: ${startTexts(texts)}`,
  hint: 'If it repeats, check the free IP addresses in the subnets.',
});

export const startFailed = (texts: string): Wording => ({
  reason: `The task failed to start: ${startTexts(texts)}`,
  hint: "Read the stopped reason in the ECS console and the task definition's settings.",
});

// --- the dbt container's exit ---------------------------------------------------------------

const UNREACHABLE_FROM_TASK = 'The dbt container could not reach AWS from the task';
const UNREACHABLE_AGAIN = `${UNREACHABLE_FROM_TASK} on the last attempt too`;
const UNREACHABLE_WHAT =
  "Secrets Manager, Glue or S3 could not be connected to, timed out, throttled or failed while the run read its credentials or an earlier run's artifacts.";
// Where the network between the task and AWS is set: the stage's subnets and security groups.
const UNREACHABLE_HINT_AWS =
  "Check that the task's subnets reach Secrets Manager, Glue and S3 over HTTPS (port 443): a NAT gateway, VPC endpoints (interface endpoints for Secrets Manager and Glue, a gateway endpoint for S3) or a public IP (assignPublicIp); throttling or a 5xx in the reason is AWS's own and passes.";
const UNREACHABLE_HINT_LOCAL =
  "Check this machine's network, proxy and VPN, and AWS_REGION and AWS_ENDPOINT_URL in the shell that started the run: it read its credentials or an earlier run from AWS.";

/** The fields of a run input that make up its selection, as the exit 7 hint names them. */
export interface Selection {
  command?: string;
  select?: string;
  exclude?: string;
  selector?: string;
}

const ALLOW_EMPTY_HINT =
  'If a run that selects nothing is expected (a tag that only some days carry), set allowEmpty: true in its run input.';

/** A value as a shell takes it: quoted unless it holds only characters no shell reads. */
const shellWord = (value: string): string =>
  /^[A-Za-z0-9_.:/,=+@-]+$/.test(value) ? value : `'${value}'`;

/** What each of the dbt runner's own exit codes means; classify.ts gives their verdicts. */
export const DBT_EXITS = {
  0: { reason: 'dbt finished successfully (exit 0).', hint: null },
  1: {
    reason:
      'dbt reported failures (exit 1): a model error, a failing test, a run-operation macro that raised, a warning with warnError, or a stale source (with freshness fail, or command source freshness).',
    hint: "Open the run's summary.json and dbt.log to see which nodes failed; after fixing them, rerun only those with command retry and retryOf set to this run's id.",
  },
  2: {
    reason:
      'dbt could not run (exit 2): the project did not parse or compile, or a dbt step failed.',
    hint: "Read the error at the end of the run's dbt.log; `serverless-dbt local` reproduces compile errors on a laptop.",
  },
  3: {
    reason:
      "The dbt container's configuration or credentials are missing or invalid, or the warehouse refused the connection (exit 3).",
    hint: "Check the task definition's environment and secrets (CREDENTIALS_SOURCE and the warehouse secret); the task's log names the setting.",
  },
  4: {
    reason: "dbt ran, but the run's artifacts could not be stored (exit 4).",
    hint: 'Check that the artifacts bucket exists and that the task role may write to it; the warehouse was updated as dbt reported.',
  },
  5: {
    reason: `${UNREACHABLE_FROM_TASK} (exit 5): ${UNREACHABLE_WHAT}`,
    hint: UNREACHABLE_HINT_AWS,
  },
  6: {
    reason:
      "dbt was stopped at the run's time limit (exit 6): the dbt container stopped it shortly before Step Functions would have.",
    hint: timeLimitHint(undefined),
  },
  7: {
    reason: "The run's selection matched no node, so dbt ran nothing (exit 7).",
    hint: nothingSelectedHint(undefined),
  },
} satisfies Record<number, Wording>;

/**
 * What to do about a selection that matched no node (exit 7), naming the selection of the
 * run's input (undefined when Evaluate has none) in a command that lists what it matches.
 */
export function nothingSelectedHint(selection: Selection | undefined): string {
  const options = (['select', 'exclude', 'selector'] as const)
    .filter((name) => typeof selection?.[name] === 'string')
    .map((name) => `--${name} ${shellWord(cut(selection?.[name] ?? '', 200))}`);
  if (selection !== undefined && options.length === 0) {
    const command = cut(selection.command ?? 'the command', 40);
    return `No select, exclude or selector was given: the project has no node that dbt ${command} runs. ${ALLOW_EMPTY_HINT}`;
  }
  const listing =
    options.length === 0
      ? '`serverless-dbt local --command ls` with the same --select, --exclude or --selector lists what they match'
      : `\`serverless-dbt local --command ls ${options.join(' ')}\` lists what the selection matches`;
  return `Check the spelling of each selector word and that the models, tags or paths it names still exist: ${listing}. ${ALLOW_EMPTY_HINT}`;
}

/** Exit 7, quoting the runner's error (summary.json's), which names the selection. */
export const nothingSelected = (
  error: string | null,
  selection: Selection | undefined,
): Wording => ({
  reason:
    error === null
      ? DBT_EXITS[7].reason
      : `The run's selection matched no node, so dbt ran nothing (exit 7): ${quote(error)}`,
  hint: nothingSelectedHint(selection),
});

/** Running nodes an exit 6 reason names; the rest are counted. */
export const MAX_NAMED_RUNNING_NODES = 5;

/**
 * A run the dbt container stopped at its own deadline (exit 6), naming what was running then
 * (summary.json's `runningNodes`; undefined when there is no summary).
 */
export const stoppedAtDeadline = (
  limitSeconds: number | undefined,
  runningNodes: string[] | undefined,
): Wording => {
  const limit = limitSeconds === undefined ? 'its time limit' : `its ${limitSeconds} s limit`;
  let running = '';
  if (runningNodes !== undefined && runningNodes.length === 0) running = ', between dbt steps';
  if (runningNodes !== undefined && runningNodes.length > 0) {
    const names = runningNodes.slice(0, MAX_NAMED_RUNNING_NODES).map(nodeName);
    const more = runningNodes.length - names.length;
    const listed = more > 0 ? `${names.join(', ')} and ${more} more` : names.join(', ');
    running = ` while ${listed} ${runningNodes.length === 1 ? 'was' : 'were'} running`;
  }
  return {
    reason: `dbt was stopped at ${limit}${running} (exit 6).`,
    hint: timeLimitHint(limitSeconds),
  };
};

/** A node's name from its unique id: `orders` for model.shop.orders (and its versions). */
function nodeName(uniqueId: string): string {
  const parts = uniqueId.split('.');
  return cut(parts.length >= 3 ? (parts[2] ?? uniqueId) : uniqueId, 100);
}

/**
 * AWS unreachable from the task (exit 5), quoting the runner's error (the service, what it
 * read and botocore's error): on an attempt that another follows, or on the last one, when the
 * verdict is no longer retryable (classify.ts, lastAttemptJudgement).
 */
export const unreachableFromTask = (error: string | null, lastAttempt: boolean): Wording => ({
  reason: `${lastAttempt ? UNREACHABLE_AGAIN : UNREACHABLE_FROM_TASK} (exit 5): ${error === null ? UNREACHABLE_WHAT : quote(error)}`,
  hint: UNREACHABLE_HINT_AWS,
});

// --- what to do about the dbt runner's own error, by its cause and where the run ran -------

/**
 * Where a run ran: `local` is `serverless-dbt local` on a laptop (its settings are the command
 * line and the shell), `aws` a task of a deployed stage (the stage's settings, the image, the
 * warehouse secret).
 */
export type RunPlace = 'local' | 'aws';

/** What the runner's error says is wrong with a run's configuration (classify.ts tells). */
export type ConfigCause =
  | { kind: 'envVar'; names: string[] }
  | {
      kind:
        | 'noProject'
        | 'noProfile'
        | 'noTarget'
        | 'profileInvalid'
        | 'login'
        | 'unreachable'
        | 'connection'
        | 'credentialsSource'
        | 'runInput'
        | 'other';
    };

// The variables the warehouse secret's keys become (docs/configuration.md, "Warehouse
// credentials"): a secret's under dbt's prefix, any other key's under ours.
const SECRET_KEY_PREFIXES = ['DBT_ENV_SECRET_', 'DBT_WAREHOUSE_'];
const keyPrefixOf = (name: string) => SECRET_KEY_PREFIXES.find((prefix) => name.startsWith(prefix));

const listed = (names: readonly string[]): string => names.map(cut80).join(', ');
const cut80 = (name: string): string => cut(name, 80);

function envVarHint(names: readonly string[], place: RunPlace): string {
  if (place === 'local') {
    return `Export ${listed(names)} in the shell that runs \`serverless-dbt local\`, or give its env_var() in profiles.yml a default.`;
  }
  const keys = names.filter((name) => keyPrefixOf(name) !== undefined);
  const others = names.filter((name) => keyPrefixOf(name) === undefined);
  const parts: string[] = [];
  if (keys.length > 0) {
    const secretKeys = keys.map((name) => name.slice(keyPrefixOf(name)?.length ?? 0).toLowerCase());
    parts.push(
      `Add the key ${listed(secretKeys)} to the warehouse secret (a key becomes DBT_WAREHOUSE_<KEY>, or DBT_ENV_SECRET_<KEY> when it names a secret); with credentialsSource env, list it in the stage's warehouseSecretKeys too, then deploy.`,
    );
  }
  if (others.length > 0) {
    parts.push(
      `Set ${listed(others)} in the dbt task's environment, or give its env_var() in profiles.yml a default.`,
    );
  }
  return parts.join(' ');
}

const CONFIG_HINTS: Record<Exclude<ConfigCause['kind'], 'envVar'>, Record<RunPlace, string>> = {
  noProject: {
    local: 'Pass --project-dir with the folder that holds dbt_project.yml.',
    aws: 'DBT_PROJECT_DIR must name the dbt project the image holds: rebuild the image with the project in it.',
  },
  noProfile: {
    local:
      'Put a profiles.yml with the profile that dbt_project.yml names in the project folder, or pass --profiles-dir.',
    aws: 'The image needs a profiles.yml with the profile that dbt_project.yml names, where DBT_PROFILES_DIR points (the project folder by default): rebuild and push the image.',
  },
  noTarget: {
    local: 'Pass --target with one of the targets the reason lists.',
    aws: "Set the stage's dbtTarget to one of the targets the reason lists, then deploy.",
  },
  profileInvalid: {
    local:
      'Fix the target in profiles.yml, or the variables it reads from your shell: the reason names what dbt refused.',
    aws: "Fix the target in the image's profiles.yml, or the warehouse secret's keys it reads: the reason names what dbt refused.",
  },
  login: {
    local:
      'The warehouse refused the login: check DBT_WAREHOUSE_USERNAME and DBT_ENV_SECRET_PASSWORD in the shell that runs `serverless-dbt local`.',
    aws: 'The warehouse refused the login: correct the username and password in the warehouse secret (or the Glue connection), then run again.',
  },
  unreachable: {
    local:
      'Check that the warehouse is running and reachable from this machine at the host and port the profile reads (DBT_WAREHOUSE_HOST, DBT_WAREHOUSE_PORT).',
    aws: "Check the host and port in the warehouse secret, and that the task's subnets and security group reach the warehouse on that port.",
  },
  connection: {
    local:
      "Check the profile's connection values (host, port, dbname, user) that your shell's DBT_WAREHOUSE_ variables give it.",
    aws: "Check the warehouse secret's connection values (host, port, dbname, username) and the network from the task's subnets to the warehouse.",
  },
  credentialsSource: {
    local:
      'A local run reads the warehouse connection from DBT_WAREHOUSE_ and DBT_ENV_SECRET_ variables in your shell: export them.',
    aws: "Check the stage's credentialsSource, and that the task role may read that secret or Glue connection (and decrypt it with its KMS key).",
  },
  runInput: {
    local: 'Fix the field named in the reason; docs/run-input.md lists every field and its limits.',
    aws: 'Fix the field named in the reason; docs/run-input.md lists every field and its limits.',
  },
  other: {
    local:
      'Fix the setting the reason names: a local run takes its settings from the command line and your shell.',
    aws: DBT_EXITS[3].hint,
  },
};

/** What to do about a CONFIG_ERROR from the dbt runner (exit 3), for its cause. */
export function configErrorHint(cause: ConfigCause, place: RunPlace): string {
  return cause.kind === 'envVar' ? envVarHint(cause.names, place) : CONFIG_HINTS[cause.kind][place];
}

/** What to do about AWS unreachable from the task (exit 5): a laptop's network is its own. */
export function unreachableHint(place: RunPlace): string {
  return place === 'local' ? UNREACHABLE_HINT_LOCAL : UNREACHABLE_HINT_AWS;
}

/** What to do about a DBT_ERROR (exit 2): on a laptop, `serverless-dbt local` is already it. */
export function dbtErrorHint(place: RunPlace): string {
  return place === 'local'
    ? "Read the error at the end of dbt.log in the run's artifacts folder, fix the project and run `serverless-dbt local` again."
    : DBT_EXITS[2].hint;
}

export const noDbtContainer = (
  containerName: string,
  names: readonly (string | undefined)[],
): Wording => {
  const listed = names.map((name) => name ?? '?').join(', ');
  return {
    reason: `The task has no container named ${containerName} (${listed === '' ? 'it lists none' : `it has ${cut(listed, 200)}`}), so dbt's exit code is unknown.`,
    hint: "Set DBT_CONTAINER_NAME to the name of the task definition's dbt container.",
  };
};

export const noExitCode = (containerReason: string | undefined): Wording => ({
  reason: `The dbt container reported no exit code, so the run cannot count as a success${citing(containerReason)}`,
  hint: "Look at the task's stopped reason and its log in CloudWatch.",
});

export const killed = (containerReason: string | undefined, taskMemoryMiB: number): Wording => ({
  reason: `The dbt container was killed (exit 137, SIGKILL) with no out-of-memory report${citing(containerReason)}`,
  hint: `Look at the task's other containers and stopped reason; if its memory graph reached the limit, raise the task memory (now ${taskMemoryMiB} MiB).`,
});

export const terminated = (containerReason: string | undefined): Wording => ({
  reason: `The dbt container was stopped by SIGTERM (exit 143) before it finished${citing(containerReason)}`,
  hint: "Look at the task's other containers and stopped reason: an essential sidecar that exits stops the whole task.",
});

export const unknownExitCode = (
  exitCode: number,
  containerReason: string | undefined,
): Wording => ({
  reason: `The dbt container exited with code ${exitCode}, which the dbt runner never uses${citing(containerReason)}`,
  hint: "Read the task's log: the container's entrypoint itself may have crashed.",
});

// --- the error RunDbt's Catch caught (`name`: its Error; `message`: its Cause, read) --------

export const timedOut = (limitSeconds: number | undefined): Wording => ({
  reason:
    limitSeconds === undefined
      ? 'The run exceeded its time limit and Step Functions stopped the task.'
      : `The run exceeded its time limit of ${limitSeconds} s and Step Functions stopped the task.`,
  hint: timeLimitHint(limitSeconds),
});

function timeLimitHint(limitSeconds: number | undefined): string {
  return `Raise timeoutSeconds${limitSeconds === undefined ? '' : ` (now ${limitSeconds} s)`} in the run input or the stage's default, or select fewer models per run.`;
}

export const notPermitted = (message: string): Wording => ({
  reason: `The state machine may not run the task (States.Permissions): ${quote(message)}`,
  hint: "Check the state machine's role: ecs:RunTask, ecs:StopTask, ecs:DescribeTasks, events:PutRule and iam:PassRole for the task's roles.",
});

export const ecsRefused = (name: string, message: string | undefined): Wording => ({
  reason: `ECS refused to start the task (${errorLabel(name)}): ${errorDetails(message)}`,
  hint: "Check the state machine's role (ecs:RunTask, iam:PassRole for the task's roles).",
});

export const ecsUnavailable = (name: string, message: string | undefined): Wording => ({
  reason: `ECS could not start the task for now (${errorLabel(name)}, throttling or capacity): ${errorDetails(message)}`,
  hint: "The state machine already retried with backoff; if it repeats, check the account's Fargate quotas.",
});

export const ecsRejected = (name: string, message: string | undefined): Wording => ({
  reason: `ECS rejected the task's parameters (${errorLabel(name)}): ${errorDetails(message)}`,
  hint: "Check the cluster, task definition, subnets and security groups in the stage's settings, then deploy again.",
});

export const ecsServiceError = (name: string, message: string | undefined): Wording => ({
  reason: `ECS had a service error (${errorLabel(name)}): ${errorDetails(message)}`,
  hint: 'If it repeats, check the AWS Health Dashboard.',
});

/** RunTask's failures as a reason quotes them: reason, detail and ARN, at most three. */
function failuresCited(failures: readonly RunTaskFailureText[]): string {
  const cited = failures.slice(0, 3).map((failure) => {
    const detail =
      failure.detail && failure.detail !== failure.reason ? ` (${failure.detail})` : '';
    const arn = failure.arn ? ` for ${failure.arn}` : '';
    return `'${failure.reason}'${detail}${arn}`;
  });
  const more = failures.length > 3 ? ` and ${failures.length - 3} more` : '';
  return quote(`${cited.join('; ')}${more}`);
}

/** A RunTask failure as reasons.ts words it (ecs-task.ts reads them). */
export interface RunTaskFailureText {
  arn: string | null;
  reason: string;
  detail: string | null;
}

export const runTaskFailedForNow = (failures: readonly RunTaskFailureText[]): Wording => ({
  reason: `ECS could not place the task for now (RunTask failure, AmazonECS.Unknown): ${failuresCited(failures)}`,
  hint: 'RunDbt already retried with backoff. If it repeats, give the stage subnets in more Availability Zones, or turn FARGATE_SPOT off for this stage.',
});

export const runTaskRefused = (failures: readonly RunTaskFailureText[]): Wording => ({
  reason: `ECS refused to place the task (RunTask failure, AmazonECS.Unknown): ${failuresCited(failures)}`,
  hint: "Look the reason up in ECS's API failure reasons: MISSING or INACTIVE means the cluster or task definition is gone, ATTRIBUTE that the task needs what its capacity does not offer. Check the stage's cluster, task definition and subnets, then deploy again.",
});

export const runTaskFailuresUnreadable = (): Wording => ({
  reason:
    "ECS's RunTask answered with failures (AmazonECS.Unknown), and the error's cause did not say which.",
  hint: 'Look at the RunDbt step in the execution history; if it names a capacity failure, start the run again.',
});

export const runDbtFailed = (name: string, message: string | undefined): Wording => ({
  reason: `RunDbt failed with ${errorLabel(name)}: ${errorDetails(message)}`,
  hint: 'Look at the RunDbt step in the execution history.',
});

export const runDbtCauseUnreadable = (name: string): Wording => ({
  reason: `RunDbt failed with ${errorLabel(name)}, and the error's cause could not be read.`,
  hint: 'Look at the RunDbt step in the execution history.',
});

// --- the error Prepare failed with ----------------------------------------------------------

export const invalidInput = (message: string | undefined): Wording => ({
  reason: `The run input is invalid: ${prepareDetails(message)}`,
  hint: 'Fix the field named in the reason; docs/run-input.md lists every field and its limits.',
});

export const overlapping = (message: string | undefined): Wording => ({
  // The message names the lock (the job's own, or its lock group's) and the job holding it.
  reason: `Another run holds this job's overlap lock, so this one did not start: ${prepareDetails(message)}`,
  hint: "Nothing to fix for this run; if runs keep overlapping, schedule the job less often or make it faster, or take it out of the other job's lockGroup.",
});

export const prepareMisconfigured = (message: string | undefined): Wording => ({
  reason: `Prepare is misconfigured, so no task was started: ${prepareDetails(message)}`,
  hint: "Fix the setting named in the reason (the stage's params in serverless.yml, or the execution's name) and deploy or start again.",
});

export const prepareFailed = (name: string, message: string | undefined): Wording => ({
  reason: `Prepare failed with ${errorLabel(name)}, so no task was started: ${errorDetails(message)}`,
  hint: "Look at the Prepare function's log for this execution; the run can be started again as it is.",
});
