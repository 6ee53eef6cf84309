/**
 * The locks an execution owns, in the lock table: found through the table's `owner` index
 * (keys only) and deleted with the same conditional delete as the state machine's ReleaseLock
 * (functions/prepare/lock.ts), so only a lock this execution still holds is freed.
 *
 * The index is eventually consistent: a lock written a moment ago may not be listed yet. The
 * status change arrives after the execution ended, long after Prepare took the lock, except
 * for an execution stopped while Prepare was running: that lock then lapses at its expiry.
 */
import { type DynamoDBClient, QueryCommand } from '@aws-sdk/client-dynamodb';
import { release } from '../prepare/lock.ts';
import { LOCK_KEY_ATTRIBUTE, LOCK_OWNER_INDEX } from '../prepare/lock-rules.ts';

export interface OwnedLock {
  key: string;
  owner: string;
}

export interface OwnedLocks {
  /** The locks the index lists under `owner`. */
  ownedBy: (owner: string) => Promise<OwnedLock[]>;
  /** Delete the lock if `owner` still holds it. @returns whether it did. */
  release: (key: string, owner: string) => Promise<boolean>;
}

export function dynamoDbOwnedLocks(client: DynamoDBClient, table: string): OwnedLocks {
  return {
    ownedBy: async (owner) => {
      const found: OwnedLock[] = [];
      let startKey: QueryCommand['input']['ExclusiveStartKey'];
      do {
        const page = await client.send(
          new QueryCommand({
            TableName: table,
            IndexName: LOCK_OWNER_INDEX,
            KeyConditionExpression: '#owner = :owner',
            // `owner` is a DynamoDB reserved word.
            ExpressionAttributeNames: { '#owner': 'owner' },
            ExpressionAttributeValues: { ':owner': { S: owner } },
            ExclusiveStartKey: startKey,
          }),
        );
        for (const item of page.Items ?? []) {
          const key = item[LOCK_KEY_ATTRIBUTE]?.S;
          const itemOwner = item.owner?.S;
          if (key !== undefined && itemOwner !== undefined) found.push({ key, owner: itemOwner });
        }
        startKey = page.LastEvaluatedKey;
      } while (startKey !== undefined);
      return found;
    },
    release: (key, owner) => release(client, table, key, owner),
  };
}
