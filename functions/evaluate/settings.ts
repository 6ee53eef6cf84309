/**
 * Evaluate's settings, from its environment (set by serverless.yml from the stage's params).
 * No AWS SDK.
 */
import * as z from 'zod';
import { commaList, type Environment, readConfig } from '../shared/config.ts';
import { MAX_ATTEMPTS, VERDICTS } from '../shared/contracts.ts';
import type { EvaluateSettings } from './classify.ts';
import type { CostSettings } from './run-cost.ts';

const wholeNumber = (error: string) =>
  z.string().regex(/^\d+$/, { error }).transform(Number).pipe(z.int());

const shape = {
  /** The task definition's dbt container; Prepare's setting of the same name must match. */
  DBT_CONTAINER_NAME: z.string().min(1, { error: 'must not be empty' }).default('dbt'),
  /** The task's memory, as the task definition sets it: quoted in the out-of-memory hint. */
  TASK_MEMORY_MIB: wholeNumber('must be a whole number of MiB').pipe(
    z.int().min(1, { error: 'must be at least 1' }),
  ),
  /** The task's CPU units (taskCpu): its cost when the task's own description lacks them. */
  TASK_CPU: wholeNumber('must be a whole number of CPU units').pipe(
    z.int().min(256, { error: 'must be at least 256' }),
  ),
  /** The task's CPU architecture (taskCpuArchitecture): Fargate prices ARM64 lower. */
  TASK_CPU_ARCHITECTURE: z.enum(['X86_64', 'ARM64'], { error: 'must be X86_64 or ARM64' }),
  /** The functions' memory in MB (provider.memorySize): the Lambda part of a run's cost. */
  LAMBDA_MEMORY_MB: wholeNumber('must be a whole number of MB').pipe(
    z.int().min(128, { error: 'must be at least 128' }),
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

export function costSettingsOf(config: EvaluateConfig): CostSettings {
  return {
    taskCpuUnits: config.TASK_CPU,
    taskMemoryMiB: config.TASK_MEMORY_MIB,
    taskCpuArchitecture: config.TASK_CPU_ARCHITECTURE,
    lambdaMemoryMb: config.LAMBDA_MEMORY_MB,
  };
}
