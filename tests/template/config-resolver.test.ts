// infra/config.cjs checks the stage's settings (through infra/settings.cjs) while osls resolves
// serverless.yml, so that a wrong setting fails `serverless package` with its name, before
// anything is deployed. Its exports are called here as osls calls them.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { jest } from '@jest/globals';
import { readPrepareConfig } from '../../functions/prepare/settings.ts';
import { REPO_ROOT } from '../support/packaged.ts';

type Resolver = (context: {
  resolveVariable: (address: string) => Promise<unknown>;
}) => Promise<unknown>;

const config = createRequire(import.meta.url)(join(REPO_ROOT, 'infra', 'config.cjs')) as Record<
  string,
  Resolver
>;

const DEFAULTS: Record<string, unknown> = {
  'sls:stage': 'dev',
  'self:service': 'serverless-dbt',
  'self:custom.prefix': 'serverless-dbt-dev',
  'self:custom.logStreamPrefix': 'dbt',
  'self:custom.containerName': 'dbt',
  'self:custom.names.notify': 'serverless-dbt-dev-notify',
  'self:custom.names.stateMachine': 'serverless-dbt-dev-dbt-run',
  'param:credentialsSource': 'env',
  'param:warehouseSecretArn': '',
  'param:warehouseSecretKeys': ['host', 'port', 'dbname', 'username', 'password'],
  'param:warehouseSecretKmsKeyArn': '',
  'param:dbtTarget': 'redshift',
  'param:dbtProject': 'dbt',
  'param:dbtAdapter': 'redshift',
  'param:taskEnvironment': {},
  'param:slackWebhookSecretArn': '',
  'param:notifyOn': ['failure'],
  'param:alarmOn': [
    'DBT_FAILED',
    'DBT_ERROR',
    'NOTHING_SELECTED',
    'CONFIG_ERROR',
    'OUT_OF_MEMORY',
    'INFRA_*',
    'TIMED_OUT',
    'ARTIFACTS_LOST',
  ],
  'param:docsUrl': '',
  'param:jobs': [],
  'param:defaultTimeoutSeconds': 3600,
  'param:alarmEmails': [],
  'param:alarmTopicArns': [],
  'param:subnets': ['subnet-00000000000000000'],
  'param:securityGroups': ['sg-00000000000000000'],
  'param:imageTag': 'unset',
  'param:cfnRoleArn': '',
};

function resolve(name: string, settings: Record<string, unknown> = {}): Promise<unknown> {
  const values = { ...DEFAULTS, ...settings };
  const resolver = config[name];
  if (resolver === undefined) throw new Error(`infra/config.cjs has no ${name}`);
  return resolver({
    resolveVariable: async (address) => {
      if (!(address in values)) throw new Error(`unexpected variable ${address}`);
      return values[address];
    },
  });
}

const job = (fields: Record<string, unknown>) => ({
  name: 'nightly',
  // 03:00, as 02:00 does not exist in Berlin on the last Sunday of March (refused below).
  cron: 'cron(0 3 * * ? *)',
  timezone: 'Europe/Berlin',
  ...fields,
});

const schedules = async (jobs: unknown[]) =>
  (await resolve('conditionalResources', { 'param:jobs': jobs })) as Record<
    string,
    { Type: string; Properties: { State: string; Target: { Input: string } } }
  >;

describe('infra/config.cjs', () => {
  it('turns each job into one schedule whose input names the job', async () => {
    const resources = await schedules([
      job({ name: 'a-job', input: { command: 'run' } }),
      job({ name: 'b_job', enabled: false }),
    ]);
    const found = Object.values(resources).filter((r) => r.Type === 'AWS::Scheduler::Schedule');
    const scheduledTime = '<aws.scheduler.scheduled-time>';
    expect(found.map((r) => [JSON.parse(r.Properties.Target.Input), r.Properties.State])).toEqual([
      [{ command: 'run', job: 'a-job', scheduledTime }, 'ENABLED'],
      [{ job: 'b_job', scheduledTime }, 'DISABLED'],
    ]);
  });

  it('refuses a job input that sets scheduledTime, which the schedule fills', async () => {
    await expect(
      schedules([job({ input: { scheduledTime: '2026-01-01T00:00:00Z' } })]),
    ).rejects.toThrow(/'jobs\[0\]\.input\.scheduledTime': is filled by the schedule/);
  });

  it.each([
    ['a name with a space', [job({ name: 'bad name' })], /jobs\[0\]\.name/],
    ['the name manual, which means a run started by hand', [job({ name: 'manual' })], /manual/],
    ['the same name twice', [job({}), job({})], /used twice/],
    ['a cron without its six fields', [job({ cron: 'cron(0 2 * * *)' })], /jobs\[0\]\.cron/],
    ['an unknown time zone', [job({ timezone: 'Mars/Olympus' })], /jobs\[0\]\.timezone/],
    ['an input that is not an object', [job({ input: 'build' })], /jobs\[0\]\.input/],
    ['an input naming another job', [job({ input: { job: 'other' } })], /input\.job/],
    ['an unknown field', [job({ schedule: 'daily' })], /unknown field schedule/],
    ['a name too long for the schedule', [job({ name: 'x'.repeat(60) })], /64 characters/],
    [
      "an input the run input refuses, naming its field in the run input's words",
      [job({ input: { select: 'orders; drop' } })],
      /^param 'jobs\[0\]\.input\.select': contains ';', which is not allowed in a selector$/,
    ],
    [
      'an input with an unknown field',
      [job({ input: { fullrefresh: true } })],
      /^param 'jobs\[0\]\.input\.fullrefresh': unknown field; /,
    ],
    [
      'an input over the size limit',
      [
        job({
          input: {
            vars: { a: 'x'.repeat(2040) },
            select: 'y'.repeat(1000),
            exclude: 'z'.repeat(1000),
          },
        }),
      ],
      /^param 'jobs\[0\]\.input': must be at most 4096 bytes/,
    ],
    [
      'a lock group that cannot be part of a lock key',
      [job({ lockGroup: 'warehouse#1' })],
      /^param 'jobs\[0\]\.lockGroup': must be 1 to 64 characters of A-Z a-z 0-9 _ -/,
    ],
    ['a lock group that is not a string', [job({ lockGroup: 7 })], /jobs\[0\]\.lockGroup/],
  ])('refuses a job with %s', async (_case, jobs, message) => {
    await expect(schedules(jobs)).rejects.toThrow(message);
  });

  it("gives Prepare each grouped job's lock group as job=group, and nothing for the others", async () => {
    const jobs = [
      job({ name: 'nightly-build', lockGroup: 'warehouse' }),
      job({ name: 'hourly' }),
      job({ name: 'weekly_full', lockGroup: 'warehouse', enabled: false }),
    ];
    expect(await resolve('jobLockGroups', { 'param:jobs': jobs })).toBe(
      'nightly-build=warehouse,weekly_full=warehouse',
    );
    expect(await resolve('jobLockGroups', { 'param:jobs': [job({})] })).toBe('');
  });

  it('reads lockGroup as Prepare reads JOB_LOCK_GROUPS', async () => {
    const value = (await resolve('jobLockGroups', {
      'param:jobs': [job({ name: 'a', lockGroup: 'g-1' }), job({ name: 'b', lockGroup: 'g-1' })],
    })) as string;
    const prepare = readPrepareConfig({
      STAGE: 'dev',
      LOCK_TABLE: 'locks',
      DEFAULT_TIMEOUT_SECONDS: '3600',
      ARTIFACTS_URI: 's3://bucket/dbt',
      JOB_LOCK_GROUPS: value,
    });
    expect(prepare.JOB_LOCK_GROUPS).toStrictEqual({ a: 'g-1', b: 'g-1' });
  });

  it("gives Prepare each job's cron and time zone as JOB_SCHEDULES, which Prepare reads back", async () => {
    const value = (await resolve('jobSchedules', {
      'param:jobs': [
        job({ name: 'nightly' }),
        job({ name: 'weekdays', cron: 'cron(30 7 ? * MON-FRI *)', timezone: 'America/New_York' }),
      ],
    })) as string;
    const prepare = readPrepareConfig({
      STAGE: 'dev',
      LOCK_TABLE: 'locks',
      DEFAULT_TIMEOUT_SECONDS: '3600',
      ARTIFACTS_URI: 's3://bucket/dbt',
      JOB_SCHEDULES: value,
    });
    expect(prepare.JOB_SCHEDULES).toStrictEqual({
      nightly: { cron: 'cron(0 3 * * ? *)', timezone: 'Europe/Berlin' },
      weekdays: { cron: 'cron(30 7 ? * MON-FRI *)', timezone: 'America/New_York' },
    });
    expect(await resolve('jobSchedules', { 'param:jobs': [] })).toBe('{}');
  });

  it('creates the warehouse secret only when credentials come from env and none is given', async () => {
    expect(await schedules([])).toHaveProperty('WarehouseSecret');
    const given = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:redshift-AbCdEf';
    expect(
      await resolve('conditionalResources', { 'param:warehouseSecretArn': given }),
    ).not.toHaveProperty('WarehouseSecret');
    expect(
      await resolve('conditionalResources', { 'param:credentialsSource': 'glue:redshift' }),
    ).not.toHaveProperty('WarehouseSecret');
  });

  it.each([
    ['credentialsSource', 'vault:redshift'],
    ['credentialsSource', 'secretsmanager:not-an-arn'],
    ['warehouseSecretArn', 'redshift'],
  ])('refuses %s %s', async (name, value) => {
    await expect(resolve('taskSecrets', { [`param:${name}`]: value })).rejects.toThrow(
      new RegExp(`param '${name}'`),
    );
  });

  it.each([
    ['notifyOn', ['failure', 'always']],
    ['slackWebhookSecretArn', 'https://hooks.slack.com/services/T/B/C'],
    ['docsUrl', 'dbt-docs.example.com'],
  ])("refuses Notify's %s %j", async (name, value) => {
    await expect(resolve('notifyEnvironment', { [`param:${name}`]: value })).rejects.toThrow(
      new RegExp(`param '${name}'`),
    );
  });

  it('accepts notifyOn as a list or as a comma-separated string', async () => {
    expect(await resolve('notifyOn', { 'param:notifyOn': ['start', 'failure'] })).toBe(
      'start,failure',
    );
    expect(await resolve('notifyOn', { 'param:notifyOn': 'success, failure' })).toBe(
      'success,failure',
    );
  });
});

describe('who the alarms reach, and which verdicts page', () => {
  const TOPIC = 'arn:aws:sns:eu-west-1:123456789012:chatbot-alarms';
  type Subscription = { Type: string; Properties: { Protocol: string; Endpoint: string } };
  const subscriptions = async (emails: unknown) =>
    Object.entries(
      (await resolve('conditionalResources', { 'param:alarmEmails': emails })) as Record<
        string,
        Subscription
      >,
    ).filter(([, resource]) => resource.Type === 'AWS::SNS::Subscription');

  it("expands INFRA_* and gives Evaluate the live default: the issue's list, in the contract's order", async () => {
    expect(await resolve('alarmOn')).toBe(
      'DBT_FAILED,DBT_ERROR,NOTHING_SELECTED,CONFIG_ERROR,ARTIFACTS_LOST,OUT_OF_MEMORY,INFRA_RETRYABLE,INFRA_FAILED,TIMED_OUT',
    );
  });

  it('accepts alarmOn as a comma-separated string (--param), and an empty one as no page at all', async () => {
    expect(await resolve('alarmOn', { 'param:alarmOn': 'TIMED_OUT, DBT_*' })).toBe(
      'DBT_FAILED,DBT_ERROR,TIMED_OUT',
    );
    expect(await resolve('alarmOn', { 'param:alarmOn': [] })).toBe('');
  });

  it.each([
    [
      ['DBT_FAILED', 'DBT_FAIL'],
      /param 'alarmOn\[1\]': "DBT_FAIL" is not a verdict; the verdicts are SUCCEEDED, /,
    ],
    [['NOPE_*'], /param 'alarmOn\[0\]': "NOPE_\*" is not a verdict/],
    [[42], /param 'alarmOn\[0\]': must be a verdict, got 42/],
    [{ DBT_FAILED: true }, /param 'alarmOn': must be a list/],
  ])('refuses alarmOn %j, naming the entry', async (value, message) => {
    await expect(resolve('alarmOn', { 'param:alarmOn': value })).rejects.toThrow(message);
  });

  it('subscribes each alarm email once, under an id its place in the list does not change', async () => {
    const one = await subscriptions([
      'oncall@example.com',
      'data@example.com',
      'oncall@example.com',
    ]);
    expect(one.map(([, resource]) => resource.Properties)).toEqual([
      { TopicArn: { Ref: 'AlarmTopic' }, Protocol: 'email', Endpoint: 'oncall@example.com' },
      { TopicArn: { Ref: 'AlarmTopic' }, Protocol: 'email', Endpoint: 'data@example.com' },
    ]);
    const reordered = await subscriptions(['data@example.com', 'oncall@example.com']);
    expect(Object.fromEntries(reordered)).toEqual(Object.fromEntries(one));
    expect(await subscriptions([])).toEqual([]);
  });

  it.each([
    [
      'alarmEmails',
      ['oncall.example.com'],
      /param 'alarmEmails\[0\]': "oncall.example.com" is not an email address/,
    ],
    ['alarmEmails', ['a@b.co', 'two words@b.co'], /param 'alarmEmails\[1\]'/],
    [
      'alarmTopicArns',
      ['chatbot-alarms'],
      /param 'alarmTopicArns\[0\]': "chatbot-alarms" is not an SNS topic ARN/,
    ],
    ['alarmTopicArns', [`${TOPIC}:subscription-id`], /param 'alarmTopicArns\[0\]'/],
    [
      'alarmTopicArns',
      [1, 2, 3, 4, 5].map((n) => `${TOPIC}-${n}`),
      /param 'alarmTopicArns': at most 4/,
    ],
  ])('refuses %s %j', async (name, value, message) => {
    const resolver = name === 'alarmEmails' ? 'conditionalResources' : 'alarmActions';
    await expect(resolve(resolver, { [`param:${name}`]: value })).rejects.toThrow(message);
  });

  it('gives every alarm the stack topic, then the alarmTopicArns', async () => {
    expect(await resolve('alarmActions')).toEqual([{ Ref: 'AlarmTopic' }]);
    expect(await resolve('alarmActions', { 'param:alarmTopicArns': [TOPIC] })).toEqual([
      { Ref: 'AlarmTopic' },
      TOPIC,
    ]);
  });

  it('lets Notify publish to the stack topic only, and tells it the topic and the state machine', async () => {
    const statements = (await resolve('notifyRolePolicy')) as Array<{ Action: unknown }>;
    const publish = statements.filter((each) => JSON.stringify(each.Action).includes('sns:'));
    expect(publish).toEqual([
      {
        Sid: 'PublishUndeliveredAlerts',
        Effect: 'Allow',
        Action: 'sns:Publish',
        Resource: { Ref: 'AlarmTopic' },
      },
    ]);
    expect(await resolve('notifyEnvironment')).toMatchObject({
      ALARM_TOPIC_ARN: { Ref: 'AlarmTopic' },
      STATE_MACHINE_NAME: 'serverless-dbt-dev-dbt-run',
    });
  });

  it('tells the deploy checks whether Slack is set and how many subscribers the alarms have', async () => {
    const checks = (await resolve('deployChecks', {
      'param:slackWebhookSecretArn':
        'arn:aws:secretsmanager:eu-west-1:123456789012:secret:slack-AbCdEf',
      'param:alarmEmails': ['oncall@example.com'],
      'param:alarmTopicArns': [TOPIC],
    })) as { alerting: unknown };
    expect(checks.alerting).toEqual({ slack: true, alarmEmails: 1, alarmTopicArns: 1 });
  });
});

describe("the dbt container's settings", () => {
  const KMS_KEY = 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
  const SECRET = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:warehouse-AbCdEf';
  type Variable = { Name: string; Value?: unknown; ValueFrom?: unknown };
  type Statement = { Sid: string; Action: unknown; Resource: unknown; Condition?: unknown };

  it('injects each key of warehouseSecretKeys as its variable, from that key', async () => {
    const secrets = (await resolve('taskSecrets', {
      'param:warehouseSecretArn': SECRET,
      'param:warehouseSecretKeys': ['account', 'user', 'private-key'],
    })) as Variable[];
    expect(secrets).toEqual([
      { Name: 'DBT_WAREHOUSE_ACCOUNT', ValueFrom: { 'Fn::Join': ['', [SECRET, ':account::']] } },
      { Name: 'DBT_WAREHOUSE_USER', ValueFrom: { 'Fn::Join': ['', [SECRET, ':user::']] } },
      {
        Name: 'DBT_ENV_SECRET_PRIVATE_KEY',
        ValueFrom: { 'Fn::Join': ['', [SECRET, ':private-key::']] },
      },
    ]);
  });

  it.each([
    [['db-name', 'db_name'], /'db-name' and 'db_name' would both be DBT_WAREHOUSE_DB_NAME/],
    [['pass word'], /not a JSON key ECS can inject/],
    [[], /must be a list/],
  ])('refuses warehouseSecretKeys %j', async (keys, message) => {
    await expect(resolve('taskSecrets', { 'param:warehouseSecretKeys': keys })).rejects.toThrow(
      message,
    );
  });

  it('gives the container dbtTarget and taskEnvironment as plain variables, and no target when empty', async () => {
    const named = (list: unknown) =>
      Object.fromEntries((list as Variable[]).map(({ Name, Value }) => [Name, Value]));
    expect(
      named(
        await resolve('taskEnvironment', {
          'param:taskEnvironment': { DBT_SCHEMA: 'shop', THREADS: 8 },
        }),
      ),
    ).toMatchObject({ ENV: 'dev', DBT_TARGET: 'redshift', DBT_SCHEMA: 'shop', THREADS: '8' });
    expect(named(await resolve('taskEnvironment', { 'param:dbtTarget': '' }))).not.toHaveProperty(
      'DBT_TARGET',
    );
  });

  it.each([
    [{ SNOWFLAKE_PASSWORD: 'x' }, /taskEnvironment.SNOWFLAKE_PASSWORD'.*warehouse secret/],
    [{ DBT_TARGET: 'prod' }, /taskEnvironment.DBT_TARGET'.*set by serverless-dbt/],
    [
      { RUN_ATTEMPT_STARTED_AT: '2026-01-01T00:00:00Z' },
      /taskEnvironment.RUN_ATTEMPT_STARTED_AT'.*set by serverless-dbt/,
    ],
    [{ 'dbt-schema': 'x' }, /taskEnvironment.dbt-schema'.*variable name/],
    [{ DBT_SCHEMA: { nested: true } }, /must be a string, a number or true\/false/],
  ])('refuses taskEnvironment %j', async (value, message) => {
    await expect(resolve('taskEnvironment', { 'param:taskEnvironment': value })).rejects.toThrow(
      message,
    );
  });

  it('grants kms:Decrypt through Secrets Manager only, to the role that reads the secret', async () => {
    const decrypt = (statements: unknown) =>
      (statements as Statement[]).filter((each) => each.Sid === 'DecryptTheWarehouseSecret');
    const kms = { 'param:warehouseSecretKmsKeyArn': KMS_KEY };
    const [execution] = decrypt(await resolve('executionRolePolicy', kms));
    expect(execution).toMatchObject({ Action: 'kms:Decrypt', Resource: KMS_KEY });
    expect(JSON.stringify(execution?.Condition)).toContain('kms:ViaService');
    expect(decrypt(await resolve('taskRolePolicy', kms))).toEqual([]);
    const fetched = { ...kms, 'param:credentialsSource': `secretsmanager:${SECRET}` };
    expect(decrypt(await resolve('taskRolePolicy', fetched))).toHaveLength(1);
    expect(decrypt(await resolve('executionRolePolicy', fetched))).toEqual([]);
    expect(decrypt(await resolve('executionRolePolicy', {}))).toEqual([]);
  });

  it('refuses a KMS key that is not an ARN', async () => {
    await expect(
      resolve('executionRolePolicy', { 'param:warehouseSecretKmsKeyArn': 'alias/warehouse' }),
    ).rejects.toThrow(/param 'warehouseSecretKmsKeyArn'/);
  });
});

test.each(
  (
    JSON.parse(
      readFileSync(join(REPO_ROOT, 'tests', 'fixtures', 'warehouse-variables.json'), 'utf8'),
    ) as { pairs: Array<[string, string]> }
  ).pairs,
)('the warehouse secret key %j becomes %s, as the container names it', async (key, variable) => {
  const [secret] = (await resolve('taskSecrets', { 'param:warehouseSecretKeys': [key] })) as Array<{
    Name: string;
  }>;
  expect(secret?.Name).toBe(variable);
});

describe("the image's settings", () => {
  it('gives the project folder, the adapter and the target as set', async () => {
    expect(await resolve('dbtProject', { 'param:dbtProject': './dbt/' })).toBe('dbt/');
    expect(await resolve('dbtAdapter', { 'param:dbtAdapter': 'postgres' })).toBe('postgres');
    expect(await resolve('dbtTarget', { 'param:dbtTarget': 'prod' })).toBe('prod');
  });

  it.each([
    ['dbtProject', 'analytics', /param 'dbtProject': "analytics" holds no dbt_project.yml/],
    ['dbtProject', '../elsewhere', /param 'dbtProject': must be a folder inside this repository/],
    [
      'dbtAdapter',
      'redshfit',
      /param 'dbtAdapter': must be one of bigquery, databricks, duckdb, postgres, redshift, snowflake, got "redshfit"/,
    ],
    ['dbtTarget', 'prod target', /param 'dbtTarget'/],
  ])('refuses %s %j', async (name, value, message) => {
    await expect(resolve(name, { [`param:${name}`]: value })).rejects.toThrow(message);
  });
});

describe("the deployment's settings", () => {
  const ROLE = 'arn:aws:iam::123456789012:role/cloudformation-serverless-dbt';

  it('gives the deploy checks the network and the image tag as set, placeholders included', async () => {
    expect(await resolve('deployChecks')).toEqual({
      subnets: ['subnet-00000000000000000'],
      securityGroups: ['sg-00000000000000000'],
      imageTag: 'unset',
      alerting: { slack: false, alarmEmails: 0, alarmTopicArns: 0 },
    });
    expect(
      await resolve('deployChecks', {
        'param:subnets': ['subnet-0123456789abcdef0', 'subnet-89abcdef'],
        'param:imageTag': '3f2a9c1',
      }),
    ).toMatchObject({
      subnets: ['subnet-0123456789abcdef0', 'subnet-89abcdef'],
      imageTag: '3f2a9c1',
    });
  });

  it.each([
    [
      'subnets',
      'subnet-0123456789abcdef0',
      /param 'subnets': must be a list of 1 to 16 subnet- ids/,
    ],
    ['subnets', ['subnet-0123'], /param 'subnets': "subnet-0123" is not a subnet- id/],
    [
      'subnets',
      ['sg-0123456789abcdef0'],
      /param 'subnets': "sg-0123456789abcdef0" is not a subnet- id/,
    ],
    ['securityGroups', [], /param 'securityGroups': must be a list of 1 to 5 sg- ids/],
    ['imageTag', 'v1 final', /param 'imageTag': "v1 final" is not an image tag/],
    ['imageTag', '', /param 'imageTag': "" is not an image tag/],
  ])('refuses %s %j', async (name, value, message) => {
    await expect(resolve('deployChecks', { [`param:${name}`]: value })).rejects.toThrow(message);
  });

  it('names the CloudFormation role in provider.iam only when cfnRoleArn is set', async () => {
    expect(await resolve('providerIam')).toEqual({});
    expect(await resolve('providerIam', { 'param:cfnRoleArn': ROLE })).toEqual({
      deploymentRole: ROLE,
    });
    await expect(
      resolve('providerIam', { 'param:cfnRoleArn': 'cloudformation-serverless-dbt' }),
    ).rejects.toThrow(/param 'cfnRoleArn': must be an IAM role ARN or empty/);
  });
});

test('the stack names secrets by the same words as the container’s redaction', () => {
  // Kept in two languages; the vectors above try each word, this catches a word added to one.
  const python = readFileSync(join(REPO_ROOT, 'container', 'dbt_runner', 'redaction.py'), 'utf8');
  const javascript = readFileSync(join(REPO_ROOT, 'infra', 'warehouse-settings.cjs'), 'utf8');
  const inPython = /SECRET_NAME = re\.compile\(\s*r"([^"]+)"/.exec(python)?.[1];
  const inJavascript = /const SECRET_NAME =\s*\/([^/]+)\/i;/.exec(javascript)?.[1];
  expect(inPython).toBeDefined();
  expect(inJavascript).toBe(inPython);
});

describe("each job's dead man's switch and its daylight saving check", () => {
  interface Alarm {
    Type: string;
    Properties: {
      AlarmName: string;
      AlarmDescription: string;
      Metrics: Array<{
        Id: string;
        Expression?: string;
        ReturnData: boolean;
        MetricStat?: {
          Metric: { Namespace: string; MetricName: string; Dimensions: unknown[] };
          Period: number;
          Stat: string;
        };
      }>;
      EvaluationPeriods: number;
      DatapointsToAlarm: number;
      Threshold: number;
      ComparisonOperator: string;
      TreatMissingData: string;
      AlarmActions: unknown[];
    };
  }

  const alarmsOf = (resources: Record<string, unknown>) =>
    Object.entries(resources as Record<string, Alarm>).filter(
      ([, resource]) => resource.Type === 'AWS::CloudWatch::Alarm',
    );

  /** What conditionalResources writes to stderr, and what it returns. */
  async function withNotices(jobs: unknown[], settings: Record<string, unknown> = {}) {
    const written: string[] = [];
    const spy = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: unknown) => {
      written.push(String(chunk));
      return true;
    });
    try {
      const resources = (await resolve('conditionalResources', {
        'param:jobs': jobs,
        ...settings,
      })) as Record<string, unknown>;
      return { resources, notices: written.join('') };
    } finally {
      spy.mockRestore();
    }
  }

  /** The EU's rule: clocks go forward on the last Sunday of March, at 01:00 UTC. */
  function nextEuropeanSpringForward(now: Date): string {
    for (let year = now.getUTCFullYear(); ; year += 1) {
      const lastOfMarch = new Date(Date.UTC(year, 2, 31, 1));
      const change = new Date(lastOfMarch.getTime() - lastOfMarch.getUTCDay() * 86_400_000);
      if (change > now) return change.toISOString().slice(0, 10);
    }
  }

  it('gives each enabled job an alarm on its own SucceededRuns, and a disabled job none', async () => {
    const { resources } = await withNotices([
      job({ name: 'nightly-build', input: { command: 'build' } }),
      job({ name: 'paused', enabled: false }),
    ]);
    const alarms = alarmsOf(resources);
    expect(alarms.map(([id]) => id)).toEqual(['NoSuccessfulRunNightlyBuildAlarm']);
    const [[, alarm]] = alarms as [[string, Alarm]];
    const [metric, expression] = alarm.Properties.Metrics;
    expect(metric).toMatchObject({
      ReturnData: false,
      MetricStat: {
        Metric: {
          Namespace: 'serverless-dbt',
          MetricName: 'SucceededRuns',
          Dimensions: [
            { Name: 'StateMachine', Value: 'serverless-dbt-dev-dbt-run' },
            { Name: 'Job', Value: 'nightly-build' },
          ],
        },
        Stat: 'Sum',
      },
    });
    // A period without a success counts as 0, so the alarm does not look further back.
    expect(expression).toEqual(
      expect.objectContaining({ Expression: `FILL(${metric?.Id}, 0)`, ReturnData: true }),
    );
    expect(alarm.Properties).toMatchObject({
      Threshold: 1,
      ComparisonOperator: 'LessThanThreshold',
      TreatMissingData: 'breaching',
      AlarmActions: [{ Ref: 'AlarmTopic' }],
    });
    expect(alarm.Properties.DatapointsToAlarm).toBe(alarm.Properties.EvaluationPeriods);
  });

  it("names the job and its window, from the job's own limit or the stage's default", async () => {
    // Daily 03:00 Berlin: 25 h at most between runs; then 2 x (limit + 10 min) + 5 min for a
    // run, and 1 h 15 min of grace.
    const nameOf = async (input: Record<string, unknown>, defaultTimeout: number) => {
      const { resources } = await withNotices([job({ name: 'nightly-build', input })], {
        'param:defaultTimeoutSeconds': defaultTimeout,
      });
      const [[, alarm]] = alarmsOf(resources) as [[string, Alarm]];
      return [alarm.Properties.AlarmName, alarm.Properties.AlarmDescription];
    };
    const [name, description] = await nameOf({}, 3600);
    expect(name).toBe('serverless-dbt-dev-nightly-build-no-successful-run-in-29h');
    expect(description).toMatch(/^nightly-build: no successful run in 29 h \(/);
    expect((await nameOf({ timeoutSeconds: 7200 }, 3600))[0]).toMatch(/-in-31h$/);
    expect((await nameOf({}, 7200))[0]).toMatch(/-in-31h$/);
  });

  it('sends the alarm to the stack topic and to each of alarmTopicArns', async () => {
    const topic = 'arn:aws:sns:eu-west-1:123456789012:chatbot-alarms';
    const { resources } = await withNotices([job({})], { 'param:alarmTopicArns': [topic] });
    const [[, alarm]] = alarmsOf(resources) as [[string, Alarm]];
    expect(alarm.Properties.AlarmActions).toEqual([{ Ref: 'AlarmTopic' }, topic]);
  });

  it('refuses an enabled daily job whose time the spring-forward day skips, naming the job and the date', async () => {
    const date = nextEuropeanSpringForward(new Date());
    const refusal = withNotices([
      job({}),
      job({ name: 'nightly-build', cron: 'cron(30 2 * * ? *)' }),
    ]);
    await expect(refusal).rejects.toThrow(
      new RegExp(
        `^param 'jobs\\[1\\]\\.cron': job nightly-build runs at 02:30 Europe/Berlin time, which does not exist on ${date} \\(the clocks go from 02:00 to 03:00\\);.* Choose a time outside 02:00-03:00`,
      ),
    );
  });

  it('takes a disabled job at such a time, and a UTC one', async () => {
    const { resources } = await withNotices([
      job({ name: 'paused', cron: 'cron(30 2 * * ? *)', enabled: false }),
      job({ name: 'utc', cron: 'cron(30 2 * * ? *)', timezone: 'UTC' }),
    ]);
    expect(alarmsOf(resources).map(([id]) => id)).toEqual(['NoSuccessfulRunUtcAlarm']);
  });

  it('only notes an hourly job that loses one run of the spring-forward day', async () => {
    const date = nextEuropeanSpringForward(new Date());
    const { resources, notices } = await withNotices([
      job({ name: 'hourly', cron: 'cron(15 * * * ? *)' }),
    ]);
    expect(notices).toContain(
      `serverless-dbt: notice: job hourly: its run at 02:15 on ${date} does not happen`,
    );
    expect(notices).toContain('its other 23 runs that day do');
    expect(alarmsOf(resources)).toHaveLength(1);
  });

  it.each([
    [
      'a weekly job',
      'cron(0 4 ? * SUN *)',
      /is longer than the 7 days a CloudWatch alarm can evaluate/,
    ],
    [
      'a monthly job',
      'cron(0 4 1 * ? *)',
      /is longer than the 7 days a CloudWatch alarm can evaluate/,
    ],
    ['a one-time job', 'at(2030-01-01T04:00:00)', /it runs once/],
  ])('says that %s has no alarm, and why', async (_case, cron, why) => {
    const { resources, notices } = await withNotices([job({ name: 'rare', cron })]);
    expect(alarmsOf(resources)).toEqual([]);
    expect(notices).toMatch(/serverless-dbt: notice: job rare has no "no successful run" alarm: /);
    expect(notices).toMatch(why);
  });

  it('gives a rate() job a window of its rate', async () => {
    const { resources } = await withNotices([job({ name: 'often', cron: 'rate(15 minutes)' })]);
    const [[, alarm]] = alarmsOf(resources) as [[string, Alarm]];
    // 15 min + 2 h 25 min + 1 h 15 min = 3 h 55 min, in 5-minute periods.
    expect(alarm.Properties.AlarmName).toMatch(/-often-no-successful-run-in-3h55min$/);
    expect(alarm.Properties.Metrics[0]?.MetricStat?.Period).toBe(300);
    expect(alarm.Properties.EvaluationPeriods).toBe(47);
  });

  it.each([
    ['both day fields', 'cron(0 3 * * MON *)', /one of day-of-month and day-of-week must be \?/],
    ['an hour out of range', 'cron(0 25 * * ? *)', /hours '25' is not from 0 to 23/],
  ])('refuses a cron with %s, naming the setting', async (_case, cron, message) => {
    await expect(withNotices([job({ cron })])).rejects.toThrow(/^param 'jobs\[0\]\.cron': /);
    await expect(withNotices([job({ cron })])).rejects.toThrow(message);
  });
});

describe('retained function log groups', () => {
  it("keeps each function's log group, by the logical id osls gives it, but a function without logs", async () => {
    const functions = {
      prepare: { handler: 'a' },
      releaseLock: { handler: 'b' },
      'odd-name_x': { handler: 'c' },
      quiet: { handler: 'd', disableLogs: true },
    };
    const retain = { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' };
    expect(
      await resolve('retainedFunctionLogGroups', { 'self:functions': functions }),
    ).toStrictEqual({
      PrepareLogGroup: retain,
      ReleaseLockLogGroup: retain,
      OddDashnameUnderscorexLogGroup: retain,
    });
  });
});
