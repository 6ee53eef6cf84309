// The stage's region from the serverless project, as `serverless package` resolves it, and
// where it stands among the other sources of the AWS commands' region (cli/aws/clients.ts).
// A small project of its own (serverless.yml with a region per stage's params), resolved by
// the real serverless (osls print); no AWS call is made: the clients only settle their region.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { awsClients } from '../../../cli/aws/clients.ts';
import type { CommandContext } from '../../../cli/aws/context.ts';
import { projectRegionOf } from '../../../cli/aws/project-region.ts';
import { CliError } from '../../../cli/errors.ts';
import { packageHash } from '../../../cli/local/package-cache.ts';
import { FAKE_CREDENTIALS } from '../../support/moto.ts';

const SERVERLESS_YML = `service: fixture
params:
  default:
    region: eu-west-1
  qa:
    region: us-east-2
provider:
  name: aws
  region: \${param:region}
`;

let project: string;

beforeAll(() => {
  project = mkdtempSync(join(tmpdir(), 'serverless-dbt-project-'));
  writeFileSync(join(project, 'serverless.yml'), SERVERLESS_YML);
});

afterAll(() => {
  rmSync(project, { recursive: true, force: true });
});

const remembered = () => join(project, '.serverless-dbt', 'region');

describe('the stage region the project gives', () => {
  test("is provider.region with the stage's params, as serverless resolves it", async () => {
    expect(await projectRegionOf('qa', project)).toEqual({ region: 'us-east-2' });
    // A stage with no params of its own takes the default's.
    expect(await projectRegionOf('preview', project)).toEqual({ region: 'eu-west-1' });
  }, 30_000);

  test('is kept under the hash of the project, so the next command does not ask serverless', async () => {
    await projectRegionOf('qa', project);
    const file = join(remembered(), `${await packageHash({ stage: 'qa', root: project })}.txt`);
    expect(readFileSync(file, 'utf8')).toBe('us-east-2');
    // What is kept is what is read: serverless would say us-east-2.
    writeFileSync(file, 'ap-south-1');
    expect(await projectRegionOf('qa', project)).toEqual({ region: 'ap-south-1' });
    writeFileSync(file, 'us-east-2');
  }, 30_000);

  test('is read from the stage’s package when one was made (serverless-state.json)', async () => {
    const hash = await packageHash({ stage: 'staging', root: project });
    const packaged = join(project, '.serverless-dbt', 'package', hash);
    mkdirSync(packaged, { recursive: true });
    writeFileSync(
      join(packaged, 'serverless-state.json'),
      JSON.stringify({ service: { provider: { name: 'aws', region: 'ca-central-1' } } }),
    );
    expect(await projectRegionOf('staging', project)).toEqual({ region: 'ca-central-1' });
    // The package answered: serverless was not asked, so nothing was kept for it.
    expect(readdirSync(remembered())).not.toContain(`${hash}.txt`);
  });

  test('a change to serverless.yml is a new answer', async () => {
    const changed = mkdtempSync(join(tmpdir(), 'serverless-dbt-project-'));
    try {
      writeFileSync(join(changed, 'serverless.yml'), SERVERLESS_YML);
      expect(await projectRegionOf('qa', changed)).toEqual({ region: 'us-east-2' });
      writeFileSync(
        join(changed, 'serverless.yml'),
        SERVERLESS_YML.replace('region: us-east-2', 'region: eu-north-1'),
      );
      expect(await projectRegionOf('qa', changed)).toEqual({ region: 'eu-north-1' });
    } finally {
      rmSync(changed, { recursive: true, force: true });
    }
  }, 30_000);

  test('a folder with no serverless.yml, or one serverless refuses, gives no region and says why', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'serverless-dbt-empty-'));
    try {
      expect(await projectRegionOf('qa', empty)).toEqual({
        region: undefined,
        why: `no serverless.yml in ${empty}`,
      });
      writeFileSync(join(empty, 'serverless.yml'), 'service: broken\nprovider: [unclosed\n');
      const refused = await projectRegionOf('qa', empty);
      expect(refused.region).toBeUndefined();
      // serverless's own sentence, not its banner.
      expect(refused).toMatchObject({
        why: expect.stringMatching(
          /^serverless print --stage qa failed \(Cannot parse "serverless.yml": unexpected end of the stream/,
        ),
      });
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  }, 30_000);
});

describe("the AWS commands' region", () => {
  const context = (env: Record<string, string>, root = project): CommandContext => ({
    env,
    out: () => {},
    err: () => {},
    now: () => new Date(),
    sleep: async () => {},
    credentials: FAKE_CREDENTIALS,
    project: root,
  });
  const regionFor = async (
    env: Record<string, string>,
    option: string | undefined,
    root = project,
  ): Promise<string> => {
    const clients = await awsClients(context(env, root), { stage: 'qa', region: option });
    clients.destroy();
    return clients.region;
  };

  test('is --region, then AWS_REGION, then AWS_DEFAULT_REGION, then the stage’s in the project', async () => {
    expect(await regionFor({}, undefined)).toBe('us-east-2');
    expect(await regionFor({ AWS_DEFAULT_REGION: 'eu-central-1' }, undefined)).toBe('eu-central-1');
    expect(
      await regionFor({ AWS_REGION: 'eu-west-3', AWS_DEFAULT_REGION: 'eu-central-1' }, undefined),
    ).toBe('eu-west-3');
    expect(await regionFor({ AWS_REGION: 'eu-west-3' }, 'sa-east-1')).toBe('sa-east-1');
  }, 30_000);

  test('none anywhere is one sentence that says why the project gave none', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'serverless-dbt-empty-'));
    // The SDK's last resort is the profile's region, read from the process's own files.
    const saved = { ...process.env };
    for (const name of ['AWS_REGION', 'AWS_DEFAULT_REGION', 'AWS_PROFILE'])
      delete process.env[name];
    process.env.AWS_CONFIG_FILE = join(empty, 'config');
    process.env.AWS_SHARED_CREDENTIALS_FILE = join(empty, 'credentials');
    try {
      await expect(regionFor({}, undefined, empty)).rejects.toThrow(
        new CliError(
          `no AWS region: set AWS_REGION, give the profile a region, or pass --region (no serverless.yml in ${empty})`,
        ),
      );
    } finally {
      process.env = saved;
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
