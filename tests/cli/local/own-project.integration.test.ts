// A team's own project through `serverless-dbt local`, as docs/adopt.md walks it: shaped
// unlike the sample (its own profile name, a `dev` target and no `local` target, a package
// from a local path), its packages installed once as the image build installs them, then
// run with no network at all (a network namespace of its own: root only, as CI runs).
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../../support/packaged.ts';
import { type PostgresServer, startPostgres } from '../../support/postgres.ts';

const PROJECTS = join(REPO_ROOT, 'tests', 'fixtures', 'projects');
const NODE = join(REPO_ROOT, 'node_modules', '.bin', 'node');
const CLI = join(REPO_ROOT, 'cli', 'serverless-dbt.ts');

let root: string;
let project: string;

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'sdbt-own-project-'));
  for (const name of ['packaged_shop', 'shop_helpers']) {
    cpSync(join(PROJECTS, name), join(root, name), { recursive: true });
  }
  project = join(root, 'packaged_shop');
  // What the image build does: install the locked packages once.
  const deps = spawnSync(
    join(REPO_ROOT, '.venv', 'bin', 'dbt'),
    ['deps', '--project-dir', project, '--profiles-dir', project],
    { cwd: project, encoding: 'utf8', timeout: 120_000 },
  );
  if (deps.status !== 0) throw new Error(`dbt deps failed:\n${deps.stdout}\n${deps.stderr}`);
}, 150_000);

afterAll(() => rmSync(root, { recursive: true, force: true }));

test('runs offline with its own profile, its default target and its installed package', () => {
  const stateDir = join(root, 'state');
  const result = spawnSync(
    'unshare',
    ['--net', NODE, CLI, 'local', '--project-dir', project, '--state-dir', stateDir],
    {
      cwd: REPO_ROOT,
      encoding: 'utf8',
      timeout: 180_000,
      env: { ...process.env, SLACK_WEBHOOK_URL: '', DBT_TARGET: '', DBT_PROFILES_DIR: '' },
    },
  );
  const output = `${result.stdout}\n${result.stderr}`;
  expect(`${result.status}\n${output.slice(-4000)}`).toMatch(/^0\n[\s\S]*: succeeded: SUCCEEDED/);

  const [runId] = readdirSync(join(stateDir, 'runs'));
  const runDir = join(stateDir, 'runs', String(runId), 'attempt-1');
  const summary = JSON.parse(readFileSync(join(runDir, 'summary.json'), 'utf8')) as {
    steps: Array<{ name: string; status: string }>;
  };
  expect(summary.steps.find((step) => step.name === 'deps')?.status).toBe('skipped');
  const results = JSON.parse(readFileSync(join(runDir, 'run_results.json'), 'utf8')) as {
    results: Array<{ unique_id: string; status: string }>;
  };
  const succeeded = results.results.filter((each) => ['success', 'pass'].includes(each.status));
  expect(succeeded.map((each) => each.unique_id)).toEqual(
    expect.arrayContaining([
      'model.packaged_shop.payments',
      'model.shop_helpers.shop_helpers_currencies',
    ]),
  );
  const manifest = JSON.parse(readFileSync(join(runDir, 'manifest.json'), 'utf8')) as {
    metadata: { adapter_type: string };
  };
  expect(manifest.metadata.adapter_type).toBe('duckdb');
}, 200_000);

describe('on its PostgreSQL target', () => {
  let pg: PostgresServer;
  beforeAll(async () => {
    pg = await startPostgres();
  }, 60_000);
  afterAll(async () => {
    await pg?.stop();
  });

  test('runs with --target prod, the connection from the variables a deployed task gets', async () => {
    const result = spawnSync(
      NODE,
      [CLI, 'local', '--project-dir', project, '--target', 'prod', '--state-dir', join(root, 'pg')],
      {
        cwd: REPO_ROOT,
        encoding: 'utf8',
        timeout: 180_000,
        env: {
          ...process.env,
          SLACK_WEBHOOK_URL: '',
          DBT_WAREHOUSE_HOST: pg.host,
          DBT_WAREHOUSE_PORT: String(pg.port),
          DBT_WAREHOUSE_USERNAME: pg.user,
          DBT_WAREHOUSE_DBNAME: pg.database,
          DBT_ENV_SECRET_PASSWORD: pg.password,
          DBT_SCHEMA: 'payments',
        },
      },
    );
    const output = `${result.stdout}\n${result.stderr}`;
    expect(`${result.status}\n${output.slice(-4000)}`).toMatch(/^0\n[\s\S]*: succeeded: SUCCEEDED/);
    expect(output).not.toContain(pg.password);
    // The package's model and the project's, built in the warehouse.
    expect(
      await pg.query(
        "select table_name from information_schema.tables where table_schema = 'payments' order by 1",
      ),
    ).toEqual(expect.arrayContaining(['payments', 'shop_helpers_currencies']));
  }, 200_000);
});

test('refuses a folder that is no dbt project, as a usage error (exit 2)', () => {
  const result = spawnSync(NODE, [CLI, 'local', '--project-dir', join(root, 'nowhere')], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    timeout: 60_000,
  });
  expect(result.status).toBe(2);
  expect(result.stderr).toMatch(/nowhere is not a dbt project \(no dbt_project\.yml\)/);
}, 60_000);
