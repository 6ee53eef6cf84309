// scripts/deploy-stage, the deploy workflow's steps, run as the workflow runs them: through the
// AWS CLI, against a moto server. A real `serverless deploy` needs AWS, so the tests that reach
// it give the script a stand-in (SERVERLESS) that records its arguments and creates the stage's
// stack, with its ECR repository, in moto; `settings` reads serverless.yml with the real osls.
// moto has no MWAA: an `aws` stand-in answers `aws mwaa` from a file and records the calls,
// and hands every other command to the real AWS CLI.
import { type SpawnSyncReturns, spawnSync } from 'node:child_process';
import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CloudFormationClient, CreateStackCommand } from '@aws-sdk/client-cloudformation';
import {
  CreateBucketCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  ListObjectVersionsCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { jest } from '@jest/globals';
import { FAKE_CREDENTIALS, type Moto, REGION, startMoto } from '../support/moto.ts';
import { REPO_ROOT } from '../support/packaged.ts';

const SCRIPT = join(REPO_ROOT, 'scripts', 'deploy-stage');
const ACCOUNT = '123456789012'; // moto's
const registry = `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com`;
const DAGS = join(REPO_ROOT, 'airflow-compat', 'dags');

// The stack's part that the script reads: its ECR repository and the RepositoryUri output.
const TEMPLATE = `
Parameters:
  Name: { Type: String }
Resources:
  DbtRepository:
    Type: AWS::ECR::Repository
    Properties:
      RepositoryName: { Ref: Name }
      ImageTagMutability: IMMUTABLE
Outputs:
  RepositoryUri:
    Value: { 'Fn::GetAtt': [DbtRepository, RepositoryUri] }
`;

const FAKE_SERVERLESS = `#!/usr/bin/env bash
# Stands in for osls: records its arguments; deploy creates the stage's stack in moto; print
# answers the task's CPU architecture with FAKE_ARCHITECTURE.
echo "$*" >> "$CALLS"
case "$1" in
  deploy) aws cloudformation create-stack --stack-name "serverless-dbt-$3" \\
    --template-body "file://$TEMPLATE" --parameters "ParameterKey=Name,ParameterValue=serverless-dbt-$3" >/dev/null ;;
  print) echo "$FAKE_ARCHITECTURE" ;;
esac
`;

// Stands in for the AWS CLI's `aws mwaa` (moto has no MWAA): the environments are a JSON file
// (MWAA_STATE: name -> GetEnvironment's Environment), update-environment changes the file as
// MWAA would (the requirements version, UPDATING), each call is recorded as a JSON array in
// MWAA_CALLS, --query is applied with jmespath and --output text printed as the CLI prints it.
const FAKE_AWS = `#!/usr/bin/env bash
if [[ "\${1:-}" == mwaa ]]; then exec "$FAKE_PYTHON" "$FAKE_MWAA" "\${@:2}"; fi
exec "$REAL_AWS" "$@"
`;
const FAKE_MWAA = `
import json, os, sys
import jmespath

operation, arguments = sys.argv[1], sys.argv[2:]
options = dict(zip(arguments[::2], arguments[1::2]))
with open(os.environ["MWAA_CALLS"], "a") as calls:
    calls.write(json.dumps([operation, *arguments]) + "\\n")
with open(os.environ["MWAA_STATE"]) as file:
    environments = json.load(file)
name = options.get("--name")
environment = environments.get(name)
if environment is None:
    sys.exit(f"An error occurred (ResourceNotFoundException) when calling the {operation} operation: Environment {name} not found")
if operation == "get-environment":
    result = {"Environment": environment}
elif operation == "update-environment":
    environment["RequirementsS3Path"] = options["--requirements-s3-path"]
    environment["RequirementsS3ObjectVersion"] = options["--requirements-s3-object-version"]
    environment["Status"] = "UPDATING"
    with open(os.environ["MWAA_STATE"], "w") as file:
        json.dump(environments, file)
    result = {"Arn": environment["Arn"]}
else:
    sys.exit(f"the stand-in does not know aws mwaa {operation}")
if "--query" in options:
    result = jmespath.search(options["--query"], result)
if options.get("--output") == "text":
    values = result if isinstance(result, list) else [result]
    print("\\t".join("None" if value is None else str(value) for value in values))
else:
    print(json.dumps(result))
`;

// Each AWS CLI call starts a Python process (about half a second, more on a busy machine).
jest.setTimeout(60_000);

if (spawnSync('aws', ['--version']).error) {
  throw new Error(
    'the AWS CLI (aws) is not installed: scripts/deploy-stage calls it (install AWS CLI v2, or `pip install awscli`)',
  );
}

let moto: Moto;
let work: string;
let realAws: string;
let cloudFormation: CloudFormationClient;
let s3: S3Client;

beforeAll(async () => {
  moto = await startMoto();
  work = mkdtempSync(join(tmpdir(), 'deploy-stage-'));
  writeFileSync(join(work, 'template.yml'), TEMPLATE);
  writeFileSync(join(work, 'serverless'), FAKE_SERVERLESS);
  chmodSync(join(work, 'serverless'), 0o755);
  mkdirSync(join(work, 'bin'));
  writeFileSync(join(work, 'bin', 'aws'), FAKE_AWS);
  chmodSync(join(work, 'bin', 'aws'), 0o755);
  writeFileSync(join(work, 'fake_mwaa.py'), FAKE_MWAA);
  writeFileSync(join(work, 'no-environments.json'), '{}');
  realAws = spawnSync('bash', ['-c', 'command -v aws'], { encoding: 'utf8' }).stdout.trim();
  cloudFormation = new CloudFormationClient(moto.clientConfig);
  s3 = new S3Client(moto.clientConfig);
}, 60_000);

afterAll(async () => {
  await moto?.stop();
});

let runCount = 0;
/**
 * Runs the script against moto; `fake` gives it the serverless stand-in, `mwaa` the file of
 * MWAA environments the `aws mwaa` stand-in answers from (none by default).
 */
function deployStage(
  args: string[],
  options: { fake?: boolean; architecture?: string; mwaa?: string } = {},
): SpawnSyncReturns<string> & { calls: string[]; mwaaCalls: string[][] } {
  runCount += 1;
  const calls = join(work, `calls-${runCount}`);
  writeFileSync(calls, '');
  const mwaaCalls = join(work, `mwaa-calls-${runCount}`);
  writeFileSync(mwaaCalls, '');
  const env: Record<string, string | undefined> = {
    ...process.env,
    ...moto.env,
    AWS_DEFAULT_REGION: REGION,
    AWS_PROFILE: undefined,
    AWS_CONFIG_FILE: join(work, 'no-config'),
    AWS_SHARED_CREDENTIALS_FILE: join(work, 'no-credentials'),
    AWS_EC2_METADATA_DISABLED: 'true',
    CALLS: calls,
    TEMPLATE: join(work, 'template.yml'),
    FAKE_ARCHITECTURE: options.architecture ?? 'X86_64',
    SERVERLESS: options.fake ? join(work, 'serverless') : undefined,
    PATH: `${join(work, 'bin')}:${process.env.PATH}`,
    REAL_AWS: realAws,
    FAKE_PYTHON: join(REPO_ROOT, '.venv', 'bin', 'python'),
    FAKE_MWAA: join(work, 'fake_mwaa.py'),
    MWAA_STATE: options.mwaa ?? join(work, 'no-environments.json'),
    MWAA_CALLS: mwaaCalls,
  };
  const result = spawnSync(SCRIPT, args, {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    env,
    timeout: 60_000,
  });
  return {
    ...result,
    calls: readFileSync(calls, 'utf8').split('\n').filter(Boolean),
    mwaaCalls: readFileSync(mwaaCalls, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as string[]),
  };
}

async function createStack(stage: string): Promise<void> {
  await cloudFormation.send(
    new CreateStackCommand({
      StackName: `serverless-dbt-${stage}`,
      TemplateBody: TEMPLATE,
      Parameters: [{ ParameterKey: 'Name', ParameterValue: `serverless-dbt-${stage}` }],
    }),
  );
}

/** ECR PutImage (the project has no ECR client); moto reads the service from the credential scope. */
async function putImage(repository: string, tag: string): Promise<void> {
  const manifest = {
    schemaVersion: 2,
    mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
    config: {
      mediaType: 'application/vnd.docker.container.image.v1+json',
      size: 1,
      digest: `sha256:${'a'.repeat(64)}`,
    },
    layers: [],
  };
  const response = await fetch(moto.endpoint, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/x-amz-json-1.1',
      'X-Amz-Target': 'AmazonEC2ContainerRegistry_V20150921.PutImage',
      Authorization: `AWS4-HMAC-SHA256 Credential=${FAKE_CREDENTIALS.accessKeyId}/20260101/${REGION}/ecr/aws4_request, SignedHeaders=host, Signature=0`,
    },
    body: JSON.stringify({
      repositoryName: repository,
      imageTag: tag,
      imageManifest: JSON.stringify(manifest),
    }),
  });
  if (!response.ok) throw new Error(`PutImage: HTTP ${response.status} ${await response.text()}`);
}

async function objectText(bucket: string, key: string): Promise<string> {
  const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return (await object.Body?.transformToString()) ?? '';
}

async function keys(bucket: string): Promise<string[]> {
  const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket }));
  return (listed.Contents ?? []).map((object) => object.Key ?? '').sort();
}

describe('scripts/deploy-stage settings', () => {
  test("prints the stage's region from serverless.yml, as a step output", () => {
    const result = deployStage([
      'settings',
      '--stage',
      'dev',
      '--role-arn',
      'arn:aws:iam::123456789012:role/serverless-dbt-deploy-dev',
    ]);
    expect(result.stderr).toBe('');
    expect(result.stdout).toBe('region=eu-west-1\n');
    expect(result.status).toBe(0);
  });

  test('refuses an empty deploy role, naming the variable to set', () => {
    const result = deployStage(['settings', '--stage', 'dev', '--role-arn', '']);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('set the GitHub variable AWS_DEPLOY_ROLE_ARN');
    expect(result.stdout).toBe('');
  });

  test('refuses an ARN that is not a role', () => {
    const result = deployStage([
      'settings',
      '--stage',
      'dev',
      '--role-arn',
      'arn:aws:iam::123456789012:user/someone',
    ]);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('is not an IAM role ARN');
  });
});

describe('scripts/deploy-stage refuses bad input before it calls AWS', () => {
  test('a stage that cannot name a stack', () => {
    const result = deployStage(['repository', '--stage', 'dev;x', '--image-tag', 'abc'], {
      fake: true,
    });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain("--stage 'dev;x' is not a stage name");
    expect(result.calls).toEqual([]);
  });

  test('an image tag ECR would refuse', () => {
    const result = deployStage(['repository', '--stage', 'dev', '--image-tag', '-latest']);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain("--image-tag '-latest' is not an image tag");
  });

  test('an unknown command, with the usage', () => {
    const result = deployStage(['deploy', '--stage', 'dev']);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('unknown command: deploy');
    expect(result.stderr).toContain('scripts/deploy-stage settings --stage STAGE');
  });
});

describe('scripts/deploy-stage repository', () => {
  test("on a stage's first deploy, deploys the stack with the commit's tag, then prints its repository", () => {
    const result = deployStage(['repository', '--stage', 'first', '--image-tag', 'abc123'], {
      fake: true,
    });
    expect(result.calls).toEqual(['deploy --stage first --param imageTag=abc123']);
    expect(result.stderr).toContain('has no ECR repository yet');
    expect(result.stdout).toBe(`uri=${registry}/serverless-dbt-first\n`);
    expect(result.status).toBe(0);
  });

  test('prints the repository of a stack that has one, and deploys nothing', async () => {
    await createStack('second');
    const result = deployStage(['repository', '--stage', 'second', '--image-tag', 'abc123'], {
      fake: true,
    });
    expect(result.calls).toEqual([]);
    expect(result.stdout).toBe(`uri=${registry}/serverless-dbt-second\n`);
    expect(result.status).toBe(0);
  });
});

describe('scripts/deploy-stage image', () => {
  beforeAll(async () => {
    await createStack('third');
    await putImage('serverless-dbt-third', 'pushed');
  });

  // The architecture this machine does not build, whichever it is: a test that got past the
  // check for the tag stops there rather than build an image.
  const other = process.arch === 'arm64' ? 'X86_64' : 'ARM64';

  test('requires the tag, and builds nothing when the repository has it already (a rerun)', () => {
    const result = deployStage(
      ['image', '--stage', 'third', '--repository', `${registry}/serverless-dbt-third`],
      { fake: true, architecture: other },
    );
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('--image-tag is required');
    const again = deployStage(
      [
        'image',
        '--stage',
        'third',
        '--repository',
        `${registry}/serverless-dbt-third`,
        '--image-tag',
        'pushed',
      ],
      { fake: true, architecture: other },
    );
    expect(again.stderr).toContain('is in the repository already');
    expect(again.calls).toEqual([]);
    expect(again.status).toBe(0);
  });

  test("refuses to build a new tag for another CPU architecture than the stage's tasks", () => {
    const result = deployStage(
      [
        'image',
        '--stage',
        'third',
        '--repository',
        `${registry}/serverless-dbt-third`,
        '--image-tag',
        'new',
      ],
      { fake: true, architecture: other },
    );
    expect(result.calls).toEqual([
      'print --stage third --path resources.Resources.DbtTaskDefinition.Properties.RuntimePlatform.CpuArchitecture --format text',
    ]);
    expect(result.stderr).toContain(`stage 'third' runs ${other} tasks (taskCpuArchitecture)`);
    expect(result.status).toBe(2);
  });

  test('refuses a repository that is not an ECR repository URI', () => {
    const result = deployStage([
      'image',
      '--stage',
      'third',
      '--repository',
      'docker.io/serverless-dbt',
      '--image-tag',
      'new',
    ]);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('is not an ECR repository URI');
  });
});

describe('scripts/deploy-stage dags', () => {
  const helpers = readdirSync(join(DAGS, 'serverless_dbt_lib'))
    .filter((file) => file.endsWith('.py'))
    .map((file) => `dags/serverless_dbt_lib/${file}`);

  test("copies the DAG and its helpers, keeps the folder's other files, merges its .airflowignore", async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'mwaa-one' }));
    const put = (Key: string, Body: string) =>
      s3.send(new PutObjectCommand({ Bucket: 'mwaa-one', Key, Body }));
    await put('dags/.airflowignore', 'other_helpers'); // no final newline
    await put('dags/other_dag.py', '# someone else');
    await put('dags/serverless_dbt_lib/removed.py', '# a helper this version no longer has');

    const result = deployStage(['dags', '--bucket', 'mwaa-one', '--requirements', 'off']);
    expect(result.stderr).toContain('copied the Airflow DAG to s3://mwaa-one/dags/');
    expect(result.status).toBe(0);
    expect(await keys('mwaa-one')).toEqual(
      ['dags/.airflowignore', 'dags/other_dag.py', 'dags/serverless_dbt.py', ...helpers].sort(),
    );
    expect(await objectText('mwaa-one', 'dags/.airflowignore')).toBe(
      'other_helpers\nserverless_dbt_lib\n',
    );
    expect(await objectText('mwaa-one', 'dags/serverless_dbt.py')).toBe(
      readFileSync(join(DAGS, 'serverless_dbt.py'), 'utf8'),
    );

    // Again: nothing is added twice.
    expect(deployStage(['dags', '--bucket', 'mwaa-one', '--requirements', 'off']).status).toBe(0);
    expect(await objectText('mwaa-one', 'dags/.airflowignore')).toBe(
      'other_helpers\nserverless_dbt_lib\n',
    );
  });

  test("copies the DAG's own .airflowignore where the folder has none", async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'mwaa-two' }));
    const result = deployStage(['dags', '--bucket', 'mwaa-two', '--requirements', 'off']);
    expect(result.status).toBe(0);
    expect(await objectText('mwaa-two', 'dags/.airflowignore')).toBe(
      readFileSync(join(DAGS, '.airflowignore'), 'utf8'),
    );
    expect(await keys('mwaa-two')).toEqual(
      ['dags/.airflowignore', 'dags/serverless_dbt.py', ...helpers].sort(),
    );
  });

  test('refuses what is not a bucket name, naming the variable', () => {
    for (const bucket of ['My_Bucket', 's3://mwaa-two/dags']) {
      const result = deployStage(['dags', '--bucket', bucket]);
      expect(result.status).toBe(2);
      expect(result.stderr).toContain(`--bucket '${bucket}' is not an S3 bucket name`);
      expect(result.stderr).toContain('check MWAA_DAGS_BUCKET');
    }
  });
});

describe("scripts/deploy-stage dags: the DAG's requirements in the environment's requirements file", () => {
  const PROVIDER = 'apache-airflow-providers-amazon[aiobotocore]';
  const constraintOf = (airflow: string, python: string) =>
    `--constraint "https://raw.githubusercontent.com/apache/airflow/constraints-${airflow}/constraints-${python}.txt"`;
  const OURS = "# serverless-dbt's Airflow DAG (scripts/deploy-stage dags):";

  /** A bucket as MWAA needs it (versioned), with the given objects. */
  async function versionedBucket(bucket: string, objects: Record<string, string> = {}) {
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    await s3.send(
      new PutBucketVersioningCommand({
        Bucket: bucket,
        VersioningConfiguration: { Status: 'Enabled' },
      }),
    );
    for (const [Key, Body] of Object.entries(objects)) {
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key, Body }));
    }
  }
  async function versionOf(bucket: string, key: string): Promise<string> {
    return (await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }))).VersionId ?? '';
  }
  async function versionCount(bucket: string, key: string): Promise<number> {
    const listed = await s3.send(new ListObjectVersionsCommand({ Bucket: bucket, Prefix: key }));
    return (listed.Versions ?? []).filter((version) => version.Key === key).length;
  }
  /** The MWAA environments the stand-in answers from, in a file of their own. */
  function environments(name: string, environment: Record<string, unknown>): string {
    const file = join(work, `environments-${name}.json`);
    writeFileSync(
      file,
      JSON.stringify({
        [name]: {
          Name: name,
          Arn: `arn:aws:airflow:${REGION}:${ACCOUNT}:environment/${name}`,
          Status: 'AVAILABLE',
          ...environment,
        },
      }),
    );
    return file;
  }
  // The buckets of the refusals, which must stay empty.
  beforeAll(async () => {
    await versionedBucket('mwaa-req-refused');
    await versionedBucket('mwaa-env-refused');
  });

  const environmentIn = (file: string, name: string) =>
    (JSON.parse(readFileSync(file, 'utf8')) as Record<string, Record<string, unknown>>)[name];

  test('creates the file where the bucket has none: the provider and the constraints of Airflow 3.0.6', async () => {
    await versionedBucket('mwaa-req-new');
    const result = deployStage(['dags', '--bucket', 'mwaa-req-new', '--airflow-version', '3.0.6']);
    expect(result.status).toBe(0);
    expect(await objectText('mwaa-req-new', 'requirements.txt')).toBe(
      `${OURS}\n${constraintOf('3.0.6', '3.12')}\n${PROVIDER}\n`,
    );
    const version = await versionOf('mwaa-req-new', 'requirements.txt');
    expect(version).not.toBe('');
    expect(result.stdout).toBe(`requirements-version=${version}\n`);
    // No environment named: the command that installs it.
    expect(result.stderr).toContain(
      `aws mwaa update-environment --name <environment> --requirements-s3-path requirements.txt --requirements-s3-object-version ${version}`,
    );
    expect(result.mwaaCalls).toEqual([]);
    expect(await keys('mwaa-req-new')).toContain('dags/serverless_dbt.py');
  });

  test("keeps the user's packages and adds the DAG's, once; Airflow 2.11.0's constraints are Python 3.11's", async () => {
    const theirs = 'pandas==2.1.4\n# their own tools\nsnowflake-connector-python'; // no final newline
    await versionedBucket('mwaa-req-theirs', { 'requirements.txt': theirs });
    const result = deployStage([
      'dags',
      '--bucket',
      'mwaa-req-theirs',
      '--airflow-version',
      '2.11.0',
    ]);
    expect(result.status).toBe(0);
    const merged = `${theirs}\n${OURS}\n${constraintOf('2.11.0', '3.11')}\n${PROVIDER}\n`;
    expect(await objectText('mwaa-req-theirs', 'requirements.txt')).toBe(merged);
    const version = await versionOf('mwaa-req-theirs', 'requirements.txt');
    expect(result.stdout).toBe(`requirements-version=${version}\n`);
    expect(await versionCount('mwaa-req-theirs', 'requirements.txt')).toBe(2);

    // Again: nothing to add, nothing uploaded, the same version.
    const again = deployStage([
      'dags',
      '--bucket',
      'mwaa-req-theirs',
      '--airflow-version',
      '2.11.0',
    ]);
    expect(again.status).toBe(0);
    expect(again.stdout).toBe(`requirements-version=${version}\n`);
    expect(again.stderr).toContain('not uploaded');
    expect(again.stderr).not.toContain('update-environment');
    expect(await versionCount('mwaa-req-theirs', 'requirements.txt')).toBe(2);
    expect(await objectText('mwaa-req-theirs', 'requirements.txt')).toBe(merged);
  });

  test('adds only what the file lacks: the provider where it has a constraint line', async () => {
    const theirs = '-c https://example.com/our-constraints.txt\nrequests\n';
    await versionedBucket('mwaa-req-constrained', { 'requirements.txt': theirs });
    const result = deployStage([
      'dags',
      '--bucket',
      'mwaa-req-constrained',
      '--airflow-version',
      '3.0.6',
    ]);
    expect(result.status).toBe(0);
    expect(await objectText('mwaa-req-constrained', 'requirements.txt')).toBe(
      `${theirs}${OURS}\n${PROVIDER}\n`,
    );
  });

  test('copies the DAG alone when nothing names the Airflow version, saying how to add its requirements', async () => {
    await versionedBucket('mwaa-req-unset', { 'requirements.txt': 'pandas==2.1.4\n' });
    const before = await versionOf('mwaa-req-unset', 'requirements.txt');
    const result = deployStage(['dags', '--bucket', 'mwaa-req-unset']);
    expect(result.status).toBe(0);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(
      "the DAG's requirements are not added: set MWAA_AIRFLOW_VERSION",
    );
    expect(await versionOf('mwaa-req-unset', 'requirements.txt')).toBe(before);
    expect(await keys('mwaa-req-unset')).toContain('dags/serverless_dbt.py');
    expect(result.mwaaCalls).toEqual([]);
  });

  test('leaves a file that names the provider and has constraints untouched: no upload, the same version', async () => {
    const theirs = `${constraintOf('3.0.6', '3.12')}\nApache_Airflow-Providers.Amazon==9.12.0  # pinned by us\n`;
    await versionedBucket('mwaa-req-provider', { 'requirements.txt': theirs });
    const before = await versionOf('mwaa-req-provider', 'requirements.txt');
    const result = deployStage([
      'dags',
      '--bucket',
      'mwaa-req-provider',
      '--airflow-version',
      '3.0.6',
    ]);
    expect(result.status).toBe(0);
    expect(result.stdout).toBe(`requirements-version=${before}\n`);
    expect(await versionOf('mwaa-req-provider', 'requirements.txt')).toBe(before);
    expect(await versionCount('mwaa-req-provider', 'requirements.txt')).toBe(1);
    expect(await objectText('mwaa-req-provider', 'requirements.txt')).toBe(theirs);
    // Their line has no aiobotocore extra: said, not changed.
    expect(result.stderr).toContain('without its aiobotocore extra');
    expect(result.stderr).not.toContain('update-environment');
  });

  test.each([
    [
      ['--airflow-version', '3.1.0'],
      "--airflow-version '3.1.0' is not an Airflow version",
      'MWAA_AIRFLOW_VERSION',
    ],
    [
      ['--airflow-version', '2.10.3'],
      "--airflow-version '2.10.3' is not an Airflow version",
      'MWAA_AIRFLOW_VERSION',
    ],
    [
      ['--requirements', 'requirements.txt'],
      '--airflow-version is required',
      'MWAA_AIRFLOW_VERSION',
    ],
    [
      ['--airflow-version', '3.0.6', '--requirements', 'dags/requirements.txt'],
      "--requirements 'dags/requirements.txt'",
      'MWAA_REQUIREMENTS',
    ],
    [
      ['--airflow-version', '3.0.6', '--requirements', '../requirements.txt'],
      "--requirements '../requirements.txt'",
      'MWAA_REQUIREMENTS',
    ],
    [
      ['--airflow-version', '3.0.6', '--requirements', 'plugins.zip'],
      "--requirements 'plugins.zip'",
      'MWAA_REQUIREMENTS',
    ],
    [
      ['--environment', 'my env'],
      "--environment 'my env' is not an MWAA environment name",
      'MWAA_ENVIRONMENT',
    ],
  ])(
    'refuses %j before it copies anything, naming the setting',
    async (args, message, variable) => {
      const bucket = 'mwaa-req-refused';
      const result = deployStage(['dags', '--bucket', bucket, ...args]);
      expect(result.status).toBe(2);
      expect(result.stderr).toContain(message);
      expect(result.stderr).toContain(variable);
      expect(result.stdout).toBe('');
      expect(await keys(bucket)).toEqual([]);
    },
  );

  test('refuses a bucket without versioning before it copies anything', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'mwaa-req-unversioned' }));
    const result = deployStage([
      'dags',
      '--bucket',
      'mwaa-req-unversioned',
      '--airflow-version',
      '3.0.6',
    ]);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('the bucket mwaa-req-unversioned has no versioning');
    expect(await keys('mwaa-req-unversioned')).toEqual([]);
  });

  describe('with an MWAA environment named', () => {
    test('reads its Airflow version and its file, uploads the merged file and updates the environment with the new version, once', async () => {
      await versionedBucket('mwaa-env', { 'requirements/prod.txt': 'pandas\n' });
      const installed = await versionOf('mwaa-env', 'requirements/prod.txt');
      const state = environments('analytics', {
        AirflowVersion: '3.0.6',
        SourceBucketArn: 'arn:aws:s3:::mwaa-env',
        RequirementsS3Path: 'requirements/prod.txt',
        RequirementsS3ObjectVersion: installed,
      });
      const result = deployStage(['dags', '--bucket', 'mwaa-env', '--environment', 'analytics'], {
        mwaa: state,
      });
      expect(result.status).toBe(0);
      expect(await objectText('mwaa-env', 'requirements/prod.txt')).toBe(
        `pandas\n${OURS}\n${constraintOf('3.0.6', '3.12')}\n${PROVIDER}\n`,
      );
      const version = await versionOf('mwaa-env', 'requirements/prod.txt');
      expect(version).not.toBe(installed);
      expect(result.stdout).toBe(`requirements-version=${version}\n`);
      expect(result.mwaaCalls).toEqual([
        [
          'get-environment',
          '--name',
          'analytics',
          '--output',
          'text',
          '--query',
          expect.any(String),
        ],
        [
          'update-environment',
          '--name',
          'analytics',
          '--requirements-s3-path',
          'requirements/prod.txt',
          '--requirements-s3-object-version',
          version,
        ],
      ]);
      expect(result.stderr).toContain("updating the MWAA environment 'analytics'");
      expect(await keys('mwaa-env')).toContain('dags/serverless_dbt.py');

      // Again, once the update is done: nothing to upload, nothing to update.
      writeFileSync(
        state,
        JSON.stringify({
          analytics: { ...environmentIn(state, 'analytics'), Status: 'AVAILABLE' },
        }),
      );
      const again = deployStage(['dags', '--bucket', 'mwaa-env', '--environment', 'analytics'], {
        mwaa: state,
      });
      expect(again.status).toBe(0);
      expect(again.mwaaCalls.map(([operation]) => operation)).toEqual(['get-environment']);
      expect(again.stderr).toContain('has this version of requirements/prod.txt installed already');
    });

    test('gives an environment without a requirements file requirements.txt', async () => {
      await versionedBucket('mwaa-env-bare');
      const state = environments('bare', {
        AirflowVersion: '2.11.0',
        SourceBucketArn: 'arn:aws:s3:::mwaa-env-bare',
      });
      const result = deployStage(['dags', '--bucket', 'mwaa-env-bare', '--environment', 'bare'], {
        mwaa: state,
      });
      expect(result.status).toBe(0);
      expect(await objectText('mwaa-env-bare', 'requirements.txt')).toContain(
        constraintOf('2.11.0', '3.11'),
      );
      expect(environmentIn(state, 'bare')).toMatchObject({
        RequirementsS3Path: 'requirements.txt',
        RequirementsS3ObjectVersion: await versionOf('mwaa-env-bare', 'requirements.txt'),
      });
    });

    test('while it is updating: copies and uploads, fails saying to run again, and the next run updates it', async () => {
      await versionedBucket('mwaa-env-busy');
      const state = environments('busy', {
        AirflowVersion: '3.0.6',
        SourceBucketArn: 'arn:aws:s3:::mwaa-env-busy',
        Status: 'UPDATING',
      });
      const result = deployStage(['dags', '--bucket', 'mwaa-env-busy', '--environment', 'busy'], {
        mwaa: state,
      });
      expect(result.status).toBe(2);
      expect(result.stderr).toContain("the MWAA environment 'busy' is UPDATING");
      expect(result.stderr).toContain('run this job again once it is AVAILABLE');
      expect(result.mwaaCalls.map(([operation]) => operation)).toEqual(['get-environment']);
      const version = await versionOf('mwaa-env-busy', 'requirements.txt');
      expect(await keys('mwaa-env-busy')).toContain('dags/serverless_dbt.py');

      writeFileSync(
        state,
        JSON.stringify({ busy: { ...environmentIn(state, 'busy'), Status: 'AVAILABLE' } }),
      );
      const again = deployStage(['dags', '--bucket', 'mwaa-env-busy', '--environment', 'busy'], {
        mwaa: state,
      });
      expect(again.status).toBe(0);
      expect(again.stderr).toContain('not uploaded');
      expect(again.mwaaCalls.at(-1)).toEqual([
        'update-environment',
        '--name',
        'busy',
        '--requirements-s3-path',
        'requirements.txt',
        '--requirements-s3-object-version',
        version,
      ]);
    });

    test.each([
      [
        'an Airflow the DAG is not tested on',
        { AirflowVersion: '2.10.3' },
        [],
        'runs Airflow 2.10.3, which the DAG is not tested on',
      ],
      [
        'another Airflow version than the setting',
        { AirflowVersion: '3.0.6' },
        ['--airflow-version', '2.11.0'],
        'check MWAA_AIRFLOW_VERSION',
      ],
      [
        'another bucket',
        { AirflowVersion: '3.0.6', SourceBucketArn: 'arn:aws:s3:::someone-else' },
        [],
        'reads the bucket someone-else, not mwaa-env-refused: check MWAA_DAGS_BUCKET and MWAA_ENVIRONMENT',
      ],
      [
        'another requirements file than the setting',
        { AirflowVersion: '3.0.6', RequirementsS3Path: 'requirements.txt' },
        ['--requirements', 'other.txt'],
        'check MWAA_REQUIREMENTS',
      ],
    ])(
      'refuses an environment with %s before it copies anything',
      async (_label, environment, args, message) => {
        const state = environments('refused', {
          SourceBucketArn: 'arn:aws:s3:::mwaa-env-refused',
          ...environment,
        });
        const result = deployStage(
          ['dags', '--bucket', 'mwaa-env-refused', '--environment', 'refused', ...args],
          { mwaa: state },
        );
        expect(result.status).toBe(2);
        expect(result.stderr).toContain(message);
        expect(result.mwaaCalls.map(([operation]) => operation)).toEqual(['get-environment']);
        expect(await keys('mwaa-env-refused')).toEqual([]);
      },
    );

    test('refuses an environment that does not exist, naming the variable', async () => {
      await versionedBucket('mwaa-env-missing');
      const result = deployStage([
        'dags',
        '--bucket',
        'mwaa-env-missing',
        '--environment',
        'nowhere',
      ]);
      expect(result.status).toBe(2);
      expect(result.stderr).toContain("there is no MWAA environment 'nowhere'");
      expect(result.stderr).toContain('check MWAA_ENVIRONMENT');
      expect(await keys('mwaa-env-missing')).toEqual([]);
    });
  });
});
