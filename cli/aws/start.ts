// serverless-dbt start --stage S [dbt options | --input JSON] [--wait]
// Starts a run of the stage's state machine with the run input the options describe,
// checked with the very schema Prepare applies, before any AWS call. With --wait, follows
// the execution to its end as `watch` does (follow.ts), prints the same summary as `local`,
// and exits with its outcome.
import { GetExecutionHistoryCommand, StartExecutionCommand } from '@aws-sdk/client-sfn';
import type { RunOutcome } from '../../functions/shared/contracts.ts';
import { parseRunInput } from '../../functions/shared/run-input.ts';
import { CliError } from '../errors.ts';
import { formatReport, type Report, type SummaryForReport } from '../report.ts';
import { RUN_INPUT_OPTIONS, RUN_INPUT_USAGE, runInputFrom } from '../run-input-options.ts';
import { docsLink, folderExists, lastAttemptOf, readSummary } from './artifacts.ts';
import { type AwsClients, withClients } from './clients.ts';
import { COMMON_OPTIONS, COMMON_USAGE, type CommandContext, openCommand } from './context.ts';
import {
  type FollowContext,
  followRun,
  INTERRUPTED,
  pollInterval,
  stopOnCtrlC,
  stoppedFollowingNote,
} from './follow.ts';
import { JSON_OPTION, JSON_USAGE, reportJson } from './json.ts';
import {
  executionConsoleLink,
  executionNameFor,
  lastAttemptFileOf,
  objectIn,
  parseS3Uri,
  runArtifactsUriOf,
} from './names.ts';
import {
  type ExecutionDescription,
  exitCodeOf,
  failedOutcomeIn,
  outcomeOf,
  taskRanFor,
} from './outcome.ts';
import { findStack, type Stack } from './stack.ts';

const USAGE = `usage: serverless-dbt start --stage STAGE [dbt options | --input JSON] [--wait] [--json]

Starts a run on AWS: an execution of the stage's state machine, named
cli-<job>-<UTC time>-<hash of the input>. The input is checked before anything is sent.

options:
  --wait                     follow the run as serverless-dbt watch does (its states, its
                             dbt log), print its summary, and exit with its outcome:
                             0 succeeded, 1 failed (a verdict), 3 timed out or stopped,
                             130 Ctrl-C stopped following (the run goes on)
                             (without --wait: 0 once the run has started)
${JSON_USAGE}
                             (with --wait: printed once the run has ended; its states
                             and dbt log go to stderr)

${RUN_INPUT_USAGE}

${COMMON_USAGE}`;

const OPTIONS = {
  ...COMMON_OPTIONS,
  ...RUN_INPUT_OPTIONS,
  wait: { type: 'boolean' },
  ...JSON_OPTION,
} as const;

export async function startCommand(
  args: string[],
  given: Partial<FollowContext> = {},
): Promise<number> {
  const opened = openCommand(args, given, {
    options: OPTIONS,
    usage: USAGE,
    positionals: false,
    progressToStderr: (values) => values.wait === true,
  });
  if (opened === undefined) return 0;
  const { values, stage, context, emit } = opened;
  // The run input first: a mistake in it costs no AWS call (InvalidRunInput names the field).
  const input = runInputFrom(values);
  const spec = parseRunInput(input);
  const name = executionNameFor(spec.job, input, context.now());
  const pollMs = pollInterval(context.env.SERVERLESS_DBT_POLL_MS);

  return withClients(context, { stage, region: values.region }, async (clients) => {
    const stack = await findStack(clients.cloudFormation(), stage, clients.region);
    return startAndFollow(clients, context, stack, {
      name,
      input,
      again: 'start',
      headline: [`started run ${name} (stage ${stage})`],
      started: { runId: name, stage, job: spec.job },
      wait: values.wait === true,
      json: values.json === true,
      emit,
      pollMs,
      stop: given.stop,
    });
  });
}

/** A run to start, and how to report it (startAndFollow). */
export interface RunToStart {
  /** The execution's name (executionNameFor: the same input at the same minute is one run). */
  name: string;
  input: unknown;
  /** The command to name when the name is taken: `start` or `retry`. */
  again: string;
  /** The lines said first, before the execution and its console link. */
  headline: string[];
  /** The --json document's fields besides the execution and its link. */
  started: Record<string, unknown>;
  wait: boolean;
  json: boolean;
  emit: (document: unknown) => void;
  pollMs: number;
  stop: AbortSignal | undefined;
}

/**
 * `start` and `retry`: starts the execution (the input as given: Prepare fills the defaults,
 * as for any trigger), says where it is, and with --wait follows it to its end (watch's
 * follower); returns the exit code.
 */
export async function startAndFollow(
  clients: AwsClients,
  context: CommandContext,
  stack: Stack,
  run: RunToStart,
): Promise<number> {
  const { name } = run;
  let executionArn: string;
  try {
    const started = await clients.sfn().send(
      new StartExecutionCommand({
        stateMachineArn: stack.output('StateMachineArn'),
        name,
        input: JSON.stringify(run.input),
      }),
    );
    executionArn = started.executionArn ?? '';
  } catch (error) {
    if (error instanceof Error && error.name === 'ExecutionAlreadyExists') {
      throw new CliError(
        `a run named ${name} already exists with another input or has ended: ${run.again} again in a second`,
      );
    }
    throw error;
  }
  const consoleLink = executionConsoleLink(executionArn, clients.region);
  for (const line of run.headline) context.out(line);
  context.out(`execution: ${executionArn}`);
  context.out(`console:   ${consoleLink}`);
  const started = { ...run.started, executionArn, console: consoleLink };
  if (!run.wait) {
    run.emit(started);
    return 0;
  }
  context.out('');
  let ended: Report | undefined;
  const exitCode = await followAndReport(
    clients,
    context,
    stack,
    { executionArn, runId: name, pollMs: run.pollMs, stop: run.stop },
    run.json ? (report) => (ended = report) : undefined,
  );
  run.emit(endedJson(started, exitCode, ended));
  return exitCode;
}

/**
 * A followed run's --json document: what was started or watched, the exit code, and the
 * report; `report` is null when the following was stopped before the run ended.
 */
export function endedJson(run: object, exitCode: number, report: Report | undefined): object {
  return {
    ...run,
    exitCode,
    stoppedFollowing: report === undefined,
    report: report === undefined ? null : reportJson(report),
  };
}

/** What to follow: the run, and how (see followAndReport). */
export interface Followed {
  executionArn: string;
  runId: string;
  pollMs: number;
  /** Aborted to stop following; undefined: Ctrl-C stops it. */
  stop: AbortSignal | undefined;
}

/**
 * `watch`, and every command's --wait (start, retry): follows the run to its end (its states
 * and dbt log lines as they come), then prints its summary; returns the exit code, 130 when
 * the following was stopped (the note says how to follow it again; the run goes on).
 */
export async function followAndReport(
  clients: AwsClients,
  context: CommandContext,
  stack: Stack,
  followed: Followed,
  onReport?: (report: Report) => void,
): Promise<number> {
  const { signal, release } =
    followed.stop === undefined ? stopOnCtrlC() : { signal: followed.stop, release: () => {} };
  let execution: ExecutionDescription | undefined;
  try {
    execution = await followRun(clients, context, {
      executionArn: followed.executionArn,
      logGroupName: stack.outputs.TaskLogGroupName,
      pollMs: followed.pollMs,
      signal,
    });
  } finally {
    release();
  }
  if (execution === undefined) {
    context.err(stoppedFollowingNote(stack.stage, followed.runId));
    return INTERRUPTED;
  }
  context.out('');
  return reportOutcome(clients, context, stack, execution, followed.runId, onReport);
}

/**
 * The summary of a run that has ended, as `start --wait` prints it, or handed to `onReport`
 * instead (--json); returns its exit code.
 */
export async function reportOutcome(
  clients: AwsClients,
  context: CommandContext,
  stack: Stack,
  execution: ExecutionDescription,
  runId: string,
  onReport?: (report: Report) => void,
): Promise<number> {
  const recorded =
    execution.status === 'FAILED' && execution.executionArn !== undefined
      ? await failedOutcome(clients, context, execution.executionArn)
      : undefined;
  const report = await reportOf(clients, context, stack, outcomeOf(execution, runId, recorded));
  if (onReport === undefined) context.out(formatReport(report));
  else onReport(report);
  return exitCodeOf(execution.status);
}

/**
 * The outcome a failed run reached, from the last events of its history (where its Fail state
 * is); undefined when it cannot be read, as the error and cause still tell the verdict.
 */
export async function failedOutcome(
  clients: AwsClients,
  context: CommandContext,
  executionArn: string,
): Promise<RunOutcome | undefined> {
  try {
    const page = await clients
      .sfn()
      .send(new GetExecutionHistoryCommand({ executionArn, reverseOrder: true, maxResults: 20 }));
    return failedOutcomeIn(page.events ?? []);
  } catch (error) {
    context.err(`serverless-dbt: could not read the run's history (${brief(error)})`);
    return undefined;
  }
}

const brief = (error: unknown): string =>
  (error instanceof Error ? `${error.name}: ${error.message}` : String(error)).slice(0, 200);

/** The final summary: the outcome, summary.json's counts and nodes, artifacts and docs. */
export async function reportFor(
  clients: AwsClients,
  context: CommandContext,
  stack: Stack,
  outcome: RunOutcome,
): Promise<string> {
  return formatReport(await reportOf(clients, context, stack, outcome));
}

/** What the final summary shows, read from the run's artifacts. */
export async function reportOf(
  clients: AwsClients,
  context: CommandContext,
  stack: Stack,
  outcome: RunOutcome,
): Promise<Report> {
  const bucket = stack.outputs.ArtifactsBucketName;
  let artifacts = outcome.artifactsUri?.startsWith('s3://') === true ? outcome.artifactsUri : null;
  let summary: SummaryForReport | null = null;
  let docs: string | null = null;
  try {
    // The outcome names the judged attempt's folder; without it, the run's last attempt's.
    if (artifacts === null && bucket !== undefined) {
      const attempt = await lastAttemptOf(clients.s3(), lastAttemptFileOf(bucket, outcome.runId));
      artifacts = runArtifactsUriOf(bucket, outcome.runId, attempt);
    }
    // A run that ended before any task (an overlap, a refused input, a cancel) has no folder.
    const folder = artifacts === null ? undefined : parseS3Uri(artifacts);
    if (folder && !taskRanFor(outcome.verdict) && !(await folderExists(clients.s3(), folder))) {
      artifacts = null;
    }
    const summaryObject = artifacts === null ? undefined : objectIn(artifacts, 'summary.json');
    const docsObject = artifacts === null ? undefined : objectIn(artifacts, 'index.html');
    if (summaryObject) summary = await readSummary(clients.s3(), summaryObject);
    if (docsObject) docs = await docsLink(clients.s3(), docsObject);
  } catch (error) {
    // The outcome stands without the artifacts; say why they are missing from the report.
    context.err(`serverless-dbt: could not read the run's artifacts (${brief(error)})`);
  }
  return { outcome, summary, artifacts, docs };
}
