/**
 * Evaluate's output, with no AWS SDK: a judgement (classify.ts) becomes the Evaluation the
 * state machine reads (retry, nextAttempt) and the RunOutcome the CLI, alerts and Airflow
 * read (functions/shared/contracts.ts).
 */
import { attemptArtifactsUri } from '../shared/artifacts-layout.ts';
import type { EvaluateEvent, Evaluation, PreparedRun, RunState } from '../shared/contracts.ts';
import type { RunCost } from '../shared/cost.ts';
import {
  cut,
  deadlineJudgement,
  type EvaluateSettings,
  EXIT_AWS_UNREACHABLE,
  type Judgement,
  lastAttemptJudgement,
  QUOTE_CHARS,
  runnerHint,
} from './classify.ts';
import { nothingSelected, unreachableFromTask } from './reasons.ts';
import type { EvaluationSummary } from './summary.ts';

const JOB_RE = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * What an evaluation is built from: the state and the execution's name, and the execution's
 * raw input (any JSON, untrusted) when the handler read it because Prepare built no run.
 */
export interface EvaluationInput extends Pick<EvaluateEvent, 'state' | 'executionName'> {
  executionInput?: unknown;
}

/** The run Prepare built, when the state holds one. */
export function runOf(event: Pick<EvaluateEvent, 'state'>): PreparedRun | undefined {
  const state: unknown = event.state;
  if (typeof state !== 'object' || state === null) return undefined;
  const run = (state as RunState).run;
  return typeof run === 'object' && run !== null ? run : undefined;
}

/**
 * The job to report a run under when Prepare did not build one: the raw input's `job` if it
 * is a valid job name, `manual` when the input names none (as Prepare's default), else
 * `unknown` (the input is not an object, or its job is not a job name).
 */
export function jobOf(executionInput: unknown): string {
  const input = typeof executionInput === 'string' ? parseOrSelf(executionInput) : executionInput;
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return 'unknown';
  const job = (input as Record<string, unknown>).job;
  if (job === undefined) return 'manual';
  return typeof job === 'string' && JOB_RE.test(job) ? job : 'unknown';
}

function parseOrSelf(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** This attempt's number: 1 unless RetryOnDemand set a later one. */
export function attemptOf(state: unknown): number {
  const attempt =
    typeof state === 'object' && state !== null ? (state as RunState).attempt : undefined;
  return typeof attempt === 'number' && Number.isInteger(attempt) && attempt >= 1 ? attempt : 1;
}

/**
 * This attempt's own artifacts folder (`…/runs/<runId>/attempt-<N>/`), where its summary.json
 * is; undefined when Prepare built no run.
 */
export function attemptArtifactsUriOf(event: Pick<EvaluateEvent, 'state'>): string | undefined {
  const run = runOf(event);
  return typeof run?.artifactsUri === 'string'
    ? attemptArtifactsUri(run.artifactsUri, attemptOf(event.state))
    : undefined;
}

/**
 * The evaluation the state machine stores under `$.evaluation`, with the run's cost so far
 * (run-cost.ts) when there is one.
 *
 * Another attempt is made only for INFRA_RETRYABLE, with attempts left, and when Prepare built
 * a run: RetryOnDemand starts the next attempt from `$.run`. With none left, the judgement is
 * the last attempt's (lastAttemptJudgement).
 */
export function buildEvaluation(
  event: EvaluationInput,
  settings: EvaluateSettings,
  judged: Judgement,
  summary: EvaluationSummary | null,
  cost: RunCost | null = null,
): Evaluation {
  const run = runOf(event);
  const attempt = attemptOf(event.state);
  const attemptsLeft = attempt < settings.maxAttempts && run !== undefined;
  const judgement = deadlineJudgement(
    attemptsLeft ? judged : lastAttemptJudgement(judged),
    typeof run?.timeoutSeconds === 'number' ? run.timeoutSeconds : undefined,
    summary?.runningNodes,
  );
  const retryable = judgement.verdict === 'INFRA_RETRYABLE';
  const retry = retryable && attemptsLeft;
  const reason = withSummary(judgement, summary);
  const runnerSaid = runnerHint(judgement, summary?.error ?? null, run?.artifactsUri, run?.spec);
  const hint = retryable
    ? attemptsHint(runnerSaid, attempt, settings.maxAttempts, retry)
    : runnerSaid;
  return {
    verdict: judgement.verdict,
    retryable,
    reason,
    hint,
    exitCode: judgement.exitCode,
    stopCode: judgement.stopCode,
    stoppedReason: judgement.stoppedReason,
    attempt,
    retry,
    nextAttempt: attempt + 1,
    taskId: judgement.taskId,
    summary,
    output: {
      runId: run?.runId ?? event.executionName,
      job: run?.job ?? jobOf(event.executionInput),
      verdict: judgement.verdict,
      reason,
      hint,
      exitCode: judgement.exitCode,
      counts: summary?.counts ?? null,
      // The judged attempt's folder: its summary.json and docs page are what the outcome says.
      artifactsUri: attemptArtifactsUriOf(event) ?? null,
      ...(cost === null ? {} : { cost }),
    },
    ...(cost === null ? {} : { cost }),
  };
}

/** A retryable failure's hint, opened by what happens next: another attempt, or none left. */
function attemptsHint(
  hint: string | null,
  attempt: number,
  maxAttempts: number,
  retry: boolean,
): string {
  const next = retry
    ? `Attempt ${attempt + 1} of ${maxAttempts} follows on on-demand Fargate.`
    : `No other attempt follows (this was attempt ${attempt} of ${maxAttempts}).`;
  return hint === null ? next : `${next} ${hint}`;
}

/** The reason, made concrete by summary.json where it says more than the exit code does. */
function withSummary(judgement: Judgement, summary: EvaluationSummary | null): string {
  if (summary === null) return judgement.reason;
  const { counts } = summary;
  if (judgement.verdict === 'DBT_FAILED') {
    const parts = [
      plural(counts.error, 'error', 'errors'),
      plural(counts.fail, 'failing test', 'failing tests'),
      plural(counts.warn, 'warning', 'warnings'),
      plural(counts.skipped, 'skipped node', 'skipped nodes'),
    ].filter((part) => part !== undefined);
    const freshness = summary.freshness.status === 'error' ? ['stale sources'] : [];
    const listed = [...parts, ...freshness];
    if (listed.length === 0) return judgement.reason;
    const first = summary.error === null ? '' : `; first: ${summary.error}`;
    return sentence(`dbt reported failures (exit 1): ${listed.join(', ')}${first}`);
  }
  if (
    (judgement.verdict === 'DBT_ERROR' || judgement.verdict === 'CONFIG_ERROR') &&
    summary.error !== null
  ) {
    const what =
      judgement.verdict === 'DBT_ERROR'
        ? 'dbt could not run'
        : 'The dbt container is misconfigured';
    return sentence(`${what} (exit ${judgement.exitCode}): ${summary.error}`);
  }
  if (judgement.verdict === 'NOTHING_SELECTED' && summary.error !== null) {
    return nothingSelected(summary.error, undefined).reason;
  }
  if (
    (judgement.verdict === 'INFRA_RETRYABLE' || judgement.verdict === 'INFRA_FAILED') &&
    judgement.exitCode === EXIT_AWS_UNREACHABLE &&
    summary.error !== null
  ) {
    return unreachableFromTask(summary.error, judgement.verdict === 'INFRA_FAILED').reason;
  }
  return judgement.reason;
}

function plural(count: number, one: string, many: string): string | undefined {
  if (!count) return undefined;
  return `${count} ${count === 1 ? one : many}`;
}

function sentence(text: string): string {
  const line = cut(text, QUOTE_CHARS + 120);
  return /[.!?…]$/.test(line) ? line : `${line}.`;
}
