import { readEvaluateConfig, settingsOf } from '../../../functions/evaluate/settings.ts';
import { ConfigurationError } from '../../../functions/shared/config.ts';

const DEV_ENVIRONMENT = { TASK_MEMORY_MIB: '4096' };

function configurationError(environment: Record<string, string | undefined>): ConfigurationError {
  try {
    readEvaluateConfig(environment);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigurationError);
    return error as ConfigurationError;
  }
  throw new Error(`accepted ${JSON.stringify(environment)}`);
}

describe('readEvaluateConfig', () => {
  it('defaults to the dbt container and two attempts', () => {
    expect(settingsOf(readEvaluateConfig(DEV_ENVIRONMENT))).toStrictEqual({
      containerName: 'dbt',
      taskMemoryMiB: 4096,
      maxAttempts: 2,
    });
  });

  it('reads every setting', () => {
    const config = readEvaluateConfig({
      DBT_CONTAINER_NAME: 'runner',
      TASK_MEMORY_MIB: '16384',
    });
    expect(settingsOf(config)).toStrictEqual({
      containerName: 'runner',
      taskMemoryMiB: 16384,
      maxAttempts: 2,
    });
  });

  it.each<[string, Record<string, string | undefined>, string]>([
    ['TASK_MEMORY_MIB missing', {}, 'TASK_MEMORY_MIB: not set'],
    [
      'TASK_MEMORY_MIB not a number',
      { TASK_MEMORY_MIB: '4 GiB' },
      'TASK_MEMORY_MIB: must be a whole number of MiB',
    ],
    ['TASK_MEMORY_MIB zero', { TASK_MEMORY_MIB: '0' }, 'TASK_MEMORY_MIB: must be at least 1'],
    [
      'DBT_CONTAINER_NAME empty',
      { ...DEV_ENVIRONMENT, DBT_CONTAINER_NAME: '' },
      'DBT_CONTAINER_NAME: must not be empty',
    ],
  ])('refuses %s, naming the setting', (_name, environment, message) => {
    expect(configurationError(environment).message).toBe(message);
  });
});
