// serverless-dbt history --stage S [--limit N] [--job J] [--verdict V,...] [--since T] [--json]
// The stage's recent runs, newest first: start time, run id, job, status, verdict, duration,
// cost and the console link of each, then per job its last success and success rate over the
// listed runs; with --job, only that job's runs and its monthly cost. The filters page through
// the executions (newest first) until --limit runs match or the listing is older than --since.
import {
  DescribeExecutionCommand,
  type ExecutionListItem,
  ListExecutionsCommand,
  type SFNClient,
} from '@aws-sdk/client-sfn';
import { UsageError } from '../errors.ts';
import { withClients } from './clients.ts';
import { COMMON_OPTIONS, COMMON_USAGE, type CommandContext, openCommand } from './context.ts';
import { formatHistory, formatProjection, type HistoryRow, monthlyProjection } from './format.ts';
import {
  formatJobStats,
  type HistoryFilter,
  jobStats,
  parseSince,
  parseVerdicts,
  rowMatches,
  startedBefore,
} from './history-filter.ts';
import { isoOrNull, JSON_OPTION, JSON_USAGE } from './json.ts';
import { modelHistoryCommand } from './model-history.ts';
import { executionConsoleLink } from './names.ts';
import { failedOutcomeIn, jobOf, outcomeFromOutput, verdictOf } from './outcome.ts';
import { executionHistory, mapLimited } from './runs.ts';
import { findStack } from './stack.ts';

const DEFAULT_LIMIT = 20;
const MAX_LIMIT = 100;
/** DescribeExecution calls in flight at once (Step Functions throttles bursts). */
const CONCURRENCY = 5;
/** With a filter, the most executions looked at to find the matching runs. */
const MAX_SCANNED = 1000;

const USAGE = `usage: serverless-dbt history --stage STAGE [--limit N] [--job JOB] [--verdict V]
                           [--since WHEN] [--json]

The stage's recent runs, newest first, with their job, status, verdict, duration, what each
cost at list prices and a link to each in the Step Functions console; then, per job, its
last success and how many of its listed runs succeeded.

options:
  --limit N                  how many runs (1..${MAX_LIMIT}, default ${DEFAULT_LIMIT})
  --job JOB                  only this job's runs, and what the job costs a month
  --verdict V                only runs with this verdict; several comma-separated
                             (DBT_FAILED,DBT_ERROR)
  --since WHEN               only runs started since WHEN: a duration back from now (90m,
                             24h, 7d, 2w) or an ISO date or time, UTC (2026-12-01T03:00)
${JSON_USAGE}
  --model MODEL              one model's time across the job's successful runs instead
                             (see serverless-dbt history --model x --help)

${COMMON_USAGE}`;

const OPTIONS = {
  ...COMMON_OPTIONS,
  limit: { type: 'string' },
  job: { type: 'string' },
  verdict: { type: 'string' },
  since: { type: 'string' },
  ...JSON_OPTION,
} as const;

export async function historyCommand(
  args: string[],
  given: Partial<CommandContext> = {},
): Promise<number> {
  // One model's trend is read from the artifacts, not from the executions: a command of its own.
  if (args.some((arg) => arg === '--model' || arg.startsWith('--model='))) {
    return modelHistoryCommand(args, given);
  }
  const opened = openCommand(args, given, {
    options: OPTIONS,
    usage: USAGE,
    positionals: false,
  });
  if (opened === undefined) return 0;
  const { values, stage, context, emit } = opened;
  const limit = limitOf(values.limit);
  const job = values.job;
  const filter: HistoryFilter = {
    job,
    verdicts: parseVerdicts(values.verdict),
    since: parseSince(values.since, context.now()),
  };
  const filtered = job !== undefined || filter.verdicts !== undefined || filter.since !== undefined;

  return withClients(context, { stage, region: values.region }, async (clients) => {
    const stack = await findStack(clients.cloudFormation(), stage, clients.region);
    const stateMachineArn = stack.output('StateMachineArn');
    const sfn = clients.sfn();
    const { rows, scanned, more } = filtered
      ? await rowsMatching(sfn, stateMachineArn, filter, limit, clients.region)
      : {
          rows: await describeAll(
            sfn,
            await listNewest(sfn, stateMachineArn, limit),
            clients.region,
          ),
          scanned: 0,
          more: false,
        };
    if (more) {
      context.err(
        `looked at the newest ${scanned} runs only: fewer than ${limit} matched among them`,
      );
    }
    const stats = jobStats(rows);
    const projection = job === undefined ? undefined : monthlyProjection(rows);
    emit(historyJson(stage, filter, limit, rows, stats, projection));
    if (rows.length === 0) {
      context.err(
        filter.verdicts === undefined && filter.since === undefined
          ? job === undefined
            ? `no runs yet in stage ${stage}`
            : `no runs of job ${job} in stage ${stage}`
          : `no runs in stage ${stage} match ${filterText(filter, values.since)}`,
      );
      return 0;
    }
    context.out(formatHistory(rows, context.now()));
    if (job !== undefined && projection !== undefined) {
      context.out(formatProjection(job, projection));
    }
    context.out(stats.map(formatJobStats).join('\n'));
    return 0;
  });
}

function filterText(filter: HistoryFilter, since: string | undefined): string {
  return [
    filter.job === undefined ? '' : `--job ${filter.job}`,
    filter.verdicts === undefined ? '' : `--verdict ${[...filter.verdicts].join(',')}`,
    since === undefined ? '' : `--since ${since}`,
  ]
    .filter((part) => part !== '')
    .join(' ');
}

/** `history --json`: the filters, the runs, each job's stats and, with --job, its projection. */
function historyJson(
  stage: string,
  filter: HistoryFilter,
  limit: number,
  rows: HistoryRow[],
  stats: ReturnType<typeof jobStats>,
  projection: ReturnType<typeof monthlyProjection> | undefined,
) {
  return {
    stage,
    filters: {
      job: filter.job ?? null,
      verdicts: filter.verdicts === undefined ? null : [...filter.verdicts],
      since: isoOrNull(filter.since),
      limit,
    },
    runs: rows.map((row) => ({
      runId: row.runId,
      job: row.job,
      status: row.status,
      verdict: row.verdict,
      startedAt: isoOrNull(row.startDate),
      stoppedAt: isoOrNull(row.stopDate),
      durationSeconds:
        row.startDate === undefined || row.stopDate === undefined
          ? null
          : (row.stopDate.getTime() - row.startDate.getTime()) / 1000,
      costUsd: row.costUsd ?? null,
      console: row.link,
    })),
    jobs: stats.map((entry) => ({
      ...entry,
      lastSuccess:
        entry.lastSuccess === null
          ? null
          : { runId: entry.lastSuccess.runId, endedAt: isoOrNull(entry.lastSuccess.endedAt) },
    })),
    projection:
      projection === undefined
        ? null
        : {
            costedRuns: projection.costedRuns,
            averageUsd: projection.averageUsd ?? null,
            runsPerMonth: projection.runsPerMonth ?? null,
            monthlyUsd: projection.monthlyUsd ?? null,
          },
  };
}

async function listNewest(
  sfn: SFNClient,
  stateMachineArn: string,
  limit: number,
  nextToken?: string,
): Promise<{ executions: ExecutionListItem[]; nextToken: string | undefined }> {
  // Newest first, as Step Functions lists them.
  const listed = await sfn.send(
    new ListExecutionsCommand({ stateMachineArn, maxResults: limit, nextToken }),
  );
  return { executions: (listed.executions ?? []).slice(0, limit), nextToken: listed.nextToken };
}

/**
 * The newest `limit` runs that match: pages of the stage's runs (newest first), read until
 * enough are found, the listing is older than --since, or MAX_SCANNED runs were looked at
 * (`more`: the listing went on).
 */
async function rowsMatching(
  sfn: SFNClient,
  stateMachineArn: string,
  filter: HistoryFilter,
  limit: number,
  region: string,
): Promise<{ rows: HistoryRow[]; scanned: number; more: boolean }> {
  const rows: HistoryRow[] = [];
  let scanned = 0;
  let nextToken: string | undefined;
  let pastSince = false;
  do {
    const page = await listNewest(sfn, stateMachineArn, MAX_LIMIT, nextToken);
    scanned += page.executions.length;
    nextToken = page.nextToken;
    // Listed newest first: the first run started before --since ends the search.
    const tooOld = page.executions.findIndex((item) => startedBefore(item.startDate, filter.since));
    if (tooOld >= 0) pastSince = true;
    const recent = tooOld >= 0 ? page.executions.slice(0, tooOld) : page.executions;
    const described = await describeAll(sfn, { executions: recent }, region);
    rows.push(...described.filter((row) => rowMatches(row, filter)));
  } while (rows.length < limit && !pastSince && nextToken !== undefined && scanned < MAX_SCANNED);
  const more = rows.length < limit && !pastSince && nextToken !== undefined;
  return { rows: rows.slice(0, limit), scanned, more };
}

/**
 * Each execution's row. A failed run's cost is not in its output (the Fail state ends it with
 * the verdict and reason only): it is read from the execution's history.
 */
async function describeAll(
  sfn: SFNClient,
  listed: { executions: ExecutionListItem[] },
  region: string,
): Promise<HistoryRow[]> {
  return mapLimited(listed.executions, CONCURRENCY, async (item): Promise<HistoryRow> => {
    const execution = await sfn.send(
      new DescribeExecutionCommand({ executionArn: item.executionArn }),
    );
    const outcome =
      outcomeFromOutput(execution.output) ??
      (execution.status === 'FAILED' && item.executionArn !== undefined
        ? failedOutcomeIn(await executionHistory(sfn, item.executionArn))
        : undefined);
    return {
      startDate: execution.startDate ?? item.startDate,
      stopDate: execution.stopDate ?? item.stopDate,
      runId: item.name ?? '?',
      job: jobOf(execution.input),
      status: execution.status ?? item.status ?? '?',
      verdict: verdictOf(execution),
      costUsd: outcome?.cost?.usd,
      link: executionConsoleLink(item.executionArn ?? '', region),
    };
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
