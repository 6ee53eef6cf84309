// serverless-dbt docs --stage S [RUN_ID]
// A presigned HTTPS link to a run's self-contained docs page (`dbt docs generate --static`),
// its last attempt's, or to the last successful docs when no run is named. The link works for
// an hour.
import { CliError, UsageError } from '../errors.ts';
import { DOCS_LINK_SECONDS, lastAttemptOf, objectExists, presignedLink } from './artifacts.ts';
import { withClients } from './clients.ts';
import {
  COMMON_OPTIONS,
  COMMON_USAGE,
  type CommandContext,
  contextFrom,
  parseCommandArgs,
} from './context.ts';
import { checkStage, docsPageOf, lastAttemptFileOf, runIdFromArgument } from './names.ts';
import { describeRun } from './runs.ts';
import { findStack } from './stack.ts';

const USAGE = `usage: serverless-dbt docs --stage STAGE [RUN_ID]

Prints a link to a run's docs page (default: the last successful docs of the stage). The
link works for ${DOCS_LINK_SECONDS / 3600} hour and for that page only; anyone who has it can open it.

${COMMON_USAGE}`;

export async function docsCommand(
  args: string[],
  given: Partial<CommandContext> = {},
): Promise<number> {
  const context = contextFrom(given);
  const { values, positionals } = parseCommandArgs(args, COMMON_OPTIONS, USAGE, true);
  if (values.help) {
    context.out(USAGE);
    return 0;
  }
  const stage = checkStage(values.stage, USAGE);
  if (positionals.length > 1) {
    throw new UsageError(`docs takes at most one RUN_ID (got ${positionals.length})\n\n${USAGE}`);
  }
  const argument = positionals[0];
  const runId = argument === undefined ? undefined : runIdFromArgument(argument, stage);

  return withClients(context, values.region, async (clients) => {
    const stack = await findStack(clients.cloudFormation(), stage, clients.region);
    const bucket = stack.output('ArtifactsBucketName');
    // A run's page is its last attempt's: the one that got furthest.
    const attempt =
      runId === undefined
        ? undefined
        : await lastAttemptOf(clients.s3(), lastAttemptFileOf(bucket, runId));
    const page = docsPageOf(bucket, runId, attempt);
    if (!(await objectExists(clients.s3(), page))) {
      if (runId === undefined) {
        throw new CliError(
          `stage ${stage} has no docs page yet: no run has generated docs successfully`,
        );
      }
      // Tell an unknown run from a run without docs.
      await describeRun(clients.sfn(), stack.output('StateMachineArn'), runId, stage);
      throw new CliError(
        `run ${runId} has no docs page (docs: false, or the run failed before docs generate)`,
      );
    }
    context.out(await presignedLink(clients.s3(), page));
    return 0;
  });
}
