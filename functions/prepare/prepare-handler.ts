/**
 * Prepare: the state machine's first state. Reads the execution's input (the state passes only
 * names: execution-input.ts), validates it, fills its defaults, takes the overlap lock, and
 * returns the state RunDbt starts from (prepare.ts, lock-store.ts).
 * Fails with InvalidRunInput, RunAlreadyInProgress or ConfigurationError, which the state
 * machine catches and hands to Evaluate; no task starts then.
 *
 * handler.ts builds it for Lambda from the environment and reads the input with
 * states:DescribeExecution; `serverless-dbt local` builds it with a local stage's settings, the
 * file lock and the input it started with.
 */
import middy from '@middy/core';
import type { PreparedState } from '../shared/contracts.ts';
import type { ExecutionInputReader } from '../shared/execution-input.ts';
import { invocationLogging, logger } from '../shared/logger.ts';
import { RunAlreadyInProgress } from './lock-rules.ts';
import type { LockStore } from './lock-store.ts';
import { type PrepareStateInput, prepareRun } from './prepare.ts';
import { type PrepareConfig, settingsFor } from './settings.ts';

export interface PrepareDependencies {
  config: PrepareConfig;
  lockStore: LockStore;
  /** The execution's input, which the state does not carry. */
  executionInput: ExecutionInputReader;
  clock?: () => Date;
}

export function createPrepare({
  config,
  lockStore,
  executionInput,
  clock = () => new Date(),
}: PrepareDependencies) {
  return middy<PrepareStateInput, PreparedState>()
    .use(invocationLogging())
    .handler(async (event) => {
      const input = await executionInput.read(event.executionArn);
      // Input first: a bad input must fail without ever taking (and then holding) the lock.
      const state = prepareRun({ ...event, input }, settingsFor(config, event.executionArn));
      const { run } = state;
      if (run.lock !== undefined) {
        try {
          await lockStore.acquire(
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
