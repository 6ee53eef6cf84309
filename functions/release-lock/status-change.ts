/**
 * The release-lock function's decisions, with no AWS SDK: which of Step Functions' execution
 * status changes (EventBridge, `aws.states` "Step Functions Execution Status Change") leave a
 * lock behind, and what of the event it goes by.
 *
 * It goes by the execution's name and ARN only, never by `detail.input`: Step Functions leaves
 * the input out of the event when it is large (`inputDetails.included: false`), and the lock's
 * key is found by its owner instead (the table's `owner` index, lock-rules.ts).
 */
import * as z from 'zod';

/**
 * The ends that skip ReleaseLock: a stopped execution (ABORTED) and one past the state
 * machine's own limit (TIMED_OUT) never reach it; a FAILED one may have failed before it
 * (States.Runtime, a state that fails outside its Catch). A FAILED execution that did reach
 * it finds its lock gone already, which is fine: every release is conditional and idempotent.
 */
export const RELEASING_STATUSES = ['ABORTED', 'TIMED_OUT', 'FAILED'] as const;
export type ReleasingStatus = (typeof RELEASING_STATUSES)[number];

/** Thrown for an event that is not an execution's status change this function can act on. */
export class UnreadableStatusChange extends Error {
  override readonly name = 'UnreadableStatusChange';
}

export interface StatusChange {
  executionName: string;
  executionArn: string;
  status: string;
}

const statusChangeShape = z.object({
  source: z.literal('aws.states'),
  'detail-type': z.literal('Step Functions Execution Status Change'),
  detail: z.object({
    executionArn: z.string().min(1),
    name: z.string().min(1),
    status: z.string().min(1),
  }),
});

/**
 * What the event says about the execution.
 * @throws UnreadableStatusChange naming the field, for any other event.
 */
export function statusChangeOf(event: unknown): StatusChange {
  const result = statusChangeShape.safeParse(event);
  if (!result.success) {
    const issue = result.error.issues[0];
    const field = issue?.path.join('.') || 'event';
    throw new UnreadableStatusChange(
      `${field}: ${issue?.message ?? 'invalid'}; expected an aws.states "Step Functions Execution Status Change" event`,
    );
  }
  const { detail } = result.data;
  return { executionName: detail.name, executionArn: detail.executionArn, status: detail.status };
}

/** Whether an execution that ended so may still hold a lock. */
export function mayHoldALock(status: string): status is ReleasingStatus {
  return (RELEASING_STATUSES as readonly string[]).includes(status);
}

/**
 * The locks to free: those the index says the execution owns. The delete itself is conditioned
 * on the owner again, so a lock taken over since the index was read is left alone.
 */
export function locksToRelease(
  owned: ReadonlyArray<{ key: string; owner: string }>,
  executionName: string,
): string[] {
  return [...new Set(owned.filter((lock) => lock.owner === executionName).map((l) => l.key))];
}
