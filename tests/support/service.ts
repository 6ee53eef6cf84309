// The service as `serverless package` builds it, running on this host: the state machine
// definition from the packaged CloudFormation template, executed by aws-local-stepfunctions;
// each Lambda state calls the packaged function's bundle (the .mjs esbuild wrote into its
// zip, minified, the AWS SDK inside: what Lambda runs), loaded in process and configured by
// the environment the template gives it; the AWS APIs they call (DynamoDB, S3, Secrets
// Manager) are a moto server on 127.0.0.1, and Slack is a real HTTP server on 127.0.0.1.
// The one thing mocked is ECS's control plane (tests/support/fake-ecs.ts): a Fargate task
// cannot run here.
//
// Each run is also started in moto (which does not run it), so that its ARN is a real
// execution whose input Prepare and Evaluate read with states:DescribeExecution, as in AWS.
// And each run must keep every state's payload within Step Functions' limit (state-sizes.ts),
// which the local interpreter does not enforce.
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
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
import { lockKeyOf } from '../../functions/prepare/lock-rules.ts';
import { readPrepareConfig } from '../../functions/prepare/settings.ts';
import { createLockTable, lockItem, lockItems } from '../functions/prepare/lock-table.ts';
import { type AlarmTopic, startAlarmTopic } from './alarm-topic.ts';
import type { FakeEcs, RunTaskRequest } from './fake-ecs.ts';
import { containerEnvironment } from './fake-ecs.ts';
import { type Moto, startMoto } from './moto.ts';
import { motoExecutions } from './moto-executions.ts';
import {
  fakeRef,
  lambdaFunctions,
  type PackagedFunction,
  packagedArtifacts,
  packageService,
  stateMachineDefinition,
  stateMachineResource,
} from './packaged.ts';
import { type SlackServer, startSlackServer } from './slack-server.ts';
import {
  assertWithinStateLimit,
  eventPayloads,
  largest,
  measured,
  type Payload,
} from './state-sizes.ts';

/** A local run, and the largest state payload it had (all within Step Functions' limit). */
export interface ServiceExecution extends LocalExecution {
  largestPayload: Payload | undefined;
}

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
  /** The stack's alarm topic in moto, with a queue subscribed to read what Notify published. */
  alarmTopic: AlarmTopic;
  dynamodb: DynamoDBClient;
  s3: S3Client;
  definition: Definition;
  stateMachineArn: string;
  functions: PackagedFunction[];
  /** The environment the handlers were loaded with. */
  environment: Record<string, string>;
  lockTable: string;
  /** The lock a run of job `manual` (input `{}`) takes. */
  lockKey: string;
  /** The lock a run of `job` takes, as Prepare keys it with the stage's lock groups. */
  lockKeyOf: (job: string) => string;
  bucket: string;
  /** ARTIFACTS_URI of the stage: `s3://<bucket>/<prefix>` */
  artifactsUri: string;
  /** @throws when a state's payload would exceed Step Functions' limit (state-sizes.ts). */
  execute: (
    input: unknown,
    ecs: FakeEcs,
    executionName?: string,
    onEvent?: Parameters<typeof executeDefinition>[2]['onEvent'],
    faults?: LambdaFaults,
    /** Stops the execution (StopExecution) when it settles: it ends ABORTED. */
    abortWhen?: Promise<unknown>,
  ) => Promise<ServiceExecution>;
  /** The overlap lock's item of a job (`manual` by default), or undefined when nobody holds it. */
  lockHolder: (job?: string) => ReturnType<typeof lockItem>;
  /** Every lock item there is, by key. */
  locks: () => ReturnType<typeof lockItems>;
  /** Calls a packaged function's handler (by its osls name) with an event, as Lambda would. */
  invoke: (name: string, event: unknown) => Promise<unknown>;
  /** Stores a summary.json where the container stores it for the request's run and attempt. */
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

const run = promisify(execFile);

/**
 * Each function's zip unpacked into a folder of its own service start: a fresh folder means
 * fresh module instances, which read this start's environment when loaded, as a cold Lambda.
 */
async function unpackBundles(stage: string): Promise<string> {
  const folder = await mkdtemp(join(tmpdir(), 'serverless-dbt-bundles-'));
  for (const zip of Object.values(await packagedArtifacts({ stage }))) {
    await run('unzip', ['-q', '-o', zip, '-d', folder]);
  }
  return folder;
}

export async function startService(options: ServiceOptions = {}): Promise<LocalService> {
  const stage = options.stage ?? 'dev';
  const template = await packageService({ stage });
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
  // The stack's alarm topic, by the name the template gives it.
  const alarmTopic = await startAlarmTopic(
    moto,
    environment.ALARM_TOPIC_ARN?.split(':').pop() ?? 'serverless-dbt-alarms',
  );
  Object.assign(environment, {
    SLACK_WEBHOOK_SECRET_ARN: secret.ARN ?? '',
    SLACK_ALLOW_LOCAL: 'true',
    ALARM_TOPIC_ARN: alarmTopic.arn,
    ...options.environment,
  });

  // As Lambda loads a function: its environment first, then its module.
  const savedEnvironment = { ...process.env };
  Object.assign(process.env, environment);
  const bundles = await unpackBundles(stage);
  const handlers = new Map<string, LocalTask>();
  for (const lambda of functions) {
    const dot = lambda.handler.lastIndexOf('.');
    const module = (await import(
      join(bundles, `${lambda.handler.slice(0, dot)}.mjs`)
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
  const tasksFor = (ecs: FakeEcs, faults: LambdaFaults, payloads: Payload[]) =>
    Object.fromEntries(
      Object.entries(
        bindTasks(definition, { lambdas: withFaults(faults), runTask: ecs.runTask, deleteItem }),
      ).map(([state, task]) => [state, measured(state, task, payloads)]),
    );

  const lockKey = stateMachineArn.split(':').pop() ?? '';
  const executions = await motoExecutions(moto, lockKey);
  const layout = {
    stateMachine: lockKey,
    groups: readPrepareConfig(environment).JOB_LOCK_GROUPS,
  };
  const keyOf = (job: string) => lockKeyOf(layout, job);
  return {
    moto,
    slack,
    alarmTopic,
    dynamodb,
    s3,
    definition,
    stateMachineArn,
    functions,
    environment,
    lockTable,
    lockKey: keyOf('manual'),
    lockKeyOf: keyOf,
    bucket,
    artifactsUri,
    execute: async (input, ecs, executionName = randomUUID(), onEvent, faults = {}, abortWhen) => {
      const payloads: Payload[] = [];
      const execution = await executeDefinition(definition, input, {
        executionName,
        executionArn: await executions.start(input, executionName),
        stateMachineArn,
        tasks: tasksFor(ecs, faults, payloads),
        retryIntervalMs: 0,
        onEvent,
        abortWhen,
      });
      const all = [...eventPayloads(execution.events), ...payloads];
      assertWithinStateLimit(all);
      return { ...execution, largestPayload: largest(all) };
    },
    lockHolder: (job = 'manual') => lockItem(dynamodb, lockTable, keyOf(job)),
    locks: () => lockItems(dynamodb, lockTable),
    invoke: async (name, event) => {
      const lambda = functions.find((fn) => fn.name === name);
      const task = lambda === undefined ? undefined : handlers.get(lambda.fakeArn);
      if (task === undefined) throw new Error(`the package has no function ${name}`);
      return task(event);
    },
    putSummary: async (request, summary) => {
      const { RUN_ID: runId, RUN_ATTEMPT: attempt = '1' } = containerEnvironment(request);
      const prefix = new URL(artifactsUri).pathname.replace(/^\/|\/$/g, '');
      const run = `${prefix ? `${prefix}/` : ''}runs/${runId}`;
      // As the container stores them: the attempt's summary, then the run's pointer to it.
      const stored = [
        [`${run}/attempt-${attempt}/summary.json`, summary],
        [
          `${run}/last-attempt.json`,
          { runId, attempt: Number(attempt), folder: `attempt-${attempt}/` },
        ],
      ] as const;
      for (const [key, body] of stored) {
        await s3.send(
          new PutObjectCommand({
            Bucket: bucket,
            Key: key,
            Body: JSON.stringify(body),
            ContentType: 'application/json',
          }),
        );
      }
    },
    stop: async () => {
      process.env = savedEnvironment;
      dynamodb.destroy();
      s3.destroy();
      secrets.destroy();
      executions.destroy();
      await slack.close();
      await moto.stop();
      await rm(bundles, { recursive: true, force: true });
    },
  };
}
