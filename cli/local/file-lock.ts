// The overlap lock of local runs: the same rules as the DynamoDB lock (functions/prepare/
// lock-rules.ts: who may take it, when it lapses, the error of a refused run), kept as one
// JSON file per lock key in a folder under the project's state folder. Prepare's LOCK_TABLE
// names the folder locally, so the state machine's ReleaseLock state, bound to `release`
// here, frees it as it frees the DynamoDB item in AWS.
//
// Taking a free lock is atomic: link(2) of a fully written file fails if the lock exists.
// Taking over a lapsed lock replaces it with rename(2) and reads it back; two runs taking
// over the same lapsed lock within the same few microseconds could both win, which a laptop
// can live with (DynamoDB's conditional write has no such window).
import { randomBytes } from 'node:crypto';
import { link, mkdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  epochSeconds,
  type LockHolder,
  lockExpiresAt,
  mayAcquire,
  RunAlreadyInProgress,
} from '../../functions/prepare/lock-rules.ts';
import type { AcquireRequest, LockStore } from '../../functions/prepare/lock-store.ts';

// `#` too: the keys are `<state machine>#job#<job>` (lock-rules.ts, lockKeyOf).
const SAFE_KEY_RE = /^[A-Za-z0-9_.#-]{1,200}$/;

export function lockFile(folder: string, key: string): string {
  if (!SAFE_KEY_RE.test(key) || key.startsWith('.')) throw new Error(`unsafe lock key: ${key}`);
  return join(folder, `${key}.json`);
}

async function holderIn(path: string): Promise<LockHolder | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  try {
    const holder = JSON.parse(text) as LockHolder;
    if (typeof holder.owner === 'string' && typeof holder.expiresAt === 'number') return holder;
  } catch {
    // A torn or hand-edited file: treated as lapsed below, so it can never block for good.
  }
  return { owner: 'unreadable lock file', expiresAt: Number.NaN };
}

async function removeQuietly(path: string): Promise<void> {
  await unlink(path).catch(() => undefined);
}

const ACQUIRE_TRIES = 3;

export async function acquireFileLock(
  request: AcquireRequest,
  clock: () => Date,
): Promise<LockHolder> {
  const path = lockFile(request.table, request.key);
  await mkdir(request.table, { recursive: true });
  let refusedBy: LockHolder | undefined;
  for (let tries = 0; tries < ACQUIRE_TRIES; tries += 1) {
    const now = clock();
    const mine: LockHolder = {
      owner: request.owner,
      expiresAt: lockExpiresAt(epochSeconds(now), request.timeoutSeconds),
      job: request.job,
      acquiredAt: now.toISOString(),
      executionArn: request.executionArn,
    };
    const draft = `${path}.${randomBytes(6).toString('hex')}.tmp`;
    await writeFile(draft, `${JSON.stringify(mine)}\n`);
    try {
      await link(draft, path);
      return mine;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    } finally {
      await removeQuietly(draft);
    }
    refusedBy = await holderIn(path);
    if (!mayAcquire(refusedBy, request.owner, epochSeconds(clock()))) break;
    // Lapsed, or already ours: replace it, then make sure nobody replaced it after us.
    const takeover = `${path}.${randomBytes(6).toString('hex')}.tmp`;
    await writeFile(takeover, `${JSON.stringify(mine)}\n`);
    await rename(takeover, path);
    if ((await holderIn(path))?.owner === request.owner) return mine;
  }
  throw new RunAlreadyInProgress(
    request.key,
    refusedBy ?? { owner: 'unknown', expiresAt: Number.NaN },
  );
}

/** Free the lock if `owner` still holds it. @returns whether it did. */
export async function releaseFileLock(
  folder: string,
  key: string,
  owner: string,
): Promise<boolean> {
  const path = lockFile(folder, key);
  if ((await holderIn(path))?.owner !== owner) return false;
  await removeQuietly(path);
  return true;
}

export const fileLocks = (): LockStore => ({ acquire: acquireFileLock });

/**
 * The state machine's ReleaseLock state (`dynamodb:deleteItem` with `#owner = :owner`) on the
 * lock folder: a lock held by someone else fails as DynamoDB's conditional delete would.
 */
export async function releaseLockTask(input: unknown): Promise<Record<string, never>> {
  const parameters = input as {
    TableName: string;
    Key: { lockId: { S: string } };
    ExpressionAttributeValues: { ':owner': { S: string } };
  };
  const released = await releaseFileLock(
    parameters.TableName,
    parameters.Key.lockId.S,
    parameters.ExpressionAttributeValues[':owner'].S,
  );
  if (!released) {
    const error = new Error('The conditional request failed');
    error.name = 'DynamoDB.ConditionalCheckFailedException';
    throw error;
  }
  return {};
}
