// serverless-dbt watch --stage S RUN_ID
// Follows a run started anywhere (the schedule, the console, Airflow, `start`) as `start
// --wait` does: its states and the dbt log lines as they come, then its summary. A run that
// has ended is summed up at once. Ctrl-C stops the watching, never the run.
import { UsageError } from '../errors.ts';
import { withClients } from './clients.ts';
import { COMMON_OPTIONS, COMMON_USAGE, contextFrom, parseCommandArgs } from './context.ts';
import { type FollowContext, pollInterval } from './follow.ts';
import { utcTime } from './format.ts';
import { checkStage, runIdFromArgument } from './names.ts';
import { isFinished } from './outcome.ts';
import { describeRun } from './runs.ts';
import { findStack } from './stack.ts';
import { followAndReport, reportOutcome } from './start.ts';

const USAGE = `usage: serverless-dbt watch --stage STAGE RUN_ID

Follows a run (RUN_ID: the run id, or the execution ARN), wherever it was started: each state
as it is entered and left, its ECS task's status, the dbt log lines as they arrive, then its
summary, as start --wait prints them. A run that has ended is summed up at once. Ctrl-C stops
watching; the run goes on.

Exit codes as start --wait: 0 succeeded, 1 failed (a verdict), 3 timed out or stopped,
130 Ctrl-C stopped watching.

${COMMON_USAGE}`;

export async function watchCommand(
  args: string[],
  given: Partial<FollowContext> = {},
): Promise<number> {
  const context = contextFrom(given);
  const { values, positionals } = parseCommandArgs(args, COMMON_OPTIONS, USAGE, true);
  if (values.help) {
    context.out(USAGE);
    return 0;
  }
  const stage = checkStage(values.stage, USAGE);
  if (positionals.length !== 1) {
    throw new UsageError(`watch takes one RUN_ID (got ${positionals.length})\n\n${USAGE}`);
  }
  const runId = runIdFromArgument(positionals[0] as string, stage);
  const pollMs = pollInterval(context.env.SERVERLESS_DBT_POLL_MS);

  return withClients(context, values.region, async (clients) => {
    const stack = await findStack(clients.cloudFormation(), stage, clients.region);
    const stateMachineArn = stack.output('StateMachineArn');
    const execution = await describeRun(clients.sfn(), stateMachineArn, runId, stage);
    if (isFinished(execution.status)) {
      return reportOutcome(clients, context, stack, execution, runId);
    }
    context.out(
      `watching run ${runId} (stage ${stage}), started ${utcTime(execution.startDate)} UTC`,
    );
    context.out('');
    return followAndReport(clients, context, stack, {
      executionArn: execution.executionArn ?? '',
      runId,
      pollMs,
      stop: given.stop,
    });
  });
}
