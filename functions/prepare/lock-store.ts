/**
 * Where the overlap lock lives, as Prepare sees it: DynamoDB in AWS (lock.ts), a folder for
 * local runs (cli/local/file-lock.ts). Both apply the rules of lock-rules.ts.
 */
import type { LockHolder } from './lock-rules.ts';

export interface AcquireRequest {
  table: string;
  key: string;
  /** The execution's name: what ReleaseLock compares with `$$.Execution.Name`. */
  owner: string;
  executionArn: string;
  job: string;
  timeoutSeconds: number;
}

export interface LockStore {
  /** Take the lock or throw RunAlreadyInProgress (lock-rules.ts). */
  acquire: (request: AcquireRequest, clock: () => Date) => Promise<LockHolder>;
}
