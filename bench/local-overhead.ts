// What `serverless-dbt local` adds to a dbt run: its wall time against the container's
// entrypoint alone, on the same project and the same run (the sample project's full default
// run, build + docs). Goal: orchestration overhead ≤ 15 % and ≤ 3 s.
//
//   node_modules/.bin/node bench/local-overhead.ts [--runs 3] [--in-place]
//
// (a) `node cli/serverless-dbt.ts local` as a user starts it: Node starting, the package
//     (cached; packaged once before timing), the state machine, the handlers, and RunDbt,
//     which runs the entrypoint;
// (b) `.venv/bin/python container/entrypoint.py` alone, with what RunDbt gives it: RUN_SPEC as
//     Prepare fills it (read from (a)'s own log), a RUN_ID, ARTIFACTS_URI file://, the dbt
//     project and profiles folders, DBT_TARGET=local and a DuckDB file.
// Runs are interleaved (a, b, a, b...) after one warm-up of each, so that both sides find
// their seeds loaded, their sources fresh and dbt's partial parse in place; medians compared.
//
// Each side has its own DuckDB file, and dbt keys its partial parse on the profile (the DuckDB
// path included), so by default each side runs on its own copy of dbt/ (identical files):
// sharing one target/ folder would make every run a full parse. --in-place runs both on dbt/
// itself, full parses included. Results are also written to bench/out/local-overhead.json.
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  copySampleProject,
  type ProjectCopy,
  SAMPLE_PROJECT,
} from '../tests/cli/local/projects.ts';
import { packageService, REPO_ROOT } from '../tests/support/packaged.ts';

const GOAL_RATIO = 1.15;
const GOAL_SECONDS = 3;

const runsFlag = process.argv.indexOf('--runs');
const runs = runsFlag >= 0 ? Number(process.argv[runsFlag + 1]) : 3;
const inPlace = process.argv.includes('--in-place');
if (!Number.isInteger(runs) || runs < 1) throw new Error('--runs must be a positive integer');

/** Filled as Prepare fills it for `serverless-dbt local` with no options. */
const DEFAULT_SPEC = {
  job: 'manual',
  command: 'build',
  fullRefresh: false,
  freshness: 'warn',
  docs: true,
  timeoutSeconds: 3600,
};

interface Timed {
  seconds: number;
  code: number | null;
  output: string;
}

/** Runs a command to its end, its output kept (both streams), its wall time measured. */
function timed(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<Timed> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(command, args, { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const chunks: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => chunks.push(chunk));
    child.once('error', reject);
    child.once('close', (code) =>
      resolve({
        seconds: (performance.now() - started) / 1000,
        code,
        output: Buffer.concat(chunks).toString('utf8'),
      }),
    );
  });
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] ?? 0)
    : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}

function succeeded(side: string, run: Timed): Timed {
  if (run.code !== 0) {
    throw new Error(`${side} exited ${run.code}:\n${run.output.split('\n').slice(-40).join('\n')}`);
  }
  return run;
}

/** The RUN_SPEC the entrypoint logged as it started (`{"event": "run", "status": "started"…}`). */
function specIn(output: string): Record<string, unknown> | undefined {
  for (const line of output.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      const event = JSON.parse(line) as { event?: string; status?: string; spec?: unknown };
      if (event.event === 'run' && event.status === 'started' && typeof event.spec === 'object') {
        return event.spec as Record<string, unknown>;
      }
    } catch {
      // dbt's own lines may start with '{' too.
    }
  }
  return undefined;
}

const root = await mkdtemp(join(tmpdir(), 'serverless-dbt-bench-'));
const copies: ProjectCopy[] = [];
try {
  const project = async (): Promise<string> => {
    if (inPlace) return SAMPLE_PROJECT;
    const copy = await copySampleProject();
    copies.push(copy);
    return copy.dir;
  };
  const localProject = await project();
  const entryProject = await project();
  const localState = join(root, 'local');
  const entryDuckDb = join(root, 'entrypoint', 'shop.duckdb');
  const entryArtifacts = join(root, 'entrypoint', 'artifacts');
  await mkdir(join(root, 'entrypoint'), { recursive: true });

  // What a user's shell gives: no webhook, no DuckDB path (local puts it in its state folder).
  const baseEnvironment: NodeJS.ProcessEnv = { ...process.env };
  delete baseEnvironment.SLACK_WEBHOOK_URL;
  delete baseEnvironment.DBT_DUCKDB_PATH;

  const local = () =>
    timed(
      process.execPath,
      [
        join(REPO_ROOT, 'cli', 'serverless-dbt.ts'),
        'local',
        '--project-dir',
        localProject,
        '--profiles-dir',
        localProject,
        '--state-dir',
        localState,
      ],
      baseEnvironment,
    );
  let spec: Record<string, unknown> = DEFAULT_SPEC;
  let entryRuns = 0;
  const entrypoint = () => {
    entryRuns += 1;
    return timed(
      join(REPO_ROOT, '.venv', 'bin', 'python'),
      [join(REPO_ROOT, 'container', 'entrypoint.py')],
      {
        ...baseEnvironment,
        // What RunDbt gives the entrypoint (cli/local/run-dbt.ts, command.ts).
        ARTIFACTS_URI: `file://${entryArtifacts}`,
        DBT_PROJECT_DIR: entryProject,
        DBT_PROFILES_DIR: entryProject,
        DBT_TARGET: 'local',
        DBT_DUCKDB_PATH: entryDuckDb,
        CREDENTIALS_SOURCE: 'env',
        RUN_SPEC: JSON.stringify(spec),
        RUN_ID: `bench-entrypoint-${entryRuns}`,
      },
    );
  };

  process.stdout.write('packaging (cached)... ');
  let started = performance.now();
  await packageService({ stage: 'dev' });
  console.log(`${((performance.now() - started) / 1000).toFixed(1)} s`);

  process.stdout.write('warming up both sides... ');
  started = performance.now();
  const warmLocal = succeeded('serverless-dbt local (warm-up)', await local());
  const prepared = specIn(warmLocal.output);
  if (prepared !== undefined) spec = prepared;
  succeeded('entrypoint (warm-up)', await entrypoint());
  console.log(`${((performance.now() - started) / 1000).toFixed(1)} s`);
  console.log(
    `RUN_SPEC: ${JSON.stringify(spec)}${prepared === undefined ? ' (built in)' : ' (from the local run)'}`,
  );
  console.log(`projects: ${inPlace ? 'dbt/ for both (--in-place)' : 'one copy of dbt/ per side'}`);

  const localSeconds: number[] = [];
  const entrySeconds: number[] = [];
  for (let index = 0; index < runs; index += 1) {
    const a = succeeded('serverless-dbt local', await local());
    const b = succeeded('entrypoint', await entrypoint());
    localSeconds.push(a.seconds);
    entrySeconds.push(b.seconds);
    console.log(
      `run ${index + 1}/${runs}: local ${a.seconds.toFixed(2)} s, entrypoint ${b.seconds.toFixed(2)} s`,
    );
  }

  const localMedian = median(localSeconds);
  const entryMedian = median(entrySeconds);
  const ratio = localMedian / entryMedian;
  const overhead = localMedian - entryMedian;
  const met = ratio <= GOAL_RATIO && overhead <= GOAL_SECONDS;
  console.log('');
  console.log(`median of ${runs} interleaved runs each:`);
  console.log(`  serverless-dbt local  ${localMedian.toFixed(2)} s`);
  console.log(`  entrypoint alone      ${entryMedian.toFixed(2)} s`);
  console.log(
    `  ratio ${ratio.toFixed(3)} (overhead ${((ratio - 1) * 100).toFixed(1)} %), overhead ${overhead.toFixed(2)} s`,
  );
  console.log(
    `  goal ≤ ${((GOAL_RATIO - 1) * 100).toFixed(0)} % and ≤ ${GOAL_SECONDS} s: ${met ? 'goal met' : 'goal MISSED'}`,
  );

  const out = join(REPO_ROOT, 'bench', 'out');
  await mkdir(out, { recursive: true });
  await writeFile(
    join(out, 'local-overhead.json'),
    `${JSON.stringify(
      {
        measuredAt: new Date().toISOString(),
        runs,
        inPlace,
        spec,
        localSeconds,
        entrypointSeconds: entrySeconds,
        localMedian,
        entrypointMedian: entryMedian,
        ratio,
        overheadSeconds: overhead,
        goal: { ratio: GOAL_RATIO, seconds: GOAL_SECONDS, met },
      },
      null,
      2,
    )}\n`,
  );
} finally {
  await Promise.all(copies.map((copy) => copy.remove()));
  await rm(root, { recursive: true, force: true });
}
