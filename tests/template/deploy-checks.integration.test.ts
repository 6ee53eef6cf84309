// `serverless deploy` with serverless.yml's placeholders fails at once, naming each setting,
// before any AWS call: here there are no credentials at all, so an AWS call would end in a
// credentials error instead. `serverless package` builds the same stage with the placeholders.
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { packageEnvironment } from '../../cli/local/package-cache.ts';
import { packagedParams, REPO_ROOT } from '../support/packaged.ts';
import { DEV, PACKAGE_TIMEOUT_MS } from './helpers.ts';

const run = promisify(execFile);
const SERVERLESS = join(REPO_ROOT, 'node_modules', '.bin', 'serverless');
const CREDENTIALS_ERROR = /credential|could not load|security token|ExpiredToken|AccessDenied/i;

interface Outcome {
  code: number;
  output: string;
  seconds: number;
}

/** `serverless deploy ARGS` with no AWS credentials of any kind. */
async function deploy(args: string[]): Promise<Outcome> {
  const home = await mkdtemp(join(tmpdir(), 'sdbt-deploy-'));
  const environment = packageEnvironment();
  delete environment.AWS_ACCESS_KEY_ID;
  delete environment.AWS_SECRET_ACCESS_KEY;
  const started = Date.now();
  try {
    // --package names a folder with nothing in it: were the checks to let the deployment
    // through, osls would fail there instead of building in the shared working tree.
    const { stdout, stderr } = await run(
      SERVERLESS,
      ['deploy', ...args, '--package', join(home, 'no-package')],
      {
        cwd: REPO_ROOT,
        env: {
          ...environment,
          HOME: home,
          PATH: `${join(REPO_ROOT, 'node_modules', '.bin')}:${process.env.PATH ?? ''}`,
        },
        timeout: 60_000,
      },
    );
    return { code: 0, output: `${stdout}${stderr}`, seconds: (Date.now() - started) / 1000 };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return {
      code: failed.code ?? -1,
      output: `${failed.stdout ?? ''}${failed.stderr ?? ''}`,
      seconds: (Date.now() - started) / 1000,
    };
  } finally {
    await rm(home, { recursive: true, force: true });
  }
}

describe('serverless deploy of a stage that is not ready', () => {
  it('fails at once, naming the placeholder subnets, security groups and the unset image tag', async () => {
    const outcome = await deploy(['--stage', 'dev']);
    expect(outcome.code).not.toBe(0);
    expect(outcome.output).toContain('stage dev is not ready to deploy:');
    expect(outcome.output).toContain(
      "param 'subnets': subnet-00000000000000000 is a placeholder: set the stage's real subnets in serverless.yml (params.dev.subnets)",
    );
    expect(outcome.output).toContain(
      "param 'securityGroups': sg-00000000000000000 is a placeholder",
    );
    expect(outcome.output).toContain(`param 'imageTag': is not set`);
    expect(outcome.output).not.toMatch(CREDENTIALS_ERROR);
    expect(outcome.seconds).toBeLessThan(30);
  }, 60_000);

  it('warns that a stage with neither Slack nor an alarm subscriber tells nobody of a failure', async () => {
    const bare = await deploy(['--stage', 'dev']);
    expect(bare.output).toContain('stage dev tells nobody when a run fails');
    const subscribed = await deploy([
      '--stage',
      'dev',
      '--param',
      'alarmEmails=oncall@example.com',
    ]);
    expect(subscribed.output).toContain('stage dev is not ready to deploy:');
    expect(subscribed.output).not.toContain('tells nobody');
  }, 120_000);

  it("names only what is still wrong: live's placeholders, with an image tag given", async () => {
    const outcome = await deploy(['--stage', 'live', '--param', 'imageTag=3f2a9c1']);
    expect(outcome.code).not.toBe(0);
    expect(outcome.output).toContain(
      "param 'subnets': subnet-0aaaaaaaaaaaaaaaa, subnet-0bbbbbbbbbbbbbbbb are placeholders",
    );
    expect(outcome.output).toContain(
      "param 'securityGroups': sg-0cccccccccccccccc is a placeholder",
    );
    expect(outcome.output).not.toContain("param 'imageTag'");
    expect(outcome.output).not.toMatch(CREDENTIALS_ERROR);
  }, 60_000);
});

test(
  'serverless package builds the stage with the placeholders and no image tag',
  async () => {
    expect(await packagedParams(DEV)).toMatchObject({
      subnets: ['subnet-00000000000000000'],
      securityGroups: ['sg-00000000000000000'],
      imageTag: 'unset',
    });
  },
  PACKAGE_TIMEOUT_MS,
);
