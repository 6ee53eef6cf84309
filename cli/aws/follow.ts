// Following a run as it moves, for `watch` and `start --wait`: the execution's new history
// events at each poll, told as progress lines (progress.ts), and the dbt container's log lines
// as CloudWatch Logs receives them, until the execution ends. Ctrl-C stops the following,
// never the run: nothing here calls StopExecution.
import { GetLogEventsCommand, type OutputLogEvent } from '@aws-sdk/client-cloudwatch-logs';
import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  type HistoryEvent,
  type SFNClient,
} from '@aws-sdk/client-sfn';
import type { AwsClients } from './clients.ts';
import type { CommandContext } from './context.ts';
import { logStreamOf } from './names.ts';
import { type ExecutionDescription, isFinished } from './outcome.ts';
import { progressReader } from './progress.ts';

/** What a command that follows a run runs with: tests pass `stop`, the command line Ctrl-C. */
export interface FollowContext extends CommandContext {
  /** Aborted to stop following (the run goes on); without it, Ctrl-C aborts it. */
  stop?: AbortSignal;
}

/** How often the follower asks for news (SERVERLESS_DBT_POLL_MS overrides it). */
export const DEFAULT_POLL_MS = 5_000;

export function pollInterval(text: string | undefined): number {
  const value = Number(text);
  return text && Number.isFinite(value) && value > 0 ? value : DEFAULT_POLL_MS;
}

/** Exit code of a command whose following was stopped with Ctrl-C (128 + SIGINT). */
export const INTERRUPTED = 130;

/** The note printed when Ctrl-C stops the following. */
export function stoppedFollowingNote(stage: string, runId: string): string {
  return `stopped following; the run goes on: serverless-dbt watch --stage ${stage} ${runId}`;
}

/**
 * A signal that Ctrl-C aborts, for the command line (tests pass their own). A second Ctrl-C
 * leaves at once, as the first may be waiting on a slow answer from AWS.
 */
export function stopOnCtrlC(): { signal: AbortSignal; release: () => void } {
  const controller = new AbortController();
  const onSignal = () => {
    if (controller.signal.aborted) process.exit(INTERRUPTED);
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  return { signal: controller.signal, release: () => process.off('SIGINT', onSignal) };
}

export interface FollowOptions {
  executionArn: string;
  /** The stage's task log group (the stack's TaskLogGroupName); without it, no log lines. */
  logGroupName: string | undefined;
  pollMs: number;
  /** Aborted to stop following. */
  signal: AbortSignal;
}

/** How a task's log stream has been read so far. */
interface StreamRead {
  name: string;
  /** The token to read on from; undefined before the first page. */
  nextToken: string | undefined;
}

/**
 * Prints the run's progress and its dbt log lines until the execution ends, and returns how it
 * ended; undefined when `options.signal` was aborted first (the run goes on).
 */
export async function followRun(
  clients: AwsClients,
  context: CommandContext,
  options: FollowOptions,
): Promise<ExecutionDescription | undefined> {
  const { executionArn, logGroupName, pollMs, signal } = options;
  const sfn = clients.sfn();
  const read = progressReader();
  const streams = new Map<string, StreamRead>();
  let live: StreamRead | undefined;
  let lastEventId = 0;

  let logRefused = false;
  const readLog = async (stream: StreamRead) => {
    if (logGroupName === undefined || logRefused) return;
    try {
      await readNewLines(clients, context, logGroupName, stream, signal);
    } catch (error) {
      if (signal.aborted) throw error;
      // Without the log (no logs:GetLogEvents, say), the states and the summary still tell.
      logRefused = true;
      context.err(
        `serverless-dbt: could not read the dbt log (${brief(error)}); following the states only`,
      );
    }
  };

  try {
    for (;;) {
      if (signal.aborted) return undefined;
      // The status first: once it says the run ended, the history read next holds its end.
      const execution = await sfn.send(new DescribeExecutionCommand({ executionArn }), {
        abortSignal: signal,
      });
      const events = await newEvents(sfn, executionArn, lastEventId, signal);
      for (const event of events) {
        lastEventId = Math.max(lastEventId, event.id ?? 0);
        const step = read(event);
        if (step.taskNamed !== undefined) {
          // A new attempt's task: the previous one's log is read to its end before.
          if (live !== undefined) await readLog(live);
          live = { name: logStreamOf(step.taskNamed), nextToken: undefined };
          streams.set(step.taskNamed, live);
        }
        const stopped = step.taskStopped === undefined ? undefined : streams.get(step.taskStopped);
        if (stopped !== undefined) {
          await readLog(stopped);
          if (stopped === live) live = undefined;
        }
        for (const line of step.lines) context.out(line);
      }
      if (live !== undefined) await readLog(live);
      if (isFinished(execution.status)) {
        // CloudWatch may receive a task's last lines after ECS reports it stopped. A task
        // whose container never started has no stream: its STOPPED line says why.
        for (const stream of streams.values()) await readLog(stream);
        return execution;
      }
      await sleepUnlessStopped(context, pollMs, signal);
    }
  } catch (error) {
    // An AWS call cut short by Ctrl-C.
    if (signal.aborted) return undefined;
    throw error;
  }
}

/**
 * The events after `afterId`, oldest first: read newest first, page by page, until a page
 * reaches the events seen before, so each poll reads only what is new.
 */
async function newEvents(
  sfn: SFNClient,
  executionArn: string,
  afterId: number,
  signal: AbortSignal,
): Promise<HistoryEvent[]> {
  const found: HistoryEvent[] = [];
  let nextToken: string | undefined;
  do {
    const page = await sfn.send(
      new GetExecutionHistoryCommand({
        executionArn,
        reverseOrder: true,
        maxResults: 1000,
        nextToken,
      }),
      { abortSignal: signal },
    );
    const events = page.events ?? [];
    const fresh = events.filter((event) => (event.id ?? 0) > afterId);
    found.push(...fresh);
    if (fresh.length < events.length) break;
    nextToken = page.nextToken;
  } while (nextToken);
  return found.sort((a, b) => (a.id ?? 0) - (b.id ?? 0));
}

/** Prints the lines the stream received since the last read; none while it does not exist. */
async function readNewLines(
  clients: AwsClients,
  context: CommandContext,
  logGroupName: string,
  stream: StreamRead,
  signal: AbortSignal,
): Promise<void> {
  for (;;) {
    let page: { events?: OutputLogEvent[]; nextForwardToken?: string };
    try {
      page = await clients.logs().send(
        new GetLogEventsCommand({
          logGroupName,
          logStreamName: stream.name,
          startFromHead: true,
          nextToken: stream.nextToken,
        }),
        { abortSignal: signal },
      );
    } catch (error) {
      // The container has not started yet: its stream comes with its first line.
      if (error instanceof Error && error.name === 'ResourceNotFoundException') return;
      throw error;
    }
    for (const event of page.events ?? []) {
      context.out((event.message ?? '').replace(/\n$/, ''));
    }
    // The end for now: CloudWatch hands back the token it was given.
    if (page.nextForwardToken === undefined || page.nextForwardToken === stream.nextToken) return;
    stream.nextToken = page.nextForwardToken;
  }
}

const brief = (error: unknown): string =>
  (error instanceof Error ? `${error.name}: ${error.message}` : String(error)).slice(0, 200);

/** The context's sleep, cut short by Ctrl-C. */
async function sleepUnlessStopped(
  context: CommandContext,
  milliseconds: number,
  signal: AbortSignal,
): Promise<void> {
  if (signal.aborted) return;
  let onAbort = () => {};
  const aborted = new Promise<void>((resolve) => {
    onAbort = resolve;
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    await Promise.race([context.sleep(milliseconds), aborted]);
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}
