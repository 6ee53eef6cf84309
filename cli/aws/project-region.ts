// The stage's region as the project says it: serverless.yml's provider.region with the
// stage's params, resolved by serverless itself as `serverless package` resolves it. Read from
// the package the CLI or the tests already made for the stage (milliseconds), else from
// `serverless print` (about 2 seconds), whose answer is kept next to the packages under the
// same hash of the project's inputs, so that only the first command after a change pays.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  PACKAGE_INPUTS,
  packageEnvironment,
  packageHash,
  REPO_ROOT,
  STATE_FILE,
} from '../local/package-cache.ts';

const run = promisify(execFile);

const AWS_REGION_RE = /^[a-z]{2}(-[a-z]+)+-\d+$/;

export type ProjectRegion = { region: string } | { region: undefined; why: string };

/**
 * The stage's region in the serverless project at `root` (default: this repository).
 * Never throws: when the project cannot say, `why` tells the reason in a few words.
 */
export async function projectRegionOf(stage: string, root = REPO_ROOT): Promise<ProjectRegion> {
  if (!existsSync(join(root, 'serverless.yml'))) {
    return { region: undefined, why: `no serverless.yml in ${root}` };
  }
  let hash: string;
  try {
    hash = await packageHash({ stage, root });
  } catch (error) {
    return {
      region: undefined,
      why: `could not read ${PACKAGE_INPUTS.join(', ')}: ${brief(error)}`,
    };
  }
  const packaged = await packagedRegion(join(root, '.serverless-dbt', 'package', hash));
  if (packaged !== undefined) return { region: packaged };
  const remembered = join(root, '.serverless-dbt', 'region', `${hash}.txt`);
  const kept = (await readFile(remembered, 'utf8').catch(() => '')).trim();
  if (AWS_REGION_RE.test(kept)) return { region: kept };

  const printed = await printedRegion(stage, root);
  if (printed.region !== undefined) {
    await mkdir(join(root, '.serverless-dbt', 'region'), { recursive: true })
      .then(() => writeFile(remembered, printed.region))
      // Only a cache: the next command asks serverless again.
      .catch(() => undefined);
  }
  return printed;
}

/** provider.region of a package's serverless-state.json, when that package exists. */
async function packagedRegion(directory: string): Promise<string | undefined> {
  try {
    const state = JSON.parse(await readFile(join(directory, STATE_FILE), 'utf8')) as {
      service?: { provider?: { region?: unknown } };
    };
    const region = state.service?.provider?.region;
    return typeof region === 'string' && AWS_REGION_RE.test(region) ? region : undefined;
  } catch {
    return undefined;
  }
}

async function printedRegion(stage: string, root: string): Promise<ProjectRegion> {
  // This repository's serverless (osls), run in the project: the project may have none.
  const cli = join(REPO_ROOT, 'node_modules', 'osls', 'bin', 'serverless.js');
  try {
    const { stdout } = await run(
      process.execPath,
      [cli, 'print', '--stage', stage, '--path', 'provider.region', '--format', 'text'],
      // Dummy credentials and no profile, as for `package`: nothing of an account is needed.
      { cwd: root, env: packageEnvironment(), timeout: 60_000, maxBuffer: 4 * 1024 * 1024 },
    );
    const region = stdout.trim();
    if (AWS_REGION_RE.test(region)) return { region };
    return { region: undefined, why: `serverless.yml gives stage ${stage} no region` };
  } catch (error) {
    const failure = error as Error & { stdout?: string; stderr?: string };
    const said = errorLineOf(`${failure.stdout ?? ''}\n${failure.stderr ?? ''}`) ?? brief(error);
    return {
      region: undefined,
      why: `serverless print --stage ${stage} failed (${said.slice(0, 200)})`,
    };
  }
}

/** serverless says what is wrong on the line after `Error:`. */
function errorLineOf(output: string): string | undefined {
  const lines = output.split('\n').map((line) => line.trim());
  const start = lines.indexOf('Error:');
  if (start < 0) return undefined;
  const [first, second] = lines.slice(start + 1).filter((line) => line !== '');
  // "Variables resolution errored with:" is followed by what failed.
  return first?.endsWith(':') && second !== undefined ? `${first} ${second}` : first;
}

const brief = (error: unknown): string =>
  (error instanceof Error ? error.message : String(error)).split('\n')[0] ?? '';
