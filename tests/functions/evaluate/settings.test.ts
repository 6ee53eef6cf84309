import { readEvaluateConfig, settingsOf } from '../../../functions/evaluate/settings.ts';
import { ConfigurationError } from '../../../functions/shared/config.ts';

const DEV_ENVIRONMENT = {
  TASK_MEMORY_MIB: '4096',
  TASK_CPU: '1024',
  TASK_CPU_ARCHITECTURE: 'X86_64',
  LAMBDA_MEMORY_MB: '256',
  ALARM_ON: 'DBT_FAILED,INFRA_FAILED',
  STATE_MACHINE_NAME: 'serverless-dbt-dev-dbt-run',
};

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
      ...DEV_ENVIRONMENT,
      DBT_CONTAINER_NAME: 'runner',
      TASK_MEMORY_MIB: '16384',
    });
    expect(settingsOf(config)).toStrictEqual({
      containerName: 'runner',
      taskMemoryMiB: 16384,
      maxAttempts: 2,
    });
  });

  it('reads the verdicts that page and the state machine the metrics are counted under', () => {
    const config = readEvaluateConfig(DEV_ENVIRONMENT);
    expect(config.ALARM_ON).toStrictEqual(['DBT_FAILED', 'INFRA_FAILED']);
    expect(config.STATE_MACHINE_NAME).toBe('serverless-dbt-dev-dbt-run');
  });

  it('refuses an ALARM_ON word that is no verdict, naming the setting', () => {
    expect(
      configurationError({ ...DEV_ENVIRONMENT, ALARM_ON: 'DBT_FAILED,PAGE_ME' }).message,
    ).toMatch(/^ALARM_ON: .*DBT_FAILED/);
  });

  it('takes an empty ALARM_ON as "no verdict pages"', () => {
    expect(readEvaluateConfig({ ...DEV_ENVIRONMENT, ALARM_ON: '' }).ALARM_ON).toStrictEqual([]);
  });

  it.each<[string, Record<string, string | undefined>, string]>([
    [
      'TASK_MEMORY_MIB missing',
      { ...DEV_ENVIRONMENT, TASK_MEMORY_MIB: undefined },
      'TASK_MEMORY_MIB: not set',
    ],
    ['ALARM_ON missing', { ...DEV_ENVIRONMENT, ALARM_ON: undefined }, 'ALARM_ON: not set'],
    [
      'STATE_MACHINE_NAME missing',
      { ...DEV_ENVIRONMENT, STATE_MACHINE_NAME: undefined },
      'STATE_MACHINE_NAME: not set',
    ],
    [
      'TASK_MEMORY_MIB not a number',
      { ...DEV_ENVIRONMENT, TASK_MEMORY_MIB: '4 GiB' },
      'TASK_MEMORY_MIB: must be a whole number of MiB',
    ],
    [
      'TASK_MEMORY_MIB zero',
      { ...DEV_ENVIRONMENT, TASK_MEMORY_MIB: '0' },
      'TASK_MEMORY_MIB: must be at least 1',
    ],
    ['TASK_CPU missing', { ...DEV_ENVIRONMENT, TASK_CPU: undefined }, 'TASK_CPU: not set'],
    [
      "TASK_CPU below Fargate's smallest",
      { ...DEV_ENVIRONMENT, TASK_CPU: '128' },
      'TASK_CPU: must be at least 256',
    ],
    [
      'TASK_CPU_ARCHITECTURE not an architecture',
      { ...DEV_ENVIRONMENT, TASK_CPU_ARCHITECTURE: 'arm64' },
      'TASK_CPU_ARCHITECTURE: must be X86_64 or ARM64',
    ],
    [
      'LAMBDA_MEMORY_MB missing',
      { ...DEV_ENVIRONMENT, LAMBDA_MEMORY_MB: undefined },
      'LAMBDA_MEMORY_MB: not set',
    ],
    [
      'DBT_CONTAINER_NAME empty',
      { ...DEV_ENVIRONMENT, DBT_CONTAINER_NAME: '' },
      'DBT_CONTAINER_NAME: must not be empty',
    ],
  ])('refuses %s, naming the setting', (_name, environment, message) => {
    expect(configurationError(environment).message).toBe(message);
  });
});
