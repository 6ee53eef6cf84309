// serverless-dbt history --stage S [--limit N]
// The stage's recent runs, newest first: start time, run id, job, status, verdict, duration
// and the console link of each.
import { DescribeExecutionCommand, ListExecutionsCommand } from '@aws-sdk/client-sfn';
import { UsageError } from '../errors.ts';
import { withClients } from './clients.ts';
import {
  COMMON_OPTIONS,
  COMMON_USAGE,
  type CommandContext,
  contextFrom,
  parseCommandArgs,
} from './context.ts';
import { formatHistory, type HistoryRow } from './format.ts';
import { checkStage, executionConsoleLink } from './names.ts';
import { jobOf, verdictOf } from './outcome.ts';
import { mapLimited } from './runs.ts';
import { findStack } from './stack.ts';

const DEFAULT_LIMIT = 20;
const MAX_LIMIT = 100;
/** DescribeExecution calls in flight at once (Step Functions throttles bursts). */
const CONCURRENCY = 5;

const USAGE = `usage: serverless-dbt history --stage STAGE [--limit N]

The stage's recent runs, newest first, with their job, status, verdict, duration and a link
to each in the Step Functions console.

options:
  --limit N                  how many runs (1..${MAX_LIMIT}, default ${DEFAULT_LIMIT})

${COMMON_USAGE}`;

const OPTIONS = { ...COMMON_OPTIONS, limit: { type: 'string' } } as const;

export async function historyCommand(
  args: string[],
  given: Partial<CommandContext> = {},
): Promise<number> {
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
    // Newest first, as Step Functions lists them.
    const listed = await sfn.send(
      new ListExecutionsCommand({ stateMachineArn, maxResults: limit }),
    );
    const executions = (listed.executions ?? []).slice(0, limit);
    if (executions.length === 0) {
      context.err(`no runs yet in stage ${stage}`);
      return 0;
    }
    const rows = await mapLimited(executions, CONCURRENCY, async (item): Promise<HistoryRow> => {
      const execution = await sfn.send(
        new DescribeExecutionCommand({ executionArn: item.executionArn }),
      );
      return {
        startDate: execution.startDate ?? item.startDate,
        stopDate: execution.stopDate ?? item.stopDate,
        runId: item.name ?? '?',
        job: jobOf(execution.input),
        status: execution.status ?? item.status ?? '?',
        verdict: verdictOf(execution),
        link: executionConsoleLink(item.executionArn ?? '', clients.region),
      };
    });
    context.out(formatHistory(rows, context.now()));
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
