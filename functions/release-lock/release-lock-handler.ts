/**
 * ReleaseLock for the executions that never reach the state machine's own ReleaseLock state:
 * an EventBridge rule (infra/resources.yml, LockReleaseRule) sends it this state machine's
 * status changes to ABORTED, TIMED_OUT and FAILED, and it frees whatever lock the execution
 * still owns, at once instead of at the lock's expiry. Every delete is conditioned on the
 * owner, so a lock already released and taken by the next run is left alone, and a second
 * delivery of the same event finds nothing to do.
 *
 * Fails with UnreadableStatusChange for an event it cannot read, or with DynamoDB's own error;
 * Lambda then retries the event and, after its retries, sends it to the dead-letter queue,
 * whose alarm tells a person (the lock still lapses at its expiry).
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import middy from '@middy/core';
import { invocationLogging, logger } from '../shared/logger.ts';
import { dynamoDbOwnedLocks } from './owned-locks.ts';
import type { ReleaseLockConfig } from './settings.ts';
import { locksToRelease, mayHoldALock, statusChangeOf } from './status-change.ts';

export interface ReleaseLockDependencies {
  config: ReleaseLockConfig;
  dynamodb: DynamoDBClient;
}

export interface ReleaseLockResult {
  executionName: string;
  status: string;
  /** The locks this invocation freed. */
  released: string[];
  /** Locks the index listed under the execution that it no longer held when deleted. */
  notHeld: string[];
}

export function createReleaseLock({ config, dynamodb }: ReleaseLockDependencies) {
  const locks = dynamoDbOwnedLocks(dynamodb, config.LOCK_TABLE);
  return middy<unknown, ReleaseLockResult>()
    .use(invocationLogging())
    .handler(async (event) => {
      const change = statusChangeOf(event);
      // The event carries the execution under `detail`, where the shared middleware does not
      // look: every line of the invocation names it all the same.
      logger.appendKeys({ executionName: change.executionName });
      const result: ReleaseLockResult = {
        executionName: change.executionName,
        status: change.status,
        released: [],
        notHeld: [],
      };
      if (!mayHoldALock(change.status)) {
        logger.info('nothing to release: the execution went through ReleaseLock', {
          status: change.status,
        });
        return result;
      }
      const owned = await locks.ownedBy(change.executionName);
      for (const key of locksToRelease(owned, change.executionName)) {
        const freed = await locks.release(key, change.executionName);
        (freed ? result.released : result.notHeld).push(key);
      }
      if (result.released.length > 0) {
        logger.info('released the lock the execution left', {
          status: change.status,
          executionArn: change.executionArn,
          released: result.released,
        });
      } else {
        logger.info('no lock to release: the execution held none or had released it', {
          status: change.status,
          notHeld: result.notHeld,
        });
      }
      return result;
    });
}
