/**
 * Evaluate's settings, from its environment (set by serverless.yml from the stage's params).
 * No AWS SDK.
 */
import * as z from 'zod';
import { commaList, type Environment, readConfig } from '../shared/config.ts';
import { MAX_ATTEMPTS, VERDICTS } from '../shared/contracts.ts';
import type { EvaluateSettings } from './classify.ts';

const wholeNumber = (error: string) =>
  z.string().regex(/^\d+$/, { error }).transform(Number).pipe(z.int());

const shape = {
  /** The task definition's dbt container; Prepare's setting of the same name must match. */
  DBT_CONTAINER_NAME: z.string().min(1, { error: 'must not be empty' }).default('dbt'),
  /** The task's memory, as the task definition sets it: quoted in the out-of-memory hint. */
  TASK_MEMORY_MIB: wholeNumber('must be a whole number of MiB').pipe(
    z.int().min(1, { error: 'must be at least 1' }),
  ),
  /**
   * The verdicts that page (the stage's alarmOn, expanded and checked at package time): a
   * final evaluation with one of them counts an AlarmingRuns. Empty: no verdict pages.
   */
  ALARM_ON: commaList(VERDICTS),
  /** The state machine's name: the StateMachine dimension of the metrics the alarms watch. */
  STATE_MACHINE_NAME: z.string().min(1, { error: 'must not be empty' }),
};

export type EvaluateConfig = z.infer<z.ZodObject<typeof shape>>;

/**
 * Read and check the environment.
 * @throws ConfigurationError naming the setting at fault.
 */
export function readEvaluateConfig(environment: Environment): EvaluateConfig {
  return readConfig(shape, environment);
}

export function settingsOf(config: EvaluateConfig): EvaluateSettings {
  return {
    containerName: config.DBT_CONTAINER_NAME,
    taskMemoryMiB: config.TASK_MEMORY_MIB,
    maxAttempts: MAX_ATTEMPTS,
  };
}
