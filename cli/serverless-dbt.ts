// The `serverless-dbt` command (bin/serverless-dbt runs it on the project's Node 24):
//   local                      the whole pipeline on this machine (cli/local/command.ts)
//   start, history, logs, docs manual runs and their traces on AWS (cli/aws/)
//   watch                      follow a run on AWS as it moves (cli/aws/watch.ts)
//   cancel, retry              stop a run, rerun what failed in one, on AWS (cli/aws/)
//   backfill                   a scheduled job once per date on AWS (cli/aws/backfill.ts)
//   ci                         Slim CI for a pull request, on the CI runner (cli/ci/command.ts)
// A user's mistake (bad input, no credentials, no stack) ends with one clear sentence and a
// non-zero exit, never a stack trace.
import { UsageError, userMessage } from './errors.ts';

const USAGE = `usage: serverless-dbt <command> [options]

commands:
  local     run the dbt project through the state machine on this machine (DuckDB)
  start     start a run on AWS (--stage S), optionally --wait for its outcome
  watch     follow a run on AWS as it moves: states, dbt log, summary (--stage S RUN_ID)
  backfill  run a scheduled job once per date, --from D1 --to D2, on AWS (--stage S)
  history   recent runs on AWS (--stage S; --job, --verdict, --since), or one model's times (--model M)
  logs      a run's dbt log from CloudWatch (--stage S RUN_ID)
  docs      a link to a run's docs page (--stage S [RUN_ID])
  cancel    stop a running run on AWS (--stage S RUN_ID [--reason TEXT])
  retry     rerun what failed in a run on AWS (--stage S RUN_ID [--wait])
  ci        Slim CI: build a pull request's changes (ci build --pr N), drop its schema (ci drop)

serverless-dbt <command> --help shows the command's options; the AWS commands print one JSON
document with --json.`;

type Command = (args: string[]) => Promise<number>;

const COMMANDS: Record<string, () => Promise<Command>> = {
  local: async () => (await import('./local/command.ts')).localCommand,
  start: async () => (await import('./aws/start.ts')).startCommand,
  watch: async () => (await import('./aws/watch.ts')).watchCommand,
  backfill: async () => (await import('./aws/backfill.ts')).backfillCommand,
  history: async () => (await import('./aws/history.ts')).historyCommand,
  logs: async () => (await import('./aws/logs.ts')).logsCommand,
  docs: async () => (await import('./aws/docs.ts')).docsCommand,
  cancel: async () => (await import('./aws/cancel.ts')).cancelCommand,
  retry: async () => (await import('./aws/retry.ts')).retryCommand,
  ci: async () => (await import('./ci/command.ts')).ciCommand,
};

async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    console.log(USAGE);
    return name === undefined ? 2 : 0;
  }
  const load = COMMANDS[name];
  if (load === undefined) throw new UsageError(`unknown command '${name}'\n\n${USAGE}`);
  return (await load())(args);
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (error) {
  const message = userMessage(error);
  if (message === undefined) throw error;
  console.error(`serverless-dbt: ${message}`);
  const parseError = String((error as { code?: unknown }).code ?? '').startsWith('ERR_PARSE_ARGS');
  process.exitCode = error instanceof UsageError || parseError ? 2 : 1;
}
