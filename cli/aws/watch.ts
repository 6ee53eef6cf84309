// serverless-dbt watch --stage S RUN_ID
// Follows a run started anywhere (the schedule, the console, Airflow, `start`) as `start
// --wait` does: its states and the dbt log lines as they come, then its summary. A run that
// has ended is summed up at once. Ctrl-C stops the watching, never the run.
import { UsageError } from '../errors.ts';
import type { Report } from '../report.ts';
import { withClients } from './clients.ts';
import { COMMON_OPTIONS, COMMON_USAGE, openCommand } from './context.ts';
import { type FollowContext, pollInterval } from './follow.ts';
import { utcTime } from './format.ts';
import { JSON_OPTION, JSON_USAGE } from './json.ts';
import { runIdFromArgument } from './names.ts';
import { isFinished } from './outcome.ts';
import { describeRun } from './runs.ts';
import { findStack } from './stack.ts';
import { endedJson, followAndReport, reportOutcome } from './start.ts';

const USAGE = `usage: serverless-dbt watch --stage STAGE RUN_ID [--json]

Follows a run (RUN_ID: the run id, or the execution ARN), wherever it was started: each state
as it is entered and left, its ECS task's status, the dbt log lines as they arrive, then its
summary, as start --wait prints them. A run that has ended is summed up at once. Ctrl-C stops
watching; the run goes on.

Exit codes as start --wait: 0 succeeded, 1 failed (a verdict), 3 timed out or stopped,
130 Ctrl-C stopped watching.

options:
${JSON_USAGE}
                             (printed once the run has ended; its states and dbt log go
                             to stderr)

${COMMON_USAGE}`;

const OPTIONS = { ...COMMON_OPTIONS, ...JSON_OPTION } as const;

export async function watchCommand(
  args: string[],
  given: Partial<FollowContext> = {},
): Promise<number> {
  const opened = openCommand(args, given, {
    options: OPTIONS,
    usage: USAGE,
    positionals: true,
    progressToStderr: () => true,
  });
  if (opened === undefined) return 0;
  const { values, positionals, stage, context, emit } = opened;
  if (positionals.length !== 1) {
    throw new UsageError(`watch takes one RUN_ID (got ${positionals.length})\n\n${USAGE}`);
  }
  const runId = runIdFromArgument(positionals[0] as string, stage);
  const pollMs = pollInterval(context.env.SERVERLESS_DBT_POLL_MS);

  return withClients(context, { stage, region: values.region }, async (clients) => {
    const stack = await findStack(clients.cloudFormation(), stage, clients.region);
    const stateMachineArn = stack.output('StateMachineArn');
    const execution = await describeRun(clients.sfn(), stateMachineArn, runId, stage);
    let ended: Report | undefined;
    const onReport = values.json ? (report: Report) => (ended = report) : undefined;
    const watched = { runId, stage, executionArn: execution.executionArn ?? '' };
    if (isFinished(execution.status)) {
      const exitCode = await reportOutcome(clients, context, stack, execution, runId, onReport);
      emit(endedJson(watched, exitCode, ended));
      return exitCode;
    }
    context.out(
      `watching run ${runId} (stage ${stage}), started ${utcTime(execution.startDate)} UTC`,
    );
    context.out('');
    const exitCode = await followAndReport(
      clients,
      context,
      stack,
      { executionArn: execution.executionArn ?? '', runId, pollMs, stop: given.stop },
      onReport,
    );
    emit(endedJson(watched, exitCode, ended));
    return exitCode;
  });
}
