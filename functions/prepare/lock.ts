/**
 * The overlap guard: one DynamoDB item per job (or lock group; lock-rules.ts, lockKeyOf),
 * written only if nobody else holds it. DynamoDB's conditional write decides who wins, so two
 * starts at the same moment cannot both get it (listing running executions first would be
 * racy). The item carries its own expiry, so a run that never releases it blocks the next
 * ones only until then; an aborted, timed-out or failed execution's lock is freed sooner by
 * the release-lock function, which finds it by its owner.
 *
 * The item: { lockId (key), owner (execution name), executionArn, job, acquiredAt (ISO-8601),
 * expiresAt (epoch seconds, also the table's TTL attribute, so stale items disappear) }.
 * The state machine's ReleaseLock state deletes it on every path, conditioned on `owner`;
 * `release` here does the same for local runs and tests.
 */
import {
  type AttributeValue,
  ConditionalCheckFailedException,
  DeleteItemCommand,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import {
  epochSeconds,
  LOCK_KEY_ATTRIBUTE,
  type LockHolder,
  lockExpiresAt,
  mayAcquire,
  RunAlreadyInProgress,
} from './lock-rules.ts';
import type { AcquireRequest, LockStore } from './lock-store.ts';

// Free, lapsed, or already ours (Prepare retried after a Lambda timeout). A missing expiry
// counts as lapsed so that a malformed item cannot block for good; see mayAcquire.
const ACQUIRE_CONDITION =
  'attribute_not_exists(#key) OR attribute_not_exists(#expiresAt) OR #expiresAt < :now OR #owner = :me';

function itemOf(holder: LockHolder, key: string): Record<string, AttributeValue> {
  return {
    [LOCK_KEY_ATTRIBUTE]: { S: key },
    owner: { S: holder.owner },
    executionArn: { S: holder.executionArn ?? '' },
    job: { S: holder.job ?? '' },
    acquiredAt: { S: holder.acquiredAt ?? '' },
    expiresAt: { N: String(holder.expiresAt) },
  };
}

export function holderOf(item: Record<string, AttributeValue> | undefined): LockHolder | undefined {
  if (item === undefined || item.owner?.S === undefined) return undefined;
  const expiresAt = item.expiresAt?.N === undefined ? Number.NaN : Number(item.expiresAt.N);
  const holder: LockHolder = { owner: item.owner.S, expiresAt };
  if (item.job?.S !== undefined) holder.job = item.job.S;
  if (item.acquiredAt?.S !== undefined) holder.acquiredAt = item.acquiredAt.S;
  if (item.executionArn?.S !== undefined) holder.executionArn = item.executionArn.S;
  return holder;
}

type PutOutcome = { acquired: true; holder: LockHolder } | { acquired: false; holder?: LockHolder };

async function tryToPut(
  client: DynamoDBClient,
  request: AcquireRequest,
  now: Date,
): Promise<PutOutcome> {
  const nowSeconds = epochSeconds(now);
  const mine: LockHolder = {
    owner: request.owner,
    expiresAt: lockExpiresAt(nowSeconds, request.timeoutSeconds),
    job: request.job,
    acquiredAt: now.toISOString(),
    executionArn: request.executionArn,
  };
  try {
    await client.send(
      new PutItemCommand({
        TableName: request.table,
        Item: itemOf(mine, request.key),
        ConditionExpression: ACQUIRE_CONDITION,
        // `owner` is a DynamoDB reserved word; the others are named alike for one style.
        ExpressionAttributeNames: {
          '#key': LOCK_KEY_ATTRIBUTE,
          '#owner': 'owner',
          '#expiresAt': 'expiresAt',
        },
        ExpressionAttributeValues: {
          ':now': { N: String(nowSeconds) },
          ':me': { S: request.owner },
        },
        // The refusal then says who holds the lock without a second read.
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      }),
    );
    return { acquired: true, holder: mine };
  } catch (error) {
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
    const holder =
      holderOf(error.Item) ?? (await currentHolder(client, request.table, request.key));
    return holder === undefined ? { acquired: false } : { acquired: false, holder };
  }
}

/** A lock that was released or lapsed between our write and our look is worth another try. */
const ACQUIRE_TRIES = 3;

/**
 * Take the lock, or throw RunAlreadyInProgress naming the execution that holds it and until
 * when. The same execution taking it again (Prepare retried after a Lambda timeout) succeeds
 * and moves the expiry on.
 * @returns the lock as written: this execution's.
 */
export async function acquire(
  client: DynamoDBClient,
  request: AcquireRequest,
  clock: () => Date = () => new Date(),
): Promise<LockHolder> {
  let refusedBy: LockHolder | undefined;
  for (let tries = 0; tries < ACQUIRE_TRIES; tries += 1) {
    const outcome = await tryToPut(client, request, clock());
    if (outcome.acquired) return outcome.holder;
    refusedBy = outcome.holder;
    if (!mayAcquire(refusedBy, request.owner, epochSeconds(clock()))) break;
  }
  throw new RunAlreadyInProgress(
    request.key,
    refusedBy ?? { owner: 'unknown', expiresAt: Number.NaN },
  );
}

/** The lock in a DynamoDB table, as Prepare takes it in AWS. */
export const dynamoDbLocks = (dynamodb: DynamoDBClient): LockStore => ({
  acquire: (request, clock) => acquire(dynamodb, request, clock),
});

export async function currentHolder(
  client: DynamoDBClient,
  table: string,
  key: string,
): Promise<LockHolder | undefined> {
  const { Item } = await client.send(
    new GetItemCommand({
      TableName: table,
      Key: { [LOCK_KEY_ATTRIBUTE]: { S: key } },
      ConsistentRead: true,
    }),
  );
  return holderOf(Item);
}

/**
 * Free the lock if `owner` still holds it, as ReleaseLock does in the state machine.
 * @returns whether a lock of `owner` was deleted.
 */
export async function release(
  client: DynamoDBClient,
  table: string,
  key: string,
  owner: string,
): Promise<boolean> {
  try {
    await client.send(
      new DeleteItemCommand({
        TableName: table,
        Key: { [LOCK_KEY_ATTRIBUTE]: { S: key } },
        // Only this execution's own lock: a later run may hold it by now.
        ConditionExpression: '#owner = :owner',
        ExpressionAttributeNames: { '#owner': 'owner' },
        ExpressionAttributeValues: { ':owner': { S: owner } },
      }),
    );
    return true;
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return false;
    throw error;
  }
}
