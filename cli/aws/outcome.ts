// How the AWS commands read an execution: its outcome as a RunOutcome, the exit code that
// mirrors it, the job it ran, and the ECS tasks its history names. Pure: plain shapes of the
// Step Functions API, no AWS SDK here.
import * as z from 'zod';
import { type RunOutcome, VERDICTS, type Verdict } from '../../functions/shared/contracts.ts';
import type { SummaryForReport } from '../report.ts';

/** The fields of DescribeExecution that the commands read. */
export interface ExecutionDescription {
  executionArn?: string;
  name?: string;
  status?: string;
  startDate?: Date;
  stopDate?: Date;
  input?: string;
  output?: string;
  error?: string;
  cause?: string;
}

/** Statuses after which an execution changes no more. */
const FINAL_STATUSES = new Set(['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED']);

export function isFinished(status: string | undefined): boolean {
  return status !== undefined && FINAL_STATUSES.has(status);
}

/**
 * The exit code of `start --wait`: 0 the run succeeded; 1 it failed with a verdict (the
 * state machine's Fail state); 3 Step Functions ended it without a verdict (TIMED_OUT: the
 * execution's own limit; ABORTED: someone stopped it). 2 stays the command line's own.
 */
export function exitCodeOf(status: string | undefined): number {
  if (status === 'SUCCEEDED') return 0;
  if (status === 'FAILED') return 1;
  return 3;
}

/**
 * Verdicts judged from the dbt container's exit: a task ran and was meant to store artifacts.
 * The others (SKIPPED_OVERLAP, INVALID_INPUT, CANCELLED, INFRA_*) may have ended before any
 * task, so a report names their artifacts folder only when it exists.
 */
const TASK_RAN_VERDICTS: ReadonlySet<string> = new Set<Verdict>([
  'SUCCEEDED',
  'DBT_FAILED',
  'DBT_ERROR',
  'NOTHING_SELECTED',
  'CONFIG_ERROR',
  'ARTIFACTS_LOST',
  'OUT_OF_MEMORY',
  'TIMED_OUT',
]);

export function taskRanFor(verdict: string): boolean {
  return TASK_RAN_VERDICTS.has(verdict);
}

function parseJson(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** The job an execution ran: its input's `job`, `manual` when it gives none. */
export function jobOf(input: string | undefined): string {
  const parsed = parseJson(input);
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return '?';
  const job = (parsed as Record<string, unknown>).job;
  if (job === undefined) return 'manual';
  return typeof job === 'string' ? job : '?';
}

const countsSchema = z.record(z.string(), z.number());

const outcomeSchema = z.object({
  runId: z.string(),
  job: z.string(),
  verdict: z.enum(VERDICTS),
  reason: z.string(),
  hint: z.string().nullable().catch(null),
  exitCode: z.number().nullable().catch(null),
  counts: countsSchema.nullable().catch(null),
  artifactsUri: z.string().nullable().catch(null),
  // What the run cost (functions/shared/cost.ts); a cost of another shape is left out.
  cost: z
    .looseObject({
      usd: z.number(),
      attempts: z.array(
        z.looseObject({
          attempt: z.number(),
          capacityProvider: z.string(),
          billedSeconds: z.number(),
          usd: z.number(),
        }),
      ),
    })
    .optional()
    .catch(undefined),
});

/** The execution's output, when it is a RunOutcome. */
export function outcomeFromOutput(output: string | undefined): RunOutcome | undefined {
  const result = outcomeSchema.safeParse(parseJson(output));
  return result.success ? (result.data as RunOutcome) : undefined;
}

const isVerdict = (value: string | undefined): value is Verdict =>
  value !== undefined && (VERDICTS as readonly string[]).includes(value);

/**
 * The outcome of a finished execution, as `start --wait` reports it. SUCCEEDED carries the
 * RunOutcome as its output; FAILED carries the verdict as its error and the reason as its
 * cause (the Fail state), and the rest of the RunOutcome (hint, counts, artifacts) only in
 * the history: `failedOutcomeIn` reads it from there, and `recorded` passes it here.
 */
export function outcomeOf(
  execution: ExecutionDescription,
  runId: string,
  recorded?: RunOutcome,
): RunOutcome {
  const fromOutput = outcomeFromOutput(execution.output) ?? recorded;
  const job = fromOutput?.job ?? jobOf(execution.input);
  const base: RunOutcome = {
    runId,
    job,
    verdict: 'INFRA_FAILED',
    reason: '',
    hint: null,
    exitCode: null,
    counts: null,
    artifactsUri: null,
    ...fromOutput,
  };
  switch (execution.status) {
    case 'SUCCEEDED':
      return fromOutput ?? { ...base, verdict: 'SUCCEEDED', reason: 'The execution succeeded.' };
    case 'FAILED': {
      const cause = execution.cause?.trim() || 'no cause given';
      if (isVerdict(execution.error)) {
        return { ...base, verdict: execution.error, reason: cause };
      }
      // Not the state machine's own Fail state (a definition or runtime error).
      return {
        ...base,
        verdict: 'INFRA_FAILED',
        reason: `The execution failed with ${execution.error ?? 'an unknown error'}: ${cause}`,
        hint: 'See the execution in the Step Functions console.',
      };
    }
    case 'TIMED_OUT':
      return {
        ...base,
        verdict: 'TIMED_OUT',
        reason: 'Step Functions stopped the execution at its own time limit.',
      };
    case 'ABORTED':
      return {
        ...base,
        verdict: 'CANCELLED',
        reason: 'The execution was stopped (aborted) before it reached a verdict.',
      };
    default:
      return { ...base, reason: `The execution is ${execution.status ?? 'in an unknown state'}.` };
  }
}

/** What a history row shows as the verdict: the outcome's, or the Fail state's error. */
export function verdictOf(execution: ExecutionDescription): string {
  switch (execution.status) {
    case 'SUCCEEDED':
      return outcomeFromOutput(execution.output)?.verdict ?? 'SUCCEEDED';
    case 'FAILED':
      return execution.error ?? '-';
    case 'ABORTED':
      return 'CANCELLED';
    case 'TIMED_OUT':
      return 'TIMED_OUT';
    default:
      return '-';
  }
}

const summarySchema = z.object({
  counts: countsSchema.optional().catch(undefined),
  nodes: z
    .array(
      z.object({
        uniqueId: z.string(),
        status: z.string(),
        message: z.string().nullable().catch(null),
      }),
    )
    .optional()
    .catch(undefined),
  freshness: z
    .object({
      status: z.string(),
      sources: z.array(z.object({ uniqueId: z.string(), status: z.string() })),
    })
    .optional()
    .catch(undefined),
  error: z.string().nullable().optional().catch(undefined),
  slowModels: z
    .array(
      z.object({
        uniqueId: z.string(),
        seconds: z.number(),
        medianSeconds: z.number(),
        runsCompared: z.number(),
      }),
    )
    .optional()
    .catch(undefined),
});

/** The parts of summary.json the report shows, or null when the text is not a summary. */
export function summaryFromText(text: string): SummaryForReport | null {
  const result = summarySchema.safeParse(parseJson(text));
  return result.success ? result.data : null;
}

/** The fields of a GetExecutionHistory event that the commands read. */
export interface HistoryEvent {
  type?: string;
  stateEnteredEventDetails?: { name?: string; input?: string };
  taskSubmittedEventDetails?: { resourceType?: string; output?: string };
  taskSucceededEventDetails?: { resourceType?: string; output?: string };
  taskFailedEventDetails?: { resourceType?: string; cause?: string };
}

// ECS task ARNs: arn:aws:ecs:<region>:<account>:task/<cluster>/<id> (or task/<id>, old format).
export const TASK_ARN_RE = /^arn:[a-z-]+:ecs:[a-z0-9-]*:\d*:task\/(?:[^/]+\/)?([A-Za-z0-9-]+)$/;

function taskArnsIn(value: unknown, found: string[]): void {
  if (Array.isArray(value)) {
    for (const item of value) taskArnsIn(item, found);
    return;
  }
  if (value === null || typeof value !== 'object') return;
  for (const [key, item] of Object.entries(value)) {
    if ((key === 'TaskArn' || key === 'taskArn') && typeof item === 'string') {
      if (TASK_ARN_RE.test(item)) found.push(item);
    } else if (typeof item === 'object') {
      taskArnsIn(item, found);
    }
  }
}

/**
 * The ECS tasks an execution ran, one per attempt, in the order they started: the task ARNs
 * that the ECS integration's events report (TaskSubmitted: RunTask's response; TaskSucceeded:
 * the stopped task; TaskFailed: the task as the error's cause), for the `ecs` integration
 * (`runTask.sync`) and the `aws-sdk:ecs` one alike.
 */
export function taskIdsOf(events: HistoryEvent[]): string[] {
  const arns: string[] = [];
  for (const event of events) {
    const details =
      event.taskSubmittedEventDetails ??
      event.taskSucceededEventDetails ??
      event.taskFailedEventDetails;
    if (details === undefined) continue;
    const type = details.resourceType ?? '';
    if (type !== 'ecs' && type !== 'aws-sdk:ecs') continue;
    const text =
      'cause' in details ? details.cause : 'output' in details ? details.output : undefined;
    taskArnsIn(parseJson(text), arns);
  }
  const ids = arns.map((arn) => TASK_ARN_RE.exec(arn)?.[1] as string);
  return [...new Set(ids)];
}

/**
 * The RunOutcome a failed run had reached: the state machine's Fail state ends the execution
 * with only the verdict and the reason, but the state it entered with holds Evaluate's whole
 * evaluation (`$.evaluation.output`: hint, exit code, counts, artifacts). Undefined when the
 * execution failed elsewhere, or the history cut the state short (over 256 KiB).
 */
export function failedOutcomeIn(events: HistoryEvent[]): RunOutcome | undefined {
  const entered = events.findLast((event) => event.type === 'FailStateEntered');
  const state = parseJson(entered?.stateEnteredEventDetails?.input);
  if (state === null || typeof state !== 'object') return undefined;
  const evaluation = (state as { evaluation?: { output?: unknown } }).evaluation;
  const result = outcomeSchema.safeParse(evaluation?.output);
  return result.success ? (result.data as RunOutcome) : undefined;
}
