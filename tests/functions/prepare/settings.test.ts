import {
  readPrepareConfig,
  settingsFor,
  stateMachineNameOf,
} from '../../../functions/prepare/settings.ts';
import { ConfigurationError } from '../../../functions/shared/config.ts';
import { executionArnOf, STATE_MACHINE } from './events.ts';

const DEV_ENVIRONMENT = {
  STAGE: 'dev',
  LOCK_TABLE: 'serverless-dbt-dev-locks',
  DEFAULT_TIMEOUT_SECONDS: '3600',
  FARGATE_SPOT: 'true',
  ARTIFACTS_URI: 's3://serverless-dbt-dev-artifacts/dbt',
  NOTIFY_ON: 'start,failure',
};

function configurationError(environment: Record<string, string>): ConfigurationError {
  try {
    readPrepareConfig(environment);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigurationError);
    return error as ConfigurationError;
  }
  throw new Error(`accepted ${JSON.stringify(environment)}`);
}

describe('readPrepareConfig', () => {
  it("reads a stage's settings and turns them into one run's settings", () => {
    const config = readPrepareConfig(DEV_ENVIRONMENT);
    expect(settingsFor(config, executionArnOf('cli-x'))).toStrictEqual({
      stage: 'dev',
      defaultTimeoutSeconds: 3600,
      fargateSpot: true,
      artifactsUri: 's3://serverless-dbt-dev-artifacts/dbt',
      notifyOnStart: true,
      lock: { table: 'serverless-dbt-dev-locks', stateMachine: STATE_MACHINE, groups: {} },
      schedules: {},
    });
  });

  it("reads each job's cron and time zone from JOB_SCHEDULES", () => {
    const schedules = { nightly: { cron: 'cron(0 6 * * ? *)', timezone: 'Europe/Berlin' } };
    const config = readPrepareConfig({
      ...DEV_ENVIRONMENT,
      JOB_SCHEDULES: JSON.stringify(schedules),
    });
    expect(settingsFor(config, executionArnOf('x')).schedules).toStrictEqual(schedules);
  });

  it.each([
    ['not JSON', 'nightly=cron(0 6 * * ? *)', /^JOB_SCHEDULES: must be a JSON object/],
    [
      'an unknown time zone',
      '{"nightly":{"cron":"cron(0 6 * * ? *)","timezone":"Mars/Olympus"}}',
      /^JOB_SCHEDULES: nightly\.timezone is not job → \{cron, timezone\}/,
    ],
    [
      'an entry without its cron',
      '{"nightly":{"timezone":"UTC"}}',
      /^JOB_SCHEDULES: nightly\.cron is not/,
    ],
  ])('refuses JOB_SCHEDULES with %s, naming it', (_name, value, message) => {
    expect(configurationError({ ...DEV_ENVIRONMENT, JOB_SCHEDULES: value }).message).toMatch(
      message,
    );
  });

  it('defaults to on-demand Fargate, no start notice and a lock', () => {
    const { FARGATE_SPOT: _spot, NOTIFY_ON: _notify, ...minimal } = DEV_ENVIRONMENT;
    const settings = settingsFor(readPrepareConfig(minimal), executionArnOf('cli-x'));
    expect(settings.fargateSpot).toBe(false);
    expect(settings.notifyOnStart).toBe(false);
    expect(settings.lock).toStrictEqual({
      table: 'serverless-dbt-dev-locks',
      stateMachine: STATE_MACHINE,
      groups: {},
    });
  });

  it('announces the start only when NOTIFY_ON lists start', () => {
    for (const [notifyOn, expected] of [
      ['start', true],
      [' success , start ', true],
      ['success,failure', false],
      ['', false],
    ] as const) {
      const config = readPrepareConfig({ ...DEV_ENVIRONMENT, NOTIFY_ON: notifyOn });
      expect([notifyOn, settingsFor(config, executionArnOf('x')).notifyOnStart]).toEqual([
        notifyOn,
        expected,
      ]);
    }
  });

  it('reads the lock groups from JOB_LOCK_GROUPS, job=group pairs', () => {
    const config = readPrepareConfig({
      ...DEV_ENVIRONMENT,
      JOB_LOCK_GROUPS: 'nightly-build=warehouse, weekly_full=warehouse,hourly=Small-1',
    });
    expect(settingsFor(config, executionArnOf('x')).lock?.groups).toStrictEqual({
      'nightly-build': 'warehouse',
      weekly_full: 'warehouse',
      hourly: 'Small-1',
    });
    const none = readPrepareConfig({ ...DEV_ENVIRONMENT, JOB_LOCK_GROUPS: '' });
    expect(settingsFor(none, executionArnOf('x')).lock?.groups).toStrictEqual({});
  });

  it('takes no lock with ALLOW_OVERLAP=true, and then needs no table', () => {
    const { LOCK_TABLE: _table, ...withoutTable } = DEV_ENVIRONMENT;
    const config = readPrepareConfig({ ...withoutTable, ALLOW_OVERLAP: 'true' });
    expect(settingsFor(config, executionArnOf('x')).lock).toBeUndefined();
  });

  it('needs LOCK_TABLE unless overlap is allowed', () => {
    const { LOCK_TABLE: _table, ...withoutTable } = DEV_ENVIRONMENT;
    expect(configurationError(withoutTable).message).toMatch(/^LOCK_TABLE: not set/);
  });

  it('accepts file:/// artifacts for local runs', () => {
    const config = readPrepareConfig({ ...DEV_ENVIRONMENT, ARTIFACTS_URI: 'file:///tmp/shop' });
    expect(config.ARTIFACTS_URI).toBe('file:///tmp/shop');
  });

  it.each([
    ['STAGE', undefined, 'STAGE: not set'],
    ['ARTIFACTS_URI', undefined, 'ARTIFACTS_URI: not set'],
    ['ARTIFACTS_URI', 'https://bucket/dbt', 'ARTIFACTS_URI: must be s3://bucket/prefix'],
    ['ARTIFACTS_URI', 's3://', 'ARTIFACTS_URI: must be s3://bucket/prefix'],
    ['DEFAULT_TIMEOUT_SECONDS', undefined, 'DEFAULT_TIMEOUT_SECONDS: not set'],
    ['DEFAULT_TIMEOUT_SECONDS', '1h', 'DEFAULT_TIMEOUT_SECONDS: must be a whole number'],
    ['DEFAULT_TIMEOUT_SECONDS', '59', 'DEFAULT_TIMEOUT_SECONDS: must be at least 60'],
    ['DEFAULT_TIMEOUT_SECONDS', '86401', 'DEFAULT_TIMEOUT_SECONDS: must be at most 86400'],
    ['FARGATE_SPOT', 'yes', 'FARGATE_SPOT: must be true or false'],
    ['ALLOW_OVERLAP', 'TRUE', 'ALLOW_OVERLAP: must be true or false'],
    ['NOTIFY_ON', 'start,always', 'NOTIFY_ON: '],
    ['JOB_LOCK_GROUPS', 'nightly', "JOB_LOCK_GROUPS: 'nightly' is not job=group"],
    ['JOB_LOCK_GROUPS', 'a=b=c', "JOB_LOCK_GROUPS: 'a=b=c' is not job=group"],
    ['JOB_LOCK_GROUPS', 'a=b,c=d e', "JOB_LOCK_GROUPS: 'c=d e' is not job=group"],
    ['JOB_LOCK_GROUPS', 'a=#group#b', "JOB_LOCK_GROUPS: 'a=#group#b' is not job=group"],
    ['JOB_LOCK_GROUPS', 'a=b,a=c', "JOB_LOCK_GROUPS: job 'a' is given twice"],
  ])('names %s when it is %p', (name, value, message) => {
    const environment: Record<string, string> = { ...DEV_ENVIRONMENT };
    if (value === undefined) delete environment[name];
    else environment[name] = value;
    expect(configurationError(environment).message.startsWith(message)).toBe(true);
  });
});

describe('the lock keys', () => {
  it("start with the state machine's name, so each stage's machine has its own locks", () => {
    const config = readPrepareConfig(DEV_ENVIRONMENT);
    const live = executionArnOf('x', 'serverless-dbt-live-dbt-run');
    expect(settingsFor(config, live).lock?.stateMachine).toBe('serverless-dbt-live-dbt-run');
  });

  it.each([
    [executionArnOf('run-1'), STATE_MACHINE],
    ['arn:aws:states:eu-west-1:123456789012:express:fast-machine:run-1:4f2e', 'fast-machine'],
    ['arn:aws-cn:states:cn-north-1:123456789012:execution:machine-cn:run-1', 'machine-cn'],
    ['arn:aws:states:eu-west-1:123456789012:stateMachine:machine', undefined],
    ['run-1', undefined],
    ['', undefined],
  ])('of %p is %p', (arn, name) => {
    expect(stateMachineNameOf(arn)).toBe(name);
  });

  it('without an execution ARN to name the state machine, are a ConfigurationError on executionArn', () => {
    const config = readPrepareConfig(DEV_ENVIRONMENT);
    expect(() => settingsFor(config, 'local-run')).toThrow(ConfigurationError);
    expect(() => settingsFor(config, 'local-run')).toThrow(
      /^executionArn: 'local-run' is not an execution ARN/,
    );
  });
});
