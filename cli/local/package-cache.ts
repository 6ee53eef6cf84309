// `serverless package`, once per input, cached: the CloudFormation template it produces, which
// the CLI and the tests read (template-resolver.ts), and the package folder with one zip per
// function. Tests and local runs read the very template a deployment would upload.
//
// The package is cached under .serverless-dbt/package/<hash>, where the hash covers every
// input of the package (serverless.yml, state-machines/, infra/, functions/, package.json,
// package-lock.json, the stage and the params), so a change to any of them packages again.
// Several processes (jest workers) may ask at once: one packages while holding a mkdir lock
// (serverless-esbuild builds in the service's .esbuild/, so two builds must not overlap),
// into a temporary folder renamed into place when complete; the others wait and read it.
// The child gets dummy credentials and no profile, and nothing it runs touches the network.
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { type CloudFormationTemplate, FAKE_ACCOUNT } from './template-resolver.ts';

const run = promisify(execFile);

/** The repository: this file is cli/local/package-cache.ts. */
export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** What the package depends on, relative to the repository. */
export const PACKAGE_INPUTS = [
  'serverless.yml',
  'state-machines',
  'infra',
  'functions',
  // The settings' checks read them: the adapters the image can install.
  'container/adapters',
  'package.json',
  'package-lock.json',
] as const;

// The files a complete package folder holds, besides one zip per function.
export const TEMPLATE_FILE = 'cloudformation-template-update-stack.json';
export const STATE_FILE = 'serverless-state.json';
const LOCK_STALE_MS = 5 * 60_000;
const WAIT_LIMIT_MS = 10 * 60_000;
const KEEP_PACKAGES = 12;

export interface PackageOptions {
  /** The osls stage: dev or live. */
  stage: string;
  /** `--param name=value` overrides (strings only, as on the command line). */
  params?: Record<string, string>;
  /** Where the repository is; defaults to this one. */
  root?: string;
}

/** The hash of everything the package depends on, for one stage and set of params. */
export async function packageHash(options: PackageOptions): Promise<string> {
  const root = options.root ?? REPO_ROOT;
  const hash = createHash('sha256');
  hash.update(`stage\0${options.stage}\0`);
  const params = Object.entries(options.params ?? {}).sort(([a], [b]) => (a < b ? -1 : 1));
  hash.update(`params\0${JSON.stringify(params)}\0`);
  for (const input of PACKAGE_INPUTS) {
    for (const file of await filesUnder(join(root, input))) {
      hash.update(`file\0${relative(root, file)}\0`);
      hash.update(await readFile(file));
      hash.update('\0');
    }
  }
  return hash.digest('hex').slice(0, 24);
}

async function filesUnder(path: string): Promise<string[]> {
  const info = await stat(path).catch(() => undefined);
  if (info === undefined) return [];
  if (info.isFile()) return [path];
  if (!info.isDirectory()) return [];
  const entries = await readdir(path, { withFileTypes: true });
  const files: string[] = [];
  for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
    if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
    files.push(...(await filesUnder(join(path, entry.name))));
  }
  return files;
}

/** The environment of the `serverless` child: dummy credentials, no profile, no telemetry. */
export function packageEnvironment(parent: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const environment: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(parent)) {
    // Nothing of a real account reaches the child.
    if (name.startsWith('AWS_') || name.startsWith('SLS_') || name.startsWith('SERVERLESS_')) {
      continue;
    }
    environment[name] = value;
  }
  return {
    ...environment,
    AWS_ACCESS_KEY_ID: 'AKIAFAKEPACKAGEONLY0',
    AWS_SECRET_ACCESS_KEY: 'fake-secret-for-serverless-package',
    AWS_REGION: FAKE_ACCOUNT.region,
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_SDK_LOAD_CONFIG: '0',
    AWS_CONFIG_FILE: '/dev/null',
    AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
    SLS_TELEMETRY_DISABLED: '1',
    SLS_NOTIFICATIONS_MODE: 'off',
    SLS_INTERACTIVE_SETUP_DISABLE: '1',
    SLS_DEPRECATION_DISABLE: '*',
    CI: '1',
  };
}

/** How `serverless package` is run into a folder (replaced in the cache's tests). */
export type Packager = (root: string, options: PackageOptions, into: string) => Promise<void>;

/** How often a package is made again when the project changed while it was being made. */
const PACKAGE_TRIES = 3;

/**
 * Package the service (or reuse the cached package) and return its folder, which holds the
 * templates, serverless-state.json and one zip per function.
 */
export async function packageDirectory(
  options: PackageOptions,
  packager: Packager = runPackage,
): Promise<string> {
  const root = options.root ?? REPO_ROOT;
  const cache = join(root, '.serverless-dbt', 'package');
  for (let tries = 1; ; tries += 1) {
    const hash = await packageHash(options);
    const target = join(cache, hash);
    if (isComplete(target)) return target;
    await mkdir(cache, { recursive: true });
    const lock = join(cache, '.lock');
    await acquireLock(lock);
    try {
      if (isComplete(target)) return target;
      const temporary = `${target}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
      try {
        await packager(root, options, temporary);
        // A file edited while `serverless package` ran may or may not be in the package:
        // stored under either hash, it would be taken later for a project it does not match.
        if ((await packageHash(options)) === hash) {
          await rename(temporary, target).catch(async (error: unknown) => {
            // Another process put a complete package there first: theirs is as good as ours.
            if (!isComplete(target)) throw error;
          });
          await pruneCache(cache, target);
          return target;
        }
      } finally {
        await rm(temporary, { recursive: true, force: true });
      }
    } finally {
      await rm(lock, { recursive: true, force: true });
    }
    if (tries >= PACKAGE_TRIES) {
      throw new Error(
        `the project changed while it was being packaged, ${PACKAGE_TRIES} times: run again once the edits are saved`,
      );
    }
  }
}

function isComplete(directory: string): boolean {
  return existsSync(join(directory, TEMPLATE_FILE)) && existsSync(join(directory, STATE_FILE));
}

async function acquireLock(lock: string): Promise<void> {
  const started = Date.now();
  for (;;) {
    try {
      await mkdir(lock);
      await writeFile(join(lock, 'pid'), String(process.pid));
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    if (await isStale(lock)) {
      // Left behind by a process that died while packaging.
      await rm(lock, { recursive: true, force: true });
      continue;
    }
    if (Date.now() - started > WAIT_LIMIT_MS) {
      throw new Error(`timed out waiting for ${lock}; remove it if no package is running`);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

async function isStale(lock: string): Promise<boolean> {
  const since = await stat(lock).then(
    (info) => Date.now() - info.mtimeMs,
    () => 0,
  );
  if (since > LOCK_STALE_MS) return true;
  const pid = Number(await readFile(join(lock, 'pid'), 'utf8').catch(() => ''));
  // No pid yet: its owner is between mkdir and writing it.
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/** Old packages go: the newest KEEP_PACKAGES stay, and any used within the last hour. */
async function pruneCache(cache: string, keep: string): Promise<void> {
  const entries = await readdir(cache, { withFileTypes: true }).catch(() => []);
  const packages = await Promise.all(
    entries
      .filter((entry) => entry.isDirectory() && /^[0-9a-f]{24}$/.test(entry.name))
      .map(async (entry) => {
        const path = join(cache, entry.name);
        const info = await stat(path).catch(() => undefined);
        return { path, mtimeMs: info?.mtimeMs ?? 0 };
      }),
  );
  packages.sort((a, b) => b.mtimeMs - a.mtimeMs);
  const now = Date.now();
  for (const [index, { path, mtimeMs }] of packages.entries()) {
    if (path === keep || index < KEEP_PACKAGES || now - mtimeMs < 60 * 60_000) continue;
    await rm(path, { recursive: true, force: true });
  }
}

async function runPackage(root: string, options: PackageOptions, into: string): Promise<void> {
  const cli = join(root, 'node_modules', 'osls', 'bin', 'serverless.js');
  const args = [cli, 'package', '--stage', options.stage, '--package', into];
  for (const [name, value] of Object.entries(options.params ?? {})) {
    args.push('--param', `${name}=${value}`);
  }
  try {
    await run(process.execPath, args, {
      cwd: root,
      env: packageEnvironment(),
      maxBuffer: 32 * 1024 * 1024,
      timeout: 5 * 60_000,
    });
  } catch (error) {
    const failure = error as Error & { stdout?: string; stderr?: string };
    throw new Error(
      `serverless package --stage ${options.stage} failed:\n${failure.stdout ?? ''}\n${failure.stderr ?? failure.message}`,
    );
  }
  if (!isComplete(into)) {
    throw new Error(`serverless package --stage ${options.stage} wrote no ${TEMPLATE_FILE}`);
  }
}

/** `serverless package` for a stage (cached): the CloudFormation template it produced. */
export async function packageService(options: PackageOptions): Promise<CloudFormationTemplate> {
  const directory = await packageDirectory(options);
  return JSON.parse(
    await readFile(join(directory, TEMPLATE_FILE), 'utf8'),
  ) as CloudFormationTemplate;
}

/** The stage's dbt settings (`custom.dbt` of serverless.yml), as the package resolved them. */
export interface DbtSettings {
  /** The dbt project's folder, relative to the repository. */
  project: string;
  adapter: string;
  /** The profile's target in AWS ('' = the profile's default). */
  target: string;
}

export async function packagedDbtSettings(options: PackageOptions): Promise<DbtSettings> {
  const directory = await packageDirectory(options);
  const state = JSON.parse(await readFile(join(directory, STATE_FILE), 'utf8')) as {
    service: { custom?: { dbt?: Partial<DbtSettings> } };
  };
  const dbt = state.service.custom?.dbt ?? {};
  return { project: dbt.project ?? 'dbt', adapter: dbt.adapter ?? '', target: dbt.target ?? '' };
}
