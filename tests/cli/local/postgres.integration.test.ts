import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jest } from '@jest/globals';
import { type Finished, type Started, startCli } from '../../support/cli.ts';
import { freePort } from '../../support/moto.ts';
import { packageService } from '../../support/packaged.ts';
import { type PostgresServer, startPostgres } from '../../support/postgres.ts';
import {
  copySampleProject,
  type ProjectCopy,
  projectWithFailures,
  writeProjectFile,
} from './projects.ts';

jest.setTimeout(120_000);

let postgres: PostgresServer | undefined;
const cleanups: Array<() => Promise<void>> = [];

beforeAll(async () => {
  // Packaging (cached afterwards) and the server start side by side.
  const [server] = await Promise.all([startPostgres(), packageService({ stage: 'dev' })]);
  postgres = server;
}, 600_000);

afterAll(async () => {
  await postgres?.stop();
  await Promise.all(cleanups.map((cleanup) => cleanup()));
});

function server(): PostgresServer {
  if (postgres === undefined) throw new Error('PostgreSQL did not start');
  return postgres;
}

async function stateFolder(): Promise<string> {
  const folder = await mkdtemp(join(tmpdir(), 'serverless-dbt-local-pg-'));
  cleanups.push(() => rm(folder, { recursive: true, force: true }));
  return folder;
}

async function sampleCopy(): Promise<ProjectCopy> {
  const project = await copySampleProject();
  cleanups.push(project.remove);
  return project;
}

/** A schema of its own for each run; dbt writes to `<schema>_sandbox` off the deployed stages. */
const newSchema = () => `t_${randomBytes(4).toString('hex')}`;

/**
 * The shell of someone who exported the warehouse connection, with `changes` on top
 * (undefined unsets a variable). Nothing else of dbt's or a deployed stage's.
 */
function warehouseShell(schema: string, changes: Record<string, string | undefined> = {}) {
  const pg = server();
  const environment: NodeJS.ProcessEnv = Object.fromEntries(
    Object.entries(process.env).filter(
      ([name]) => !name.startsWith('DBT_') && name !== 'ENV' && name !== 'SLACK_WEBHOOK_URL',
    ),
  );
  const connection: Record<string, string | undefined> = {
    DBT_WAREHOUSE_HOST: pg.host,
    DBT_WAREHOUSE_PORT: String(pg.port),
    DBT_WAREHOUSE_USERNAME: pg.user,
    DBT_ENV_SECRET_PASSWORD: pg.password,
    DBT_WAREHOUSE_DBNAME: pg.database,
    DBT_SCHEMA: schema,
    ...changes,
  };
  for (const [name, value] of Object.entries(connection)) {
    if (value !== undefined) environment[name] = value;
  }
  return environment;
}

/** `serverless-dbt local --target postgres ARGS` as a person runs it. */
const startLocal = (args: string[], environment: NodeJS.ProcessEnv): Started =>
  startCli(['local', '--target', 'postgres', ...args], environment, 100_000);

interface LocalRun extends Finished {
  runId: string;
  /** The final report: from its `run <id> (job …)` line to the end. */
  report: string;
  artifacts: string;
  summary: Record<string, unknown>;
}

async function runLocal(
  project: ProjectCopy,
  extraArgs: string[],
  environment: NodeJS.ProcessEnv,
): Promise<LocalRun & { state: string }> {
  const state = await stateFolder();
  const args = ['--project-dir', project.dir, '--state-dir', state, ...extraArgs];
  return { ...(await finishedRun(await startLocal(args, environment).finished, state)), state };
}

async function finishedRun(run: Finished, state: string): Promise<LocalRun> {
  const match = /^run (cli-local-\S+) \(job /m.exec(run.stdout);
  if (match?.[1] === undefined) {
    throw new Error(`no report in the output:\n${run.stdout}\n${run.stderr}`);
  }
  const runId = match[1];
  const artifacts = join(state, 'runs', runId, 'attempt-1');
  return {
    ...run,
    runId,
    report: run.stdout.slice(run.stdout.indexOf(`run ${runId} (job `)),
    artifacts,
    summary: JSON.parse(await readFile(join(artifacts, 'summary.json'), 'utf8')),
  };
}

/** Every file under a folder, by path. */
async function filesUnder(folder: string): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  for (const entry of await readdir(folder, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) {
      const path = join(entry.parentPath, entry.name);
      files.set(path, await readFile(path, 'latin1'));
    }
  }
  return files;
}

/** The secret is nowhere a run lets out: its output, artifacts (summary.json included), lock. */
async function expectNowhere(secret: string, run: Finished, state: string): Promise<void> {
  expect(run.stdout).not.toContain(secret);
  expect(run.stderr).not.toContain(secret);
  const files = await filesUnder(state);
  expect(files.size).toBeGreaterThan(0);
  for (const [path, text] of files) {
    if (text.includes(secret)) throw new Error(`${path} holds the password`);
  }
}

const step = (summary: Record<string, unknown>, name: string) =>
  (summary.steps as Array<{ name: string; status: string }>).find((item) => item.name === name);

describe('serverless-dbt local on PostgreSQL', () => {
  test('a clean build of the sample project: SUCCEEDED, the tables in PostgreSQL, no password let out', async () => {
    const schema = newSchema();

    const run = await runLocal(await sampleCopy(), [], warehouseShell(schema));

    expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
    expect(run.report).toMatch(/^run \S+ \(job manual\): succeeded: SUCCEEDED$/m);
    expect(run.stdout).toContain('Registered adapter: postgres=');
    expect(run.summary).toMatchObject({ exitCode: 0, command: 'build' });
    const counts = run.summary.counts as Record<string, number>;
    expect(counts.success).toBeGreaterThan(0);
    expect(counts.pass).toBeGreaterThan(0);
    expect(await readdir(run.artifacts)).toEqual(
      expect.arrayContaining(['manifest.json', 'run_results.json', 'catalog.json', 'index.html']),
    );
    // Built in PostgreSQL, where the profile pointed, and as the test role.
    const [row] = await server().query(
      `select count(*), (select tableowner from pg_tables where schemaname = '${schema}_sandbox' and tablename = 'orders') from ${schema}_sandbox.orders`,
    );
    const [orders, owner] = (row ?? '').split('\t');
    expect(Number(orders)).toBeGreaterThan(0);
    expect(owner).toBe(server().user);
    await expectNowhere(server().password, run, run.state);
  });

  test('a failing test and a model PostgreSQL rejects: DBT_FAILED naming both nodes', async () => {
    const project = await projectWithFailures();
    cleanups.push(project.remove);

    const run = await runLocal(
      project,
      ['--select', project.select, '--freshness', 'skip', '--no-docs'],
      warehouseShell(newSchema()),
    );

    expect(run.code).toBe(1);
    expect(run.report).toMatch(/^run \S+ \(job manual\): FAILED: DBT_FAILED$/m);
    expect(run.report).toMatch(/^ {2}dbt reported failures \(exit 1\): 1 error, 1 failing test; /m);
    expect(run.report).toMatch(
      /^\s+error {2}model\.shop\.broken_cast: invalid input syntax for type integer: "x"/m,
    );
    expect(run.report).toMatch(
      /^\s+fail {2}test\.shop\.assert_nothing_is_wrong: Got 1 result, configured to fail if != 0/m,
    );
    const nodes = run.summary.nodes as Array<{ uniqueId: string; status: string }>;
    expect(nodes.map((node) => [node.uniqueId, node.status])).toEqual([
      ['model.shop.broken_cast', 'error'],
      ['test.shop.assert_nothing_is_wrong', 'fail'],
    ]);
  });

  test('a wrong password: CONFIG_ERROR quoting PostgreSQL’s refusal, a hint for this laptop, neither password let out', async () => {
    const wrong = `wrong-${randomBytes(9).toString('base64url')}`;

    const run = await runLocal(
      await sampleCopy(),
      ['--select', 'stg_orders'],
      warehouseShell(newSchema(), { DBT_ENV_SECRET_PASSWORD: wrong }),
    );

    expect(run.code).toBe(1);
    expect(run.report).toMatch(/^run \S+ \(job manual\): FAILED: CONFIG_ERROR$/m);
    expect(run.report).toMatch(
      /^ {2}The dbt container is misconfigured \(exit 3\): freshness: could not connect to the warehouse: connection to server at .* failed: FATAL: password authentication failed for user "[^"]+"\.$/m,
    );
    // The user name is no secret: the reason names it, as PostgreSQL did.
    expect(run.report).toContain(`password authentication failed for user "${server().user}"`);
    expect(run.report).toMatch(
      /^ {2}hint: The warehouse refused the login: check DBT_WAREHOUSE_USERNAME and DBT_ENV_SECRET_PASSWORD in the shell/m,
    );
    expect(run.summary).toMatchObject({ exitCode: 3 });
    expect(run.summary.error).toMatch(/password authentication failed for user/);
    // The run stopped at the first refusal instead of building regardless.
    expect(step(run.summary, 'freshness')?.status).toBe('error');
    expect(step(run.summary, 'build')?.status).toBe('skipped');
    expect(await server().log()).toMatch(/password authentication failed for user/);
    await expectNowhere(wrong, run, run.state);
    await expectNowhere(server().password, run, run.state);
  });

  test('an unreachable server: CONFIG_ERROR quoting the refused connection, a hint to check the server', async () => {
    const closedPort = await freePort();

    const run = await runLocal(
      await sampleCopy(),
      ['--select', 'stg_orders'],
      warehouseShell(newSchema(), { DBT_WAREHOUSE_PORT: String(closedPort) }),
    );

    expect(run.code).toBe(1);
    expect(run.report).toMatch(/^run \S+ \(job manual\): FAILED: CONFIG_ERROR$/m);
    expect(run.report).toMatch(
      /^ {2}The dbt container is misconfigured \(exit 3\): freshness: could not connect to the warehouse: connection to server at .* failed: Connection refused/m,
    );
    expect(run.report).toMatch(/^ {2}hint: Check that the warehouse is running and reachable/m);
    expect(run.summary.error).toMatch(/Connection refused/);
    await expectNowhere(server().password, run, run.state);
  });

  test('a variable the profile reads and the shell lacks: CONFIG_ERROR naming it, a hint to export it', async () => {
    const run = await runLocal(
      await sampleCopy(),
      ['--select', 'stg_orders'],
      warehouseShell(newSchema(), { DBT_ENV_SECRET_PASSWORD: undefined }),
    );

    expect(run.code).toBe(1);
    expect(run.report).toMatch(/^run \S+ \(job manual\): FAILED: CONFIG_ERROR$/m);
    expect(run.report).toMatch(
      /^ {2}The dbt container is misconfigured \(exit 3\): parse: Env var required but not provided: 'DBT_ENV_SECRET_PASSWORD'/m,
    );
    expect(run.report).toMatch(
      /^ {2}hint: Export DBT_ENV_SECRET_PASSWORD in the shell that runs `serverless-dbt local`/m,
    );
    expect(run.summary).toMatchObject({ exitCode: 3 });
    expect(run.summary.error).toMatch(/'DBT_ENV_SECRET_PASSWORD'/);
  });

  test('Ctrl-C during a long query: CANCELLED, and PostgreSQL cancelled the query', async () => {
    const pg = server();
    const project = await sampleCopy();
    await writeProjectFile(
      project,
      'models/slow/slow_query.sql',
      "{{ config(materialized='table') }}\nselect 1 as id from (select pg_sleep(600)) as slept\n",
    );
    const state = await stateFolder();
    const activeSleeps = () =>
      pg.query(
        `select pid from pg_stat_activity where usename = '${pg.user}' and state = 'active' and query like '%pg_sleep(600)%'`,
      );

    const started = startLocal(
      [
        '--project-dir',
        project.dir,
        '--state-dir',
        state,
        '--select',
        'slow_query',
        '--freshness',
        'skip',
        '--no-docs',
      ],
      warehouseShell(newSchema()),
    );
    const deadline = Date.now() + 60_000;
    while ((await activeSleeps()).length === 0) {
      if (Date.now() > deadline || started.child.exitCode !== null) {
        throw new Error(`the query never ran:\n${started.output()}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    started.child.kill('SIGINT');
    const run = await finishedRun(await started.finished, state);

    expect(run.code).toBe(1);
    expect(run.stdout).toContain('── stopping dbt (Ctrl-C again to leave at once)');
    expect(run.report).toMatch(/^run \S+ \(job manual\): FAILED: CANCELLED$/m);
    expect(run.summary).toMatchObject({ exitCode: 2 });
    // The statement ended on the server, at dbt's request (dbt-postgres ends the session with
    // pg_terminate_backend): a client that only went away would leave pg_sleep running.
    const sleeping = Date.now() + 5_000;
    while ((await activeSleeps()).length > 0 && Date.now() < sleeping) {
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(await activeSleeps()).toEqual([]);
    expect(await pg.log()).toMatch(
      /(?:terminating connection due to administrator command|canceling statement due to user request)\n.*STATEMENT: .*"node_id": "model\.shop\.slow_query"/,
    );
  });
});
