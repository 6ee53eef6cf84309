// `serverless-dbt ci` as the Slim CI workflow runs it (docs/slim-ci.md), end to end: real dbt
// on DuckDB through the local pipeline, live's state in a moto S3 bucket that a moto
// CloudFormation stack names, and the check's outputs (annotations, step summary) as GitHub
// Actions would read them. Nothing is mocked: the GitHub runner is this machine, and DuckDB's
// file stands in for the warehouse that live and the pull request share.
//
// One warehouse, in order: live builds the sample project (ENV=live, schema main); a pull
// request builds before live has any state (everything), after it (only what it changed,
// reading the rest from live's tables), with a broken model (a failed check), then its
// schema is dropped.
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { CloudFormationClient, CreateStackCommand } from '@aws-sdk/client-cloudformation';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { jest } from '@jest/globals';
import { runLocal } from '../../../cli/local/command.ts';
import { type Finished, startCli } from '../../support/cli.ts';
import { FAKE_CREDENTIALS, type Moto, REGION, startMoto } from '../../support/moto.ts';
import { packageService, REPO_ROOT } from '../../support/packaged.ts';
import { copySampleProject, type ProjectCopy, writeProjectFile } from '../local/projects.ts';

jest.setTimeout(240_000);

const BUCKET = 'serverless-dbt-live-artifactsbucket-abc123';
const LATEST = `s3://${BUCKET}/dbt/latest/`;
const PYTHON = join(REPO_ROOT, '.venv', 'bin', 'python');

let moto: Moto;
let project: ProjectCopy;
let work: string;
let duckdbPath: string;
let liveRunId: string;

/** The schemas of the warehouse and their tables and views, as `schema.name`. */
async function relations(): Promise<string[]> {
  const { stdout } = await promisify(execFile)(PYTHON, [
    '-c',
    `import duckdb, json, sys
connection = duckdb.connect(sys.argv[1], read_only=True)
rows = connection.execute("select table_schema || '.' || table_name from information_schema.tables order by 1").fetchall()
print(json.dumps([row[0] for row in rows]))`,
    duckdbPath,
  ]);
  return JSON.parse(stdout) as string[];
}

const inSchema = (all: string[], schema: string) =>
  all.filter((name) => name.startsWith(`${schema}.`)).map((name) => name.slice(schema.length + 1));

interface CiRun extends Finished {
  summary: string;
  artifactsDir: string;
}

/** `serverless-dbt ci ARGS` on a GitHub runner: the workflow's environment, moto for AWS. */
async function ci(args: string[]): Promise<CiRun> {
  const summaryFile = join(work, `summary-${Date.now()}.md`);
  const environment: NodeJS.ProcessEnv = {
    ...process.env,
    ...moto.env,
    DBT_DUCKDB_PATH: duckdbPath,
    GITHUB_ACTIONS: 'true',
    GITHUB_STEP_SUMMARY: summaryFile,
    GITHUB_WORKSPACE: dirname(project.dir),
  };
  delete environment.SLACK_WEBHOOK_URL;
  delete environment.ENV;
  const finished = await startCli(
    [
      'ci',
      ...args,
      '--pr',
      '42',
      '--stage',
      'live',
      '--target',
      'local',
      '--project-dir',
      project.dir,
      '--state-dir',
      join(work, 'ci-state'),
    ],
    environment,
    200_000,
  ).finished;
  const artifacts = /^artifacts: (\S+)$/m.exec(finished.stdout)?.[1] ?? '';
  return {
    ...finished,
    summary: await readFile(summaryFile, 'utf8').catch(() => ''),
    artifactsDir: artifacts,
  };
}

async function manifestOf(run: CiRun): Promise<{
  nodes: Record<string, { compiled_code?: string; schema?: string }>;
}> {
  return JSON.parse(await readFile(join(run.artifactsDir, 'manifest.json'), 'utf8'));
}

beforeAll(async () => {
  await packageService({ stage: 'live' });
  moto = await startMoto();
  project = await copySampleProject();
  work = await mkdtemp(join(tmpdir(), 'serverless-dbt-ci-'));
  duckdbPath = join(work, 'warehouse.duckdb');

  // The live stage's stack, as far as the command reads it: the artifacts bucket's name.
  const cloudFormation = new CloudFormationClient({
    region: REGION,
    endpoint: moto.endpoint,
    credentials: FAKE_CREDENTIALS,
  });
  await cloudFormation.send(
    new CreateStackCommand({
      StackName: 'serverless-dbt-live',
      TemplateBody: JSON.stringify({
        Resources: {
          ArtifactsBucket: { Type: 'AWS::S3::Bucket', Properties: { BucketName: BUCKET } },
        },
        Outputs: { ArtifactsBucketName: { Value: { Ref: 'ArtifactsBucket' } } },
      }),
    }),
  );
  cloudFormation.destroy();

  // Live's nightly run into the shared warehouse: its tables are what a pull request defers to.
  const lines: string[] = [];
  const live = await runLocal({
    // With docs, as live's jobs run by default: only such a run replaces latest/.
    input: { job: 'nightly-build' },
    projectDir: project.dir,
    profilesDir: project.dir,
    target: 'local',
    stage: 'live',
    stateDir: join(work, 'live-state'),
    runId: 'cli-local-live-nightly',
    duckdbPath,
    print: (line) => lines.push(line),
    containerEnvironment: { ENV: 'live' },
  });
  if (live.execution.status !== 'SUCCEEDED')
    throw new Error(`live's run failed:\n${lines.join('\n')}`);
  liveRunId = 'cli-local-live-nightly';
}, 600_000);

afterAll(async () => {
  await moto?.stop();
  await project?.remove();
  if (work) await rm(work, { recursive: true, force: true });
});

/** Live's latest/ folder, as its successful run left it, copied to the stage's bucket. */
async function publishLiveState(): Promise<void> {
  const s3 = new S3Client({
    region: REGION,
    endpoint: moto.endpoint,
    credentials: FAKE_CREDENTIALS,
    forcePathStyle: true,
  });
  const latest = join(work, 'live-state', 'latest');
  for (const name of await readdir(latest)) {
    await s3.send(
      new PutObjectCommand({
        Bucket: BUCKET,
        Key: `dbt/latest/${name}`,
        Body: await readFile(join(latest, name)),
      }),
    );
  }
  s3.destroy();
}

test('before live has a successful state, a pull request builds everything into its own schema and says why', async () => {
  const run = await ci(['build']);
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  expect(run.stdout).toContain(`no manifest.json under ${LATEST}`);
  expect(run.summary).toContain(
    '### Slim CI: dbt build of what pull request #42 changed: succeeded',
  );
  expect(run.summary).toContain('- built into schema `main_pr_42`');
  const all = await relations();
  expect(inSchema(all, 'main_pr_42')).toEqual(
    expect.arrayContaining(['stg_orders', 'stg_customers', 'orders', 'customers']),
  );
  // Live's own tables are where they were.
  expect(inSchema(all, 'main')).toEqual(expect.arrayContaining(['orders', 'customers']));
});

test("after live's success, a pull request builds only the model it changed and its children, and reads the rest from live's tables", async () => {
  await publishLiveState();
  const orders = join(project.dir, 'models', 'marts', 'orders.sql');
  const original = await readFile(orders, 'utf8');
  await writeFile(orders, `-- a pull request's change\n${original}`);
  try {
    const run = await ci(['build']);
    expect(run.code).toBe(0);
    expect(run.summary).toMatch(
      new RegExp(`- 2 of \\d+ models changed since run ${liveRunId}; \\d+ deferred`),
    );
    expect(run.summary).toContain(`- compared with and deferred to \`${LATEST}\``);
    expect(run.stdout).toMatch(/counts: .*\b2 success\b/);
    const manifest = await manifestOf(run);
    // The parent is live's even though the earlier build left a copy in the pull request's
    // schema: --favor-state.
    expect(manifest.nodes['model.shop.orders']?.compiled_code).toMatch(/"main"\."stg_orders"/);
    expect(manifest.nodes['model.shop.orders']?.compiled_code).not.toMatch(
      /main_pr_42"\."stg_orders/,
    );
    expect(manifest.nodes['model.shop.customers']?.compiled_code).toMatch(/"main_pr_42"\."orders"/);
  } finally {
    await writeFile(orders, original);
  }
});

test('a broken model fails the check, annotated on the files that define what failed, with the reason in the step summary', async () => {
  await writeProjectFile(
    project,
    'models/marts/orders.sql',
    "select order_id, no_such_column from {{ ref('stg_orders') }}\n",
  );
  const run = await ci(['build']);
  expect(run.code).toBe(1);
  // dbt runs the model's unit test first (defined in _marts.yml); it fails on the missing
  // column, and the model is skipped downstream of it.
  expect(run.stdout).toMatch(
    /^::error file=dbt\/models\/marts\/_marts\.yml,title=unit_test\.shop\.orders\.orders_sums_items_per_order%3A error::.*no_such_column/m,
  );
  expect(run.summary).toMatch(
    /^### Slim CI: dbt build of what pull request #42 changed: failed: DBT_FAILED$/m,
  );
  expect(run.summary).toMatch(/skipped downstream of orders\.orders_sums_items_per_order/);
  // The way out is another push, not a retry run in AWS.
  expect(run.summary).toContain(
    "hint: Fix the nodes listed (annotated in the pull request's files) and push again",
  );
  expect(run.summary).not.toContain('retryOf');
  expect(run.summary).toMatch(/- 2 of \d+ models changed since run cli-local-live-nightly/);
});

test("closing the pull request drops its schema and leaves live's alone", async () => {
  expect(inSchema(await relations(), 'main_pr_42').length).toBeGreaterThan(0);
  const run = await ci(['drop']);
  expect(run.code).toBe(0);
  expect(run.stdout).toContain('dropped schema main_pr_42');
  expect(run.summary).toContain('### Slim CI: the schema of pull request #42 dropped: succeeded');
  const all = await relations();
  expect(inSchema(all, 'main_pr_42')).toEqual([]);
  expect(inSchema(all, 'main')).toEqual(expect.arrayContaining(['orders', 'customers']));
});

test('with --json, stdout is one JSON document: the pull request, its schema, the annotations and the report', async () => {
  // The schema is gone already: dropping it again is fine, as for a pull request never built.
  const run = await ci(['drop', '--json']);
  expect(run.code).toBe(0);
  const document = JSON.parse(run.stdout) as {
    pullRequest: number;
    action: string;
    stage: string;
    exitCode: number;
    annotations: string[];
    report: { outcome: { verdict: string; job: string } };
  };
  expect(document).toMatchObject({ pullRequest: 42, action: 'drop', stage: 'live', exitCode: 0 });
  expect(document.annotations).toEqual([]);
  expect(document.report.outcome).toMatchObject({ verdict: 'SUCCEEDED', job: 'pr-42' });
  expect(run.stderr).toContain('dropped schema main_pr_42');
});

describe('the command line', () => {
  const run = (args: string[]) => startCli(args, { ...process.env, ...moto.env }, 60_000).finished;

  test('serverless-dbt --help lists ci, and ci --help shows both of its commands', async () => {
    const top = await run(['--help']);
    expect(top.code).toBe(0);
    expect(top.stdout).toMatch(/^ {2}ci {8}Slim CI: /m);
    const help = await run(['ci', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('usage: serverless-dbt ci build --pr N [options]');
    expect(help.stdout).toContain('serverless-dbt ci drop --pr N [options]');
  });

  test.each([
    [['ci', 'build'], "serverless-dbt: --pr is required (the pull request's number)"],
    [['ci', 'build', '--pr', '4x'], "serverless-dbt: --pr '4x' is not a pull request number"],
    [['ci', 'rebuild', '--pr', '4'], "serverless-dbt: unknown ci command 'rebuild': build or drop"],
    [['ci', 'drop', '--pr', '4', '--select', 'orders'], 'serverless-dbt: ci drop takes no --state'],
    [['ci', 'build', '--pr', '4', '--no-such-option'], "Unknown option '--no-such-option'"],
  ])('%j exits 2 with one sentence, before any run', async (args, message) => {
    const finished = await run(args);
    expect(finished.code).toBe(2);
    expect(finished.stderr).toContain(message);
    expect(finished.stdout).not.toContain('── Prepare');
  });
});
