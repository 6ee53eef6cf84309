// infra/config.cjs checks the stage's settings (through infra/settings.cjs) while osls resolves
// serverless.yml, so that a wrong setting fails `serverless package` with its name, before
// anything is deployed. Its exports are called here as osls calls them.
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
  'param:slackWebhookSecretArn': '',
  'param:notifyOn': ['failure'],
  'param:docsUrl': '',
  'param:jobs': [],
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
