// Reading a packaged CloudFormation template (package-cache.ts) as if it were deployed: its
// intrinsic functions resolved with a fake account's values, the state machine's definition,
// and the Lambdas with their settings and environment.

export interface TemplateResource {
  Type: string;
  Properties?: Record<string, unknown>;
  DependsOn?: string | string[];
  Condition?: string;
  DeletionPolicy?: string;
  [key: string]: unknown;
}

export interface CloudFormationTemplate {
  AWSTemplateFormatVersion?: string;
  Resources: Record<string, TemplateResource>;
  Outputs?: Record<string, { Value: unknown; Description?: string; Export?: unknown }>;
  Conditions?: Record<string, unknown>;
  [key: string]: unknown;
}

/** Values the fake resolution uses in place of a real account's. */
export const FAKE_ACCOUNT = {
  region: 'eu-west-1',
  accountId: '123456789012',
  partition: 'aws',
  stackName: 'serverless-dbt-fake',
} as const;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function arn(service: string, resource: string, region: string = FAKE_ACCOUNT.region): string {
  return `arn:${FAKE_ACCOUNT.partition}:${service}:${region}:${FAKE_ACCOUNT.accountId}:${resource}`;
}

function pseudoParameter(name: string): string | undefined {
  switch (name) {
    case 'AWS::Region':
      return FAKE_ACCOUNT.region;
    case 'AWS::AccountId':
      return FAKE_ACCOUNT.accountId;
    case 'AWS::Partition':
      return FAKE_ACCOUNT.partition;
    case 'AWS::URLSuffix':
      return 'amazonaws.com';
    case 'AWS::StackName':
      return FAKE_ACCOUNT.stackName;
    case 'AWS::StackId':
      return arn('cloudformation', `stack/${FAKE_ACCOUNT.stackName}/fake`);
    default:
      return undefined;
  }
}

function resourceOf(template: CloudFormationTemplate, logicalId: string): TemplateResource {
  const resource = template.Resources[logicalId];
  if (resource === undefined) throw new Error(`the template has no resource ${logicalId}`);
  return resource;
}

function stringProperty(resource: TemplateResource, name: string): string | undefined {
  const value = resource.Properties?.[name];
  return typeof value === 'string' ? value : undefined;
}

/** A plausible value for `Ref` of a resource or pseudo parameter. */
export function fakeRef(template: CloudFormationTemplate, logicalId: string): string {
  const pseudo = pseudoParameter(logicalId);
  if (pseudo !== undefined) return pseudo;
  const resource = resourceOf(template, logicalId);
  const lower = logicalId.toLowerCase();
  switch (resource.Type) {
    case 'AWS::Lambda::Function':
      return stringProperty(resource, 'FunctionName') ?? lower;
    case 'AWS::ECS::TaskDefinition':
      return arn('ecs', `task-definition/${stringProperty(resource, 'Family') ?? lower}:1`);
    case 'AWS::ECS::Cluster':
      return stringProperty(resource, 'ClusterName') ?? lower;
    case 'AWS::S3::Bucket':
      return stringProperty(resource, 'BucketName') ?? `${FAKE_ACCOUNT.stackName}-${lower}`;
    case 'AWS::DynamoDB::Table':
      return stringProperty(resource, 'TableName') ?? `${FAKE_ACCOUNT.stackName}-${logicalId}`;
    case 'AWS::Logs::LogGroup':
      return stringProperty(resource, 'LogGroupName') ?? `${FAKE_ACCOUNT.stackName}-${logicalId}`;
    case 'AWS::StepFunctions::StateMachine':
      return arn(
        'states',
        `stateMachine:${stringProperty(resource, 'StateMachineName') ?? logicalId}`,
      );
    case 'AWS::SNS::Topic':
      return arn('sns', stringProperty(resource, 'TopicName') ?? logicalId);
    case 'AWS::SecretsManager::Secret':
      return arn('secretsmanager', `secret:${stringProperty(resource, 'Name') ?? lower}-AbCdEf`);
    case 'AWS::SQS::Queue':
      return `https://sqs.${FAKE_ACCOUNT.region}.amazonaws.com/${FAKE_ACCOUNT.accountId}/${stringProperty(resource, 'QueueName') ?? logicalId}`;
    default:
      return `${FAKE_ACCOUNT.stackName}-${logicalId}`;
  }
}

/** A plausible value for `Fn::GetAtt` of a resource's attribute. */
export function fakeGetAtt(
  template: CloudFormationTemplate,
  logicalId: string,
  attribute: string,
): string {
  const resource = resourceOf(template, logicalId);
  const name = fakeRef(template, logicalId);
  if (attribute === 'Arn') {
    switch (resource.Type) {
      case 'AWS::Lambda::Function':
        return arn('lambda', `function:${name}`);
      case 'AWS::ECS::Cluster':
        return arn('ecs', `cluster/${name}`);
      case 'AWS::S3::Bucket':
        return `arn:${FAKE_ACCOUNT.partition}:s3:::${name}`;
      case 'AWS::DynamoDB::Table':
        return arn('dynamodb', `table/${name}`);
      case 'AWS::Logs::LogGroup':
        return arn('logs', `log-group:${name}:*`);
      case 'AWS::IAM::Role':
        return `arn:${FAKE_ACCOUNT.partition}:iam::${FAKE_ACCOUNT.accountId}:role/${name}`;
      case 'AWS::SQS::Queue':
        return arn('sqs', name.split('/').pop() ?? name);
      case 'AWS::ECR::Repository':
        return arn('ecr', `repository/${stringProperty(resource, 'RepositoryName') ?? name}`);
      case 'AWS::StepFunctions::StateMachine':
      case 'AWS::SNS::Topic':
      case 'AWS::SecretsManager::Secret':
        return name;
      default:
        return arn('fake', `${resource.Type}/${logicalId}`);
    }
  }
  if (resource.Type === 'AWS::ECR::Repository' && attribute === 'RepositoryUri') {
    return `${FAKE_ACCOUNT.accountId}.dkr.ecr.${FAKE_ACCOUNT.region}.amazonaws.com/${stringProperty(resource, 'RepositoryName') ?? name}`;
  }
  if (resource.Type === 'AWS::SQS::Queue' && attribute === 'QueueName') {
    return name.split('/').pop() ?? name;
  }
  return `${name}.${attribute}`;
}

/**
 * A template value with its intrinsic functions (Ref, Fn::GetAtt, Fn::Join, Fn::Sub)
 * resolved to fake values; plain values come back as they are.
 */
export function resolveFake(template: CloudFormationTemplate, value: unknown): unknown {
  if (Array.isArray(value)) return value.map((item) => resolveFake(template, item));
  if (!isObject(value)) return value;
  const keys = Object.keys(value);
  if (keys.length === 1) {
    const [key] = keys as [string];
    const argument = value[key];
    if (key === 'Ref' && typeof argument === 'string') return fakeRef(template, argument);
    if (key === 'Fn::GetAtt') {
      const [logicalId, attribute] =
        typeof argument === 'string' ? argument.split('.') : (argument as string[]);
      if (logicalId === undefined || attribute === undefined) {
        throw new Error(`malformed Fn::GetAtt: ${JSON.stringify(argument)}`);
      }
      return fakeGetAtt(template, logicalId, attribute);
    }
    if (key === 'Fn::Join' && Array.isArray(argument)) {
      const [separator, items] = argument as [string, unknown[]];
      return (resolveFake(template, items) as unknown[]).map(String).join(separator);
    }
    if (key === 'Fn::Sub') return resolveSub(template, argument);
    if (key.startsWith('Fn::')) throw new Error(`cannot resolve ${key} with fake values`);
  }
  return Object.fromEntries(
    Object.entries(value).map(([name, item]) => [name, resolveFake(template, item)]),
  );
}

function resolveSub(template: CloudFormationTemplate, argument: unknown): string {
  const [text, variables]: [unknown, Record<string, unknown>] = Array.isArray(argument)
    ? (argument as [string, Record<string, unknown>])
    : [argument, {}];
  if (typeof text !== 'string') throw new Error('malformed Fn::Sub');
  return text.replace(/\$\{(!?)([^}]*)\}/g, (_match, literal: string, name: string) => {
    if (literal === '!') return `\${${name}}`;
    if (Object.hasOwn(variables, name)) return String(resolveFake(template, variables[name]));
    const pseudo = pseudoParameter(name);
    if (pseudo !== undefined) return pseudo;
    const dot = name.indexOf('.');
    if (dot > 0) return fakeGetAtt(template, name.slice(0, dot), name.slice(dot + 1));
    return fakeRef(template, name);
  });
}

/** The logical id and resource of the (one) state machine. */
export function stateMachineResource(template: CloudFormationTemplate): {
  logicalId: string;
  resource: TemplateResource;
} {
  const found = Object.entries(template.Resources).filter(
    ([, resource]) => resource.Type === 'AWS::StepFunctions::StateMachine',
  );
  if (found.length !== 1) {
    throw new Error(`expected one AWS::StepFunctions::StateMachine, found ${found.length}`);
  }
  const [[logicalId, resource]] = found as [[string, TemplateResource]];
  return { logicalId, resource };
}

/**
 * The state machine's definition as deployed, with the account's values faked: Lambda
 * ARNs `arn:aws:lambda:eu-west-1:123456789012:function:<FunctionName>`, and so on.
 */
export function stateMachineDefinition(template: CloudFormationTemplate): Record<string, unknown> {
  const { resource } = stateMachineResource(template);
  const definition = resource.Properties?.DefinitionString;
  const text = typeof definition === 'string' ? definition : resolveFake(template, definition);
  if (typeof text !== 'string') throw new Error('DefinitionString is neither a string nor Fn::Sub');
  return JSON.parse(text) as Record<string, unknown>;
}

export interface PackagedFunction {
  /** The CloudFormation logical id, e.g. PrepareLambdaFunction. */
  logicalId: string;
  /** The osls function name, e.g. prepare (the name of its zip). */
  name: string;
  /** The deployed name, e.g. serverless-dbt-dev-prepare. */
  functionName: string;
  /** arn:aws:lambda:eu-west-1:123456789012:function:<functionName> */
  fakeArn: string;
  handler: string;
  runtime: string;
  architectures: string[];
  timeout: number;
  memorySize: number;
  /** The environment as in the template (values may be intrinsic functions). */
  environment: Record<string, unknown>;
  /** The environment with fake values for the intrinsic functions. */
  fakeEnvironment: Record<string, string>;
}

/** Every Lambda function of the template, with its settings and environment. */
export function lambdaFunctions(template: CloudFormationTemplate): PackagedFunction[] {
  return Object.entries(template.Resources)
    .filter(([, resource]) => resource.Type === 'AWS::Lambda::Function')
    .map(([logicalId, resource]) => {
      const properties = resource.Properties ?? {};
      const functionName = fakeRef(template, logicalId);
      const variables = isObject(properties.Environment)
        ? ((properties.Environment.Variables as Record<string, unknown> | undefined) ?? {})
        : {};
      const fakeEnvironment = Object.fromEntries(
        Object.entries(variables).map(([name, value]) => [
          name,
          String(resolveFake(template, value)),
        ]),
      );
      const base = logicalId.replace(/LambdaFunction$/, '');
      return {
        logicalId,
        name: base.charAt(0).toLowerCase() + base.slice(1),
        functionName,
        fakeArn: fakeGetAtt(template, logicalId, 'Arn'),
        handler: String(properties.Handler),
        runtime: String(properties.Runtime),
        architectures: (properties.Architectures as string[] | undefined) ?? ['x86_64'],
        timeout: Number(properties.Timeout ?? 6),
        memorySize: Number(properties.MemorySize ?? 1024),
        environment: variables,
        fakeEnvironment,
      };
    });
}
