// `serverless package`, once per input: the CloudFormation template it produces, the state
// machine definition in it (resolved with fake account values), and the Lambdas with their
// environment. Tests and local runs read the very template a deployment would upload.
//
// The package is cached under .serverless-dbt/package/<hash>, where the hash covers every
// input of the package (serverless.yml, state-machines/, infra/, functions/, package.json,
// package-lock.json, the stage and the params), so a change to any of them packages again.
// Several processes (jest workers) may ask at once: one packages while holding a mkdir lock
// (serverless-esbuild builds in the service's .esbuild/, so two builds must not overlap),
// into a temporary folder renamed into place when complete; the others wait and read it.
// The child gets dummy credentials and no profile, and nothing it runs touches the network.
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The repository: this file is cli/local/packaged.ts. */
export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** What the package depends on, relative to the repository. */
export const PACKAGE_INPUTS = [
  'serverless.yml',
  'state-machines',
  'infra',
  'functions',
  'package.json',
  'package-lock.json',
] as const;

const TEMPLATE_FILE = 'cloudformation-template-update-stack.json';
const STATE_FILE = 'serverless-state.json';
const LOCK_STALE_MS = 5 * 60_000;
const WAIT_LIMIT_MS = 10 * 60_000;
const KEEP_PACKAGES = 12;

export interface PackageOptions {
  /** The osls stage: dev or live. */
  stage: string;
  /** `--param name=value` overrides (strings only, as on the command line). */
  params?: Record<string, string>;
  /** Where the repository is; defaults to this one. */
  root?: string;
}

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

// ---------------------------------------------------------------------------------------
// Packaging and its cache

/** The hash of everything the package depends on, for one stage and set of params. */
export async function packageHash(options: PackageOptions): Promise<string> {
  const root = options.root ?? REPO_ROOT;
  const hash = createHash('sha256');
  hash.update(`stage\0${options.stage}\0`);
  const params = Object.entries(options.params ?? {}).sort(([a], [b]) => (a < b ? -1 : 1));
  hash.update(`params\0${JSON.stringify(params)}\0`);
  for (const input of PACKAGE_INPUTS) {
    for (const file of await filesUnder(join(root, input))) {
      hash.update(`file\0${relative(root, file)}\0`);
      hash.update(await readFile(file));
      hash.update('\0');
    }
  }
  return hash.digest('hex').slice(0, 24);
}

async function filesUnder(path: string): Promise<string[]> {
  const info = await stat(path).catch(() => undefined);
  if (info === undefined) return [];
  if (info.isFile()) return [path];
  if (!info.isDirectory()) return [];
  const entries = await readdir(path, { withFileTypes: true });
  const files: string[] = [];
  for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
    if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
    files.push(...(await filesUnder(join(path, entry.name))));
  }
  return files;
}

/** The environment of the `serverless` child: dummy credentials, no profile, no telemetry. */
export function packageEnvironment(parent: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const environment: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(parent)) {
    // Nothing of a real account reaches the child.
    if (name.startsWith('AWS_') || name.startsWith('SLS_') || name.startsWith('SERVERLESS_')) {
      continue;
    }
    environment[name] = value;
  }
  return {
    ...environment,
    AWS_ACCESS_KEY_ID: 'AKIAFAKEPACKAGEONLY0',
    AWS_SECRET_ACCESS_KEY: 'fake-secret-for-serverless-package',
    AWS_REGION: FAKE_ACCOUNT.region,
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_SDK_LOAD_CONFIG: '0',
    AWS_CONFIG_FILE: '/dev/null',
    AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
    SLS_TELEMETRY_DISABLED: '1',
    SLS_NOTIFICATIONS_MODE: 'off',
    SLS_INTERACTIVE_SETUP_DISABLE: '1',
    SLS_DEPRECATION_DISABLE: '*',
    CI: '1',
  };
}

/**
 * Package the service (or reuse the cached package) and return its folder, which holds the
 * templates, serverless-state.json and one zip per function.
 */
export async function packageDirectory(options: PackageOptions): Promise<string> {
  const root = options.root ?? REPO_ROOT;
  const cache = join(root, '.serverless-dbt', 'package');
  const target = join(cache, await packageHash(options));
  if (isComplete(target)) return target;
  await mkdir(cache, { recursive: true });
  const lock = join(cache, '.lock');
  await acquireLock(lock);
  try {
    if (isComplete(target)) return target;
    const temporary = `${target}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
    try {
      await runPackage(root, options, temporary);
      await rename(temporary, target).catch(async (error: unknown) => {
        // Another process put a complete package there first: theirs is as good as ours.
        if (!isComplete(target)) throw error;
      });
      await pruneCache(cache, target);
    } finally {
      await rm(temporary, { recursive: true, force: true });
    }
  } finally {
    await rm(lock, { recursive: true, force: true });
  }
  return target;
}

function isComplete(directory: string): boolean {
  return existsSync(join(directory, TEMPLATE_FILE)) && existsSync(join(directory, STATE_FILE));
}

async function acquireLock(lock: string): Promise<void> {
  const started = Date.now();
  for (;;) {
    try {
      await mkdir(lock);
      await writeFile(join(lock, 'pid'), String(process.pid));
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    if (await isStale(lock)) {
      // Left behind by a process that died while packaging.
      await rm(lock, { recursive: true, force: true });
      continue;
    }
    if (Date.now() - started > WAIT_LIMIT_MS) {
      throw new Error(`timed out waiting for ${lock}; remove it if no package is running`);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

async function isStale(lock: string): Promise<boolean> {
  const since = await stat(lock).then(
    (info) => Date.now() - info.mtimeMs,
    () => 0,
  );
  if (since > LOCK_STALE_MS) return true;
  const pid = Number(await readFile(join(lock, 'pid'), 'utf8').catch(() => ''));
  // No pid yet: its owner is between mkdir and writing it.
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/** Old packages go: the newest KEEP_PACKAGES stay, and any used within the last hour. */
async function pruneCache(cache: string, keep: string): Promise<void> {
  const entries = await readdir(cache, { withFileTypes: true }).catch(() => []);
  const packages = await Promise.all(
    entries
      .filter((entry) => entry.isDirectory() && /^[0-9a-f]{24}$/.test(entry.name))
      .map(async (entry) => {
        const path = join(cache, entry.name);
        const info = await stat(path).catch(() => undefined);
        return { path, mtimeMs: info?.mtimeMs ?? 0 };
      }),
  );
  packages.sort((a, b) => b.mtimeMs - a.mtimeMs);
  const now = Date.now();
  for (const [index, { path, mtimeMs }] of packages.entries()) {
    if (path === keep || index < KEEP_PACKAGES || now - mtimeMs < 60 * 60_000) continue;
    await rm(path, { recursive: true, force: true });
  }
}

async function runPackage(root: string, options: PackageOptions, into: string): Promise<void> {
  const cli = join(root, 'node_modules', 'osls', 'bin', 'serverless.js');
  const args = [cli, 'package', '--stage', options.stage, '--package', into];
  for (const [name, value] of Object.entries(options.params ?? {})) {
    args.push('--param', `${name}=${value}`);
  }
  try {
    await run(process.execPath, args, {
      cwd: root,
      env: packageEnvironment(),
      maxBuffer: 32 * 1024 * 1024,
      timeout: 5 * 60_000,
    });
  } catch (error) {
    const failure = error as Error & { stdout?: string; stderr?: string };
    throw new Error(
      `serverless package --stage ${options.stage} failed:\n${failure.stdout ?? ''}\n${failure.stderr ?? failure.message}`,
    );
  }
  if (!isComplete(into)) {
    throw new Error(`serverless package --stage ${options.stage} wrote no ${TEMPLATE_FILE}`);
  }
}

/** `serverless package` for a stage (cached): the CloudFormation template it produced. */
export async function packageService(options: PackageOptions): Promise<CloudFormationTemplate> {
  const directory = await packageDirectory(options);
  return JSON.parse(
    await readFile(join(directory, TEMPLATE_FILE), 'utf8'),
  ) as CloudFormationTemplate;
}

/** The params the package was built with: defaults, then the stage's, then the overrides. */
export async function packagedParams(options: PackageOptions): Promise<Record<string, unknown>> {
  const directory = await packageDirectory(options);
  const state = JSON.parse(await readFile(join(directory, STATE_FILE), 'utf8')) as {
    service: { initialServerlessConfig?: { params?: Record<string, Record<string, unknown>> } };
  };
  const params = state.service.initialServerlessConfig?.params ?? {};
  return { ...params.default, ...params[options.stage], ...options.params };
}

/** The path of each function's zip in the package, by its osls name (`prepare`, ...). */
export async function packagedArtifacts(options: PackageOptions): Promise<Record<string, string>> {
  const directory = await packageDirectory(options);
  const zips = (await readdir(directory)).filter((name) => name.endsWith('.zip'));
  return Object.fromEntries(zips.map((name) => [name.slice(0, -4), join(directory, name)]));
}

// ---------------------------------------------------------------------------------------
// Reading the template with fake account values

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

/** The resources of one type, by logical id. */
export function resourcesOfType(
  template: CloudFormationTemplate,
  type: string,
): Array<[string, TemplateResource]> {
  return Object.entries(template.Resources).filter(([, resource]) => resource.Type === type);
}
