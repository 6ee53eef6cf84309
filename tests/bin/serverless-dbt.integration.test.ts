// The serverless-dbt command as a clone offers it: `npx serverless-dbt` (package.json's `bin`,
// which npm links from its own cache) and bin/serverless-dbt, each on the project's Node 24
// whatever `node` the shell has, from any working folder.
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT } from '../support/packaged.ts';

const run = promisify(execFile);
const COMMANDS = ['local', 'start', 'backfill', 'history', 'logs', 'docs', 'cancel', 'retry'];
// scripts/setup may install what changed in the pinned files before the command runs.
const TIMEOUT_MS = 300_000;

let scratch: string;

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'sdbt-bin-'));
});

afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

/** The environment of a shell: none of npm's own variables of the `npm run` around the tests. */
function shellEnvironment(): NodeJS.ProcessEnv {
  const environment: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (!name.toLowerCase().startsWith('npm_')) environment[name] = value;
  }
  return {
    ...environment,
    // npx links the clone into its cache: a cache of the test's own, not the user's.
    npm_config_cache: join(scratch, 'npm-cache'),
    npm_config_update_notifier: 'false',
  };
}

function commandsListed(help: string): string[] {
  return COMMANDS.filter((command) => new RegExp(`^ {2}${command} +\\S`, 'm').test(help));
}

test(
  'npx serverless-dbt --help, in the clone, exits 0 and lists the commands',
  async () => {
    const { stdout } = await run('npx', ['serverless-dbt', '--help'], {
      cwd: REPO_ROOT,
      env: shellEnvironment(),
      timeout: TIMEOUT_MS,
    });
    expect(stdout).toMatch(/^usage: serverless-dbt <command>/);
    expect(commandsListed(stdout)).toEqual(COMMANDS);
  },
  TIMEOUT_MS,
);

test(
  'bin/serverless-dbt --help, from another folder, exits 0 and lists the commands',
  async () => {
    const { stdout } = await run(join(REPO_ROOT, 'bin', 'serverless-dbt'), ['--help'], {
      cwd: scratch,
      env: shellEnvironment(),
      timeout: TIMEOUT_MS,
    });
    expect(commandsListed(stdout)).toEqual(COMMANDS);
  },
  TIMEOUT_MS,
);
