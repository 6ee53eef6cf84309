// serverless-dbt cancel --stage S RUN_ID [--reason TEXT]
// Stops a running run: StopExecution, with a cause that says who stopped it and why. Step
// Functions stops the run's ECS task (RunDbt's runTask.sync), the execution ends ABORTED
// (reported as CANCELLED), and the stage's release-lock function frees its overlap lock.
import { StopExecutionCommand } from '@aws-sdk/client-sfn';
import { CliError, UsageError } from '../errors.ts';
import {
  CANCEL_ERROR,
  cancelCause,
  cancelReasonOf,
  howItEnded,
  MAX_REASON_CHARS,
  releaseLockFunctionOf,
} from './cancel-retry.ts';
import { withClients } from './clients.ts';
import { COMMON_OPTIONS, COMMON_USAGE, type CommandContext, openCommand } from './context.ts';
import { JSON_OPTION, JSON_USAGE } from './json.ts';
import { executionArnOf, runIdFromArgument } from './names.ts';
import { isFinished, jobOf } from './outcome.ts';
import { describeRun } from './runs.ts';
import { findStack } from './stack.ts';

const USAGE = `usage: serverless-dbt cancel --stage STAGE RUN_ID [--reason TEXT] [--json]

Stops a running run. Step Functions stops its ECS task; the run ends CANCELLED, and the
stage's release-lock function frees its overlap lock. RUN_ID is a run id from start or
history, or an execution ARN.

options:
  --reason TEXT              why, recorded on the execution with your user name (USER);
                             at most ${MAX_REASON_CHARS} characters
${JSON_USAGE}

${COMMON_USAGE}`;

const OPTIONS = { ...COMMON_OPTIONS, reason: { type: 'string' }, ...JSON_OPTION } as const;

/** How long the command waits for the stopped execution to read ABORTED: 5 seconds. */
const STOP_CHECKS = 25;
const STOP_CHECK_MS = 200;

export async function cancelCommand(
  args: string[],
  given: Partial<CommandContext> = {},
): Promise<number> {
  const opened = openCommand(args, given, {
    options: OPTIONS,
    usage: USAGE,
    positionals: true,
  });
  if (opened === undefined) return 0;
  const { values, positionals, stage, context, emit } = opened;
  if (positionals.length !== 1) {
    throw new UsageError(`cancel takes one RUN_ID (got ${positionals.length})\n\n${USAGE}`);
  }
  const runId = runIdFromArgument(positionals[0] as string, stage);
  const { reason, problem } = cancelReasonOf(values.reason);
  if (problem !== undefined) throw new UsageError(`${problem}\n\n${USAGE}`);
  const cause = cancelCause(context.env.USER || context.env.USERNAME, reason);

  return withClients(context, { stage, region: values.region }, async (clients) => {
    const stack = await findStack(clients.cloudFormation(), stage, clients.region);
    const stateMachineArn = stack.output('StateMachineArn');
    const sfn = clients.sfn();
    const execution = await describeRun(sfn, stateMachineArn, runId, stage);
    if (isFinished(execution.status)) {
      throw new CliError(`run ${runId} has already ended: it ${howItEnded(execution)}`);
    }
    const executionArn = executionArnOf(stateMachineArn, runId);
    await sfn.send(new StopExecutionCommand({ executionArn, error: CANCEL_ERROR, cause }));
    // Step Functions reports the end a moment later (a stand-in such as moto, later still).
    let after = await describeRun(sfn, stateMachineArn, runId, stage);
    for (let tries = 1; !isFinished(after.status) && tries < STOP_CHECKS; tries += 1) {
      await context.sleep(STOP_CHECK_MS);
      after = await describeRun(sfn, stateMachineArn, runId, stage);
    }
    if (!isFinished(after.status)) {
      throw new CliError(
        `run ${runId} was asked to stop but is still ${after.status ?? 'running'}: serverless-dbt history --stage ${stage} shows when it ends`,
      );
    }
    // The run may have ended on its own between the two calls: say how, not "cancelled".
    if (after.status !== 'ABORTED') {
      throw new CliError(`run ${runId} ended before it could be stopped: it ${howItEnded(after)}`);
    }
    context.out(
      `cancelled run ${runId} (stage ${stage}, job ${jobOf(execution.input)}): its execution is ABORTED, its verdict CANCELLED`,
    );
    context.out(`cause: ${cause}`);
    context.out("task:  Step Functions stops the run's ECS task, if it had started one");
    context.out(
      `lock:  ${releaseLockFunctionOf(stage)} releases the run's overlap lock, if it holds one, when the ABORTED status change reaches it (seconds)`,
    );
    emit({
      runId,
      stage,
      job: jobOf(execution.input),
      executionArn,
      status: after.status,
      verdict: 'CANCELLED',
      cause,
      releaseLockFunction: releaseLockFunctionOf(stage),
    });
    return 0;
  });
}
