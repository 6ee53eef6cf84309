// serverless-dbt backfill --stage S --job X --from D1 --to D2 [--concurrency N] [--keep-going]
// One run of a scheduled job per date, each with the scheduled time its schedule would have
// given that date (so dbt gets that date's run_date and data interval), one date after the
// other or N at once. Each run is an execution of the stage's state machine, as a schedule's
// run is; this command only starts them, waits for each, and prints one line per date.

import { GetTemplateCommand } from '@aws-sdk/client-cloudformation';
import {
  DescribeExecutionCommand,
  type DescribeExecutionCommandOutput,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { CliError, UsageError } from '../errors.ts';
import {
  backfillExecutionName,
  datesBetween,
  deployedSchedule,
  MAX_ATTEMPT_NAMES,
  MAX_CONCURRENCY,
  MAX_DATES,
  type PlannedDate,
  parseConcurrency,
  parseDateOption,
  planDates,
} from './backfill-plan.ts';
import { type AwsClients, withClients } from './clients.ts';
import { COMMON_OPTIONS, COMMON_USAGE, type CommandContext, openCommand } from './context.ts';
import { JSON_OPTION, JSON_USAGE } from './json.ts';
import { executionArnOf, stackNameOf } from './names.ts';
import { isFinished, outcomeOf } from './outcome.ts';
import { findStack } from './stack.ts';

const USAGE = `usage: serverless-dbt backfill --stage STAGE --job JOB --from YYYY-MM-DD --to YYYY-MM-DD
                           [--concurrency N] [--keep-going] [--json]

Runs a scheduled job once for each date from --from to --to, each with the time its schedule
gives that date (its cron, in its time zone) as scheduledTime: dbt gets that date's run_date,
data_interval_start and data_interval_end. Runs are named cli-backfill-<job>-<date>: a date
whose run succeeded is not run again, a running one is waited for, a failed one is run again
as cli-backfill-<job>-<date>-2 (then -3 ...). Prints one line per date as its run ends.

options:
  --job JOB                  the job, as serverless.yml's jobs name it
  --from YYYY-MM-DD          the first date (in the job's time zone)
  --to YYYY-MM-DD            the last date, included (at most ${MAX_DATES} dates)
  --concurrency N            runs at once, 1..${MAX_CONCURRENCY} (default 1: one date after the other)
  --keep-going               after a failed date, start the others still (default: stop
                             starting new runs; the running ones end on their own)
${JSON_USAGE}
                             (printed once every date has ended)

Exit status: 0 every date succeeded (or had no scheduled time), 1 a date failed or was not
started, 2 a usage error, 130 interrupted. Ctrl-C stops starting new runs and waits for the
running ones; they are never stopped (press it again to leave them running unwatched).

${COMMON_USAGE}`;

const OPTIONS = {
  ...COMMON_OPTIONS,
  job: { type: 'string' },
  from: { type: 'string' },
  to: { type: 'string' },
  concurrency: { type: 'string' },
  'keep-going': { type: 'boolean' },
  ...JSON_OPTION,
} as const;

/** How often a run's status is asked for (SERVERLESS_DBT_POLL_MS overrides it, as for start). */
const DEFAULT_POLL_MS = 10_000;

export interface BackfillContext extends CommandContext {
  /** Aborted on Ctrl-C: no new run starts after it. */
  stop: AbortSignal;
}

/** How one date ended. */
interface DateResult {
  date: string;
  verdict: string;
  runId?: string;
  note: string;
  failed: boolean;
}

export async function backfillCommand(
  args: string[],
  given: Partial<BackfillContext> = {},
): Promise<number> {
  const opened = openCommand(args, given, {
    options: OPTIONS,
    usage: USAGE,
    positionals: false,
  });
  if (opened === undefined) return 0;
  const { values, stage, context, emit } = opened;
  if (values.job === undefined || values.job === '') {
    throw new UsageError(`--job is required (the scheduled job to backfill)\n\n${USAGE}`);
  }
  const job = values.job;
  const from = parseDateOption('from', values.from);
  const to = parseDateOption('to', values.to);
  const dates = datesBetween(from, to);
  const concurrency = parseConcurrency(values.concurrency);
  const keepGoing = values['keep-going'] === true;
  const pollMs = pollInterval(context.env.SERVERLESS_DBT_POLL_MS);
  const { signal, release } = given.stop
    ? { signal: given.stop, release: () => {} }
    : interruptOnCtrlC(context);

  try {
    return await withClients(context, { stage, region: values.region }, async (clients) => {
      const stack = await findStack(clients.cloudFormation(), stage, clients.region);
      const stateMachineArn = stack.output('StateMachineArn');
      const template = await deployedTemplate(clients, stage);
      const plan = planDates(deployedSchedule(template, job, stage), dates, context.now());
      context.err(
        `backfill of ${job} on stage ${stage}: ${plan.length} date(s) from ${from} to ${to}, ${concurrency} at a time`,
      );
      const results = await runPlan({
        plan,
        concurrency,
        keepGoing,
        signal,
        runDate: (item) => runDate(clients, context, stateMachineArn, job, item, pollMs),
        report: (result) => context.out(formatResult(result)),
      });
      const count = (verdict: string) =>
        results.filter((result) => result.verdict === verdict).length;
      const failed = results.filter((result) => result.failed).length;
      const notStarted = count('NOT_STARTED');
      context.out(
        `backfill ${job} ${from}..${to}: ${count('SUCCEEDED')} succeeded, ${failed - notStarted} failed, ` +
          `${notStarted} not started, ${count('SKIPPED')} without a scheduled time`,
      );
      const exitCode = signal.aborted ? 130 : failed > 0 ? 1 : 0;
      emit({
        stage,
        job,
        from,
        to,
        exitCode,
        succeeded: count('SUCCEEDED'),
        failed: failed - notStarted,
        notStarted,
        skipped: count('SKIPPED'),
        dates: results.map((result) => ({
          date: result.date,
          verdict: result.verdict,
          runId: result.runId ?? null,
          note: result.note,
        })),
      });
      return exitCode;
    });
  } finally {
    release();
  }
}

/** The first Ctrl-C stops new runs; a second one leaves at once (the runs go on in AWS). */
function interruptOnCtrlC(context: CommandContext): { signal: AbortSignal; release: () => void } {
  const controller = new AbortController();
  const onSignal = () => {
    if (controller.signal.aborted) process.exit(130);
    controller.abort();
    context.err(
      'serverless-dbt: interrupted; no new run starts, waiting for the running ones (Ctrl-C again leaves them running)',
    );
  };
  process.on('SIGINT', onSignal);
  return { signal: controller.signal, release: () => process.off('SIGINT', onSignal) };
}

function pollInterval(text: string | undefined): number {
  const value = Number(text);
  return text && Number.isFinite(value) && value > 0 ? value : DEFAULT_POLL_MS;
}

/** The template the stage was deployed with: its schedules are the jobs as they run. */
async function deployedTemplate(clients: AwsClients, stage: string): Promise<unknown> {
  const { TemplateBody } = await clients
    .cloudFormation()
    .send(new GetTemplateCommand({ StackName: stackNameOf(stage), TemplateStage: 'Original' }));
  try {
    return JSON.parse(TemplateBody ?? '');
  } catch {
    throw new CliError(
      `the stack ${stackNameOf(stage)}'s template is not JSON; deploy it with npx serverless deploy --stage ${stage}`,
    );
  }
}

interface PlanRun {
  plan: readonly PlannedDate[];
  concurrency: number;
  keepGoing: boolean;
  signal: AbortSignal;
  runDate: (item: PlannedDate & { scheduledTime: string }) => Promise<DateResult>;
  report: (result: DateResult) => void;
}

/**
 * Runs the dates in order, at most `concurrency` at once. After a failure (unless keepGoing)
 * or once `signal` is aborted, no date starts; the ones running are waited for. Each result
 * is reported as it comes, the dates not started last.
 */
export async function runPlan({
  plan,
  concurrency,
  keepGoing,
  signal,
  runDate,
  report,
}: PlanRun): Promise<DateResult[]> {
  const results: DateResult[] = [];
  const done = (result: DateResult) => {
    results.push(result);
    report(result);
  };
  const running = new Set<Promise<void>>();
  const pending = [...plan];
  const stopped = () => signal.aborted || (!keepGoing && results.some((result) => result.failed));
  while (pending.length > 0 && !stopped()) {
    if (running.size >= concurrency) {
      await Promise.race(running);
      continue;
    }
    const item = pending.shift() as PlannedDate;
    if (item.scheduledTime === undefined) {
      done({ date: item.date, verdict: 'SKIPPED', note: item.skipped, failed: false });
      continue;
    }
    const promise: Promise<void> = runDate(item)
      .then(done)
      .finally(() => running.delete(promise));
    running.add(promise);
  }
  await Promise.all(running);
  const why = signal.aborted ? 'interrupted' : 'an earlier date failed; --keep-going runs the rest';
  for (const item of pending) {
    done({ date: item.date, verdict: 'NOT_STARTED', note: `not started: ${why}`, failed: true });
  }
  return results;
}

function formatResult(result: DateResult): string {
  return [result.date, result.verdict.padEnd(12), result.runId ?? '-', result.note].join('  ');
}

const NOT_FOUND = new Set(['ExecutionDoesNotExist', 'ResourceNotFoundException']);

async function describe(
  clients: AwsClients,
  executionArn: string,
): Promise<DescribeExecutionCommandOutput | undefined> {
  try {
    return await clients.sfn().send(new DescribeExecutionCommand({ executionArn }));
  } catch (error) {
    if (error instanceof Error && NOT_FOUND.has(error.name)) return undefined;
    throw error;
  }
}

/**
 * One date: its earlier runs decide. A success is reported, not run again; a running one is
 * waited for; after failed ones, the next name is started and waited for.
 */
async function runDate(
  clients: AwsClients,
  context: CommandContext,
  stateMachineArn: string,
  job: string,
  item: PlannedDate & { scheduledTime: string },
  pollMs: number,
): Promise<DateResult> {
  for (let attempt = 1; attempt <= MAX_ATTEMPT_NAMES; attempt += 1) {
    const name = backfillExecutionName(job, item.date, attempt);
    const executionArn = executionArnOf(stateMachineArn, name);
    const earlier = await describe(clients, executionArn);
    if (earlier?.status === 'SUCCEEDED') {
      return resultOf(item.date, name, earlier, 'already succeeded; not run again');
    }
    if (earlier?.status === 'RUNNING') {
      context.err(`${item.date}: ${name} is already running; waiting for it`);
      return resultOf(item.date, name, await follow(clients, context, executionArn, pollMs));
    }
    if (earlier !== undefined) continue;
    await clients
      .sfn()
      .send(
        new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify(item.input) }),
      );
    context.err(`${item.date}: started ${name} (scheduled time ${item.scheduledTime})`);
    return resultOf(item.date, name, await follow(clients, context, executionArn, pollMs));
  }
  throw new CliError(
    `${item.date} has failed ${MAX_ATTEMPT_NAMES} times (${backfillExecutionName(job, item.date, 1)} …); look at those runs first`,
  );
}

async function follow(
  clients: AwsClients,
  context: CommandContext,
  executionArn: string,
  pollMs: number,
): Promise<DescribeExecutionCommandOutput> {
  for (;;) {
    const execution = await clients.sfn().send(new DescribeExecutionCommand({ executionArn }));
    if (isFinished(execution.status)) return execution;
    await context.sleep(pollMs);
  }
}

function resultOf(
  date: string,
  runId: string,
  execution: DescribeExecutionCommandOutput,
  note?: string,
): DateResult {
  const outcome = outcomeOf(execution, runId);
  return {
    date,
    verdict: outcome.verdict,
    runId,
    note: note ?? outcome.reason,
    failed: outcome.verdict !== 'SUCCEEDED',
  };
}
