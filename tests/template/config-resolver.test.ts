// infra/config.cjs checks the stage's settings (through infra/settings.cjs) while osls resolves
// serverless.yml, so that a wrong setting fails `serverless package` with its name, before
// anything is deployed. Its exports are called here as osls calls them.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
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
  'param:docsUrl': '',
  'param:jobs': [],
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
  cron: 'cron(0 2 * * ? *)',
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
    expect(found.map((r) => [JSON.parse(r.Properties.Target.Input), r.Properties.State])).toEqual([
      [{ command: 'run', job: 'a-job' }, 'ENABLED'],
      [{ job: 'b_job' }, 'DISABLED'],
    ]);
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
  ])('refuses a job with %s', async (_case, jobs, message) => {
    await expect(schedules(jobs)).rejects.toThrow(message);
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
