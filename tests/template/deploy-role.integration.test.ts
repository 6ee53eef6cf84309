// infra/deploy-role.yml: cfn-lint, no '*' on an action that takes resource-level permissions,
// GitHub's trust limited to one repository's branch and environments (the Slim CI role's to its
// pull requests), and what the deploy role and the Slim CI role may and may not do, evaluated
// on the rendered policies. The execution role against the packaged stacks:
// deploy-role-execution.integration.test.ts.
import { join } from 'node:path';
import { type CloudFormationTemplate, REPO_ROOT } from '../support/packaged.ts';
import { allStatements, cfnLint, type LintFinding, loadYaml, type Statement } from './helpers.ts';
import {
  allows,
  type IamData,
  loadIamData,
  type RequestContext,
  starOnResourceLevelActions,
} from './iam-policy.ts';
import { render, stackIdOf } from './rendered.ts';

const TEMPLATE = join(REPO_ROOT, 'infra', 'deploy-role.yml');
const REPOSITORY = { GitHubOwner: 'acme', GitHubRepository: 'analytics' };
// A name inside the serverless-dbt-* stacks the role deploys: its own stack stays out of reach.
const DEPLOY_STACK = 'serverless-dbt-github-deploy';
const PROVIDER = 'arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com';
const EXECUTION_ROLE = 'arn:aws:iam::123456789012:role/cloudformation-serverless-dbt';
const SUB = 'token.actions.githubusercontent.com:sub';

const arn = (service: string, resource: string) =>
  `arn:aws:${service}:eu-west-1:123456789012:${resource}`;
const statementsOf = (template: CloudFormationTemplate, roleId: string): Statement[] =>
  allStatements(template).filter((statement) => statement.where.startsWith(`${roleId}/`));
function trustOf(template: CloudFormationTemplate, roleId: string): unknown[] {
  const document = template.Resources[roleId]?.Properties?.AssumeRolePolicyDocument as
    | { Statement: unknown[] }
    | undefined;
  if (document === undefined) throw new Error(`${roleId} has no trust policy`);
  return document.Statement;
}

let raw: CloudFormationTemplate;
let iam: IamData;

beforeAll(async () => {
  raw = (await loadYaml(TEMPLATE)) as CloudFormationTemplate;
  iam = await loadIamData();
});

const rendered = (parameters: Record<string, string> = {}) =>
  render(raw, { stackName: DEPLOY_STACK, parameters: { ...REPOSITORY, ...parameters } });

describe('infra/deploy-role.yml', () => {
  let findings: LintFinding[];

  beforeAll(async () => {
    findings = await cfnLint(TEMPLATE);
  }, 60_000);

  it('passes cfn-lint with no errors and no warnings', () => {
    expect(findings.filter((finding) => finding.level !== 'Informational')).toEqual([]);
  });

  it.each([
    ['the defaults', {}],
    [
      'an existing OIDC provider and an Airflow bucket',
      { ExistingOidcProviderArn: PROVIDER, AirflowDagsBucket: 'mwaa-acme' },
    ],
  ])(
    'grants no action that takes resource-level permissions on "*", with %s',
    (_label, parameters) => {
      const statements = allStatements(rendered(parameters));
      expect(statements.length).toBeGreaterThan(20);
      expect(starOnResourceLevelActions(statements, iam)).toEqual([]);
    },
  );

  it('tells the actions that take resources from those AWS only grants on "*"', () => {
    const star = (Action: string[]): Statement => ({
      where: 'Probe/policy',
      Effect: 'Allow',
      Action,
      Resource: ['*'],
    });
    expect(starOnResourceLevelActions([star(['ecr:GetAuthorizationToken'])], iam)).toEqual([]);
    expect(starOnResourceLevelActions([star(['s3:GetObject'])], iam)).toEqual([
      { where: 'Probe/policy', sid: undefined, action: 's3:GetObject' },
    ]);
    // A pattern counts for each action it covers.
    expect(
      starOnResourceLevelActions([star(['states:Describe*'])], iam).map((grant) => grant.action),
    ).toContain('states:describeexecution');
  });

  it('refuses a repository given with its owner, or an owner GitHub would not accept', () => {
    expect(() => rendered({ GitHubRepository: 'acme/analytics' })).toThrow(/GitHubRepository/);
    expect(() => rendered({ GitHubOwner: '-acme' })).toThrow(/GitHubOwner/);
  });
});

describe("the deploy role's trust", () => {
  it("lets only GitHub's OIDC tokens for the repository's branch and two environments in", () => {
    expect(trustOf(rendered(), 'DeployRole')).toEqual([
      {
        Sid: expect.any(String),
        Effect: 'Allow',
        Principal: { Federated: PROVIDER },
        Action: 'sts:AssumeRoleWithWebIdentity',
        Condition: {
          StringEquals: {
            'token.actions.githubusercontent.com:aud': 'sts.amazonaws.com',
            [SUB]: [
              'repo:acme/analytics:ref:refs/heads/main',
              'repo:acme/analytics:environment:dev',
              'repo:acme/analytics:environment:live',
            ],
          },
        },
      },
    ]);
  });

  it('names the branch and the environments given', () => {
    const [statement] = trustOf(
      rendered({ Branch: 'release', DevEnvironment: 'staging', LiveEnvironment: 'production' }),
      'DeployRole',
    ) as Statement[];
    expect(statement?.Condition?.StringEquals?.[SUB]).toEqual([
      'repo:acme/analytics:ref:refs/heads/release',
      'repo:acme/analytics:environment:staging',
      'repo:acme/analytics:environment:production',
    ]);
  });

  it('creates the GitHub OIDC provider for sts.amazonaws.com, or trusts the one given', () => {
    const created = rendered();
    expect(created.Resources.GitHubOidcProvider?.Properties).toEqual({
      Url: 'https://token.actions.githubusercontent.com',
      ClientIdList: ['sts.amazonaws.com'],
    });
    const existing = 'arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com';
    const reused = rendered({ ExistingOidcProviderArn: existing });
    expect(reused.Resources.GitHubOidcProvider).toBeUndefined();
    expect(trustOf(reused, 'DeployRole')).toMatchObject([{ Principal: { Federated: existing } }]);
    expect(reused.Outputs?.OidcProviderArn?.Value).toBe(existing);
  });

  it('lets only CloudFormation assume the execution role', () => {
    expect(trustOf(rendered(), 'CloudFormationExecutionRole')).toEqual([
      {
        Effect: 'Allow',
        Principal: { Service: 'cloudformation.amazonaws.com' },
        Action: 'sts:AssumeRole',
      },
    ]);
    expect(rendered().Outputs?.CloudFormationExecutionRoleArn?.Value).toBe(EXECUTION_ROLE);
  });
});

describe.each(['dev', 'live'])('what the deploy role may do for the %s stage', (stage) => {
  let role: Statement[];
  const stack = stackIdOf(`serverless-dbt-${stage}`);
  const viaTheExecutionRole = { 'cloudformation:RoleArn': EXECUTION_ROLE };
  const deploymentBucket = `arn:aws:s3:::serverless-dbt-${stage}-serverlessdeploymentbucket-1a2b3c4d5e6f`;
  const repository = arn('ecr', `repository/serverless-dbt-${stage}`);
  const stateMachine = arn('states', `stateMachine:serverless-dbt-${stage}-dbt-run`);
  const execution = arn('states', `execution:serverless-dbt-${stage}-dbt-run:cli-smoke-1`);

  beforeAll(() => {
    role = statementsOf(rendered(), 'DeployRole');
  });

  it.each([
    ['cloudformation:CreateChangeSet', stack, viaTheExecutionRole],
    ['cloudformation:ExecuteChangeSet', stack, {}],
    ['cloudformation:DescribeStacks', stack, {}],
    ['cloudformation:DescribeStackEvents', stack, {}],
    ['cloudformation:DescribeStackResource', stack, {}],
    ['cloudformation:ValidateTemplate', '*', {}],
    [
      'iam:PassRole',
      EXECUTION_ROLE,
      { 'iam:PassedToService': 'cloudformation.amazonaws.com' } as RequestContext,
    ],
    ['s3:ListBucket', deploymentBucket, {}],
    [
      's3:PutObject',
      `${deploymentBucket}/serverless/serverless-dbt/${stage}/1700000000000/compiled-cloudformation-template.json`,
      {},
    ],
    ['lambda:GetFunction', arn('lambda', `function:serverless-dbt-${stage}-prepare`), {}],
    ['ecr:GetAuthorizationToken', '*', {}],
    ['ecr:InitiateLayerUpload', repository, {}],
    ['ecr:PutImage', repository, {}],
    ['states:StartExecution', stateMachine, {}],
    ['states:DescribeExecution', execution, {}],
    ['states:GetExecutionHistory', execution, {}],
    [
      's3:GetObject',
      `arn:aws:s3:::serverless-dbt-${stage}-artifactsbucket-0f1e2d3c4b5a/dbt/runs/cli-smoke-1/summary.json`,
      {},
    ],
    [
      'logs:GetLogEvents',
      arn('logs', `log-group:/ecs/serverless-dbt-${stage}:log-stream:dbt/dbt/0123456789abcdef`),
      {},
    ],
  ])('allows %s on %s', (action, resource, context) => {
    expect(allows(role, action, resource, context)).toBe(true);
  });

  it.each([
    ['cloudformation:CreateChangeSet without the execution role', stack, {}],
    [
      'cloudformation:CreateChangeSet',
      stack,
      { 'cloudformation:RoleArn': 'arn:aws:iam::123456789012:role/Admin' },
    ],
    ['cloudformation:CreateChangeSet', stackIdOf('another-app'), viaTheExecutionRole],
    ['cloudformation:DeleteStack', stack, viaTheExecutionRole],
    ['cloudformation:CreateChangeSet', stackIdOf(DEPLOY_STACK), viaTheExecutionRole],
    ['cloudformation:ExecuteChangeSet', stackIdOf(DEPLOY_STACK), {}],
    [
      'iam:PassRole',
      EXECUTION_ROLE,
      { 'iam:PassedToService': 'lambda.amazonaws.com' } as RequestContext,
    ],
    [
      'iam:PassRole',
      'arn:aws:iam::123456789012:role/Admin',
      { 'iam:PassedToService': 'cloudformation.amazonaws.com' } as RequestContext,
    ],
    ['ecr:PutImage', arn('ecr', 'repository/another-app'), {}],
    ['ecr:BatchDeleteImage', repository, {}],
    ['states:StartExecution', arn('states', 'stateMachine:another-app'), {}],
    [
      's3:PutObject',
      `arn:aws:s3:::serverless-dbt-${stage}-artifactsbucket-0f1e2d3c4b5a/dbt/latest/index.html`,
      {},
    ],
    ['lambda:UpdateFunctionCode', arn('lambda', `function:serverless-dbt-${stage}-prepare`), {}],
  ])('refuses %s on %s', (action, resource, context) => {
    const name = action.split(' ')[0] ?? action;
    expect(allows(role, name, resource, context)).toBe(false);
  });

  it('uses IAM only to pass the execution role, and touches only the services of a deployment', () => {
    const actions = role
      .filter((statement) => statement.Effect === 'Allow')
      .flatMap((statement) => statement.Action);
    expect(actions.filter((action) => action.startsWith('iam:'))).toEqual(['iam:PassRole']);
    expect([...new Set(actions.map((action) => action.split(':')[0]))].sort()).toEqual([
      'cloudformation',
      'ecr',
      'iam',
      'lambda',
      'logs',
      's3',
      'states',
    ]);
  });
});

describe('copying the Airflow DAG', () => {
  const bucket = 'arn:aws:s3:::mwaa-acme';
  const dag = `${bucket}/dags/serverless_dbt.py`;
  const environmentArn = (name: string) => arn('airflow', `environment/${name}`);
  const roleWith = (parameters: Record<string, string> = {}) =>
    statementsOf(rendered({ AirflowDagsBucket: 'mwaa-acme', ...parameters }), 'DeployRole');

  it('is allowed only when a bucket is named', () => {
    const role = statementsOf(rendered(), 'DeployRole');
    expect(allows(role, 's3:PutObject', dag)).toBe(false);
    expect(allows(role, 's3:PutObject', `${bucket}/requirements.txt`)).toBe(false);
    // An environment without a bucket: nothing to deploy to it.
    const environmentOnly = statementsOf(
      rendered({ AirflowEnvironment: 'analytics' }),
      'DeployRole',
    );
    expect(allows(environmentOnly, 'airflow:UpdateEnvironment', environmentArn('analytics'))).toBe(
      false,
    );
  });

  it.each([
    ['s3:PutObject', dag, {}],
    ['s3:PutObject', `${bucket}/dags/serverless_dbt_lib/__init__.py`, {}],
    ['s3:PutObject', `${bucket}/dags/.airflowignore`, {}],
    ['s3:GetObject', `${bucket}/dags/.airflowignore`, {}],
    ['s3:DeleteObject', `${bucket}/dags/serverless_dbt_lib/removed.py`, {}],
    ['s3:ListBucket', bucket, { 's3:prefix': 'dags/serverless_dbt_lib/' }],
    // The requirements file, requirements.txt unless AirflowRequirementsKey says otherwise.
    ['s3:GetObject', `${bucket}/requirements.txt`, {}],
    ['s3:PutObject', `${bucket}/requirements.txt`, {}],
    ['s3:ListBucket', bucket, { 's3:prefix': 'requirements.txt' }],
    ['s3:GetBucketVersioning', bucket, {}],
  ])('allows %s on %s, as scripts/deploy-stage dags copies it', (action, resource, context) => {
    expect(allows(roleWith(), action, resource, context)).toBe(true);
  });

  it.each([
    ['s3:PutObject', `${bucket}/dags/their_dag.py`, {}],
    ['s3:GetObject', `${bucket}/dags/their_dag.py`, {}],
    ['s3:DeleteObject', `${bucket}/dags/their_dag.py`, {}],
    ['s3:DeleteObject', `${bucket}/requirements.txt`, {}],
    ['s3:PutObject', `${bucket}/plugins.zip`, {}],
    ['s3:PutObject', `${bucket}/startup.sh`, {}],
    ['s3:PutObject', `${bucket}/requirements.txt.bak`, {}],
    ['s3:ListBucket', bucket, { 's3:prefix': '' }],
    ['s3:ListBucket', bucket, { 's3:prefix': 'requirements' }],
    ['s3:PutBucketVersioning', bucket, {}],
    ['airflow:GetEnvironment', environmentArn('analytics'), {}],
    ['airflow:UpdateEnvironment', environmentArn('analytics'), {}],
  ])("refuses %s on %s: the environment's other files", (action, resource, context) => {
    expect(allows(roleWith(), action, resource, context)).toBe(false);
  });

  it('merges the requirements file AirflowRequirementsKey names, and none when it is empty', () => {
    const other = roleWith({ AirflowRequirementsKey: 'requirements/prod.txt' });
    expect(allows(other, 's3:PutObject', `${bucket}/requirements/prod.txt`)).toBe(true);
    expect(allows(other, 's3:ListBucket', bucket, { 's3:prefix': 'requirements/prod.txt' })).toBe(
      true,
    );
    expect(allows(other, 's3:PutObject', `${bucket}/requirements.txt`)).toBe(false);
    const none = roleWith({ AirflowRequirementsKey: '' });
    expect(allows(none, 's3:PutObject', `${bucket}/requirements.txt`)).toBe(false);
    expect(allows(none, 's3:GetBucketVersioning', bucket)).toBe(false);
    expect(allows(none, 's3:PutObject', dag)).toBe(true);
  });

  it('reads and updates the one environment AirflowEnvironment names, and does nothing else to it', () => {
    const role = roleWith({ AirflowEnvironment: 'analytics' });
    expect(allows(role, 'airflow:GetEnvironment', environmentArn('analytics'))).toBe(true);
    expect(allows(role, 'airflow:UpdateEnvironment', environmentArn('analytics'))).toBe(true);
    for (const action of [
      'airflow:DeleteEnvironment',
      'airflow:CreateCliToken',
      'airflow:CreateWebLoginToken',
      'airflow:TagResource',
    ]) {
      expect(allows(role, action, environmentArn('analytics'))).toBe(false);
    }
    expect(allows(role, 'airflow:UpdateEnvironment', environmentArn('analytics-2'))).toBe(false);
    expect(allows(role, 'airflow:UpdateEnvironment', environmentArn('other'))).toBe(false);
    expect(allows(role, 'iam:PassRole', 'arn:aws:iam::123456789012:role/mwaa-execution')).toBe(
      false,
    );
  });

  it('grants no action that takes resource-level permissions on "*", with every Airflow setting', () => {
    const role = roleWith({
      AirflowRequirementsKey: 'requirements/prod.txt',
      AirflowEnvironment: 'analytics',
    });
    expect(starOnResourceLevelActions(role, iam)).toEqual([]);
  });

  it('passes cfn-lint with no errors and no warnings, with every Airflow setting', async () => {
    const findings = await cfnLint(TEMPLATE, {
      ...REPOSITORY,
      AirflowDagsBucket: 'mwaa-acme',
      AirflowRequirementsKey: 'requirements/prod.txt',
      AirflowEnvironment: 'analytics',
    });
    expect(findings.filter((finding) => finding.level !== 'Informational')).toEqual([]);
  }, 60_000);

  it.each([
    ['AirflowRequirementsKey', { AirflowRequirementsKey: '/requirements.txt' }],
    ['AirflowRequirementsKey', { AirflowRequirementsKey: 'requirements.*' }],
    ['AirflowRequirementsKey', { AirflowRequirementsKey: 'plugins.zip' }],
    ['AirflowEnvironment', { AirflowEnvironment: 'my environment' }],
    ['AirflowEnvironment', { AirflowEnvironment: 'environment/*' }],
  ])('refuses a %s it could not name a resource by: %o', (parameter, parameters) => {
    expect(() => rendered({ AirflowDagsBucket: 'mwaa-acme', ...parameters })).toThrow(
      new RegExp(`parameter ${parameter}:`),
    );
  });
});

describe('the Slim CI role', () => {
  const CI_SECRET = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:dbt-ci-warehouse-AbCdEf';
  const SLIM_CI = { SlimCiStage: 'live', SlimCiWarehouseSecretArn: CI_SECRET };
  const AUD = 'token.actions.githubusercontent.com:aud';
  const PULL_REQUEST = 'repo:acme/analytics:pull_request';
  const bucketOf = (stage: string) =>
    `arn:aws:s3:::serverless-dbt-${stage}-artifactsbucket-0f1e2d3c4b5a`;
  const live = bucketOf('live');

  /**
   * Whether a role's trust lets in a token of the OIDC provider for sts.amazonaws.com with the
   * subject, evaluated as IAM evaluates the statements' conditions.
   */
  function admits(
    template: CloudFormationTemplate,
    roleId: string,
    subject: string,
    provider = PROVIDER,
  ): boolean {
    const trust = trustOf(template, roleId) as Array<{
      Effect: 'Allow' | 'Deny';
      Principal?: { Federated?: unknown };
      Action: string | string[];
      Condition?: Statement['Condition'];
    }>;
    const fromTheProvider: Statement[] = trust
      .filter((statement) => statement.Principal?.Federated === provider)
      .map((statement) => ({
        where: `${roleId}/trust`,
        Effect: statement.Effect,
        Action: [statement.Action].flat(),
        Resource: ['*'],
        Condition: statement.Condition,
      }));
    return allows(fromTheProvider, 'sts:AssumeRoleWithWebIdentity', '*', {
      [AUD]: 'sts.amazonaws.com',
      [SUB]: subject,
    });
  }

  describe('the template', () => {
    it.each([
      ['without the role', {}],
      ['with the role and its secret', SLIM_CI],
    ])(
      'passes cfn-lint with no errors and no warnings, %s',
      async (_label, parameters) => {
        const findings = await cfnLint(TEMPLATE, { ...REPOSITORY, ...parameters });
        expect(findings.filter((finding) => finding.level !== 'Informational')).toEqual([]);
      },
      60_000,
    );

    it('creates no Slim CI role and no output while SlimCiStage is empty, even with a secret', () => {
      for (const template of [rendered(), rendered({ SlimCiWarehouseSecretArn: CI_SECRET })]) {
        expect(template.Resources.SlimCiRole).toBeUndefined();
        expect(template.Outputs?.SlimCiRoleArn).toBeUndefined();
        expect(statementsOf(template, 'SlimCiRole')).toEqual([]);
      }
    });

    it('names the role github-slim-ci-<service>, outside the names the execution role manages, and outputs its ARN', () => {
      const template = rendered(SLIM_CI);
      expect(template.Resources.SlimCiRole?.Properties?.RoleName).toBe(
        'github-slim-ci-serverless-dbt',
      );
      expect(template.Outputs?.SlimCiRoleArn?.Value).toBe(
        'arn:aws:iam::123456789012:role/github-slim-ci-serverless-dbt',
      );
    });

    it.each([
      ['SlimCiStage', { SlimCiStage: 'Live' }],
      ['SlimCiStage', { SlimCiStage: 'live/*' }],
      // Without its six-character suffix IAM would never match the secret's ARN.
      [
        'SlimCiWarehouseSecretArn',
        { SlimCiWarehouseSecretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:ci' },
      ],
      ['SlimCiWarehouseSecretArn', { SlimCiWarehouseSecretArn: 'dbt-ci-warehouse' }],
      [
        'SlimCiWarehouseSecretArn',
        { SlimCiWarehouseSecretArn: 'arn:aws:ssm:eu-west-1:123456789012:parameter/ci-AbCdEf' },
      ],
    ])('refuses a %s it could not name a resource by: %o', (parameter, parameters) => {
      expect(() => rendered({ SlimCiStage: 'live', ...parameters })).toThrow(
        new RegExp(`parameter ${parameter}:`),
      );
    });

    it('grants no action that takes resource-level permissions on "*"', () => {
      const role = statementsOf(rendered(SLIM_CI), 'SlimCiRole');
      expect(role.length).toBeGreaterThan(0);
      expect(starOnResourceLevelActions(role, iam)).toEqual([]);
    });
  });

  describe('its trust', () => {
    it("lets only GitHub's OIDC tokens for the repository's pull requests in", () => {
      expect(trustOf(rendered(SLIM_CI), 'SlimCiRole')).toEqual([
        {
          Sid: expect.any(String),
          Effect: 'Allow',
          Principal: { Federated: PROVIDER },
          Action: 'sts:AssumeRoleWithWebIdentity',
          Condition: {
            StringEquals: {
              [AUD]: 'sts.amazonaws.com',
              [SUB]: [PULL_REQUEST],
            },
          },
        },
      ]);
    });

    it("admits a pull request's token of the repository, from the provider created or the one given", () => {
      expect(admits(rendered(SLIM_CI), 'SlimCiRole', PULL_REQUEST)).toBe(true);
      const existing =
        'arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com';
      const reused = rendered({ ...SLIM_CI, ExistingOidcProviderArn: existing });
      expect(admits(reused, 'SlimCiRole', PULL_REQUEST, existing)).toBe(true);
    });

    it.each([
      ['the deployed branch', 'repo:acme/analytics:ref:refs/heads/main'],
      ['another branch', 'repo:acme/analytics:ref:refs/heads/feature/orders'],
      ['the live environment', 'repo:acme/analytics:environment:live'],
      ['the dev environment', 'repo:acme/analytics:environment:dev'],
      ["another repository's pull requests", 'repo:acme/website:pull_request'],
      ["another owner's repository of the same name", 'repo:mallory/analytics:pull_request'],
      ['a tag', 'repo:acme/analytics:ref:refs/tags/v1.0.0'],
    ])('refuses a token of %s', (_label, subject) => {
      expect(admits(rendered(SLIM_CI), 'SlimCiRole', subject)).toBe(false);
    });

    it("refuses a pull request's token for the deploy role", () => {
      const template = rendered(SLIM_CI);
      expect(admits(template, 'DeployRole', PULL_REQUEST)).toBe(false);
      // The check itself lets the deploy role's own subjects in.
      expect(admits(template, 'DeployRole', 'repo:acme/analytics:ref:refs/heads/main')).toBe(true);
    });
  });

  describe('what it may do', () => {
    let role: Statement[];

    beforeAll(() => {
      role = statementsOf(rendered(SLIM_CI), 'SlimCiRole');
    });

    it.each([
      ['cloudformation:DescribeStacks', stackIdOf('serverless-dbt-live'), {}],
      ['s3:GetObject', `${live}/dbt/latest/manifest.json`, {}],
      ['s3:GetObject', `${live}/dbt/latest/summary.json`, {}],
      ['s3:ListBucket', live, { 's3:prefix': 'dbt/latest/' }],
      // What S3 checks before it answers a missing state file with 404 rather than 403.
      ['s3:ListBucket', live, { 's3:prefix': 'dbt/latest/manifest.json' }],
      ['secretsmanager:GetSecretValue', CI_SECRET, {}],
    ])('allows %s on %s %o', (action, resource, context: RequestContext) => {
      expect(allows(role, action, resource, context)).toBe(true);
    });

    it.each([
      ['s3:GetObject', `${live}/dbt/runs/scheduled-nightly-1/attempt-1/manifest.json`, {}],
      ['s3:GetObject', `${live}/dbt/runs/scheduled-nightly-1/last-attempt.json`, {}],
      ['s3:GetObject', `${live}/dbt/jobs/nightly/last-success.json`, {}],
      ['s3:ListBucket', live, { 's3:prefix': 'dbt/runs/' }],
      ['s3:ListBucket', live, { 's3:prefix': 'dbt/jobs/' }],
      ['s3:ListBucket', live, { 's3:prefix': '' }],
      ['s3:ListBucket', live, {}],
      ['s3:PutObject', `${live}/dbt/latest/manifest.json`, {}],
      ['s3:DeleteObject', `${live}/dbt/latest/manifest.json`, {}],
      ['s3:PutObject', `${live}/dbt/runs/pr-7/attempt-1/manifest.json`, {}],
      ['s3:GetObject', `${bucketOf('dev')}/dbt/latest/manifest.json`, {}],
      ['s3:ListBucket', bucketOf('dev'), { 's3:prefix': 'dbt/latest/' }],
      // A stage whose name begins with live's is another stage.
      ['s3:GetObject', `${bucketOf('live-2')}/dbt/latest/manifest.json`, {}],
      ['states:StartExecution', arn('states', 'stateMachine:serverless-dbt-live-dbt-run'), {}],
      ['states:StartExecution', arn('states', 'stateMachine:serverless-dbt-dev-dbt-run'), {}],
      [
        'secretsmanager:GetSecretValue',
        arn('secretsmanager', 'secret:serverless-dbt-live/warehouse-XyZ123'),
        {},
      ],
      [
        'secretsmanager:GetSecretValue',
        arn('secretsmanager', 'secret:dbt-ci-warehouse-2-AbCdEf'),
        {},
      ],
      ['cloudformation:DescribeStacks', stackIdOf('serverless-dbt-dev'), {}],
      ['cloudformation:DescribeStacks', stackIdOf('serverless-dbt-live-2'), {}],
      ['cloudformation:DescribeStacks', stackIdOf(DEPLOY_STACK), {}],
      ['cloudformation:DescribeStackResources', stackIdOf('serverless-dbt-live'), {}],
      ['cloudformation:GetTemplate', stackIdOf('serverless-dbt-live'), {}],
    ])('refuses %s on %s %o', (action, resource, context: RequestContext) => {
      expect(allows(role, action, resource, context)).toBe(false);
    });

    it('reads no secret when SlimCiWarehouseSecretArn is empty', () => {
      const withoutSecret = statementsOf(rendered({ SlimCiStage: 'live' }), 'SlimCiRole');
      expect(allows(withoutSecret, 'secretsmanager:GetSecretValue', CI_SECRET)).toBe(false);
      expect(withoutSecret.flatMap((statement) => statement.Action)).not.toContain(
        'secretsmanager:GetSecretValue',
      );
    });

    it("reads the stage it is given: dev's state, not live's, with SlimCiStage dev", () => {
      const dev = statementsOf(rendered({ SlimCiStage: 'dev' }), 'SlimCiRole');
      expect(allows(dev, 's3:GetObject', `${bucketOf('dev')}/dbt/latest/manifest.json`)).toBe(true);
      expect(allows(dev, 's3:GetObject', `${live}/dbt/latest/manifest.json`)).toBe(false);
    });

    it('holds these four read actions and nothing else', () => {
      expect(role.every((statement) => statement.Effect === 'Allow')).toBe(true);
      expect(role.flatMap((statement) => statement.Action).sort()).toEqual([
        'cloudformation:DescribeStacks',
        's3:GetObject',
        's3:ListBucket',
        'secretsmanager:GetSecretValue',
      ]);
    });
  });
});
