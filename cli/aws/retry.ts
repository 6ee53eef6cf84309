import { parseRunInput } from '../../functions/shared/run-input.ts';
import { CliError, UsageError } from '../errors.ts';
import { lastAttemptOf, objectExists } from './artifacts.ts';
import { howItEnded, RETRY_NEEDS, retryInputOf } from './cancel-retry.ts';
import { withClients } from './clients.ts';
import { COMMON_OPTIONS, COMMON_USAGE, openCommand } from './context.ts';
import { type FollowContext, pollInterval } from './follow.ts';
import { JSON_OPTION, JSON_USAGE } from './json.ts';
import {
  executionNameFor,
  lastAttemptFileOf,
  objectIn,
  runArtifactsUriOf,
  runIdFromArgument,
} from './names.ts';
import { isFinished } from './outcome.ts';
import { describeRun } from './runs.ts';
import { findStack } from './stack.ts';
import { startAndFollow } from './start.ts';

const USAGE = `usage: serverless-dbt retry --stage STAGE RUN_ID [--wait] [--json]

Reruns what failed in a run: starts a run of the same job with command retry and retryOf
RUN_ID, named as start names runs. dbt retry starts from the run's last attempt's
run_results.json: a run that succeeded, is still running, or left none is refused.

options:
  --wait                     follow the retry as start --wait does (its states, its dbt log),
                             print its summary, and exit with its outcome: 0 succeeded,
                             1 failed (a verdict), 3 timed out or stopped, 130 Ctrl-C stopped
                             following (the run goes on)
${JSON_USAGE}
                             (with --wait: printed once the retry has ended)

${COMMON_USAGE}`;

const OPTIONS = { ...COMMON_OPTIONS, wait: { type: 'boolean' }, ...JSON_OPTION } as const;

export async function retryCommand(
  args: string[],
  given: Partial<FollowContext> = {},
): Promise<number> {
  const opened = openCommand(args, given, {
    options: OPTIONS,
    usage: USAGE,
    positionals: true,
    progressToStderr: (values) => values.wait === true,
  });
  if (opened === undefined) return 0;
  const { values, positionals, stage, context, emit } = opened;
  if (positionals.length !== 1) {
    throw new UsageError(`retry takes one RUN_ID (got ${positionals.length})\n\n${USAGE}`);
  }
  const runId = runIdFromArgument(positionals[0] as string, stage);

  return withClients(context, { stage, region: values.region }, async (clients) => {
    const stack = await findStack(clients.cloudFormation(), stage, clients.region);
    const stateMachineArn = stack.output('StateMachineArn');
    const bucket = stack.output('ArtifactsBucketName');
    const run = await describeRun(clients.sfn(), stateMachineArn, runId, stage);
    if (!isFinished(run.status)) {
      throw new CliError(
        `run ${runId} is still running: retry it once it has ended (or stop it: serverless-dbt cancel --stage ${stage} ${runId})`,
      );
    }
    if (run.status === 'SUCCEEDED') {
      throw new CliError(`run ${runId} succeeded: nothing to retry`);
    }
    // Where the container's retry will look: the attempt that stored last.
    const attempt = await lastAttemptOf(clients.s3(), lastAttemptFileOf(bucket, runId));
    const folder = runArtifactsUriOf(bucket, runId, attempt);
    for (const name of RETRY_NEEDS) {
      const object = objectIn(folder, name);
      if (object === undefined || !(await objectExists(clients.s3(), object))) {
        throw new CliError(
          `run ${runId} ${howItEnded(run)} and left no ${name} to retry from (${folder}): start a new run instead`,
        );
      }
    }
    const input = retryInputOf(run.input, runId);
    if (input === undefined) {
      throw new CliError(
        `run ${runId} has an input that is not a JSON object: it cannot be retried`,
      );
    }
    // As start does: the contract's own check, so a field the contract has since refused is
    // named before anything is started.
    const spec = parseRunInput(input);
    const name = executionNameFor(spec.job, input, context.now());
    // Started as `start` starts a run; with --wait, followed as `start --wait` follows it.
    return startAndFollow(clients, context, stack, {
      name,
      input,
      again: 'retry',
      headline: [
        `started run ${name} (stage ${stage}): a retry of ${runId}`,
        `from:      ${folder}`,
      ],
      started: { runId: name, stage, job: spec.job, retryOf: runId, from: folder },
      wait: values.wait === true,
      json: values.json === true,
      emit,
      pollMs: pollInterval(context.env.SERVERLESS_DBT_POLL_MS),
      stop: given.stop,
    });
  });
}
