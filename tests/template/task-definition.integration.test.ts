import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  type CloudFormationTemplate,
  packagedParams,
  packageService,
  REPO_ROOT,
  resolveFake,
} from '../support/packaged.ts';
import { DEV, LIVE, PACKAGE_TIMEOUT_MS, resourceOf } from './helpers.ts';

interface Container {
  Name: string;
  Image: unknown;
  Essential: boolean;
  Environment?: Array<{ Name: string; Value: unknown }>;
  Secrets?: Array<{ Name: string; ValueFrom: unknown }>;
  ReadonlyRootFilesystem?: boolean;
  MountPoints?: Array<{ SourceVolume: string; ContainerPath: string }>;
}

/** The paths the image declares writable: its Dockerfile's VOLUME line. */
function imageVolumes(): string[] {
  const dockerfile = readFileSync(join(REPO_ROOT, 'container', 'Dockerfile'), 'utf8');
  const line = /^VOLUME (\[.*\])$/m.exec(dockerfile)?.[1];
  return line ? (JSON.parse(line) as string[]) : [];
}

const SECRET_LIKE = /PASSWORD|TOKEN|SECRET/i;
// The keys of warehouseSecretKeys, as the container's credentials name them.
const WAREHOUSE_VARIABLES = [
  'DBT_WAREHOUSE_HOST',
  'DBT_WAREHOUSE_PORT',
  'DBT_WAREHOUSE_DBNAME',
  'DBT_WAREHOUSE_USERNAME',
  'DBT_ENV_SECRET_PASSWORD',
];

describe.each([DEV, LIVE])('the $stage task definition', (options) => {
  let template: CloudFormationTemplate;
  let params: Record<string, unknown>;
  let containers: Container[];

  beforeAll(async () => {
    template = await packageService(options);
    params = await packagedParams(options);
    containers = resourceOf(template, 'DbtTaskDefinition').Properties
      .ContainerDefinitions as Container[];
  }, PACKAGE_TIMEOUT_MS);

  const environment = () =>
    Object.fromEntries(
      (containers[0]?.Environment ?? []).map(({ Name, Value }) => [
        Name,
        resolveFake(template, Value),
      ]),
    );

  it('has one container, named dbt', () => {
    expect(containers.map((container) => container.Name)).toEqual(['dbt']);
    expect(containers[0]?.Essential).toBe(true);
  });

  it('sets ENV to the stage', () => {
    expect(environment().ENV).toBe(options.stage);
  });

  it('runs the image of its own repository at the imageTag param', () => {
    expect(containers[0]?.Image).toEqual({
      'Fn::Join': [
        '',
        [{ 'Fn::GetAtt': ['DbtRepository', 'RepositoryUri'] }, ':', params.imageTag],
      ],
    });
  });

  it('gives the container the dbtTarget, its credentials source and its artifacts URI', () => {
    expect(environment()).toMatchObject({
      DBT_TARGET: params.dbtTarget,
      CREDENTIALS_SOURCE: params.credentialsSource,
      ARTIFACTS_URI: expect.stringMatching(/^s3:\/\/[a-z0-9.-]+\/dbt$/),
    });
  });

  it('injects the warehouse secrets through Secrets, from one secret', () => {
    const secrets = containers[0]?.Secrets ?? [];
    expect(secrets.map((secret) => secret.Name).sort()).toEqual([...WAREHOUSE_VARIABLES].sort());
    const arns = new Set(
      secrets.map((secret) =>
        String(resolveFake(template, secret.ValueFrom)).replace(/:[a-z]+::$/, ''),
      ),
    );
    expect(arns.size).toBe(1);
    expect([...arns][0]).toMatch(/^arn:aws:secretsmanager:eu-west-1:\d{12}:secret:/);
  });

  it('has no plain environment variable that looks like a secret', () => {
    const names = (containers[0]?.Environment ?? []).map(({ Name }) => Name);
    expect(names.filter((name) => SECRET_LIKE.test(name))).toEqual([]);
    expect(names).not.toEqual(expect.arrayContaining(['DBT_ENV_SECRET_PASSWORD']));
  });

  it("has a read-only root filesystem, writable only at the image's volumes, each a task volume", () => {
    expect(containers[0]?.ReadonlyRootFilesystem).toBe(true);
    const mounts = containers[0]?.MountPoints ?? [];
    expect(mounts.map((mount) => mount.ContainerPath).sort()).toEqual(imageVolumes().sort());
    expect(imageVolumes()).toEqual(expect.arrayContaining(['/app/dbt', '/tmp']));
    // Bind mounts of the task's ephemeral storage, as Fargate has them: a name, no host path.
    const volumes = resourceOf(template, 'DbtTaskDefinition').Properties.Volumes;
    expect(volumes).toEqual(
      expect.arrayContaining(mounts.map((mount) => ({ Name: mount.SourceVolume }))),
    );
    expect(volumes).toHaveLength(mounts.length);
  });

  it("uses the stage's CPU and memory on Fargate", () => {
    expect(resourceOf(template, 'DbtTaskDefinition').Properties).toMatchObject({
      RequiresCompatibilities: ['FARGATE'],
      NetworkMode: 'awsvpc',
      Cpu: String(params.taskCpu),
      Memory: String(params.taskMemory),
    });
  });
});
