// Builds images with scripts/build-image and runs containers of them the way the task
// definition does (infra/resources.yml): as the image's user, on a read-only root filesystem
// whose only writable paths are the image's VOLUMEs (the project folder, filled from the image
// as ECS fills it, and /tmp). With a Docker engine that is `docker run --read-only`. Without
// one, the container runs under runc, the OCI runtime Docker itself uses, on the root
// filesystem buildah mounts for it; runc's root.readonly is what --read-only sets.
import { type SpawnSyncReturns, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../support/packaged.ts';

export const BUILD_TIMEOUT = 900_000;
const RUN_TIMEOUT = 300_000;
/** The runner's user in every image (container/Dockerfile). */
export const RUNNER_UID = 10001;

export const engine = (): 'docker' | 'buildah' =>
  spawnSync('docker', ['info']).status === 0 ? 'docker' : 'buildah';

export function buildImage(...args: string[]): SpawnSyncReturns<string> {
  return spawnSync(join(REPO_ROOT, 'scripts', 'build-image'), args, {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    timeout: BUILD_TIMEOUT,
  });
}

const run = (file: string, args: string[], timeout = 120_000) =>
  spawnSync(file, args, { encoding: 'utf8', timeout });

function check(result: SpawnSyncReturns<string>, what: string): string {
  if (result.status !== 0) {
    throw new Error(`${what} failed (${result.status}): ${result.stderr || result.error}`);
  }
  return result.stdout;
}

/** The image's OCI configuration: user, environment, working folder, entrypoint, volumes. */
export interface ImageConfig {
  User?: string;
  Env?: string[];
  WorkingDir?: string;
  Entrypoint?: string[];
  Cmd?: string[];
  Volumes?: Record<string, object>;
}

/** The entrypoint's last `run` event (its verdict). */
export function verdict(stdout: string): {
  status?: string;
  exitCode?: number;
  error?: string | null;
} {
  const events = stdout
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((event) => event.event === 'run');
  return events.at(-1) ?? {};
}

export function imageConfig(image: string): ImageConfig {
  if (engine() === 'docker') {
    return JSON.parse(
      check(run('docker', ['image', 'inspect', '--format', '{{json .Config}}', image]), 'inspect'),
    ) as ImageConfig;
  }
  const inspected = JSON.parse(
    check(run('buildah', ['inspect', '--type', 'image', image]), 'buildah inspect'),
  ) as { OCIv1: { config: ImageConfig } };
  return inspected.OCIv1.config;
}

/** A root filesystem of `image` (a buildah working container), removed by `release`. */
function mountImage(image: string): { rootfs: string; release: () => void } {
  const name = `sdbt-image-test-${randomBytes(4).toString('hex')}`;
  check(run('buildah', ['from', '--quiet', '--name', name, image]), 'buildah from');
  try {
    const rootfs = check(run('buildah', ['mount', name]), 'buildah mount').trim();
    return { rootfs, release: () => run('buildah', ['rm', name]) };
  } catch (error) {
    run('buildah', ['rm', name]);
    throw error;
  }
}

/** Makes `path` the runner's to write: its owner where this process may change owners (root,
 * as the buildah path always is), else writable by anyone (a Docker engine used without root). */
function giveToRunner(path: string, recursive: boolean): void {
  const flags = recursive ? ['-R'] : [];
  if (process.getuid?.() === 0) {
    check(run('chown', [...flags, `${RUNNER_UID}:${RUNNER_UID}`, path]), 'chown');
  } else {
    check(run('chmod', [...flags, 'a+rwX', path]), 'chmod');
  }
}

/** Copies the project folder (/app/dbt) of a root filesystem, owners kept, to a new host
 * folder, as ECS fills the project volume when a task starts; returns the copy. */
function copyProjectOf(rootfs: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'sdbt-project-'));
  chmodSync(dir, 0o755);
  const project = join(dir, 'dbt');
  check(run('cp', ['-a', `${join(rootfs, 'app', 'dbt')}/.`, project]), 'cp -a');
  return project;
}

/** A host copy of the image's project folder, to change before a run mounts it
 * (`RunOptions.project`); the caller removes its parent folder. */
export function copyProject(image: string): string {
  if (engine() === 'buildah') {
    const { rootfs, release } = mountImage(image);
    try {
      return copyProjectOf(rootfs);
    } finally {
      release();
    }
  }
  const project = join(mkdtempSync(join(tmpdir(), 'sdbt-project-')), 'dbt');
  const id = check(run('docker', ['create', image]), 'docker create').trim();
  try {
    check(run('docker', ['cp', `${id}:/app/dbt`, project]), 'docker cp');
    giveToRunner(project, true);
  } finally {
    run('docker', ['rm', id]);
  }
  return project;
}

/** A new empty host folder the runner's user can write (an artifacts folder to mount). */
export function writableFolder(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  chmodSync(dir, 0o755);
  giveToRunner(dir, false);
  return dir;
}

export interface RunOptions {
  /** Variables on top of the image's. */
  env?: Record<string, string>;
  /** Runs this instead of the image's entrypoint. */
  command?: string[];
  /** The host's network (to reach a moto server on 127.0.0.1); otherwise none at all. */
  hostNetwork?: boolean;
  /** A host folder for the project volume (/app/dbt); otherwise a copy of the image's. */
  project?: string;
  /** More read-write bind mounts, container path -> host folder. */
  mounts?: Record<string, string>;
  /** `uid:gid` instead of the image's user. */
  user?: string;
}

/** Runs a container of `image` as the task definition does; see the top of this file. */
export function runContainer(image: string, options: RunOptions = {}): SpawnSyncReturns<string> {
  return engine() === 'docker' ? dockerRun(image, options) : runcRun(image, options);
}

/** Without a project folder given, Docker fills an anonymous volume for each VOLUME from the
 * image, as ECS does, and --rm removes them. */
function dockerRun(image: string, options: RunOptions) {
  const mounts = { ...(options.project ? { '/app/dbt': options.project } : {}), ...options.mounts };
  const command = options.command ?? [];
  return run(
    'docker',
    [
      'run',
      '--rm',
      '--read-only',
      '--network',
      options.hostNetwork ? 'host' : 'none',
      ...(options.user ? ['--user', options.user] : []),
      ...Object.entries(mounts).flatMap(([target, source]) => ['--volume', `${source}:${target}`]),
      ...Object.entries(options.env ?? {}).flatMap(([name, value]) => [
        '--env',
        `${name}=${value}`,
      ]),
      ...(command.length ? ['--entrypoint', command[0] ?? ''] : []),
      image,
      ...command.slice(1),
    ],
    RUN_TIMEOUT,
  );
}

interface OciSpec {
  process: {
    terminal: boolean;
    user: { uid: number; gid: number };
    args: string[];
    env: string[];
    cwd: string;
  };
  root: { path: string; readonly: boolean };
  hostname: string;
  mounts: Array<{ destination: string; type: string; source: string; options: string[] }>;
  linux: { namespaces: Array<{ type: string }> };
}

function runcRun(image: string, options: RunOptions) {
  if (spawnSync('runc', ['--version']).status !== 0) {
    check(run('apt-get', ['update', '--quiet'], 300_000), 'apt-get update');
    check(
      run('apt-get', ['install', '--yes', '--quiet', 'runc'], 300_000),
      'apt-get install runc (the image tests run containers with it where no Docker engine is)',
    );
  }
  const config = imageConfig(image);
  const user = options.user ?? config.User ?? '0:0';
  const [uid, gid] = user.split(':').map(Number);
  if (uid === undefined || Number.isNaN(uid)) {
    throw new Error(`the container's user must be numeric, as the task needs (got ${user})`);
  }
  const env = new Map((config.Env ?? []).map((line) => [line.split('=')[0] ?? '', line]));
  for (const [name, value] of Object.entries(options.env ?? {})) env.set(name, `${name}=${value}`);
  const args = options.command ?? [...(config.Entrypoint ?? []), ...(config.Cmd ?? [])];

  const bundle = mkdtempSync(join(tmpdir(), 'sdbt-bundle-'));
  const { rootfs, release } = mountImage(image);
  const ownProject = options.project === undefined;
  const id = `sdbt-${randomBytes(6).toString('hex')}`;
  let project = options.project;
  try {
    project ??= copyProjectOf(rootfs);
    // runc's own defaults (namespaces, /proc, /dev, masked paths), changed where the task
    // definition says otherwise.
    check(run('runc', ['spec', '--bundle', bundle]), 'runc spec');
    const spec = JSON.parse(readFileSync(join(bundle, 'config.json'), 'utf8')) as OciSpec;
    spec.process = {
      ...spec.process,
      terminal: false,
      user: { uid, gid: gid ?? uid },
      args,
      env: [...env.values()],
      cwd: config.WorkingDir || '/',
    };
    spec.root = { path: rootfs, readonly: true };
    spec.hostname = 'dbt-task';
    const binds = { '/app/dbt': project, ...options.mounts };
    spec.mounts.push(
      {
        destination: '/tmp',
        type: 'tmpfs',
        source: 'tmpfs',
        options: ['nosuid', 'nodev', 'mode=1777'],
      },
      ...Object.entries(binds).map(([destination, source]) => ({
        destination,
        type: 'bind',
        source,
        options: ['rbind', 'rw'],
      })),
    );
    if (options.hostNetwork) {
      spec.linux.namespaces = spec.linux.namespaces.filter(({ type }) => type !== 'network');
    }
    writeFileSync(join(bundle, 'config.json'), JSON.stringify(spec));
    return run('runc', ['run', '--bundle', bundle, id], RUN_TIMEOUT);
  } finally {
    run('runc', ['delete', '--force', id]);
    release();
    rmSync(bundle, { recursive: true, force: true });
    if (ownProject && project) rmSync(join(project, '..'), { recursive: true, force: true });
  }
}
