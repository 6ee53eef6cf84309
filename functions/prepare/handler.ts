/**
 * Prepare: the state machine's first state. Validates the run input, fills its defaults,
 * takes the overlap lock, and returns the state RunDbt starts from (prepare.ts, lock.ts).
 * Fails with InvalidRunInput, RunAlreadyInProgress or ConfigurationError, which the state
 * machine catches and hands to Evaluate; no task starts then.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import middy from '@middy/core';
import type { PreparedState } from '../shared/contracts.ts';
import { logExecutionName, logger } from '../shared/logger.ts';
import { type AcquireRequest, acquire } from './lock.ts';
import type { LockHolder } from './lock-rules.ts';
import { RunAlreadyInProgress } from './lock-rules.ts';
import { type PrepareEvent, prepareRun } from './prepare.ts';
import { type PrepareConfig, readPrepareConfig, settingsFor } from './settings.ts';

/** Where the overlap lock lives: DynamoDB in AWS; a folder for local runs (cli/local/). */
export interface LockStore {
  /** Take the lock or throw RunAlreadyInProgress (lock-rules.ts). */
  acquire: (request: AcquireRequest, clock: () => Date) => Promise<LockHolder>;
}

export const dynamoDbLocks = (dynamodb: DynamoDBClient): LockStore => ({
  acquire: (request, clock) => acquire(dynamodb, request, clock),
});

export function createPrepareHandler(
  config: PrepareConfig,
  locks: LockStore,
  clock: () => Date = () => new Date(),
) {
  return middy<PrepareEvent, PreparedState>()
    .use(logExecutionName())
    .handler(async (event) => {
      // Input first: a bad input must fail without ever taking (and then holding) the lock.
      const state = prepareRun(event, settingsFor(config, event.executionArn));
      const { run } = state;
      if (run.lock !== undefined) {
        try {
          await locks.acquire(
            {
              table: run.lock.table,
              key: run.lock.key,
              owner: run.runId,
              executionArn: event.executionArn,
              job: run.job,
              timeoutSeconds: run.timeoutSeconds,
            },
            clock,
          );
        } catch (error) {
          if (error instanceof RunAlreadyInProgress) {
            logger.warn('not started: another run holds the overlap lock', {
              job: run.job,
              holder: error.holder,
            });
          }
          throw error;
        }
      }
      logger.info('prepared', {
        job: run.job,
        command: run.spec.command,
        trigger: run.trigger,
        lockAcquired: run.lock !== undefined,
      });
      return state;
    });
}

// Read once per container: a bad setting fails the first invocation, named.
const config = readPrepareConfig();
const dynamodb = new DynamoDBClient({});

export const handler = createPrepareHandler(config, dynamoDbLocks(dynamodb));
