// The container contract (docs/design.md, "The container contract") inside the built image,
// run the way the task definition runs it (tests/image/containers.ts): as uid 10001, on a
// read-only root filesystem whose writable paths are the image's project folder and /tmp, with
// no network. The sample project (dbt/) on the DuckDB image runs for real; the default
// (Redshift) image shows a configuration error, and the runner's AWS calls reach a moto server.
import { readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  CreateBucketCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  S3Client,
} from '@aws-sdk/client-s3';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { type Moto, startMoto } from '../support/moto.ts';
import {
  BUILD_TIMEOUT,
  buildImage,
  copyProject,
  imageConfig,
  RUNNER_UID,
  runContainer,
  verdict,
  writableFolder,
} from './containers.ts';

const DUCKDB = 'serverless-dbt-test:contract-duckdb';
const REDSHIFT = 'serverless-dbt-test:contract-redshift';
const RUN_TIMEOUT = 300_000;
// What every run of the task has (the state machine sets RUN_ID, the task definition the rest);
// ENV is the stage the images are built for (scripts/build-image's default), so that the baked
// parse is reused.
const TASK = { ENV: 'live', ARTIFACTS_URI: 'file:///artifacts' };

interface Summary {
  runId: string;
  exitCode: number;
  steps: Array<{ name: string; status: string }>;
  counts: Record<string, number>;
  nodes: Array<{ uniqueId: string; status: string }>;
  error?: string;
}

const readSummary = (artifacts: string, runId: string) =>
  JSON.parse(
    readFileSync(join(artifacts, 'runs', runId, 'attempt-1', 'summary.json'), 'utf8'),
  ) as Summary;

const outcome = (result: { status: number | null; stdout: string; stderr: string }) =>
  `exit ${result.status}\n${result.stdout.slice(-3000)}\n${result.stderr.slice(-2000)}`;

const scratch: string[] = [];
const folder = (prefix: string) => {
  const dir = writableFolder(prefix);
  scratch.push(dir);
  return dir;
};

beforeAll(() => {
  for (const [args, tag] of [
    [['--adapter', 'duckdb', '--project', 'dbt', '--target', 'local'], DUCKDB],
    [['--adapter', 'redshift', '--project', 'dbt', '--target', 'redshift'], REDSHIFT],
  ] as const) {
    const built = buildImage(...args, '--tag', tag);
    if (built.status !== 0)
      throw new Error(`building ${tag} failed:\n${built.stderr.slice(-3000)}`);
  }
}, 2 * BUILD_TIMEOUT);

afterAll(() => {
  for (const dir of scratch) rmSync(dir, { recursive: true, force: true });
});

describe('the image runs as the task definition says', () => {
  test.each([DUCKDB, REDSHIFT])(
    '%s: uid 10001, and only the project folder and /tmp are writable',
    (image) => {
      const config = imageConfig(image);
      expect(config.User).toBe(`${RUNNER_UID}:${RUNNER_UID}`);
      expect(Object.keys(config.Volumes ?? {}).sort()).toEqual(['/app/dbt', '/tmp']);

      const probe = runContainer(image, {
        command: [
          'sh',
          '-c',
          'id -u; for path in /app/container /opt/venv /etc /app /app/dbt /tmp; do ' +
            'if touch "$path/.probe" 2>/dev/null; then echo "$path writable"; ' +
            'else echo "$path read-only"; fi; done',
        ],
      });
      expect(probe.stdout.split('\n')).toEqual([
        String(RUNNER_UID),
        '/app/container read-only',
        '/opt/venv read-only',
        '/etc read-only',
        '/app read-only',
        '/app/dbt writable',
        '/tmp writable',
        '',
      ]);
    },
    RUN_TIMEOUT,
  );

  test(
    'the root filesystem is read-only to root as well: the runtime enforces it, not permissions',
    () => {
      const probe = runContainer(DUCKDB, { command: ['touch', '/etc/.probe'], user: '0:0' });
      expect(probe.status).not.toBe(0);
      expect(probe.stderr).toContain('Read-only file system');
    },
    RUN_TIMEOUT,
  );
});

describe('the container contract in the image', () => {
  test(
    'a successful run exits 0 and writes every artifact to the mounted folder, as uid 10001',
    () => {
      const artifacts = folder('sdbt-artifacts-');
      const result = runContainer(DUCKDB, {
        env: { ...TASK, RUN_ID: 'image-success', DBT_TARGET: 'local' },
        mounts: { '/artifacts': artifacts },
      });
      expect(outcome(result)).toMatch(/^exit 0\n/);
      expect(verdict(result.stdout)).toMatchObject({ status: 'success', exitCode: 0 });
      // The project volume has the image's baked parse, which dbt reuses.
      expect(result.stdout).toContain('"step": "deps", "status": "skipped"');

      // The warehouse is empty and the run's own seeds create every source, so the freshness
      // step has nothing to check yet and writes no sources.json (docs/container.md).
      expect(result.stdout).toContain('"step": "freshness", "status": "skipped"');
      const run = join(artifacts, 'runs', 'image-success', 'attempt-1');
      expect(readdirSync(run).sort()).toEqual(
        [
          'catalog.json',
          'dbt.log',
          'index.html',
          'manifest.json',
          'run_results.json',
          'summary.json',
        ].sort(),
      );
      expect(readdirSync(join(artifacts, 'latest')).sort()).toEqual([
        'catalog.json',
        'index.html',
        'manifest.json',
        'run_results.json',
        'summary.json',
      ]);
      expect(statSync(join(run, 'summary.json')).uid).toBe(RUNNER_UID);
      const summary = readSummary(artifacts, 'image-success');
      expect(summary).toMatchObject({ runId: 'image-success', exitCode: 0 });
      expect(summary.counts.success).toBeGreaterThan(0);
      expect(summary.error).toBeUndefined();
      expect(readFileSync(join(run, 'dbt.log'), 'utf8')).toContain(
        'Partial parsing enabled, no changes found, skipping parsing',
      );
    },
    RUN_TIMEOUT,
  );

  test(
    'a failing dbt test exits 1, with the failing node in the summary and the artifacts stored',
    () => {
      // The project volume, filled from the image as ECS fills it, plus a test that fails.
      const project = copyProject(DUCKDB);
      scratch.push(join(project, '..'));
      writeFileSync(
        join(project, 'tests', 'assert_no_orders.sql'),
        "select * from {{ ref('orders') }}  -- every order is a failure\n",
      );
      const artifacts = folder('sdbt-artifacts-');
      const result = runContainer(DUCKDB, {
        env: { ...TASK, RUN_ID: 'image-failing-test', DBT_TARGET: 'local' },
        project,
        mounts: { '/artifacts': artifacts },
      });
      expect(outcome(result)).toMatch(/^exit 1\n/);
      expect(verdict(result.stdout)).toMatchObject({ exitCode: 1 });
      const summary = readSummary(artifacts, 'image-failing-test');
      expect(summary.exitCode).toBe(1);
      expect(summary.nodes).toContainEqual(
        expect.objectContaining({ uniqueId: 'test.shop.assert_no_orders', status: 'fail' }),
      );
      expect(summary.error).toContain('dbt reported failures');
      expect(readdirSync(join(artifacts, 'runs', 'image-failing-test', 'attempt-1'))).toContain(
        'run_results.json',
      );
    },
    RUN_TIMEOUT,
  );

  test(
    'a project error exits 2 (dbt could not run), naming it',
    () => {
      const project = copyProject(DUCKDB);
      scratch.push(join(project, '..'));
      writeFileSync(join(project, 'models', 'broken.sql'), "select {{ ref('no_such_model') }}\n");
      const artifacts = folder('sdbt-artifacts-');
      const result = runContainer(DUCKDB, {
        env: { ...TASK, RUN_ID: 'image-project-error', DBT_TARGET: 'local' },
        project,
        mounts: { '/artifacts': artifacts },
      });
      expect(outcome(result)).toMatch(/^exit 2\n/);
      const summary = readSummary(artifacts, 'image-project-error');
      expect(summary.exitCode).toBe(2);
      expect(summary.error).toContain('no_such_model');
    },
    RUN_TIMEOUT,
  );

  test(
    'the default (Redshift) image without its warehouse connection exits 3, naming the variable',
    () => {
      const artifacts = folder('sdbt-artifacts-');
      const result = runContainer(REDSHIFT, {
        env: { ...TASK, RUN_ID: 'image-config-error', DBT_TARGET: 'redshift' },
        mounts: { '/artifacts': artifacts },
      });
      expect(outcome(result)).toMatch(/^exit 3\n/);
      expect(verdict(result.stdout).error).toContain('DBT_WAREHOUSE_HOST');
      const summary = readSummary(artifacts, 'image-config-error');
      expect(summary.exitCode).toBe(3);
      expect(summary.error).toContain('DBT_WAREHOUSE_HOST');
    },
    RUN_TIMEOUT,
  );

  test(
    'artifacts that cannot be stored exit 4 after dbt succeeded',
    () => {
      // A folder on the read-only root, which the runner cannot create.
      const result = runContainer(DUCKDB, {
        env: {
          ...TASK,
          RUN_ID: 'image-artifacts-lost',
          DBT_TARGET: 'local',
          ARTIFACTS_URI: 'file:///app/artifacts',
        },
      });
      expect(outcome(result)).toMatch(/^exit 4\n/);
      expect(verdict(result.stdout)).toMatchObject({ exitCode: 4 });
    },
    RUN_TIMEOUT,
  );
});

describe("the runner's AWS calls from the image (a moto server on the host)", () => {
  let moto: Moto;
  beforeAll(async () => {
    moto = await startMoto();
  });
  afterAll(async () => {
    await moto?.stop();
  });

  test(
    'the warehouse secret from Secrets Manager, and the artifacts to S3',
    async () => {
      const s3 = new S3Client(moto.clientConfig);
      await s3.send(
        new CreateBucketCommand({
          Bucket: 'image-artifacts',
          CreateBucketConfiguration: { LocationConstraint: 'eu-west-1' },
        }),
      );
      const secret = await new SecretsManagerClient(moto.clientConfig).send(
        new CreateSecretCommand({
          Name: 'image-test/warehouse',
          SecretString: JSON.stringify({ host: 'warehouse.invalid', password: 'not-for-logs-1' }),
        }),
      );
      const result = runContainer(DUCKDB, {
        env: {
          ...TASK,
          ...moto.env,
          // ECS sets both; boto3 reads this one.
          AWS_DEFAULT_REGION: moto.clientConfig.region,
          RUN_ID: 'image-aws',
          DBT_TARGET: 'local',
          ARTIFACTS_URI: 's3://image-artifacts/dbt',
          CREDENTIALS_SOURCE: `secretsmanager:${secret.ARN}`,
        },
        hostNetwork: true,
      });
      expect(outcome(result)).toMatch(/^exit 0\n/);
      expect(result.stdout).not.toContain('not-for-logs-1');

      const listed = await s3.send(
        new ListObjectsV2Command({ Bucket: 'image-artifacts', Prefix: 'dbt/runs/image-aws/' }),
      );
      const keys = (listed.Contents ?? []).map((object) => object.Key);
      expect(keys).toContain('dbt/runs/image-aws/attempt-1/summary.json');
      expect(keys).toContain('dbt/runs/image-aws/attempt-1/manifest.json');
      expect(keys).toContain('dbt/runs/image-aws/last-attempt.json');
      const summary = await s3.send(
        new GetObjectCommand({
          Bucket: 'image-artifacts',
          Key: 'dbt/runs/image-aws/attempt-1/summary.json',
        }),
      );
      expect(JSON.parse((await summary.Body?.transformToString()) ?? '{}')).toMatchObject({
        exitCode: 0,
      });
    },
    RUN_TIMEOUT,
  );

  test(
    'a client for each AWS service the image keeps the model of, and none for the others',
    () => {
      const script = [
        'import boto3, botocore.exceptions',
        "kept = ['s3', 'secretsmanager', 'glue', 'sts', 'sso', 'sso-oidc', 'signin', 'redshift', 'redshift-serverless']",
        "clients = [boto3.client(name, region_name='eu-west-1') for name in kept]",
        "print('built', len(clients))",
        'try:',
        "    boto3.client('ec2', region_name='eu-west-1')",
        'except botocore.exceptions.UnknownServiceError:',
        "    print('ec2 unknown')",
      ].join('\n');
      for (const image of [DUCKDB, REDSHIFT]) {
        const result = runContainer(image, { command: ['python', '-c', script] });
        expect(outcome(result)).toMatch(/^exit 0\nbuilt 9\nec2 unknown\n/);
      }
    },
    RUN_TIMEOUT,
  );
});
