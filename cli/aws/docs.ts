// serverless-dbt docs --stage S [RUN_ID]
// A presigned HTTPS link to a run's self-contained docs page (`dbt docs generate --static`),
// its last attempt's, or to the last successful docs when no run is named. The link works for
// an hour.
import { CliError, UsageError } from '../errors.ts';
import { DOCS_LINK_SECONDS, lastAttemptOf, objectExists, presignedLink } from './artifacts.ts';
import { withClients } from './clients.ts';
import { COMMON_OPTIONS, COMMON_USAGE, type CommandContext, openCommand } from './context.ts';
import { JSON_OPTION, JSON_USAGE } from './json.ts';
import { docsPageOf, lastAttemptFileOf, runIdFromArgument } from './names.ts';
import { describeRun } from './runs.ts';
import { findStack } from './stack.ts';

const USAGE = `usage: serverless-dbt docs --stage STAGE [RUN_ID] [--json]

Prints a link to a run's docs page (default: the last successful docs of the stage). The
link works for ${DOCS_LINK_SECONDS / 3600} hour and for that page only; anyone who has it can open it.

options:
${JSON_USAGE}

${COMMON_USAGE}`;

const OPTIONS = { ...COMMON_OPTIONS, ...JSON_OPTION } as const;

export async function docsCommand(
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
  if (positionals.length > 1) {
    throw new UsageError(`docs takes at most one RUN_ID (got ${positionals.length})\n\n${USAGE}`);
  }
  const argument = positionals[0];
  const runId = argument === undefined ? undefined : runIdFromArgument(argument, stage);

  return withClients(context, { stage, region: values.region }, async (clients) => {
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
      // Tell an unknown run, and a run whose docs are yet to come, from a run without docs.
      const run = await describeRun(clients.sfn(), stack.output('StateMachineArn'), runId, stage);
      if (run.status === 'RUNNING') {
        throw new CliError(
          `run ${runId} is still running: its docs page is written when dbt ends (serverless-dbt watch --stage ${stage} ${runId} follows it)`,
        );
      }
      throw new CliError(
        `run ${runId} has no docs page (docs: false, or the run failed before docs generate)`,
      );
    }
    const link = await presignedLink(clients.s3(), page);
    if (values.json) {
      emit({
        stage,
        runId: runId ?? null,
        page: `s3://${page.bucket}/${page.key}`,
        link,
        expiresAt: new Date(context.now().getTime() + DOCS_LINK_SECONDS * 1000).toISOString(),
      });
    } else {
      context.out(link);
    }
    return 0;
  });
}
