// serverless-dbt logs --stage S RUN_ID
// The dbt container's log lines of a run, from CloudWatch Logs: one stream per ECS task,
// `dbt/dbt/<task id>` in the stage's task log group. The tasks are the ones the execution's
// history names (the RunDbt state's ECS events), one per attempt, oldest first.
import {
  type CloudWatchLogsClient,
  GetLogEventsCommand,
  type OutputLogEvent,
} from '@aws-sdk/client-cloudwatch-logs';
import { CliError, UsageError } from '../errors.ts';
import { withClients } from './clients.ts';
import {
  COMMON_OPTIONS,
  COMMON_USAGE,
  type CommandContext,
  contextFrom,
  parseCommandArgs,
} from './context.ts';
import { JSON_OPTION, JSON_USAGE } from './json.ts';
import { checkStage, logStreamOf, runIdFromArgument } from './names.ts';
import { isFinished, taskIdsOf } from './outcome.ts';
import { describeRun, executionHistory } from './runs.ts';
import { findStack } from './stack.ts';

const USAGE = `usage: serverless-dbt logs --stage STAGE RUN_ID [--json]

The dbt container's log of a run (RUN_ID: the run id, or the execution ARN that
\`serverless-dbt start\` prints), from CloudWatch Logs. A run that retried on on-demand
Fargate has one log per attempt; each starts with a line naming its task.

options:
${JSON_USAGE}

${COMMON_USAGE}`;

const OPTIONS = { ...COMMON_OPTIONS, ...JSON_OPTION } as const;

/** One attempt's log as --json shows it; `lines` is null when its stream does not exist. */
interface AttemptLog {
  attempt: number;
  taskId: string;
  logGroupName: string;
  logStreamName: string;
  lines: string[] | null;
}

export async function logsCommand(
  args: string[],
  given: Partial<CommandContext> = {},
): Promise<number> {
  const context = contextFrom(given);
  const { values, positionals } = parseCommandArgs(args, OPTIONS, USAGE, true);
  if (values.help) {
    context.out(USAGE);
    return 0;
  }
  const stage = checkStage(values.stage, USAGE);
  if (positionals.length !== 1) {
    throw new UsageError(`logs takes one RUN_ID (got ${positionals.length})\n\n${USAGE}`);
  }
  const runId = runIdFromArgument(positionals[0] as string, stage);

  return withClients(context, { stage, region: values.region }, async (clients) => {
    const stack = await findStack(clients.cloudFormation(), stage, clients.region);
    const stateMachineArn = stack.output('StateMachineArn');
    const logGroupName = stack.output('TaskLogGroupName');
    const execution = await describeRun(clients.sfn(), stateMachineArn, runId, stage);
    const events = await executionHistory(clients.sfn(), execution.executionArn ?? '');
    const taskIds = taskIdsOf(events);
    if (taskIds.length === 0) {
      throw new CliError(
        isFinished(execution.status)
          ? `run ${runId} started no dbt task, so it has no log: it ended before RunDbt (${execution.error ?? execution.status}); see its execution in the console`
          : `run ${runId} has not started its dbt task yet: try again in a minute`,
      );
    }
    const attempts: AttemptLog[] = [];
    for (const [index, taskId] of taskIds.entries()) {
      const logStreamName = logStreamOf(taskId);
      const lines: string[] = [];
      if (!values.json) {
        context.out(
          `==> attempt ${index + 1} of run ${runId}: task ${taskId} (${logGroupName} ${logStreamName})`,
        );
      }
      // With --json the lines are gathered into the one document, not printed as they come.
      const line = values.json ? (text: string) => lines.push(text) : context.out;
      const found = await printStream(clients.logs(), logGroupName, logStreamName, line);
      attempts.push({
        attempt: index + 1,
        taskId,
        logGroupName,
        logStreamName,
        lines: found ? lines : null,
      });
      if (!found) {
        context.err(
          `no log stream ${logStreamName} in ${logGroupName}: the task stopped before its container started (or the log expired)`,
        );
      }
    }
    if (values.json) context.out(JSON.stringify({ runId, stage, attempts }, null, 2));
    return 0;
  });
}

/** Prints every event of a stream, oldest first; false when the stream does not exist. */
async function printStream(
  logs: CloudWatchLogsClient,
  logGroupName: string,
  logStreamName: string,
  line: (text: string) => void,
): Promise<boolean> {
  let nextToken: string | undefined;
  for (;;) {
    let page: { events?: OutputLogEvent[]; nextForwardToken?: string };
    try {
      page = await logs.send(
        new GetLogEventsCommand({ logGroupName, logStreamName, startFromHead: true, nextToken }),
      );
    } catch (error) {
      if (error instanceof Error && error.name === 'ResourceNotFoundException') return false;
      throw error;
    }
    for (const event of page.events ?? []) {
      line((event.message ?? '').replace(/\n$/, ''));
    }
    // The end: CloudWatch hands back the token it was given (a page may be empty before it).
    if (page.nextForwardToken === undefined || page.nextForwardToken === nextToken) return true;
    nextToken = page.nextForwardToken;
  }
}
