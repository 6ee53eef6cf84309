/**
 * The overlap lock's rules, with no AWS SDK: how long a lock lasts, who may take it, and the
 * error a refused run fails with. lock.ts applies them to DynamoDB.
 */
import { MAX_ATTEMPTS } from '../shared/contracts.ts';

/** The table's key attribute; ReleaseLock in dbt-run.asl.yml names it too. */
export const LOCK_KEY_ATTRIBUTE = 'lockId';

/**
 * Per attempt, beyond the task's own limit: ECS API retries with backoff (up to ~2.5 min),
 * task start-up, the stop grace after a timeout, and Evaluate with its retries.
 */
export const ATTEMPT_MARGIN_SECONDS = 600;
/** Once per run: Prepare's own retries, AnnounceStart, ReleaseLock and Notify. */
export const RUN_MARGIN_SECONDS = 300;

export interface LockHolder {
  /** The holding execution's name. */
  owner: string;
  /** Epoch seconds; NaN when the item has none (it can then be taken). */
  expiresAt: number;
  job?: string;
  acquiredAt?: string;
  executionArn?: string;
}

export const epochSeconds = (at: Date): number => Math.floor(at.getTime() / 1000);

/**
 * When a lock taken now must lapse: late enough that every attempt of this run can use its
 * whole limit (a second attempt after a Spot interruption must not find its lock gone),
 * early enough that a run which never releases it blocks no longer than it could have run.
 */
export function lockExpiresAt(nowSeconds: number, timeoutSeconds: number): number {
  return nowSeconds + MAX_ATTEMPTS * (timeoutSeconds + ATTEMPT_MARGIN_SECONDS) + RUN_MARGIN_SECONDS;
}

/**
 * Whether `me` may take a lock now held by `holder`: the rule of lock.ts's conditional
 * write, in plain code, to tell a live holder from one that lapsed or left in between. A
 * missing expiry counts as lapsed, so a malformed item can never block for good.
 */
export function mayAcquire(
  holder: LockHolder | undefined,
  me: string,
  nowSeconds: number,
): boolean {
  if (holder === undefined || holder.owner === me) return true;
  return Number.isNaN(holder.expiresAt) || holder.expiresAt < nowSeconds;
}

function describeExpiry(expiresAt: number): string {
  return Number.isFinite(expiresAt)
    ? `until ${new Date(expiresAt * 1000).toISOString()}`
    : 'with no expiry';
}

/** Thrown when another execution holds the lock. Step Functions matches on the name. */
export class RunAlreadyInProgress extends Error {
  override readonly name = 'RunAlreadyInProgress';
  readonly holder: LockHolder;

  constructor(key: string, holder: LockHolder) {
    const job = holder.job === undefined ? '' : ` (job ${holder.job})`;
    super(
      `execution ${holder.owner}${job} holds the overlap lock '${key}' ` +
        `${describeExpiry(holder.expiresAt)}; this run did not start`,
    );
    this.holder = holder;
  }
}
