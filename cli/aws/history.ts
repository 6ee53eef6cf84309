// serverless-dbt history --stage S [--limit N] [--job J]
// The stage's recent runs, newest first: start time, run id, job, status, verdict, duration,
// cost and the console link of each; with --job, only that job's runs and its monthly cost.
import {
  DescribeExecutionCommand,
  type ExecutionListItem,
  ListExecutionsCommand,
  type SFNClient,
} from '@aws-sdk/client-sfn';
import { UsageError } from '../errors.ts';
import { withClients } from './clients.ts';
import {
  COMMON_OPTIONS,
  COMMON_USAGE,
  type CommandContext,
  contextFrom,
  parseCommandArgs,
} from './context.ts';
import { formatHistory, formatProjection, type HistoryRow, monthlyProjection } from './format.ts';
import { modelHistoryCommand } from './model-history.ts';
import { checkStage, executionConsoleLink } from './names.ts';
import { failedOutcomeIn, jobOf, outcomeFromOutput, verdictOf } from './outcome.ts';
import { executionHistory, mapLimited } from './runs.ts';
import { findStack } from './stack.ts';

const DEFAULT_LIMIT = 20;
const MAX_LIMIT = 100;
/** DescribeExecution calls in flight at once (Step Functions throttles bursts). */
const CONCURRENCY = 5;
/** With --job, the most executions looked at to find the job's runs. */
const MAX_SCANNED = 1000;

const USAGE = `usage: serverless-dbt history --stage STAGE [--limit N] [--job JOB]

The stage's recent runs, newest first, with their job, status, verdict, duration, what each
cost at list prices and a link to each in the Step Functions console.

options:
  --limit N                  how many runs (1..${MAX_LIMIT}, default ${DEFAULT_LIMIT})
  --job JOB                  only this job's runs, and what the job costs a month
  --model MODEL              one model's time across the job's successful runs instead
                             (see serverless-dbt history --model x --help)

${COMMON_USAGE}`;

const OPTIONS = { ...COMMON_OPTIONS, limit: { type: 'string' }, job: { type: 'string' } } as const;

export async function historyCommand(
  args: string[],
  given: Partial<CommandContext> = {},
): Promise<number> {
  // One model's trend is read from the artifacts, not from the executions: a command of its own.
  if (args.some((arg) => arg === '--model' || arg.startsWith('--model='))) {
    return modelHistoryCommand(args, given);
  }
  const context = contextFrom(given);
  const { values } = parseCommandArgs(args, OPTIONS, USAGE, false);
  if (values.help) {
    context.out(USAGE);
    return 0;
  }
  const stage = checkStage(values.stage, USAGE);
  const limit = limitOf(values.limit);

  return withClients(context, values.region, async (clients) => {
    const stack = await findStack(clients.cloudFormation(), stage, clients.region);
    const stateMachineArn = stack.output('StateMachineArn');
    const sfn = clients.sfn();
    const job = values.job;
    const rows =
      job === undefined
        ? await describeAll(sfn, await listNewest(sfn, stateMachineArn, limit), clients.region)
        : await rowsOfJob(sfn, stateMachineArn, job, limit, clients.region);
    if (rows.length === 0) {
      context.err(
        job === undefined
          ? `no runs yet in stage ${stage}`
          : `no runs of job ${job} in stage ${stage}`,
      );
      return 0;
    }
    context.out(formatHistory(rows, context.now()));
    if (job !== undefined) context.out(formatProjection(job, monthlyProjection(rows)));
    return 0;
  });
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

/** The job's newest `limit` runs: pages of the stage's runs, read until enough are found. */
async function rowsOfJob(
  sfn: SFNClient,
  stateMachineArn: string,
  job: string,
  limit: number,
  region: string,
): Promise<HistoryRow[]> {
  const rows: HistoryRow[] = [];
  let scanned = 0;
  let nextToken: string | undefined;
  do {
    const page = await listNewest(sfn, stateMachineArn, MAX_LIMIT, nextToken);
    scanned += page.executions.length;
    nextToken = page.nextToken;
    const described = await describeAll(sfn, page, region);
    rows.push(...described.filter((row) => row.job === job));
  } while (rows.length < limit && nextToken !== undefined && scanned < MAX_SCANNED);
  return rows.slice(0, limit);
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
