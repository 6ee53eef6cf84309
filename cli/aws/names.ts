// Names and addresses the AWS commands compute: the execution name `start` gives a run, the
// stack of a stage, the console links, where a run's artifacts are. Pure: no AWS SDK here.
import { createHash } from 'node:crypto';
import { attemptArtifactsUri, LAST_ATTEMPT_FILE } from '../../functions/shared/artifacts-layout.ts';
import { CliError, UsageError } from '../errors.ts';

/** The CloudFormation stack `serverless deploy --stage <stage>` creates. */
export function stackNameOf(stage: string): string {
  return `serverless-dbt-${stage}`;
}

// CloudFormation stack names: a letter, then letters, digits and '-', at most 128 characters.
const STAGE_RE = /^[A-Za-z0-9-]{1,113}$/;

/** @throws UsageError when the stage cannot be part of a stack name. */
export function checkStage(stage: string | undefined, usage: string): string {
  if (stage === undefined || stage === '') {
    throw new UsageError(`--stage is required (the deployed stage, e.g. dev or live)\n\n${usage}`);
  }
  if (!STAGE_RE.test(stage)) {
    throw new UsageError(
      `--stage '${stage.slice(0, 40)}' is not a stage name: letters, digits and '-' only`,
    );
  }
  return stage;
}

/** Execution names the state machine accepts as run ids (prepare.ts, runIdOf). */
export const RUN_ID_RE = /^[A-Za-z0-9_-]{1,80}$/;
export const MAX_EXECUTION_NAME = 80;
const TIMESTAMP_CHARS = 'yyyymmddThhmmss'.length;
const DIGEST_CHARS = 8;

/** JSON with object keys sorted at every level: equal values give equal text. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.keys(value)
      .sort()
      .map(
        (key) => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`,
      );
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** `yyyymmddThhmmss` in UTC. */
export function compactUtc(date: Date): string {
  return date.toISOString().slice(0, 19).replace(/[-:]/g, '').slice(0, TIMESTAMP_CHARS);
}

/**
 * The name `start` gives an execution: `cli-<job>-<UTC yyyymmddThhmmss>-<8 hex>`, where the
 * hex starts the SHA-256 of the input's canonical JSON. The same input in the same second
 * gives the same name, which Step Functions treats as the same request (idempotent start).
 * Letters, digits, '_' and '-' only and at most 80 characters, so it is a valid run id
 * (Prepare) and the `cli-` prefix marks the trigger as `cli`.
 */
export function executionNameFor(job: string, input: unknown, now: Date): string {
  const digest = createHash('sha256')
    .update(canonicalJson(input))
    .digest('hex')
    .slice(0, DIGEST_CHARS);
  const room = MAX_EXECUTION_NAME - 'cli-'.length - TIMESTAMP_CHARS - DIGEST_CHARS - 2;
  const safeJob = job.replace(/[^A-Za-z0-9_-]/g, '-').slice(0, room) || 'manual';
  return `cli-${safeJob}-${compactUtc(now)}-${digest}`;
}

/**
 * The run id a user typed: a run id, or an execution's ARN (as `start` prints it).
 * @throws CliError when it cannot be an execution name.
 */
export function runIdFromArgument(argument: string, stage: string): string {
  const runId =
    argument.startsWith('arn:') && argument.includes(':execution:')
      ? (argument.split(':').at(-1) ?? '')
      : argument;
  // Step Functions names: 1 to 80 characters, none of whitespace and " # % \ ^ | ~ ` $ & , ; : /
  // and brackets or wildcards.
  if (
    runId.length === 0 ||
    runId.length > MAX_EXECUTION_NAME ||
    /[\s"#%\\^|~`$&,;:/<>{}[\]?*]/u.test(runId)
  ) {
    throw new CliError(
      `'${argument.slice(0, 100)}' is not a run id (serverless-dbt history --stage ${stage} lists them)`,
    );
  }
  return runId;
}

/** The ARN of an execution of a Standard state machine, from the machine's ARN and its name. */
export function executionArnOf(stateMachineArn: string, runId: string): string {
  return `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${runId}`;
}

/** The execution's page in the Step Functions console. */
export function executionConsoleLink(executionArn: string, region: string): string {
  return `https://${region}.console.aws.amazon.com/states/home?region=${region}#/v2/executions/details/${executionArn}`;
}

/**
 * Where a stage keeps its artifacts in its bucket: serverless.yml gives the container
 * `ARTIFACTS_URI=s3://<ArtifactsBucket>/dbt`.
 */
export const ARTIFACTS_PREFIX = 'dbt';

/** An S3 object, as bucket and key. */
export interface S3Location {
  bucket: string;
  key: string;
}

/** `s3://bucket/some/key` → { bucket, key }, or undefined when it is not an s3:// URI. */
export function parseS3Uri(uri: string): S3Location | undefined {
  const match = /^s3:\/\/([^/]+)\/?(.*)$/.exec(uri);
  if (match === null) return undefined;
  return { bucket: match[1] as string, key: match[2] as string };
}

/**
 * A run's folder in the bucket, or one attempt's (`dbt/runs/<runId>/attempt-<N>`). Without an
 * attempt, the run's own folder: runs stored before attempts had folders of their own keep
 * their files there.
 */
function runFolderKey(runId: string, attempt?: number): string {
  const run = `${ARTIFACTS_PREFIX}/runs/${runId}`;
  return attempt === undefined ? run : attemptArtifactsUri(run, attempt).replace(/\/$/, '');
}

/** A run's artifacts folder as a URI, the attempt's when one is given (runFolderKey). */
export function runArtifactsUriOf(bucket: string, runId: string, attempt?: number): string {
  return `s3://${bucket}/${runFolderKey(runId, attempt)}/`;
}

/** The run's last-attempt.json, which names the attempt that stored last. */
export function lastAttemptFileOf(bucket: string, runId: string): S3Location {
  return { bucket, key: `${ARTIFACTS_PREFIX}/runs/${runId}/${LAST_ATTEMPT_FILE}` };
}

/** An object in an artifacts folder given as `s3://bucket/prefix/`. */
export function objectIn(folderUri: string, name: string): S3Location | undefined {
  const folder = parseS3Uri(folderUri);
  if (folder === undefined) return undefined;
  const prefix = folder.key.replace(/\/+$/, '');
  return { bucket: folder.bucket, key: prefix === '' ? name : `${prefix}/${name}` };
}

/**
 * The docs page: the last successful docs (`dbt/latest/index.html`) without a run id, else
 * the run's, in the folder of the attempt given (see runArtifactsUriOf).
 */
export function docsPageOf(
  bucket: string,
  runId: string | undefined,
  attempt?: number,
): S3Location {
  return {
    bucket,
    key:
      runId === undefined
        ? `${ARTIFACTS_PREFIX}/latest/index.html`
        : `${runFolderKey(runId, attempt)}/index.html`,
  };
}

/** The CloudWatch Logs stream of a task's dbt container (awslogs prefix `dbt`, container `dbt`). */
export function logStreamOf(taskId: string): string {
  return `dbt/dbt/${taskId}`;
}
