// serverless-dbt history --stage S --model NAME [--job J] [--limit N] [--json]
// One model's time across a job's successful runs, newest first: the container leaves a
// pointer per successful run under dbt/jobs/<job>/successes/ (docs/design.md, "Artifacts"),
// and each run's run_results.json says how long the model took.
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { compactDuration, modelName } from '../../functions/shared/slow-models.ts';
import { CliError, UsageError } from '../errors.ts';
import { withClients } from './clients.ts';
import {
  COMMON_OPTIONS,
  COMMON_USAGE,
  type CommandContext,
  contextFrom,
  parseCommandArgs,
} from './context.ts';
import { ARTIFACTS_PREFIX, checkStage } from './names.ts';
import { mapLimited } from './runs.ts';
import { findStack } from './stack.ts';

const DEFAULT_LIMIT = 20;
const MAX_LIMIT = 100;
/** S3 reads in flight at once. */
const CONCURRENCY = 8;
/** Model names and unique ids as dbt writes them; nothing that could leave the job's folder. */
const MODEL_RE = /^[A-Za-z0-9_.-]{1,200}$/;
const JOB_RE = /^[A-Za-z0-9_-]{1,64}$/;

export const MODEL_HISTORY_USAGE = `usage: serverless-dbt history --stage STAGE --model MODEL [--job JOB] [--limit N] [--json]

How long one model took in each of a job's successful runs, newest first, and its median: the
trend behind an alert's "orders: 4m12s, usually 1m05s". MODEL is a model's name (orders) or
its unique id (model.shop.orders). Without --job, every job that has successful runs.

options:
  --model MODEL              the model
  --job JOB                  only this job's runs
  --limit N                  successful runs per job (1..${MAX_LIMIT}, default ${DEFAULT_LIMIT})
  --json                     the runs as JSON, for scripts

${COMMON_USAGE}`;

const OPTIONS = {
  ...COMMON_OPTIONS,
  model: { type: 'string' },
  job: { type: 'string' },
  limit: { type: 'string' },
  json: { type: 'boolean' },
} as const;

/** One successful run of a job, and what the model did in it. */
export interface ModelRun {
  job: string;
  runId: string;
  finishedAt: string;
  /** The model's execution time; null when the run did not build it (not selected). */
  seconds: number | null;
  /** The model's status in the run (success, error...), or `not run`. */
  status: string;
}

export interface ModelHistory {
  model: string;
  runs: ModelRun[];
  /** Per job: the median of the runs that built the model, and of how many. */
  jobs: Array<{ job: string; medianSeconds: number | null; runsCompared: number }>;
}

/** Whether a run_results.json entry is the model asked for, by unique id or by name. */
export function isModel(uniqueId: string, model: string): boolean {
  if (uniqueId === model) return true;
  return uniqueId.startsWith('model.') && modelName(uniqueId) === model;
}

/** The model's time and status in one run_results.json; not run when it is not there. */
export function modelInRunResults(
  text: string,
  model: string,
): Pick<ModelRun, 'seconds' | 'status'> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { seconds: null, status: 'unreadable' };
  }
  const results = (parsed as { results?: unknown } | null)?.results;
  if (!Array.isArray(results)) return { seconds: null, status: 'unreadable' };
  for (const result of results as Array<Record<string, unknown>>) {
    if (typeof result?.unique_id !== 'string' || !isModel(result.unique_id, model)) continue;
    const time = result.execution_time;
    return {
      seconds: typeof time === 'number' && Number.isFinite(time) ? time : null,
      status: typeof result.status === 'string' ? result.status : 'unknown',
    };
  }
  return { seconds: null, status: 'not run' };
}

function median(values: number[]): number | null {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return null;
  const middle = Math.floor(sorted.length / 2);
  const high = sorted[middle] as number;
  return sorted.length % 2 === 1 ? high : ((sorted[middle - 1] as number) + high) / 2;
}

/** The runs, newest first, and each job's median over the runs that built the model. */
export function modelHistoryOf(model: string, runs: ModelRun[]): ModelHistory {
  const sorted = [...runs].sort(
    (a, b) => b.finishedAt.localeCompare(a.finishedAt) || a.job.localeCompare(b.job),
  );
  const jobs = [...new Set(sorted.map((run) => run.job))].sort().map((job) => {
    const built = sorted
      .filter((run) => run.job === job && run.status === 'success' && run.seconds !== null)
      .map((run) => run.seconds as number);
    return { job, medianSeconds: median(built), runsCompared: built.length };
  });
  return { model, runs: sorted, jobs };
}

/** The table, then one line per job: "nightly: orders usually takes 1m05s (median of 10 runs)". */
export function formatModelHistory(history: ModelHistory): string {
  const header = ['FINISHED (UTC)', 'JOB', 'RUN ID', 'TIME', 'STATUS'];
  const rows = history.runs.map((run) => [
    run.finishedAt.replace('T', ' ').replace(/(\.\d+)?Z$/, ''),
    run.job,
    run.runId,
    run.seconds === null ? '-' : compactDuration(run.seconds),
    run.status,
  ]);
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  const line = (cells: string[]) =>
    cells
      .map((cell, column) => cell.padEnd(widths[column] ?? 0))
      .join('  ')
      .trimEnd();
  const name = modelName(history.model);
  const medians = history.jobs.map(({ job, medianSeconds, runsCompared }) =>
    medianSeconds === null
      ? `${job}: ${name} did not build in these runs`
      : `${job}: ${name} usually takes ${compactDuration(medianSeconds)} (median of ${runsCompared} ${runsCompared === 1 ? 'run' : 'runs'})`,
  );
  return [line(header), ...rows.map(line), '', ...medians].join('\n');
}

// --- reading the job's successes from S3 ------------------------------------------------------

const isMissing = (error: unknown): boolean =>
  error instanceof Error &&
  (error.name === 'NoSuchKey' ||
    (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404);

async function textOf(s3: S3Client, bucket: string, key: string): Promise<string | null> {
  try {
    const response = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return (await response.Body?.transformToString('utf-8')) ?? null;
  } catch (error) {
    if (isMissing(error)) return null;
    throw error;
  }
}

async function listAll(
  s3: S3Client,
  bucket: string,
  prefix: string,
): Promise<{ keys: string[]; folders: string[] }> {
  const keys: string[] = [];
  const folders: string[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(
      new ListObjectsV2Command({
        Bucket: bucket,
        Prefix: prefix,
        Delimiter: '/',
        ContinuationToken: token,
      }),
    );
    keys.push(...(page.Contents ?? []).flatMap((item) => (item.Key ? [item.Key] : [])));
    folders.push(
      ...(page.CommonPrefixes ?? []).flatMap((item) => (item.Prefix ? [item.Prefix] : [])),
    );
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token !== undefined);
  return { keys, folders };
}

/** The jobs that have successful runs: dbt/jobs/<job>/. */
async function jobsWithSuccesses(s3: S3Client, bucket: string): Promise<string[]> {
  const prefix = `${ARTIFACTS_PREFIX}/jobs/`;
  const { folders } = await listAll(s3, bucket, prefix);
  return folders.map((folder) => folder.slice(prefix.length).replace(/\/$/, '')).sort();
}

interface Pointer {
  runId: string;
  folder: string;
  finishedAt: string;
}

function pointerIn(text: string | null): Pointer | undefined {
  if (text === null) return undefined;
  try {
    const value = JSON.parse(text) as Record<string, unknown>;
    const { runId, folder, finishedAt } = value ?? {};
    if (typeof runId !== 'string' || typeof folder !== 'string') return undefined;
    if (!folder.startsWith('runs/') || folder.includes('..')) return undefined;
    return { runId, folder, finishedAt: typeof finishedAt === 'string' ? finishedAt : '' };
  } catch {
    return undefined;
  }
}

/** The job's newest `limit` successful runs, and the model's time in each. */
export async function modelRunsOfJob(
  s3: S3Client,
  bucket: string,
  job: string,
  model: string,
  limit: number,
): Promise<ModelRun[]> {
  const { keys } = await listAll(s3, bucket, `${ARTIFACTS_PREFIX}/jobs/${job}/successes/`);
  // `<finishedAt compact>-<runId>.json`: the names sort oldest first.
  const newest = keys
    .filter((key) => key.endsWith('.json'))
    .sort()
    .reverse()
    .slice(0, limit);
  const runs = await mapLimited(newest, CONCURRENCY, async (key): Promise<ModelRun | undefined> => {
    const pointer = pointerIn(await textOf(s3, bucket, key));
    if (pointer === undefined) return undefined;
    const folder = pointer.folder.replace(/\/?$/, '/');
    const results = await textOf(s3, bucket, `${ARTIFACTS_PREFIX}/${folder}run_results.json`);
    const found =
      results === null
        ? { seconds: null, status: 'no run_results.json' }
        : modelInRunResults(results, model);
    return { job, runId: pointer.runId, finishedAt: pointer.finishedAt, ...found };
  });
  return runs.filter((run): run is ModelRun => run !== undefined);
}

export async function modelHistoryCommand(
  args: string[],
  given: Partial<CommandContext> = {},
): Promise<number> {
  const context = contextFrom(given);
  const { values } = parseCommandArgs(args, OPTIONS, MODEL_HISTORY_USAGE, false);
  if (values.help) {
    context.out(MODEL_HISTORY_USAGE);
    return 0;
  }
  const stage = checkStage(values.stage, MODEL_HISTORY_USAGE);
  const model = values.model ?? '';
  if (!MODEL_RE.test(model)) {
    throw new UsageError(
      `--model must be a model's name or unique id (letters, digits, '_', '.', '-'; got '${model}')`,
    );
  }
  if (values.job !== undefined && !JOB_RE.test(values.job)) {
    throw new UsageError(
      `--job must be a job's name (letters, digits, '_', '-'; got '${values.job}')`,
    );
  }
  const limit = limitOf(values.limit);

  return withClients(context, { stage, region: values.region }, async (clients) => {
    const stack = await findStack(clients.cloudFormation(), stage, clients.region);
    const bucket = stack.output('ArtifactsBucketName');
    const s3 = clients.s3();
    const jobs = values.job === undefined ? await jobsWithSuccesses(s3, bucket) : [values.job];
    const runs = (
      await mapLimited(jobs, 2, (job) => modelRunsOfJob(s3, bucket, job, model, limit))
    ).flat();
    if (runs.length === 0) {
      const which = values.job === undefined ? 'no job' : `job ${values.job}`;
      throw new CliError(
        `${which} has successful runs with artifacts in stage ${stage} yet (the history starts with the first successful run after this release)`,
      );
    }
    const history = modelHistoryOf(model, runs);
    if (history.runs.every((run) => run.seconds === null)) {
      context.err(`${model} did not run in any of these successful runs: is the name right?`);
    }
    context.out(values.json ? JSON.stringify(history, null, 2) : formatModelHistory(history));
    return 0;
  });
}

function limitOf(text: string | undefined): number {
  if (text === undefined) return DEFAULT_LIMIT;
  const value = Number(text);
  if (!/^\d+$/.test(text.trim()) || value < 1 || value > MAX_LIMIT) {
    throw new UsageError(`--limit must be a whole number from 1 to ${MAX_LIMIT} (got '${text}')`);
  }
  return value;
}
