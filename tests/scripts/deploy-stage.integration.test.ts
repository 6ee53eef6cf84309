// scripts/deploy-stage, the deploy workflow's steps, run as the workflow runs them: through the
// AWS CLI, against a moto server. A real `serverless deploy` needs AWS, so the tests that reach
// it give the script a stand-in (SERVERLESS) that records its arguments and creates the stage's
// stack, with its ECR repository, in moto; `settings` reads serverless.yml with the real osls.
import { type SpawnSyncReturns, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CloudFormationClient, CreateStackCommand } from '@aws-sdk/client-cloudformation';
import {
  CreateBucketCommand,
  GetObjectCommand,
  ListObjectsV2Command,
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

// Each AWS CLI call starts a Python process (about half a second, more on a busy machine).
jest.setTimeout(60_000);

if (spawnSync('aws', ['--version']).error) {
  throw new Error(
    'the AWS CLI (aws) is not installed: scripts/deploy-stage calls it (install AWS CLI v2, or `pip install awscli`)',
  );
}

let moto: Moto;
let work: string;
let cloudFormation: CloudFormationClient;
let s3: S3Client;

beforeAll(async () => {
  moto = await startMoto();
  work = mkdtempSync(join(tmpdir(), 'deploy-stage-'));
  writeFileSync(join(work, 'template.yml'), TEMPLATE);
  writeFileSync(join(work, 'serverless'), FAKE_SERVERLESS);
  chmodSync(join(work, 'serverless'), 0o755);
  cloudFormation = new CloudFormationClient(moto.clientConfig);
  s3 = new S3Client(moto.clientConfig);
}, 60_000);

afterAll(async () => {
  await moto?.stop();
});

let runCount = 0;
/** Runs the script against moto; `fake` gives it the serverless stand-in. */
function deployStage(
  args: string[],
  options: { fake?: boolean; architecture?: string } = {},
): SpawnSyncReturns<string> & { calls: string[] } {
  runCount += 1;
  const calls = join(work, `calls-${runCount}`);
  writeFileSync(calls, '');
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
  };
  const result = spawnSync(SCRIPT, args, {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    env,
    timeout: 60_000,
  });
  return { ...result, calls: readFileSync(calls, 'utf8').split('\n').filter(Boolean) };
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

    const result = deployStage(['dags', '--bucket', 'mwaa-one']);
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
    expect(deployStage(['dags', '--bucket', 'mwaa-one']).status).toBe(0);
    expect(await objectText('mwaa-one', 'dags/.airflowignore')).toBe(
      'other_helpers\nserverless_dbt_lib\n',
    );
  });

  test("copies the DAG's own .airflowignore where the folder has none", async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'mwaa-two' }));
    const result = deployStage(['dags', '--bucket', 'mwaa-two']);
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
