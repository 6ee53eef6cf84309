/** The release-lock function's settings, from its environment (serverless.yml). No AWS SDK. */
import * as z from 'zod';
import { type Environment, readConfig } from '../shared/config.ts';

const shape = {
  LOCK_TABLE: z.string().min(1, { error: 'must not be empty' }),
};

export type ReleaseLockConfig = z.infer<z.ZodObject<typeof shape>>;

/**
 * Read and check the environment.
 * @throws ConfigurationError naming the setting at fault.
 */
export function readReleaseLockConfig(environment: Environment): ReleaseLockConfig {
  return readConfig(shape, environment);
}
