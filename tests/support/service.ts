// The service as `serverless package` builds it, running on this host: the state machine
// definition from the packaged CloudFormation template, executed by aws-local-stepfunctions;
// each Lambda state calls the packaged function's real handler module in process, configured
// by the environment the template gives it; the AWS APIs they call (DynamoDB, S3, Secrets
// Manager) are a moto server on 127.0.0.1, and Slack is a real HTTP server on 127.0.0.1.
// The one thing mocked is ECS's control plane (tests/support/fake-ecs.ts): a Fargate task
// cannot run here.
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { DeleteItemCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Context } from 'aws-lambda';
import {
  bindTasks,
  executeDefinition,
  LambdaFailure,
  type LocalExecution,
  type LocalTask,
  lambdaTask,
  sdkTask,
} from '../../cli/local/execute.ts';
import type { Definition } from '../../cli/local/local-definition.ts';
import { createLockTable, lockItem } from '../functions/prepare/lock-table.ts';
import type { FakeEcs, RunTaskRequest } from './fake-ecs.ts';
import { containerEnvironment } from './fake-ecs.ts';
import { type Moto, startMoto } from './moto.ts';
import {
  fakeRef,
  lambdaFunctions,
  type PackagedFunction,
  packageService,
  REPO_ROOT,
  stateMachineDefinition,
  stateMachineResource,
} from './packaged.ts';
import { type SlackServer, startSlackServer } from './slack-server.ts';

export interface ServiceOptions {
  stage?: string;
  /** Settings on top of the template's environment (e.g. NOTIFY_ON). */
  environment?: Record<string, string>;
}

/**
 * Failures of Lambda's own service (AWS's control plane, which cannot run here): how many of
 * a function's first invocations fail with the error Step Functions would report, e.g.
 * `{ notify: { error: 'Lambda.ServiceException', times: 1 } }`. The function does not run then.
 */
export type LambdaFaults = Record<string, { error: string; times: number }>;

export interface LocalService {
  moto: Moto;
  slack: SlackServer;
  dynamodb: DynamoDBClient;
  s3: S3Client;
  definition: Definition;
  stateMachineArn: string;
  functions: PackagedFunction[];
  /** The environment the handlers were loaded with. */
  environment: Record<string, string>;
  lockTable: string;
  lockKey: string;
  bucket: string;
  /** ARTIFACTS_URI of the stage: `s3://<bucket>/<prefix>` */
  artifactsUri: string;
  execute: (
    input: unknown,
    ecs: FakeEcs,
    executionName?: string,
    onEvent?: Parameters<typeof executeDefinition>[2]['onEvent'],
    faults?: LambdaFaults,
  ) => Promise<LocalExecution>;
  /** The overlap lock's item, or undefined when nobody holds it. */
  lockHolder: () => ReturnType<typeof lockItem>;
  /** Stores a summary.json where the container stores it for a run. */
  putSummary: (request: RunTaskRequest, summary: unknown) => Promise<void>;
  stop: () => Promise<void>;
}

function mergedEnvironment(functions: PackagedFunction[]): Record<string, string> {
  const merged: Record<string, string> = {};
  for (const lambda of functions) {
    for (const [name, value] of Object.entries(lambda.fakeEnvironment)) {
      if (merged[name] !== undefined && merged[name] !== value) {
        // All handlers load in one process here, so they must agree on shared settings.
        throw new Error(`${name} differs between functions: ${merged[name]} vs ${value}`);
      }
      merged[name] = value;
    }
  }
  return merged;
}

type HandlerModule = Record<string, (event: never, context: Context) => Promise<unknown>>;

export async function startService(options: ServiceOptions = {}): Promise<LocalService> {
  const template = await packageService({ stage: options.stage ?? 'dev' });
  const definition = stateMachineDefinition(template) as unknown as Definition;
  const stateMachineArn = fakeRef(template, stateMachineResource(template).logicalId);
  const functions = lambdaFunctions(template);

  const moto = await startMoto();
  const slack = await startSlackServer();
  const dynamodb = new DynamoDBClient(moto.clientConfig);
  const s3 = new S3Client(moto.clientConfig);
  const secrets = new SecretsManagerClient(moto.clientConfig);

  const environment: Record<string, string> = {
    ...mergedEnvironment(functions),
    ...moto.env,
    // The handlers' own tests read their log lines; here they would only be noise.
    POWERTOOLS_LOG_LEVEL: 'SILENT',
  };
  const lockTable = environment.LOCK_TABLE;
  const artifactsUri = environment.ARTIFACTS_URI;
  if (lockTable === undefined || artifactsUri === undefined) {
    throw new Error('the packaged Prepare has no LOCK_TABLE or ARTIFACTS_URI');
  }
  const bucket = new URL(artifactsUri).host;
  await createLockTable(dynamodb, lockTable);
  await s3.send(
    new CreateBucketCommand({
      Bucket: bucket,
      CreateBucketConfiguration: { LocationConstraint: 'eu-west-1' },
    }),
  );
  // The stage's Slack secret, holding this test's webhook on 127.0.0.1.
  const secret = await secrets.send(
    new CreateSecretCommand({
      Name: `serverless-dbt/test/slack-${randomUUID()}`,
      SecretString: slack.webhookUrl,
    }),
  );
  Object.assign(environment, {
    SLACK_WEBHOOK_SECRET_ARN: secret.ARN ?? '',
    SLACK_ALLOW_LOCAL: 'true',
    ...options.environment,
  });

  // As Lambda loads a function: its environment first, then its module.
  const savedEnvironment = { ...process.env };
  Object.assign(process.env, environment);
  const handlers = new Map<string, LocalTask>();
  for (const lambda of functions) {
    const dot = lambda.handler.lastIndexOf('.');
    const module = (await import(
      join(REPO_ROOT, `${lambda.handler.slice(0, dot)}.ts`)
    )) as HandlerModule;
    const handler = module[lambda.handler.slice(dot + 1)];
    if (handler === undefined) throw new Error(`${lambda.handler} exports no handler`);
    handlers.set(lambda.fakeArn, lambdaTask(lambda.functionName, handler, lambda.timeout));
  }

  const deleteItem = sdkTask('DynamoDB', (parameters) =>
    dynamodb.send(new DeleteItemCommand(parameters)),
  );
  const withFaults = (faults: LambdaFaults) => {
    const faulty = new Map<string, LocalTask>();
    for (const lambda of functions) {
      const task = handlers.get(lambda.fakeArn);
      const fault = faults[lambda.name];
      if (task === undefined || fault === undefined) {
        if (task !== undefined) faulty.set(lambda.fakeArn, task);
        continue;
      }
      let left = fault.times;
      faulty.set(lambda.fakeArn, async (input) => {
        if (left > 0) {
          left -= 1;
          throw new LambdaFailure(fault.error, `${lambda.name}: injected by the test`);
        }
        return task(input);
      });
    }
    return faulty;
  };
  const tasksFor = (ecs: FakeEcs, faults: LambdaFaults = {}) =>
    bindTasks(definition, { lambdas: withFaults(faults), runTask: ecs.runTask, deleteItem });

  const lockKey = stateMachineArn.split(':').pop() ?? '';
  return {
    moto,
    slack,
    dynamodb,
    s3,
    definition,
    stateMachineArn,
    functions,
    environment,
    lockTable,
    lockKey: environment.LOCK_KEY ?? lockKey,
    bucket,
    artifactsUri,
    execute: (input, ecs, executionName = randomUUID(), onEvent, faults = {}) =>
      executeDefinition(definition, input, {
        executionName,
        stateMachineArn,
        tasks: tasksFor(ecs, faults),
        retryIntervalMs: 0,
        onEvent,
      }),
    lockHolder: () => lockItem(dynamodb, lockTable, environment.LOCK_KEY ?? lockKey),
    putSummary: async (request, summary) => {
      const runId = containerEnvironment(request).RUN_ID;
      const prefix = new URL(artifactsUri).pathname.replace(/^\/|\/$/g, '');
      await s3.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: `${prefix ? `${prefix}/` : ''}runs/${runId}/summary.json`,
          Body: JSON.stringify(summary),
          ContentType: 'application/json',
        }),
      );
    },
    stop: async () => {
      process.env = savedEnvironment;
      dynamodb.destroy();
      s3.destroy();
      secrets.destroy();
      await slack.close();
      await moto.stop();
    },
  };
}
