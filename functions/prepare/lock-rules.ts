/**
 * The overlap lock's rules, with no AWS SDK: how long a lock lasts, who may take it, and the
 * error a refused run fails with. lock.ts applies them to DynamoDB.
 */
import { MAX_ATTEMPTS } from '../shared/contracts.ts';

/** The table's key attribute; ReleaseLock in dbt-run.asl.yml names it too. */
export const LOCK_KEY_ATTRIBUTE = 'lockId';

/**
 * The table's index on `owner` (infra/resources.yml): how the release-lock function finds the
 * locks an execution that died still holds without knowing its job.
 */
export const LOCK_OWNER_INDEX = 'owner';

/** Job and lock group names: the run input's job rule, so they fit a key and a file name. */
export const LOCK_NAME_RE = /^[A-Za-z0-9_-]{1,64}$/;

/** What a run's lock key is made of: its state machine, and the stage's lock groups. */
export interface LockLayout {
  /** The state machine's name: each stage's machine has its own locks. */
  stateMachine: string;
  /** Job name → lock group, for the jobs that share a lock (serverless.yml `lockGroup`). */
  groups: Readonly<Record<string, string>>;
}

/**
 * The lock a run of `job` takes: its own, `<state machine>#job#<job>`, or its group's,
 * `<state machine>#group#<group>`, shared by every job of the group. Any job name gets a lock,
 * also one no setting knows (a manual run under a new name): that run then only waits for
 * runs of the same name.
 */
export function lockKeyOf(layout: LockLayout, job: string): string {
  const group = Object.hasOwn(layout.groups, job) ? layout.groups[job] : undefined;
  return group === undefined
    ? `${layout.stateMachine}#job#${job}`
    : `${layout.stateMachine}#group#${group}`;
}

/**
 * Per attempt, beyond the task's own limit: RunDbt's retries of the ECS API and of RunTask's
 * Failures, one retrier with backoff (up to 10+20+40+80 s, ~2.5 min, whatever the mix),
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
