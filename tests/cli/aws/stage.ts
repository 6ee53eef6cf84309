// A deployed stage in a moto server, for the AWS commands' tests: the stack
// `serverless-dbt-<stage>` (CreateStack) whose Outputs name a state machine, the artifacts
// bucket and the task log group, as serverless.yml's do.
//
// The state machine is a stand-in for state-machines/dbt-run.asl.yml that moto's ASL
// interpreter really executes (startMoto({ executeStateMachines: true })): it starts a real
// ECS task in moto for every attempt, then ends as the real one does, Succeed with the
// RunOutcome as output or Fail with the verdict as error and the reason as cause. Its job
// decides the verdict: `broken` fails with DBT_FAILED, `flaky` needs a second attempt, `slow`
// waits a minute before its task (to be stopped by a test), `long` ends 3 seconds after its
// task starts (a test writes its log meanwhile), `overlapped` and `refused` end before any
// task (SKIPPED_OVERLAP, INVALID_INPUT), anything else succeeds. Each attempt names
// its capacity (Spot first, then on-demand) as the real state carries it.
//
// One difference from AWS, forced by moto 5.2.5: its `ecs:runTask.sync` integration sends
// PascalCase parameters that boto refuses, so RunDbt here uses the `aws-sdk:ecs:runTask`
// integration (with boto's casing). Its history events report the task just as `.sync`'s do:
// TaskSucceeded carries the task's ARN.
import { type ChildProcessByStdio, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { CloudFormationClient, CreateStackCommand } from '@aws-sdk/client-cloudformation';
import {
  CloudWatchLogsClient,
  CreateLogStreamCommand,
  PutLogEventsCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import {
  CreateStateMachineCommand,
  DescribeExecutionCommand,
  type DescribeExecutionCommandOutput,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  type ListExecutionsCommandOutput,
  SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import type { CommandContext } from '../../../cli/aws/context.ts';
import { FAKE_CREDENTIALS, type Moto, REGION, startMoto } from '../../support/moto.ts';

export const STAGE = 'test';
export const STACK = `serverless-dbt-${STAGE}`;
export const BUCKET = 'serverless-dbt-test-artifacts';
export const LOG_GROUP = `/ecs/serverless-dbt-${STAGE}`;
export const FAILED_REASON = 'dbt reported failures: 1 model error, 1 failing test.';
export const FAILED_HINT = 'Fix the nodes listed below, then start a retry of this run.';
export const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

const ROLE = 'arn:aws:iam::123456789012:role/serverless-dbt-test-states';

/** The stage's scheduled jobs: `nightly` succeeds, `broken` fails (see the definition). */
export const STAGE_JOBS = [
  { name: 'nightly', cron: 'cron(0 6 * * ? *)', timezone: 'Europe/Berlin', input: {} },
  { name: 'broken', cron: 'cron(0 6 * * ? *)', timezone: 'Europe/Berlin', input: {} },
  {
    name: 'weekdays',
    cron: 'cron(30 22 ? * MON-FRI *)',
    timezone: 'America/New_York',
    input: { command: 'run', select: 'tag:daily' },
  },
  { name: 'hourly', cron: 'cron(0 * * * ? *)', timezone: 'UTC', input: {} },
] as const;

/**
 * One ECS API call to moto (the project has no ECS client: only Step Functions calls ECS).
 * moto reads the service from the credential scope and does not check the signature.
 */
async function ecsCall(moto: Moto, action: string, body: object): Promise<Record<string, unknown>> {
  const response = await fetch(moto.endpoint, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/x-amz-json-1.1',
      'X-Amz-Target': `AmazonEC2ContainerServiceV20141113.${action}`,
      Authorization: `AWS4-HMAC-SHA256 Credential=${FAKE_CREDENTIALS.accessKeyId}/20260101/${REGION}/ecs/aws4_request, SignedHeaders=host, Signature=0`,
    },
    body: JSON.stringify(body),
  });
  if (!response.ok)
    throw new Error(`ECS ${action}: HTTP ${response.status} ${await response.text()}`);
  return (await response.json()) as Record<string, unknown>;
}

function definition(cluster: string, taskDefinition: string): string {
  const outcome = (
    verdict: string,
    reason: string,
    hint: string | null,
    exitCode: number,
    counts: object,
    costUsd: number,
  ) => ({
    verdict,
    reason,
    hint,
    output: {
      'runId.$': '$.run.runId',
      'job.$': '$.run.job',
      verdict,
      reason,
      hint,
      exitCode,
      counts,
      // As Evaluate reports it: the judged attempt's folder.
      'artifactsUri.$': "States.Format('{}attempt-{}/', $.run.artifactsUri, $.attempt)",
      // As Evaluate prices a run (functions/shared/cost.ts), here a fixed amount per verdict.
      cost: {
        usd: costUsd,
        fargateUsd: costUsd,
        orchestrationUsd: 0,
        attempts: [{ attempt: 1, capacityProvider: 'FARGATE', billedSeconds: 600, usd: costUsd }],
        stateTransitions: 10,
        lambdaInvocations: 3,
        pricesRegion: 'eu-west-1',
        pricesReadOn: '2026-12-02',
      },
    },
  });
  return JSON.stringify({
    Comment: 'A stand-in for dbt-run.asl.yml: a real ECS task per attempt, the same ends.',
    StartAt: 'JobGiven?',
    States: {
      'JobGiven?': {
        Type: 'Choice',
        Choices: [{ Variable: '$.job', IsPresent: true, Next: 'Prepare' }],
        Default: 'DefaultJob',
      },
      DefaultJob: { Type: 'Pass', Result: 'manual', ResultPath: '$.job', Next: 'Prepare' },
      Prepare: {
        Type: 'Pass',
        Parameters: {
          run: {
            'runId.$': '$$.Execution.Name',
            'job.$': '$.job',
            'artifactsUri.$': `States.Format('s3://${BUCKET}/dbt/runs/{}/', $$.Execution.Name)`,
          },
          attempt: 1,
          capacity: [{ CapacityProvider: 'FARGATE_SPOT', Weight: 1 }],
        },
        Next: 'Slow?',
      },
      'Slow?': {
        Type: 'Choice',
        Choices: [
          { Variable: '$.run.job', StringEquals: 'slow', Next: 'Linger' },
          { Variable: '$.run.job', StringEquals: 'overlapped', Next: 'SkippedOverlap' },
          { Variable: '$.run.job', StringEquals: 'refused', Next: 'InvalidInput' },
        ],
        Default: 'RunDbt',
      },
      // Runs that end before any task, as the real Prepare and overlap lock end them.
      SkippedOverlap: {
        Type: 'Fail',
        Error: 'SKIPPED_OVERLAP',
        Cause: 'job overlapped: the lock of job overlapped is held by another run.',
      },
      InvalidInput: {
        Type: 'Fail',
        Error: 'INVALID_INPUT',
        Cause: 'The run input was refused: threads: must be a whole number from 1 to 64.',
      },
      Linger: { Type: 'Wait', Seconds: 60, Next: 'RunDbt' },
      RunDbt: {
        Type: 'Task',
        Resource: 'arn:aws:states:::aws-sdk:ecs:runTask',
        Parameters: { cluster, taskDefinition, launchType: 'FARGATE' },
        ResultPath: '$.task',
        Next: 'Long?',
      },
      // runTask.sync waits for the task to stop; the `aws-sdk` integration does not, so a
      // Wait stands in for a task that runs a while.
      'Long?': {
        Type: 'Choice',
        Choices: [{ Variable: '$.run.job', StringEquals: 'long', Next: 'TaskRuns' }],
        Default: 'Evaluate',
      },
      TaskRuns: { Type: 'Wait', Seconds: 3, Next: 'Evaluate' },
      Evaluate: { Type: 'Pass', Next: 'Verdict?' },
      'Verdict?': {
        Type: 'Choice',
        Choices: [
          {
            And: [
              { Variable: '$.run.job', StringEquals: 'flaky' },
              { Variable: '$.attempt', NumericEquals: 1 },
            ],
            Next: 'RetryOnDemand',
          },
          { Variable: '$.run.job', StringEquals: 'broken', Next: 'JudgedFailed' },
        ],
        Default: 'JudgedSucceeded',
      },
      RetryOnDemand: {
        Type: 'Pass',
        Parameters: {
          'run.$': '$.run',
          attempt: 2,
          capacity: [{ CapacityProvider: 'FARGATE', Weight: 1 }],
        },
        Next: 'RunDbt',
      },
      JudgedSucceeded: {
        Type: 'Pass',
        Parameters: outcome(
          'SUCCEEDED',
          'dbt build succeeded.',
          null,
          0,
          {
            success: 12,
            pass: 30,
            error: 0,
            fail: 0,
            warn: 0,
            skipped: 0,
          },
          0.0123,
        ),
        ResultPath: '$.evaluation',
        Next: 'Notify',
      },
      JudgedFailed: {
        Type: 'Pass',
        Parameters: outcome(
          'DBT_FAILED',
          FAILED_REASON,
          FAILED_HINT,
          1,
          {
            success: 10,
            pass: 29,
            error: 1,
            fail: 1,
            warn: 0,
            skipped: 1,
          },
          0.0042,
        ),
        ResultPath: '$.evaluation',
        Next: 'Notify',
      },
      // The real Notify posts to Slack; here it only marks the place.
      Notify: { Type: 'Pass', Next: 'Outcome?' },
      'Outcome?': {
        Type: 'Choice',
        Choices: [
          { Variable: '$.evaluation.verdict', StringEquals: 'SUCCEEDED', Next: 'Succeeded' },
        ],
        Default: 'Failed',
      },
      Succeeded: { Type: 'Succeed', OutputPath: '$.evaluation.output' },
      Failed: { Type: 'Fail', ErrorPath: '$.evaluation.verdict', CausePath: '$.evaluation.reason' },
    },
  });
}

function template(): string {
  return JSON.stringify({
    AWSTemplateFormatVersion: '2010-09-09',
    Parameters: { StateMachineArn: { Type: 'String' } },
    Resources: {
      ArtifactsBucket: { Type: 'AWS::S3::Bucket', Properties: { BucketName: BUCKET } },
      TaskLogGroup: { Type: 'AWS::Logs::LogGroup', Properties: { LogGroupName: LOG_GROUP } },
      // The jobs' schedules, as infra/config.cjs writes them; `backfill` reads them from the
      // stack's template (moto creates no schedule from a template, and needs none).
      ...Object.fromEntries(
        STAGE_JOBS.map((job) => [
          `Schedule${job.name.replace(/[^A-Za-z0-9]/g, '')}`,
          {
            Type: 'AWS::Scheduler::Schedule',
            Properties: {
              Name: `${STACK}-${job.name}`,
              ScheduleExpression: job.cron,
              ScheduleExpressionTimezone: job.timezone,
              FlexibleTimeWindow: { Mode: 'OFF' },
              Target: {
                Arn: { Ref: 'StateMachineArn' },
                RoleArn: ROLE,
                Input: JSON.stringify({
                  ...job.input,
                  job: job.name,
                  scheduledTime: '<aws.scheduler.scheduled-time>',
                }),
              },
            },
          },
        ]),
      ),
    },
    Outputs: {
      StateMachineArn: { Value: { Ref: 'StateMachineArn' } },
      ArtifactsBucketName: { Value: { Ref: 'ArtifactsBucket' } },
      TaskLogGroupName: { Value: { Ref: 'TaskLogGroup' } },
      RepositoryUri: { Value: `123456789012.dkr.ecr.eu-west-1.amazonaws.com/${STACK}` },
      AlarmTopicArn: { Value: `arn:aws:sns:eu-west-1:123456789012:${STACK}-alarms` },
    },
  });
}

export interface TestStage {
  moto: Moto;
  stateMachineArn: string;
  sfn: SFNClient;
  s3: S3Client;
  logs: CloudWatchLogsClient;
  cluster: string;
  /** The environment the commands run with: moto's (endpoint, region, keys), a quick poll. */
  env: Record<string, string>;
  /** The context the commands run with: the stage's environment, output captured. */
  context: (extra?: Partial<CommandContext>) => CapturedContext;
  stop: () => Promise<void>;
}

export interface CapturedContext extends Partial<CommandContext> {
  stdout: string[];
  stderr: string[];
}

/** Moto with the stage deployed in it. */
export async function deployTestStage(): Promise<TestStage> {
  const moto = await startMoto({ executeStateMachines: true });
  const sfn = new SFNClient(moto.clientConfig);
  const s3 = new S3Client(moto.clientConfig);
  const logs = new CloudWatchLogsClient(moto.clientConfig);
  const cloudFormation = new CloudFormationClient(moto.clientConfig);

  const cluster = String(
    (
      (await ecsCall(moto, 'CreateCluster', { clusterName: STACK })).cluster as {
        clusterArn: string;
      }
    ).clusterArn,
  );
  const taskDefinition = String(
    (
      (
        await ecsCall(moto, 'RegisterTaskDefinition', {
          family: `${STACK}-dbt`,
          networkMode: 'bridge',
          containerDefinitions: [{ name: 'dbt', image: 'dbt:test', memory: 1024 }],
        })
      ).taskDefinition as { taskDefinitionArn: string }
    ).taskDefinitionArn,
  );
  const stateMachineArn =
    (
      await sfn.send(
        new CreateStateMachineCommand({
          name: `${STACK}-dbt-run`,
          definition: definition(cluster, taskDefinition),
          roleArn: ROLE,
        }),
      )
    ).stateMachineArn ?? '';
  await cloudFormation.send(
    new CreateStackCommand({
      StackName: STACK,
      TemplateBody: template(),
      Parameters: [{ ParameterKey: 'StateMachineArn', ParameterValue: stateMachineArn }],
    }),
  );
  cloudFormation.destroy();

  const env = { ...moto.env, SERVERLESS_DBT_POLL_MS: '50' };
  return {
    moto,
    stateMachineArn,
    sfn,
    s3,
    logs,
    cluster,
    env,
    context: (extra = {}) => {
      const stdout: string[] = [];
      const stderr: string[] = [];
      return {
        env,
        out: (text: string) => stdout.push(text),
        err: (text: string) => stderr.push(text),
        ...extra,
        stdout,
        stderr,
      };
    },
    stop: async () => {
      for (const client of [sfn, s3, logs]) client.destroy();
      await moto.stop();
    },
  };
}

/** What a test file does with its stage besides deploying and stopping it. */
export interface TestStageHooks {
  /** Runs once the stage is deployed, within beforeAll (the file's runs, artifacts, servers). */
  setUp?: () => Promise<void>;
  /** Runs before the stage is stopped, within afterAll, if it was deployed. */
  tearDown?: () => Promise<void>;
}

/**
 * The stage of one test file: deployed in beforeAll (then `setUp`, within the same minute),
 * stopped in afterAll (after `tearDown`). The object returned is that stage from beforeAll on.
 */
export function deployTestStageAroundTests(hooks: TestStageHooks = {}): TestStage {
  const stage = {} as TestStage;
  let deployed = false;
  beforeAll(async () => {
    Object.assign(stage, await deployTestStage());
    deployed = true;
    await hooks.setUp?.();
  }, 60_000);
  afterAll(async () => {
    if (!deployed) return;
    try {
      await hooks.tearDown?.();
    } finally {
      await stage.stop();
    }
  });
  return stage;
}

/** Waits until the execution ends (moto runs it in a thread of its own). */
export async function finished(
  sfn: SFNClient,
  executionArn: string,
): Promise<DescribeExecutionCommandOutput> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const execution = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    if (execution.status !== 'RUNNING') return execution;
    if (Date.now() > deadline) throw new Error(`${executionArn} is still running`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Starts an execution directly (as the console or a schedule would): its ARN. */
export async function startExecution(
  stage: TestStage,
  name: string,
  input: unknown,
): Promise<string> {
  const { executionArn } = await stage.sfn.send(
    new StartExecutionCommand({
      stateMachineArn: stage.stateMachineArn,
      name,
      input: JSON.stringify(input),
    }),
  );
  return executionArn ?? '';
}

/** Starts an execution directly (as the console or a schedule would) and waits for its end. */
export async function runExecution(
  stage: TestStage,
  name: string,
  input: unknown,
): Promise<DescribeExecutionCommandOutput> {
  return finished(stage.sfn, await startExecution(stage, name, input));
}

/**
 * Starts a `slow` run (as a schedule would) and returns its execution ARN once it waits in its
 * Wait state, before its task: where a person would find it running, and a stop is seen.
 */
export async function startSlowRun(stage: TestStage, name: string): Promise<string> {
  const executionArn = await startExecution(stage, name, { job: 'slow' });
  const deadline = Date.now() + 10_000;
  for (;;) {
    const history = await stage.sfn.send(new GetExecutionHistoryCommand({ executionArn }));
    if ((history.events ?? []).some((event) => event.type === 'WaitStateEntered')) break;
    if (Date.now() > deadline) throw new Error(`${name} never reached its Wait state`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return executionArn;
}

/** Stops every execution of the stage that is still running, as one could from the console. */
export async function stopRunningExecutions(stage: TestStage): Promise<void> {
  const listed = await stage.sfn.send(
    new ListExecutionsCommand({ stateMachineArn: stage.stateMachineArn, statusFilter: 'RUNNING' }),
  );
  for (const execution of listed.executions ?? []) {
    await stage.sfn.send(new StopExecutionCommand({ executionArn: execution.executionArn }));
  }
}

/** The names of all the stage's executions, every page, in the order Step Functions lists them. */
export async function executionNames(stage: TestStage): Promise<string[]> {
  const names: string[] = [];
  let nextToken: string | undefined;
  do {
    const page: ListExecutionsCommandOutput = await stage.sfn.send(
      new ListExecutionsCommand({ stateMachineArn: stage.stateMachineArn, nextToken }),
    );
    for (const execution of page.executions ?? []) names.push(execution.name ?? '');
    nextToken = page.nextToken;
  } while (nextToken !== undefined);
  return names;
}

/** The ids of the ECS tasks in the stage's cluster. */
export async function taskIds(stage: TestStage): Promise<string[]> {
  const listed = await ecsCall(stage.moto, 'ListTasks', { cluster: stage.cluster });
  return ((listed.taskArns ?? []) as string[]).map((arn) => arn.split('/').at(-1) ?? '');
}

/** What the awslogs driver would have written for the task's dbt container. */
export async function writeTaskLog(
  stage: TestStage,
  taskId: string,
  lines: string[],
): Promise<void> {
  const logStreamName = `dbt/dbt/${taskId}`;
  await stage.logs.send(new CreateLogStreamCommand({ logGroupName: LOG_GROUP, logStreamName }));
  const start = Date.now() - lines.length * 1000;
  await stage.logs.send(
    new PutLogEventsCommand({
      logGroupName: LOG_GROUP,
      logStreamName,
      logEvents: lines.map((message, index) => ({ timestamp: start + index * 1000, message })),
    }),
  );
}

/** Puts an artifact of a run (or of `latest`) where the container stores it. */
export async function putArtifact(
  stage: TestStage,
  folder: string,
  name: string,
  body: string,
): Promise<void> {
  await stage.s3.send(
    new PutObjectCommand({ Bucket: BUCKET, Key: `dbt/${folder}/${name}`, Body: body }),
  );
}

/**
 * The run's last-attempt.json naming `attempt` as the one that stored last, as the container
 * writes it (container/dbt_runner/layout.py).
 */
export async function putLastAttempt(
  stage: TestStage,
  runId: string,
  attempt: number,
): Promise<void> {
  await putArtifact(
    stage,
    `runs/${runId}`,
    'last-attempt.json',
    JSON.stringify({ runId, attempt, folder: `attempt-${attempt}/` }),
  );
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Starts `serverless-dbt` as a user does: the real entry, on the project's Node 24, with a home
 * of its own holding only `homeFiles` (e.g. `.aws/config`); its stdout and stderr piped.
 */
export function startCli(
  args: string[],
  env: Record<string, string>,
  homeFiles: Record<string, string> = {},
): ChildProcessByStdio<null, Readable, Readable> {
  const home = mkdtempSync(join(tmpdir(), 'serverless-dbt-home-'));
  for (const [path, text] of Object.entries(homeFiles)) {
    mkdirSync(dirname(join(home, path)), { recursive: true });
    writeFileSync(join(home, path), text);
  }
  return spawn(
    join(repo, 'node_modules', '.bin', 'node'),
    [join(repo, 'cli', 'serverless-dbt.ts'), ...args],
    {
      cwd: repo,
      // Nothing of the host's AWS setup: an empty home (no ~/.aws) and only the given AWS_*.
      env: { PATH: process.env.PATH ?? '', HOME: home, AWS_EC2_METADATA_DISABLED: 'true', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
}

/** Runs `serverless-dbt` as a user does (see startCli) to its end: its exit code and output. */
export async function runCli(
  args: string[],
  env: Record<string, string>,
  homeFiles: Record<string, string> = {},
): Promise<CliResult> {
  const child = startCli(args, env, homeFiles);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => {
    stdout += chunk;
  });
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
  });
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  return { code, stdout, stderr };
}
