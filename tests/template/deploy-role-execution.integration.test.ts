// The CloudFormation execution role of infra/deploy-role.yml can create, update and delete
// every resource of the packaged stacks: each permission their types' handlers call (AWS's
// resource schemas, as cfn-lint ships them), on each resource's own ARN, and each role passed
// to its own service only. A resource type added to the stack without a grant fails here.
import { join } from 'node:path';
import { type CloudFormationTemplate, packageService, REPO_ROOT } from '../support/packaged.ts';
import {
  allStatements,
  DEV,
  LIVE,
  loadYaml,
  PACKAGE_TIMEOUT_MS,
  type Statement,
} from './helpers.ts';
import { allows, type IamData, loadIamData } from './iam-policy.ts';
import { render } from './rendered.ts';

const REGION = 'eu-west-1';
const ACCOUNT = '123456789012';

// Handler permissions the execution role is denied on purpose, with the reason.
const NOT_GRANTED: Record<string, string> = {
  'iam:AttachRolePolicy': "the stacks' roles have inline policies only, no managed policy",
  'ecs:PutAccountSetting': 'account-wide ECS settings, which the cluster does not set',
  'ecs:PutAccountSettingDefault': 'account-wide ECS settings, which the cluster does not set',
};

// Each resource type's service, as IAM prefixes its actions.
const SERVICE_OF: Record<string, string> = {
  S3: 's3',
  Logs: 'logs',
  Lambda: 'lambda',
  StepFunctions: 'states',
  ECR: 'ecr',
  ECS: 'ecs',
  IAM: 'iam',
  DynamoDB: 'dynamodb',
  SQS: 'sqs',
  SNS: 'sns',
  CloudWatch: 'cloudwatch',
  Scheduler: 'scheduler',
  SecretsManager: 'secretsmanager',
  Events: 'events',
};

const NAME_PROPERTY: Record<string, string> = {
  'AWS::S3::Bucket': 'BucketName',
  'AWS::Logs::LogGroup': 'LogGroupName',
  'AWS::Lambda::Function': 'FunctionName',
  'AWS::StepFunctions::StateMachine': 'StateMachineName',
  'AWS::ECR::Repository': 'RepositoryName',
  'AWS::ECS::Cluster': 'ClusterName',
  'AWS::ECS::TaskDefinition': 'Family',
  'AWS::IAM::Role': 'RoleName',
  'AWS::DynamoDB::Table': 'TableName',
  'AWS::SQS::Queue': 'QueueName',
  'AWS::SNS::Topic': 'TopicName',
  'AWS::CloudWatch::Alarm': 'AlarmName',
  'AWS::Scheduler::Schedule': 'Name',
  'AWS::SecretsManager::Secret': 'Name',
  'AWS::Events::Rule': 'Name',
};

// The properties through which a resource passes a role, and the service it passes it to.
const PASSED_ROLES: Record<string, { paths: string[][]; service: string }> = {
  'AWS::Lambda::Function': { paths: [['Role']], service: 'lambda.amazonaws.com' },
  'AWS::StepFunctions::StateMachine': { paths: [['RoleArn']], service: 'states.amazonaws.com' },
  'AWS::ECS::TaskDefinition': {
    paths: [['ExecutionRoleArn'], ['TaskRoleArn']],
    service: 'ecs-tasks.amazonaws.com',
  },
  'AWS::Scheduler::Schedule': {
    paths: [['Target', 'RoleArn']],
    service: 'scheduler.amazonaws.com',
  },
};

/** The name CloudFormation gives a resource: its name property, or <stack>-<logical id>-<random>. */
function physicalName(template: CloudFormationTemplate, logicalId: string, stack: string): string {
  const resource = template.Resources[logicalId];
  if (resource === undefined) throw new Error(`no resource ${logicalId}`);
  const property = NAME_PROPERTY[resource.Type];
  const named = property === undefined ? undefined : resource.Properties?.[property];
  if (typeof named === 'string') return named;
  const generated = `${stack}-${logicalId}-1A2B3C4D5E6F`;
  return resource.Type === 'AWS::S3::Bucket' ? generated.toLowerCase() : generated;
}

const referenced = (value: unknown): string => {
  const reference = value as { Ref?: string; 'Fn::GetAtt'?: [string, string] };
  const logicalId = reference.Ref ?? reference['Fn::GetAtt']?.[0];
  if (logicalId === undefined) throw new Error(`not a reference: ${JSON.stringify(value)}`);
  return logicalId;
};

/** The ARN of a resource of the packaged stack, as IAM names it. */
function arnOf(template: CloudFormationTemplate, logicalId: string, stack: string): string {
  const resource = template.Resources[logicalId];
  const name = physicalName(template, logicalId, stack);
  const regional = (service: string, rest: string) =>
    `arn:aws:${service}:${REGION}:${ACCOUNT}:${rest}`;
  switch (resource?.Type) {
    case 'AWS::S3::Bucket':
      return `arn:aws:s3:::${name}`;
    case 'AWS::S3::BucketPolicy':
      return arnOf(template, referenced(resource.Properties?.Bucket), stack);
    case 'AWS::Logs::LogGroup':
      return regional('logs', `log-group:${name}:*`);
    case 'AWS::Lambda::Function':
      return regional('lambda', `function:${name}`);
    case 'AWS::StepFunctions::StateMachine':
      return regional('states', `stateMachine:${name}`);
    case 'AWS::ECR::Repository':
      return regional('ecr', `repository/${name}`);
    case 'AWS::ECS::Cluster':
      return regional('ecs', `cluster/${name}`);
    case 'AWS::ECS::TaskDefinition':
      return regional('ecs', `task-definition/${name}:1`);
    case 'AWS::IAM::Role':
      return `arn:aws:iam::${ACCOUNT}:role/${name}`;
    case 'AWS::DynamoDB::Table':
      return regional('dynamodb', `table/${name}`);
    case 'AWS::SQS::Queue':
      return regional('sqs', name);
    case 'AWS::SNS::Topic':
      return regional('sns', name);
    case 'AWS::CloudWatch::Alarm':
      return regional('cloudwatch', `alarm:${name}`);
    case 'AWS::Scheduler::Schedule':
      return regional(
        'scheduler',
        `schedule/${resource.Properties?.GroupName ?? 'default'}/${name}`,
      );
    case 'AWS::SecretsManager::Secret':
      return regional('secretsmanager', `secret:${name}-AbCdEf`);
    case 'AWS::Events::Rule':
      return regional('events', `rule/${name}`);
    // Permissions and settings of a function, and a queue's policy: made on what they name.
    case 'AWS::Lambda::Permission':
    case 'AWS::Lambda::EventInvokeConfig':
      return arnOf(template, referenced(resource.Properties?.FunctionName), stack);
    case 'AWS::SQS::QueuePolicy':
      return arnOf(
        template,
        referenced((resource.Properties?.Queues as unknown[] | undefined)?.[0]),
        stack,
      );
    default:
      throw new Error(
        `${logicalId}: the test knows no ARN for ${resource?.Type}; teach it, and grant the type to the execution role`,
      );
  }
}

let iam: IamData;
let executionRole: Statement[];

beforeAll(async () => {
  iam = await loadIamData(REGION);
  const template = (await loadYaml(
    join(REPO_ROOT, 'infra', 'deploy-role.yml'),
  )) as CloudFormationTemplate;
  const rendered = render(template, {
    stackName: 'github-deploy-serverless-dbt',
    parameters: { GitHubOwner: 'acme', GitHubRepository: 'analytics' },
  });
  executionRole = allStatements(rendered).filter((statement) =>
    statement.where.startsWith('CloudFormationExecutionRole/'),
  );
});

describe.each([DEV, LIVE])('the execution role and the packaged $stage stack', (options) => {
  const stack = `serverless-dbt-${options.stage}`;
  let template: CloudFormationTemplate;

  beforeAll(async () => {
    template = await packageService(options);
  }, PACKAGE_TIMEOUT_MS);

  it("is allowed every call of its resource types' handlers, on each resource", async () => {
    const missing: string[] = [];
    let checked = 0;
    for (const [logicalId, resource] of Object.entries(template.Resources)) {
      const service = SERVICE_OF[resource.Type.split('::')[1] ?? ''];
      if (service === undefined) throw new Error(`${logicalId}: no service for ${resource.Type}`);
      const arn = arnOf(template, logicalId, stack);
      for (const permission of await iam.handlerPermissions(resource.Type)) {
        if (!permission.startsWith(`${service}:`) || permission in NOT_GRANTED) continue;
        // An action AWS grants on '*' only is asked for on '*'.
        const on = iam.takesResources(permission) === false ? '*' : arn;
        checked += 1;
        if (!allows(executionRole, permission, on))
          missing.push(`${logicalId}: ${permission} on ${on}`);
      }
    }
    expect(checked).toBeGreaterThan(200);
    expect(missing).toEqual([]);
  });

  it('may pass each role of the stack to its own service only', () => {
    let passed = 0;
    for (const resource of Object.values(template.Resources)) {
      const passing = PASSED_ROLES[resource.Type];
      if (passing === undefined) continue;
      for (const path of passing.paths) {
        const value = path.reduce<unknown>(
          (node, key) => (node as Record<string, unknown> | undefined)?.[key],
          resource.Properties,
        );
        const role = arnOf(template, referenced(value), stack);
        passed += 1;
        expect(
          allows(executionRole, 'iam:PassRole', role, { 'iam:PassedToService': passing.service }),
        ).toBe(true);
        expect(
          allows(executionRole, 'iam:PassRole', role, {
            'iam:PassedToService': 'ec2.amazonaws.com',
          }),
        ).toBe(false);
      }
    }
    expect(passed).toBeGreaterThanOrEqual(5);
  });
});

test('reaches only the resources named after the service, not the deploy roles themselves', () => {
  expect(
    allows(
      executionRole,
      'lambda:UpdateFunctionCode',
      `arn:aws:lambda:${REGION}:${ACCOUNT}:function:another-app`,
    ),
  ).toBe(false);
  expect(
    allows(
      executionRole,
      'iam:PutRolePolicy',
      `arn:aws:iam::${ACCOUNT}:role/github-deploy-serverless-dbt`,
    ),
  ).toBe(false);
  expect(
    allows(
      executionRole,
      'iam:PutRolePolicy',
      `arn:aws:iam::${ACCOUNT}:role/cloudformation-serverless-dbt`,
    ),
  ).toBe(false);
});
