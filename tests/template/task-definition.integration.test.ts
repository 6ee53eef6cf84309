import {
  type CloudFormationTemplate,
  packagedParams,
  packageService,
  resolveFake,
} from '../support/packaged.ts';
import { DEV, LIVE, PACKAGE_TIMEOUT_MS, resourceOf } from './helpers.ts';

interface Container {
  Name: string;
  Image: unknown;
  Essential: boolean;
  Environment?: Array<{ Name: string; Value: unknown }>;
  Secrets?: Array<{ Name: string; ValueFrom: unknown }>;
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

  it("uses the stage's CPU and memory on Fargate", () => {
    expect(resourceOf(template, 'DbtTaskDefinition').Properties).toMatchObject({
      RequiresCompatibilities: ['FARGATE'],
      NetworkMode: 'awsvpc',
      Cpu: String(params.taskCpu),
      Memory: String(params.taskMemory),
    });
  });
});
