// Evaluate end to end: the deployed handler (handler.ts wiring createEvaluate), configured by
// its environment as serverless.yml configures it, reading summary.json from S3 in a moto server, and from a file:// folder as
// local runs keep it. Nothing of AWS is mocked but its address.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { jest } from '@jest/globals';
import type { Context } from 'aws-lambda';
import { createEvaluate } from '../../../functions/evaluate/evaluate-handler.ts';
import { readEvaluateConfig } from '../../../functions/evaluate/settings.ts';
import type { EvaluateEvent, Evaluation } from '../../../functions/shared/contracts.ts';
import { knownExecutionInput } from '../../../functions/shared/execution-input.ts';
import { noMetrics } from '../../../functions/shared/metrics.ts';
import { logged } from '../../support/logged.ts';
import { type Moto, startMoto } from '../../support/moto.ts';
import { type MotoExecutions, motoExecutions } from '../../support/moto-executions.ts';
import { evaluateEvent, preparedRun, taskErrorState, taskState } from './events.ts';
import { summaryFile } from './summaries.ts';
import {
  ECS_API_CAUSES,
  ecsApiError,
  failedToStartTask,
  prepareFailed,
  REASONS,
  stoppedTask,
  TASK_ID,
  taskFailed,
} from './tasks.ts';

const BUCKET = 'serverless-dbt-dev-artifacts';
const STATE_MACHINE = 'serverless-dbt-dev-dbt-run';
const STAGE_ENVIRONMENT = {
  TASK_MEMORY_MIB: '4096',
  TASK_CPU: '1024',
  TASK_CPU_ARCHITECTURE: 'X86_64',
  LAMBDA_MEMORY_MB: '256',
  ALARM_ON:
    'DBT_FAILED,DBT_ERROR,CONFIG_ERROR,ARTIFACTS_LOST,OUT_OF_MEMORY,INFRA_RETRYABLE,INFRA_FAILED,TIMED_OUT',
  STATE_MACHINE_NAME: STATE_MACHINE,
};
const LAMBDA_CONTEXT = {
  functionName: 'serverless-dbt-dev-evaluate',
  awsRequestId: 'c0ffee00-0000-4000-8000-000000000002',
} as Context;

let moto: Moto;
let s3: S3Client;
let directory: string;
let executions: MotoExecutions;
// Imported once the environment is set, as the handler reads it when its module loads.
type HandlerModule = typeof import('../../../functions/evaluate/handler.ts');
let handler: HandlerModule['handler'];
const savedEnvironment = { ...process.env };

beforeAll(async () => {
  moto = await startMoto();
  s3 = new S3Client(moto.clientConfig);
  await s3.send(
    new CreateBucketCommand({
      Bucket: BUCKET,
      CreateBucketConfiguration: { LocationConstraint: 'eu-west-1' },
    }),
  );
  directory = await mkdtemp(join(tmpdir(), 'evaluate-'));
  executions = await motoExecutions(moto, STATE_MACHINE);
  // As Lambda starts it: settings and the SDK's endpoint and credentials from the environment.
  Object.assign(process.env, moto.env, STAGE_ENVIRONMENT);
  const module = await import('../../../functions/evaluate/handler.ts');
  ({ handler } = module);
}, 60_000);

afterAll(async () => {
  process.env = savedEnvironment;
  s3?.destroy();
  executions?.destroy();
  await moto?.stop();
  if (directory) await rm(directory, { recursive: true, force: true });
});

/** A run of its own, so that no test sees another's summary.json. */
function runNamed(runId: string, artifactsUri = `s3://${BUCKET}/dbt/runs/${runId}/`) {
  return preparedRun({ runId, artifactsUri, startedBy: runId.slice(0, 36) });
}

/** summary.json as the container stores it: in the attempt's own folder. */
async function putSummary(runId: string, body: string, attempt = 1): Promise<void> {
  await s3.send(
    new PutObjectCommand({
      Bucket: BUCKET,
      Key: `dbt/runs/${runId}/attempt-${attempt}/summary.json`,
      Body: body,
    }),
  );
}

/** An invocation's Evaluation and log lines; Evaluate never fails on what a run hands it. */
async function evaluated(run: () => Promise<Evaluation>) {
  const { result, error, lines } = await logged(run);
  if (error !== undefined || result === undefined) throw error ?? new Error('no evaluation');
  return { evaluation: result, lines };
}

const invoke = (event: EvaluateEvent) => evaluated(() => handler(event, LAMBDA_CONTEXT));

describe('the Evaluate handler', () => {
  it('reads summary.json from S3 after dbt reported failures, and logs one line and its metric', async () => {
    const run = runNamed('run-with-summary');
    await putSummary(run.runId, JSON.stringify(summaryFile({ runId: run.runId })));
    const { evaluation, lines } = await invoke(
      evaluateEvent(
        taskState(stoppedTask({ exitCode: 1 }), { run }),
        { job: 'nightly' },
        run.runId,
      ),
    );
    expect(evaluation).toMatchObject({
      verdict: 'DBT_FAILED',
      retryable: false,
      retry: false,
      exitCode: 1,
      stopCode: 'EssentialContainerExited',
      taskId: TASK_ID,
      attempt: 1,
    });
    expect(evaluation.summary?.nodes).toHaveLength(4);
    expect(evaluation.summary?.error).toMatch(/^model\.shop\.orders: Database Error/);
    expect(evaluation.reason).toMatch(
      /^dbt reported failures \(exit 1\): 1 error, 2 failing tests/,
    );
    expect(evaluation.output).toStrictEqual({
      runId: run.runId,
      job: 'nightly',
      verdict: 'DBT_FAILED',
      reason: evaluation.reason,
      hint: evaluation.hint,
      exitCode: 1,
      counts: { success: 12, pass: 30, error: 1, fail: 2, warn: 0, skipped: 1 },
      artifactsUri: `${run.artifactsUri}attempt-1/`,
      cost: evaluation.cost,
    });
    // The recorded task: 598 s from its image pull to its stop, 1 vCPU and 4 GB on Spot in
    // eu-west-1 (the region of its ARN), x86 as TASK_CPU_ARCHITECTURE says.
    expect(evaluation.cost).toMatchObject({
      attempts: [{ attempt: 1, capacityProvider: 'FARGATE_SPOT', billedSeconds: 598 }],
      pricesRegion: 'eu-west-1',
    });
    expect(evaluation.cost?.fargateUsd).toBeCloseTo(
      (598 / 3600) * (0.04048 + 4 * 0.004445) * 0.3,
      12,
    );
    expect(lines).toHaveLength(2);
    // DBT_FAILED pages: an AlarmingRuns data point in CloudWatch's embedded metric format.
    expect(lines[1]).toMatchObject({
      _aws: {
        CloudWatchMetrics: [
          {
            Namespace: 'serverless-dbt',
            Dimensions: [['StateMachine']],
            Metrics: [{ Name: 'AlarmingRuns', Unit: 'Count' }],
          },
        ],
      },
      StateMachine: STATE_MACHINE,
      AlarmingRuns: 1,
    });
    expect(lines[0]).toMatchObject({
      level: 'INFO',
      message: 'evaluated',
      executionName: run.runId,
      function_request_id: LAMBDA_CONTEXT.awsRequestId,
      cold_start: expect.any(Boolean),
      verdict: 'DBT_FAILED',
      exitCode: 1,
      stopCode: 'EssentialContainerExited',
      attempt: 1,
      retry: false,
    });
  });

  it('returns plain JSON the state machine can hand on', async () => {
    const run = runNamed('run-json');
    await putSummary(run.runId, JSON.stringify(summaryFile({ runId: run.runId, exitCode: 0 })));
    const { evaluation } = await invoke(
      evaluateEvent(taskState(stoppedTask({ exitCode: 0 }), { run }), {}, run.runId),
    );
    expect(evaluation.verdict).toBe('SUCCEEDED');
    expect(JSON.parse(JSON.stringify(evaluation))).toStrictEqual(evaluation);
  });

  it('judges a States.TaskFailed cause and reads the summary of that task', async () => {
    const run = runNamed('run-task-failed');
    await putSummary(run.runId, JSON.stringify(summaryFile({ runId: run.runId })));
    const { evaluation } = await invoke(
      evaluateEvent(
        taskErrorState(taskFailed(stoppedTask({ exitCode: 1 })), { run }),
        {},
        run.runId,
      ),
    );
    expect(evaluation.verdict).toBe('DBT_FAILED');
    expect(evaluation.output.counts?.fail).toBe(2);
  });

  it('leaves the summary out, silently, when the container wrote none', async () => {
    const run = runNamed('run-without-summary');
    const { evaluation, lines } = await invoke(
      evaluateEvent(taskState(stoppedTask({ exitCode: 2 }), { run }), {}, run.runId),
    );
    expect(evaluation).toMatchObject({ verdict: 'DBT_ERROR', summary: null });
    expect(evaluation.output.counts).toBeNull();
    expect(lines.map((line) => line.level)).toEqual(['INFO']);
  });

  it('leaves out, with a warning, a summary.json that is not JSON, and judges all the same', async () => {
    const run = runNamed('run-bad-summary');
    await putSummary(run.runId, '{"runId": "run-bad-summary", "counts": {');
    const { evaluation, lines } = await invoke(
      evaluateEvent(taskState(stoppedTask({ exitCode: 1 }), { run }), {}, run.runId),
    );
    expect(evaluation).toMatchObject({ verdict: 'DBT_FAILED', summary: null });
    expect(evaluation.reason).toMatch(/^dbt reported failures \(exit 1\): a model error/);
    // The warning, the evaluation, and the AlarmingRuns metric of a DBT_FAILED run.
    expect(lines).toHaveLength(3);
    expect(lines[2]).toMatchObject({ AlarmingRuns: 1 });
    expect(lines[0]).toMatchObject({
      level: 'WARN',
      message: 'summary.json ignored',
      uri: `${run.artifactsUri}attempt-1/summary.json`,
      problem: expect.stringMatching(/^not JSON/),
      executionName: run.runId,
      function_request_id: LAMBDA_CONTEXT.awsRequestId,
    });
    expect(lines[1]).toMatchObject({ level: 'INFO', message: 'evaluated' });
  });

  it('leaves out, with a warning, a summary.json of the wrong shape', async () => {
    const run = runNamed('run-odd-summary');
    await putSummary(run.runId, JSON.stringify({ runId: run.runId, counts: 'many' }));
    const { evaluation, lines } = await invoke(
      evaluateEvent(taskState(stoppedTask({ exitCode: 1 }), { run }), {}, run.runId),
    );
    expect(evaluation.summary).toBeNull();
    expect(lines[0]).toMatchObject({ level: 'WARN', problem: expect.stringMatching(/^counts/) });
  });

  it('reads the summary of the attempt it judges, from that attempt’s folder', async () => {
    const run = runNamed('run-two-attempts');
    await putSummary(run.runId, JSON.stringify(summaryFile({ runId: run.runId, exitCode: 1 })), 1);
    await putSummary(
      run.runId,
      JSON.stringify(summaryFile({ runId: run.runId, exitCode: 0, nodes: [], error: null })),
      2,
    );
    const { evaluation } = await invoke(
      evaluateEvent(taskState(stoppedTask({ exitCode: 0 }), { run, attempt: 2 }), {}, run.runId),
    );
    expect(evaluation).toMatchObject({ verdict: 'SUCCEEDED', attempt: 2 });
    expect(evaluation.summary).toMatchObject({ nodes: [], error: null });
    expect(evaluation.output.artifactsUri).toBe(`${run.artifactsUri}attempt-2/`);
  });

  it('leaves the summary out when only an earlier attempt stored one', async () => {
    const run = runNamed('run-second-attempt-lost');
    await putSummary(run.runId, JSON.stringify(summaryFile({ runId: run.runId, exitCode: 1 })), 1);
    const { evaluation } = await invoke(
      evaluateEvent(taskState(stoppedTask({ exitCode: 4 }), { run, attempt: 2 }), {}, run.runId),
    );
    expect(evaluation).toMatchObject({ verdict: 'ARTIFACTS_LOST', summary: null, attempt: 2 });
  });

  it('leaves out, with a warning, a summary whose exit code is not the container’s', async () => {
    const run = runNamed('run-other-exit');
    await putSummary(run.runId, JSON.stringify(summaryFile({ runId: run.runId, exitCode: 1 })));
    const { evaluation, lines } = await invoke(
      evaluateEvent(taskState(stoppedTask({ exitCode: 4 }), { run }), {}, run.runId),
    );
    expect(evaluation).toMatchObject({ verdict: 'ARTIFACTS_LOST', summary: null });
    expect(lines[0]).toMatchObject({ level: 'WARN', problem: expect.stringMatching(/exit 1/) });
  });

  it('leaves out, with a warning, a summary it may not read (no such bucket)', async () => {
    const run = runNamed('run-no-bucket', 's3://serverless-dbt-no-such-bucket/dbt/runs/r/');
    const { evaluation, lines } = await invoke(
      evaluateEvent(taskState(stoppedTask({ exitCode: 0 }), { run }), {}, run.runId),
    );
    expect(evaluation).toMatchObject({ verdict: 'SUCCEEDED', summary: null });
    expect(lines[0]).toMatchObject({
      level: 'WARN',
      message: 'summary.json could not be read',
      error: expect.stringMatching(/NoSuchBucket/),
    });
  });

  it('reads no summary when the task never ran, and asks for another attempt on a retryable failure', async () => {
    const read = jest.fn(async () => undefined);
    const evaluate = createEvaluate({
      config: readEvaluateConfig(STAGE_ENVIRONMENT),
      s3,
      read,
      metrics: noMetrics,
      executionInput: knownExecutionInput({}),
    });
    const run = runNamed('run-not-started');
    const { evaluation: started } = await evaluated(() =>
      evaluate(
        evaluateEvent(taskState(failedToStartTask(REASONS.pullRateLimit), { run }), {}, run.runId),
        LAMBDA_CONTEXT,
      ),
    );
    expect(started).toMatchObject({ verdict: 'INFRA_RETRYABLE', retry: true, nextAttempt: 2 });
    const { evaluation: refused } = await evaluated(() =>
      evaluate(
        evaluateEvent(
          taskErrorState(ecsApiError(ECS_API_CAUSES.throttled), { run }),
          {},
          run.runId,
        ),
        LAMBDA_CONTEXT,
      ),
    );
    expect(refused).toMatchObject({ verdict: 'INFRA_RETRYABLE', retry: true });
    const { evaluation: timedOut } = await evaluated(() =>
      evaluate(
        evaluateEvent(taskErrorState({ Error: 'States.Timeout' }, { run }), {}, run.runId),
        LAMBDA_CONTEXT,
      ),
    );
    expect(timedOut.verdict).toBe('TIMED_OUT');
    expect(read).not.toHaveBeenCalled();
  });

  it('judges a run Prepare refused without touching S3', async () => {
    const untouched = new S3Client(moto.clientConfig);
    const send = jest.spyOn(untouched, 'send');
    const evaluate = createEvaluate({
      config: readEvaluateConfig(STAGE_ENVIRONMENT),
      s3: untouched,
      metrics: noMetrics,
      executionInput: knownExecutionInput({ job: 'hourly' }),
    });
    const { evaluation } = await evaluated(() =>
      evaluate(
        {
          state: prepareFailed(
            'RunAlreadyInProgress',
            'execution run-first (job hourly) holds the overlap lock',
          ),
          executionName: 'cli-overlap-2',
          executionArn: `arn:aws:states:eu-west-1:123456789012:execution:${STATE_MACHINE}:cli-overlap-2`,
        },
        LAMBDA_CONTEXT,
      ),
    );
    expect(evaluation.output).toMatchObject({
      runId: 'cli-overlap-2',
      job: 'hourly',
      verdict: 'SKIPPED_OVERLAP',
      artifactsUri: null,
    });
    expect(send).not.toHaveBeenCalled();
    untouched.destroy();
  });

  it("reports a run Prepare refused under the job its execution's input names, read from Step Functions", async () => {
    const executionArn = await executions.start(
      { job: 'hourly', vars: { pad: 'x'.repeat(8000) } },
      'cli-refused-big',
    );
    const { evaluation } = await invoke({
      state: prepareFailed(
        'InvalidRunInput',
        'input: must be at most 4096 bytes as compact JSON (got 8031)',
      ),
      executionName: 'cli-refused-big',
      executionArn,
    });
    expect(evaluation.output).toMatchObject({
      runId: 'cli-refused-big',
      job: 'hourly',
      verdict: 'INVALID_INPUT',
    });
  });

  it('reports job unknown, and still a verdict, when the input cannot be read', async () => {
    const { evaluation, lines } = await invoke({
      state: prepareFailed('InvalidRunInput', 'input: must be a JSON object'),
      executionName: 'never-started',
      executionArn: `arn:aws:states:eu-west-1:123456789012:execution:${STATE_MACHINE}:never-started`,
    });
    expect(evaluation.output).toMatchObject({ job: 'unknown', verdict: 'INVALID_INPUT' });
    expect(lines[0]).toMatchObject({
      level: 'WARN',
      message: 'the execution input could not be read; the run is reported as job unknown',
      error: expect.stringMatching(/ExecutionDoesNotExist/),
    });
  });

  it('does not read the input when Prepare built the run', async () => {
    const read = jest.fn(async () => ({ job: 'not-this-one' }));
    const evaluate = createEvaluate({
      config: readEvaluateConfig(STAGE_ENVIRONMENT),
      s3,
      read: async () => undefined,
      metrics: noMetrics,
      executionInput: { read },
    });
    const run = runNamed('run-prepared');
    const { evaluation } = await evaluated(() =>
      evaluate(
        {
          state: taskErrorState({ Error: 'States.Timeout' }, { run }),
          executionName: run.runId,
          executionArn: `arn:aws:states:eu-west-1:123456789012:execution:${STATE_MACHINE}:${run.runId}`,
        },
        LAMBDA_CONTEXT,
      ),
    );
    expect(evaluation.output.job).toBe('nightly');
    expect(read).not.toHaveBeenCalled();
  });

  it('does not throw on an event that is not one', async () => {
    const { evaluation } = await evaluated(() =>
      handler(null as unknown as EvaluateEvent, LAMBDA_CONTEXT),
    );
    expect(evaluation.output).toMatchObject({
      runId: 'unknown',
      job: 'unknown',
      verdict: 'INFRA_FAILED',
    });
  });
});

describe('the Evaluate handler on a host (file:// artifacts)', () => {
  const local = () =>
    createEvaluate({
      config: readEvaluateConfig(STAGE_ENVIRONMENT),
      s3,
      metrics: noMetrics,
      executionInput: knownExecutionInput({}),
    });

  /** The run's folder as Prepare names it, with the folder of its first attempt made. */
  async function runFolder(runId: string): Promise<string> {
    const folder = join(directory, 'runs', runId);
    await mkdir(join(folder, 'attempt-1'), { recursive: true });
    return `${pathToFileURL(folder).href}/`;
  }

  it('reads summary.json from the attempt’s folder in the run’s', async () => {
    const artifactsUri = await runFolder('local-1');
    await writeFile(
      join(directory, 'runs', 'local-1', 'attempt-1', 'summary.json'),
      JSON.stringify(summaryFile({ runId: 'local-1', exitCode: 0, nodes: [], error: null })),
    );
    const run = runNamed('local-1', artifactsUri);
    const { evaluation } = await evaluated(() =>
      local()(
        evaluateEvent(taskState(stoppedTask({ exitCode: 0 }), { run }), {}, 'local-1'),
        LAMBDA_CONTEXT,
      ),
    );
    expect(evaluation.verdict).toBe('SUCCEEDED');
    expect(evaluation.output.counts?.success).toBe(12);
    expect(evaluation.output.artifactsUri).toBe(`${artifactsUri}attempt-1/`);
  });

  it('leaves the summary out, silently, when the folder has none', async () => {
    const run = runNamed('local-2', await runFolder('local-2'));
    const { evaluation, lines } = await evaluated(() =>
      local()(
        evaluateEvent(taskState(stoppedTask({ exitCode: 3 }), { run }), {}, 'local-2'),
        LAMBDA_CONTEXT,
      ),
    );
    expect(evaluation).toMatchObject({ verdict: 'CONFIG_ERROR', summary: null });
    expect(lines.map((line) => line.level)).toEqual(['INFO']);
  });

  it('leaves out, with a warning, a summary.json that is not JSON', async () => {
    const artifactsUri = await runFolder('local-3');
    await writeFile(join(directory, 'runs', 'local-3', 'attempt-1', 'summary.json'), 'not json');
    const run = runNamed('local-3', artifactsUri);
    const { evaluation, lines } = await evaluated(() =>
      local()(
        evaluateEvent(taskState(stoppedTask({ exitCode: 1 }), { run }), {}, 'local-3'),
        LAMBDA_CONTEXT,
      ),
    );
    expect(evaluation.summary).toBeNull();
    expect(lines[0]).toMatchObject({ level: 'WARN', message: 'summary.json ignored' });
  });
});
