// What `cancel` and `retry` decide, with no AWS SDK: how a run ended, in words; what a cancel
// records on the execution; which of a run's input a retry of it carries.
import {
  CROSS_FIELD_RULES,
  type CrossFieldRule,
  RUN_INPUT_FIELDS,
} from '../../functions/shared/run-input-contract.ts';
import { stackNameOf } from './names.ts';
import { type ExecutionDescription, jobOf, verdictOf } from './outcome.ts';

/** How a finished execution ended, as the end of a sentence about the run. */
export function howItEnded(execution: ExecutionDescription): string {
  switch (execution.status) {
    case 'SUCCEEDED':
      return 'succeeded';
    case 'FAILED':
      return `failed with ${verdictOf(execution)}`;
    case 'ABORTED':
      return 'was cancelled (stopped: ABORTED)';
    case 'TIMED_OUT':
      return "was stopped at the execution's own time limit (TIMED_OUT)";
    default:
      return `is ${execution.status ?? 'in an unknown state'}`;
  }
}

/**
 * The error a cancel gives StopExecution: the verdict the run is reported with (outcome.ts
 * reads ABORTED as CANCELLED; the Airflow DAG reads an aborted execution's error as its verdict).
 */
export const CANCEL_ERROR = 'CANCELLED';

/** Characters of `--reason` kept; StopExecution takes 32,768 for the whole cause. */
export const MAX_REASON_CHARS = 500;

/**
 * The cause a cancel records on the execution (the console and DescribeExecution show it):
 * that `serverless-dbt cancel` stopped it, the local user who ran it when the environment
 * names one (USER), and the reason given. The AWS identity that stopped it is in CloudTrail's
 * StopExecution event.
 */
export function cancelCause(user: string | undefined, reason: string | undefined): string {
  const by = user ? ` by ${user}` : '';
  return `cancelled with serverless-dbt cancel${by}${reason ? `: ${reason}` : ''}`;
}

/**
 * `--reason` as recorded: on one line, spaces collapsed.
 * @returns the problem with it instead, when it is blank or too long.
 */
export function cancelReasonOf(text: string | undefined): { reason?: string; problem?: string } {
  if (text === undefined) return {};
  const reason = text.replace(/\s+/g, ' ').trim();
  if (reason === '') return { problem: '--reason must not be blank' };
  if (reason.length > MAX_REASON_CHARS) {
    return {
      problem: `--reason must be at most ${MAX_REASON_CHARS} characters (got ${reason.length})`,
    };
  }
  return { reason };
}

/** The stage's function that frees the overlap lock of a stopped execution (serverless.yml). */
export function releaseLockFunctionOf(stage: string): string {
  return `${stackNameOf(stage)}-release-lock`;
}

/** Whether a rule of the run input's contract refuses its field next to this command. */
function refusedWith(rule: CrossFieldRule, command: string): boolean {
  const { when } = rule;
  if (when.field !== 'command' || (rule.expect !== 'absent' && rule.expect !== 'notTrue')) {
    return false;
  }
  return (
    when.is === command ||
    (when.isNot !== undefined && when.isNot !== command) ||
    (when.in?.includes(command) ?? false)
  );
}

/**
 * The fields of a run's input that a retry of it leaves out: those the run input's contract
 * refuses with `command: retry` (the selection, which `dbt retry` takes from the earlier run's
 * own results, fullRefresh, the macro and its args, allowEmpty, only), and the command and
 * retryOf, which the retry sets.
 */
export const NOT_CARRIED_BY_RETRY: readonly string[] = [
  ...new Set([
    'command',
    'retryOf',
    ...CROSS_FIELD_RULES.filter((rule) => refusedWith(rule, 'retry')).map((rule) => rule.field),
  ]),
];

/**
 * The input of a retry of a run: its job, `command: retry`, `retryOf` the run, and every other
 * field of the run's input that a retry accepts (vars, scheduledTime, threads, timeoutSeconds,
 * freshness, docs, failFast, warnError), so that the retry runs as the run did. Undefined when
 * the run's input is not a JSON object.
 */
export function retryInputOf(
  runInput: string | undefined,
  runId: string,
): Record<string, unknown> | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(runInput ?? '');
  } catch {
    return undefined;
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return undefined;
  const original = parsed as Record<string, unknown>;
  const input: Record<string, unknown> = {
    job: jobOf(runInput),
    command: 'retry',
    retryOf: runId,
  };
  for (const field of RUN_INPUT_FIELDS) {
    if (field === 'job' || NOT_CARRIED_BY_RETRY.includes(field)) continue;
    if (Object.hasOwn(original, field)) input[field] = original[field];
  }
  return input;
}

/** The files of a run's last attempt that `dbt retry` starts from (the container's retryOf). */
export const RETRY_NEEDS = ['run_results.json', 'manifest.json'] as const;
