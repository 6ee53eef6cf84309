// The state machine as deployed: the definition `serverless package` puts in the CloudFormation
// template, executed by aws-local-stepfunctions, with the real Prepare, Evaluate and Notify
// handlers (configured by the template's environment), DynamoDB, S3 and Secrets Manager in a
// moto server, and Slack as a real HTTP server on 127.0.0.1. ECS's control plane is the one
// thing mocked (tests/support/fake-ecs.ts): it answers RunTask as the .sync integration does.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DeleteItemCommand } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { jest } from '@jest/globals';
import type { RunOutcome } from '../../functions/shared/contracts.ts';
import {
  ECS_API_CAUSES,
  failedToStartTask,
  REASONS,
  RUN_TASK_FAILURE_CAUSES,
  stoppedTask,
} from '../functions/evaluate/tasks.ts';
import { leaveLock } from '../functions/prepare/lock-table.ts';
import { statusChangeEvent } from '../functions/release-lock/events.ts';
import { containerEnvironment, fakeEcs, type TaskOutcome, times } from '../support/fake-ecs.ts';
import { packageService, REPO_ROOT, resourcesOfType } from '../support/packaged.ts';
import { type LocalService, startService } from '../support/service.ts';
import { SLACK } from '../support/slack-server.ts';
import { STATE_PAYLOAD_LIMIT_BYTES } from '../support/state-sizes.ts';

jest.setTimeout(120_000);

let service: LocalService;

beforeAll(async () => {
  service = await startService({
    environment: {
      NOTIFY_ON: 'success,failure',
      FARGATE_SPOT: 'true',
      // As infra/config.cjs writes two jobs with `lockGroup: warehouse`.
      JOB_LOCK_GROUPS: 'nightly-build=warehouse,weekly-full-refresh=warehouse',
    },
  });
}, 180_000);

afterAll(async () => {
  await service?.stop();
});

beforeEach(() => service.slack.reset());

afterEach(async () => {
  // Whatever happened, every run gave its overlap lock back.
  expect(await service.locks()).toEqual({});
});

const COUNTS = { success: 12, pass: 30, error: 0, fail: 0, warn: 1, skipped: 0 };

function summary(exitCode: number, nodes: unknown[] = [], counts: Record<string, number> = COUNTS) {
  return {
    runId: 'set-by-the-test',
    exitCode,
    command: 'build',
    dbtVersion: '1.11.16',
    startedAt: '2026-11-24T05:00:13.000Z',
    finishedAt: '2026-11-24T05:09:40.000Z',
    steps: [{ name: 'build', status: exitCode === 0 ? 'success' : 'failed', seconds: 540.2 }],
    counts,
    nodes,
    freshness: { status: 'pass', sources: [] },
  };
}

/** The container's run: it writes summary.json, then the task stops with its exit code. */
function dbtExits(exitCode: number, nodes: unknown[] = [], counts = COUNTS): TaskOutcome {
  return {
    stopped: stoppedTask({ exitCode }),
    beforeStop: (request) => service.putSummary(request, summary(exitCode, nodes, counts)),
  };
}

/** Every text of the Slack messages received, for looking things up. */
function slackTexts(): string {
  return service.slack.requests.map((request) => request.body).join('\n');
}

function outcomeOf(output: unknown): RunOutcome {
  return output as RunOutcome;
}

describe('a run that succeeds', () => {
  test('succeeds with the outcome as output, and starts one task with only the run spec, id and attempt', async () => {
    const ecs = fakeEcs(dbtExits(0));
    const before = Date.now();
    const execution = await service.execute({ job: 'nightly', select: 'marts' }, ecs, 'run-ok-1');
    const after = Date.now();

    expect(execution.status).toBe('SUCCEEDED');
    expect(outcomeOf(execution.output)).toEqual({
      runId: 'run-ok-1',
      job: 'nightly',
      verdict: 'SUCCEEDED',
      reason: expect.any(String),
      hint: null,
      exitCode: 0,
      counts: COUNTS,
      artifactsUri: `${service.artifactsUri}/runs/run-ok-1/attempt-1/`,
      cost: expect.objectContaining({ usd: expect.any(Number) }),
    });
    expect(ecs.requests).toHaveLength(1);
    const [request] = ecs.requests;
    if (request === undefined) throw new Error('no RunTask');
    expect(request.CapacityProviderStrategy).toEqual([
      { CapacityProvider: 'FARGATE_SPOT', Weight: 1 },
    ]);
    const environment = containerEnvironment(request);
    expect(Object.keys(environment).sort()).toEqual([
      'RUN_ATTEMPT',
      'RUN_ATTEMPT_STARTED_AT',
      'RUN_ID',
      'RUN_SPEC',
    ]);
    expect(environment.RUN_ID).toBe('run-ok-1');
    expect(environment.RUN_ATTEMPT).toBe('1');
    // When RunDbt's timer started ($$.State.EnteredTime): the container's deadline counts from it.
    const attemptStartedAt = Date.parse(environment.RUN_ATTEMPT_STARTED_AT ?? '');
    expect(environment.RUN_ATTEMPT_STARTED_AT).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(attemptStartedAt).toBeGreaterThanOrEqual(before);
    expect(attemptStartedAt).toBeLessThanOrEqual(after);
    expect(JSON.parse(environment.RUN_SPEC ?? '')).toMatchObject({
      job: 'nightly',
      command: 'build',
      select: 'marts',
      docs: true,
    });
    expect(request.Overrides.ContainerOverrides.map((override) => override.Name)).toEqual(['dbt']);
  });

  test('posts the success to Slack with the counts and a link to the execution', async () => {
    const ecs = fakeEcs(dbtExits(0));
    await service.execute({ job: 'nightly' }, ecs, 'run-ok-2');

    expect(service.slack.requests).toHaveLength(1);
    const text = slackTexts();
    expect(text).toContain('nightly');
    expect(text).toContain('succeeded');
    expect(text).toContain('run-ok-2');
    expect(text).toMatch(/states\/home\?region=eu-west-1/);
  });

  test('the success alert flags the models slower than usual: "orders: 4m12s, usually 1m05s"', async () => {
    const slowModels = [
      { uniqueId: 'model.shop.orders', seconds: 252.4, medianSeconds: 65.1, runsCompared: 10 },
    ];
    const ecs = fakeEcs({
      stopped: stoppedTask({ exitCode: 0 }),
      beforeStop: (request) => service.putSummary(request, { ...summary(0), slowModels }),
    });
    const execution = await service.execute({ job: 'nightly' }, ecs, 'run-slow-models');

    expect(execution.status).toBe('SUCCEEDED');
    const text = slackTexts();
    expect(text).toContain('Slower than usual: 1 model');
    expect(text).toContain('`orders`: 4m12s, usually 1m05s');
  });

  test('a state-aware run reaches the container as only: changed, and the alert says what it built and deferred', async () => {
    const stateAware = {
      comparedWith: 'run-41',
      models: 15,
      built: 2,
      deferred: 13,
      fresherSources: [],
      reason: '2 of 15 models changed or read newer source data since run run-41; 13 deferred',
    };
    // The Fargate task is faked; its summary.json is what the container writes (state_aware.py).
    const ecs = fakeEcs({
      stopped: stoppedTask({ exitCode: 0 }),
      beforeStop: (request) => service.putSummary(request, { ...summary(0), stateAware }),
    });
    const execution = await service.execute(
      { job: 'nightly', only: 'changed' },
      ecs,
      'run-state-aware',
    );

    expect(execution.status).toBe('SUCCEEDED');
    const [request] = ecs.requests;
    if (request === undefined) throw new Error('no RunTask');
    expect(JSON.parse(containerEnvironment(request).RUN_SPEC ?? '')).toMatchObject({
      only: 'changed',
    });
    expect(slackTexts()).toContain(
      '🔁 state-aware: 2 of 15 models changed or read newer source data since run run-41; 13 deferred',
    );
  });

  test('a sidecar exiting non-zero does not fail a run whose dbt container exited 0', async () => {
    // .sync fails the state on any container's non-zero exit; Evaluate looks at dbt's only.
    const task = stoppedTask({ exitCode: 0, sidecar: { exitCode: 137 } });
    const ecs = fakeEcs({
      stopped: task,
      beforeStop: (request) => service.putSummary(request, summary(0)),
    });
    const execution = await service.execute({}, ecs);

    expect(execution.status).toBe('SUCCEEDED');
    expect(outcomeOf(execution.output).verdict).toBe('SUCCEEDED');
  });
});

describe('dbt reports failures', () => {
  const failingNodes = [
    {
      uniqueId: 'model.shop.orders',
      resourceType: 'model',
      status: 'error',
      message: 'Database Error in model orders: column "amount" does not exist',
    },
    {
      uniqueId: 'test.shop.not_null_orders_order_id.1a2b',
      resourceType: 'test',
      status: 'fail',
      message: 'Got 3 results, configured to fail if != 0',
    },
  ];

  test('exit 1 fails the execution with DBT_FAILED and alerts with the failing nodes', async () => {
    const counts = { ...COUNTS, error: 1, fail: 1 };
    const ecs = fakeEcs(dbtExits(1, failingNodes, counts));
    const execution = await service.execute({ job: 'nightly' }, ecs, 'run-dbt-failed');

    expect(execution.status).toBe('FAILED');
    expect(execution.error).toBe('DBT_FAILED');
    expect(execution.cause).toEqual(expect.any(String));
    expect(ecs.requests).toHaveLength(1);
    const text = slackTexts();
    expect(text).toContain('model.shop.orders');
    expect(text).toContain('column \\"amount\\" does not exist');
    expect(text).toContain('test.shop.not_null_orders_order_id.1a2b');
    expect(text).toContain('Got 3 results');
    // dbt ran nodes and the run is in S3: the alert gives the command that reruns what failed.
    expect(text).toContain(
      'Retry what failed:* `bin/serverless-dbt retry --stage dev run-dbt-failed`',
    );
  });

  test('the alert counts the nodes skipped downstream of a failure in one line, all 300 of them', async () => {
    const skipped = Array.from({ length: 300 }, (_, index) => ({
      uniqueId: `model.shop.mart_${String(index).padStart(3, '0')}`,
      resourceType: 'model',
      status: 'skipped',
      message: 'skipped because an upstream node did not succeed',
      skippedBecauseOf: ['model.shop.stg_orders'],
    }));
    const failure = { ...failingNodes[0], uniqueId: 'model.shop.stg_orders' };
    const counts = { ...COUNTS, error: 1, skipped: 300 };
    const ecs = fakeEcs(dbtExits(1, [failure, ...skipped], counts));
    const execution = await service.execute({ job: 'nightly' }, ecs);

    expect(execution.error).toBe('DBT_FAILED');
    const text = slackTexts();
    expect(text).toContain('300 skipped downstream of stg_orders');
    expect(text).toContain('Did not succeed: 301 nodes');
    expect(text).not.toContain('model.shop.mart_');
    expect(text).not.toContain('more (see run_results.json');
  });

  test('exit 2 fails with DBT_ERROR and is not retried', async () => {
    const ecs = fakeEcs(dbtExits(2));
    const execution = await service.execute({}, ecs);

    expect(execution.error).toBe('DBT_ERROR');
    expect(ecs.requests).toHaveLength(1);
    // The project has to be fixed first: a retry of this run would not help.
    expect(slackTexts()).toContain('dbt could not run');
    expect(slackTexts()).not.toContain('Retry what failed');
  });

  test('exit 3 fails with CONFIG_ERROR and exit 4 with ARTIFACTS_LOST', async () => {
    const config = await service.execute({}, fakeEcs(dbtExits(3)));
    const artifacts = await service.execute({}, fakeEcs(dbtExits(4)));

    expect([config.error, artifacts.error]).toEqual(['CONFIG_ERROR', 'ARTIFACTS_LOST']);
  });
});

describe('a selection that matches no node', () => {
  const NOTHING_SELECTED_ERROR =
    "build: the selection matched no node (--select ordrs); no enabled node matches 'ordrs'";

  /** The container found nothing to run for the selection: exit 7, summary.json naming it. */
  const nothingSelected: TaskOutcome = {
    stopped: stoppedTask({ exitCode: 7 }),
    beforeStop: (request) =>
      service.putSummary(request, {
        ...summary(7, [], { success: 0, pass: 0, error: 0, fail: 0, warn: 0, skipped: 0 }),
        steps: [{ name: 'build', status: 'success', seconds: 0.4 }],
        error: NOTHING_SELECTED_ERROR,
      }),
  };

  test('exit 7 fails with NOTHING_SELECTED, not retried, and the alert names the selector and how to check it', async () => {
    const ecs = fakeEcs(nothingSelected);
    const execution = await service.execute({ job: 'nightly', select: 'ordrs' }, ecs);

    expect(execution.status).toBe('FAILED');
    expect(execution.error).toBe('NOTHING_SELECTED');
    expect(execution.cause).toBe(
      `The run's selection matched no node, so dbt ran nothing (exit 7): ${NOTHING_SELECTED_ERROR}.`,
    );
    expect(ecs.requests).toHaveLength(1);
    const text = slackTexts();
    expect(text).toContain('🔍 nightly: the selection matched no node');
    expect(text).toContain("no enabled node matches 'ordrs'");
    expect(text).toContain('serverless-dbt local --command ls --select ordrs');
    expect(text).toContain('allowEmpty: true');
  });

  test('allowEmpty reaches the container in its run spec', async () => {
    const ecs = fakeEcs(dbtExits(0));
    const execution = await service.execute(
      { job: 'nightly', select: 'tag:late_arrivals', allowEmpty: true },
      ecs,
    );

    expect(execution.status).toBe('SUCCEEDED');
    const [request] = ecs.requests;
    if (request === undefined) throw new Error('no RunTask');
    expect(JSON.parse(containerEnvironment(request).RUN_SPEC ?? '')).toMatchObject({
      select: 'tag:late_arrivals',
      allowEmpty: true,
    });
  });
});

describe('the task fails', () => {
  test('out of memory (exit 137) fails with OUT_OF_MEMORY and a hint naming the memory', async () => {
    const ecs = fakeEcs({
      stopped: stoppedTask({ exitCode: 137, containerReason: REASONS.outOfMemory }),
    });
    const execution = await service.execute({}, ecs);

    expect(execution.error).toBe('OUT_OF_MEMORY');
    expect(ecs.requests).toHaveLength(1);
    expect(slackTexts()).toMatch(/\d+ MiB/);
  });

  test('a Spot notice after dbt already exited 0 is a success, with no second attempt', async () => {
    const ecs = fakeEcs({
      stopped: stoppedTask({
        exitCode: 0,
        stopCode: 'SpotInterruption',
        stoppedReason: REASONS.spot,
      }),
      beforeStop: (request) => service.putSummary(request, summary(0)),
    });
    const execution = await service.execute({}, ecs);

    expect(execution.status).toBe('SUCCEEDED');
    expect(outcomeOf(execution.output).verdict).toBe('SUCCEEDED');
    expect(ecs.requests).toHaveLength(1);
  });

  test('a host that failed its health check (InfrastructureHealth) gets one more attempt', async () => {
    const ecs = fakeEcs(
      {
        stopped: stoppedTask({
          exitCode: null,
          stopCode: 'InfrastructureHealth',
          stoppedReason: 'Task stopped due to an unhealthy host',
        }),
      },
      dbtExits(0),
    );
    const execution = await service.execute({}, ecs);

    expect(execution.status).toBe('SUCCEEDED');
    expect(ecs.requests).toHaveLength(2);
  });

  test('a Spot interruption is retried once on on-demand Fargate, which succeeds', async () => {
    const ecs = fakeEcs(
      {
        stopped: stoppedTask({
          exitCode: 143,
          stopCode: 'SpotInterruption',
          stoppedReason: REASONS.spot,
        }),
      },
      dbtExits(0),
    );
    const execution = await service.execute({}, ecs);

    expect(execution.status).toBe('SUCCEEDED');
    expect(ecs.requests.map((request) => request.CapacityProviderStrategy)).toEqual([
      [{ CapacityProvider: 'FARGATE_SPOT', Weight: 1 }],
      [{ CapacityProvider: 'FARGATE', Weight: 1 }],
    ]);
    // The same run: same run id and spec on both attempts; the attempt and its start are its own.
    const [first, second] = ecs.requests.map(containerEnvironment);
    expect(second?.RUN_ID).toBe(first?.RUN_ID);
    expect(second?.RUN_SPEC).toBe(first?.RUN_SPEC);
    expect([first?.RUN_ATTEMPT, second?.RUN_ATTEMPT]).toEqual(['1', '2']);
    expect(Date.parse(second?.RUN_ATTEMPT_STARTED_AT ?? '')).toBeGreaterThanOrEqual(
      Date.parse(first?.RUN_ATTEMPT_STARTED_AT ?? ''),
    );
  });

  test('the alert and the outcome show what both attempts cost, Spot then on-demand, and the states the execution passed', async () => {
    const ecs = fakeEcs(
      {
        stopped: stoppedTask({
          exitCode: 143,
          stopCode: 'SpotInterruption',
          stoppedReason: REASONS.spot,
        }),
      },
      dbtExits(0),
    );
    const execution = await service.execute({ job: 'nightly' }, ecs, 'run-cost-1');

    expect(execution.status).toBe('SUCCEEDED');
    const { cost } = outcomeOf(execution.output);
    // The recorded task: 598 s billed from its image pull, 1 vCPU and 4 GB, x86, eu-west-1.
    const onDemandUsd = (598 / 3600) * (0.04048 + 4 * 0.004445);
    expect(cost?.attempts).toEqual([
      { attempt: 1, capacityProvider: 'FARGATE_SPOT', billedSeconds: 598, usd: expect.any(Number) },
      { attempt: 2, capacityProvider: 'FARGATE', billedSeconds: 598, usd: expect.any(Number) },
    ]);
    expect(cost?.attempts[0]?.usd).toBeCloseTo(onDemandUsd * 0.3, 12);
    expect(cost?.attempts[1]?.usd).toBeCloseTo(onDemandUsd, 12);
    // Evaluate's estimate of the path is the path the execution really took.
    const entered = execution.events.filter((event) => event.type === 'StateEntered').length;
    expect(cost?.stateTransitions).toBe(entered);
    expect(slackTexts()).toContain(
      `cost $${cost?.usd.toFixed(4)} (attempt 1 on FARGATE_SPOT $${cost?.attempts[0]?.usd.toFixed(4)}, attempt 2 on FARGATE $${cost?.attempts[1]?.usd.toFixed(4)})`,
    );
  });

  test("each attempt's artifacts are in a folder of its own; the outcome is the last attempt's", async () => {
    const stoppedEarly = { success: 3, pass: 0, error: 0, fail: 0, warn: 0, skipped: 0 };
    const ecs = fakeEcs(
      {
        // SIGTERM: the runner stored what the first attempt had done before ECS stopped it.
        stopped: stoppedTask({
          exitCode: 143,
          stopCode: 'SpotInterruption',
          stoppedReason: REASONS.spot,
        }),
        beforeStop: (request) => service.putSummary(request, summary(2, [], stoppedEarly)),
      },
      dbtExits(0),
    );
    const execution = await service.execute({}, ecs, 'run-two-folders');

    expect(execution.status).toBe('SUCCEEDED');
    expect(ecs.requests.map((request) => containerEnvironment(request).RUN_ATTEMPT)).toEqual([
      '1',
      '2',
    ]);
    const runFolder = `${new URL(service.artifactsUri).pathname.slice(1)}/runs/run-two-folders`;
    const stored = async (key: string) =>
      JSON.parse(
        (await (
          await service.s3.send(new GetObjectCommand({ Bucket: service.bucket, Key: key }))
        ).Body?.transformToString()) ?? 'null',
      );
    expect((await stored(`${runFolder}/attempt-1/summary.json`)).counts).toEqual(stoppedEarly);
    expect((await stored(`${runFolder}/attempt-2/summary.json`)).counts).toEqual(COUNTS);
    expect(outcomeOf(execution.output)).toMatchObject({
      counts: COUNTS,
      artifactsUri: `${service.artifactsUri}/runs/run-two-folders/attempt-2/`,
    });
  });

  test('a second Spot-like interruption is not retried again', async () => {
    const interrupted = {
      stopped: stoppedTask({
        exitCode: 143,
        stopCode: 'SpotInterruption',
        stoppedReason: REASONS.spot,
      }),
    };
    const ecs = fakeEcs(interrupted, interrupted);
    const execution = await service.execute({}, ecs);

    expect(execution.error).toBe('INFRA_RETRYABLE');
    expect(ecs.requests).toHaveLength(2);
  });

  describe('AWS unreachable from the task (exit 5)', () => {
    const error =
      'Secrets Manager could not be reached to read secret arn:aws:secretsmanager:eu-west-1:123456789012:secret:warehouse (ConnectTimeoutError at https://secretsmanager.eu-west-1.amazonaws.com/)';
    const zero = { success: 0, pass: 0, error: 0, fail: 0, warn: 0, skipped: 0 };
    /** The runner gave up reaching Secrets Manager before any dbt step: exit 5, with its summary. */
    const unreachable = (): TaskOutcome => ({
      stopped: stoppedTask({ exitCode: 5 }),
      beforeStop: (request) => service.putSummary(request, { ...summary(5, [], zero), error }),
    });

    test('gets one more attempt, on on-demand Fargate, which succeeds', async () => {
      const ecs = fakeEcs(unreachable(), dbtExits(0));
      const execution = await service.execute({}, ecs);

      expect(execution.status).toBe('SUCCEEDED');
      expect(ecs.requests.map((request) => request.CapacityProviderStrategy)).toEqual([
        [{ CapacityProvider: 'FARGATE_SPOT', Weight: 1 }],
        [{ CapacityProvider: 'FARGATE', Weight: 1 }],
      ]);
    });

    test('on the second attempt too ends INFRA_FAILED, and the alert names the network', async () => {
      const ecs = fakeEcs(unreachable(), unreachable());
      const execution = await service.execute({}, ecs);

      expect(execution.status).toBe('FAILED');
      expect(execution.error).toBe('INFRA_FAILED');
      expect(execution.cause).toBe(
        `The dbt container could not reach AWS from the task on the last attempt too (exit 5): ${error}.`,
      );
      expect(ecs.requests.map((request) => request.CapacityProviderStrategy)).toEqual([
        [{ CapacityProvider: 'FARGATE_SPOT', Weight: 1 }],
        [{ CapacityProvider: 'FARGATE', Weight: 1 }],
      ]);
      const text = slackTexts();
      expect(text).toContain('ConnectTimeoutError');
      expect(text).toMatch(/subnets reach Secrets Manager, Glue and S3/);
    });
  });

  test('an image that is not found fails with INFRA_FAILED without a retry', async () => {
    const ecs = fakeEcs({ stopped: failedToStartTask(REASONS.imageNotFound) });
    const execution = await service.execute({}, ecs);

    expect(execution.error).toBe('INFRA_FAILED');
    expect(ecs.requests).toHaveLength(1);
    expect(slackTexts()).toContain('CannotPullContainerError');
  });

  test('a network ResourceInitializationError is retried, and the retry succeeds', async () => {
    const ecs = fakeEcs({ stopped: failedToStartTask(REASONS.secretNetwork) }, dbtExits(0));
    const execution = await service.execute({}, ecs);

    expect(execution.status).toBe('SUCCEEDED');
    expect(ecs.requests).toHaveLength(2);
  });

  test('a task that failed to start with no exit code is a failure, never a success', async () => {
    const ecs = fakeEcs({ stopped: failedToStartTask(REASONS.startUnknown) });
    const execution = await service.execute({}, ecs);

    expect(execution.status).toBe('FAILED');
    expect(execution.error).toBe('INFRA_FAILED');
  });

  test('a task stopped by a person is CANCELLED and not retried', async () => {
    const ecs = fakeEcs({
      stopped: stoppedTask({
        exitCode: 143,
        stopCode: 'UserInitiated',
        stoppedReason: REASONS.userStopped,
      }),
    });
    const execution = await service.execute({}, ecs);

    expect(execution.error).toBe('CANCELLED');
    expect(ecs.requests).toHaveLength(1);
  });

  test('ECS throttling (plain-text Cause) is retried by the state, then by one more attempt', async () => {
    const throttled = { apiError: 'ECS.AmazonECSException', cause: ECS_API_CAUSES.throttled };
    // The RunDbt state's Retry: the first call and 4 retries; then Evaluate's one more attempt.
    const ecs = fakeEcs(throttled, throttled, throttled, throttled, throttled, dbtExits(0));
    const execution = await service.execute({}, ecs);

    expect(execution.status).toBe('SUCCEEDED');
    expect(ecs.requests).toHaveLength(6);
  });

  describe('RunTask answered with Failures (AmazonECS.Unknown)', () => {
    const noCapacity: TaskOutcome = { runTaskFailures: RUN_TASK_FAILURE_CAUSES.fargateCapacity };
    const missing: TaskOutcome = { runTaskFailures: RUN_TASK_FAILURE_CAUSES.missingCluster };
    const capacities = (ecs: ReturnType<typeof fakeEcs>) =>
      ecs.requests.map((request) => request.CapacityProviderStrategy[0]?.CapacityProvider);

    test("no Fargate Spot capacity twice, then a place: RunDbt's Retry starts the task", async () => {
      const ecs = fakeEcs(noCapacity, noCapacity, dbtExits(0));
      const execution = await service.execute({}, ecs);

      expect(execution.status).toBe('SUCCEEDED');
      expect(capacities(ecs)).toEqual(['FARGATE_SPOT', 'FARGATE_SPOT', 'FARGATE_SPOT']);
      const retried = execution.events.filter(
        (event) => event.type === 'StateRetried' && event.state.name === 'RunDbt',
      );
      expect(retried).toHaveLength(2);
    });

    test('no Spot capacity through every retry: INFRA_RETRYABLE, then on-demand Fargate runs it', async () => {
      // The first call and RunDbt's 4 retries on Spot; then Evaluate's attempt 2, on-demand.
      const ecs = fakeEcs(...times(5, noCapacity), dbtExits(0));
      const execution = await service.execute({ job: 'nightly' }, ecs, 'run-capacity-1');

      expect(execution.status).toBe('SUCCEEDED');
      expect(capacities(ecs)).toEqual([...Array(5).fill('FARGATE_SPOT'), 'FARGATE']);
      const exitedEvaluate = execution.events.find(
        (event) => event.type === 'StateExited' && event.state.name === 'Evaluate',
      );
      expect(
        (exitedEvaluate?.type === 'StateExited' ? exitedEvaluate.state.output : null) as unknown,
      ).toMatchObject({
        evaluation: {
          verdict: 'INFRA_RETRYABLE',
          retry: true,
          reason: expect.stringMatching(
            /'Capacity is unavailable at this time\..*' for arn:aws:ecs:/,
          ),
        },
      });
    });

    test('no capacity on either attempt: INFRA_RETRYABLE with no attempt left, and an alert naming the failure', async () => {
      const ecs = fakeEcs(...times(10, noCapacity));
      const execution = await service.execute({ job: 'nightly' }, ecs, 'run-capacity-2');

      expect(execution.status).toBe('FAILED');
      expect(execution.error).toBe('INFRA_RETRYABLE');
      expect(execution.cause).toMatch(/^ECS could not place the task for now \(RunTask failure/);
      expect(capacities(ecs)).toEqual([
        ...Array(5).fill('FARGATE_SPOT'),
        ...Array(5).fill('FARGATE'),
      ]);
      const text = slackTexts();
      expect(text).toContain('Capacity is unavailable at this time');
      expect(text).toContain('No other attempt follows');
    });

    test('a failure that lasts (MISSING) is INFRA_FAILED after the retries, with no on-demand attempt', async () => {
      const ecs = fakeEcs(...times(5, missing));
      const execution = await service.execute({}, ecs);

      expect(execution.error).toBe('INFRA_FAILED');
      expect(execution.cause).toMatch(/'MISSING' for arn:aws:ecs:eu-west-1:\d+:cluster\//);
      expect(ecs.requests).toHaveLength(5);
    });
  });

  test('ECS refusing for good (access denied, plain text) fails with INFRA_FAILED', async () => {
    const ecs = fakeEcs({
      apiError: 'ECS.AccessDeniedException',
      cause: ECS_API_CAUSES.passRoleDenied,
    });
    const execution = await service.execute({}, ecs);

    expect(execution.error).toBe('INFRA_FAILED');
    expect(ecs.requests).toHaveLength(1);
  });

  test('a run past its timeout fails with TIMED_OUT', async () => {
    const ecs = fakeEcs({ timedOut: true });
    const execution = await service.execute({ timeoutSeconds: 600 }, ecs);

    expect(execution.error).toBe('TIMED_OUT');
    expect(ecs.requests).toHaveLength(1);
    expect(execution.cause).toMatch(/600/);
  });

  test('a run the container stopped at its deadline (exit 6) fails with TIMED_OUT naming the running models', async () => {
    const ecs = fakeEcs({
      stopped: stoppedTask({ exitCode: 6 }),
      beforeStop: (request) =>
        service.putSummary(request, {
          ...summary(6),
          steps: [{ name: 'build', status: 'error', seconds: 1706.2 }],
          error:
            "stopped at the run's deadline: its 1800 s limit less 90 s to stop dbt and store the artifacts",
          runningNodes: ['model.shop.orders', 'model.shop.customers'],
        }),
    });
    const execution = await service.execute({ job: 'nightly', timeoutSeconds: 1800 }, ecs);

    expect(execution.error).toBe('TIMED_OUT');
    expect(execution.cause).toBe(
      'dbt was stopped at its 1800 s limit while orders, customers were running (exit 6).',
    );
    // Not another attempt: the run had its time.
    expect(ecs.requests).toHaveLength(1);
    const text = slackTexts();
    expect(text).toContain('timed out');
    expect(text).toContain('while orders, customers were running');
    expect(text).toContain('Raise timeoutSeconds (now 1800 s)');
  });

  test.each([
    ['an empty', ''],
    ['a garbage', 'not json {'],
  ])('%s Cause fails with INFRA_FAILED and does not crash Evaluate', async (_label, cause) => {
    const ecs = fakeEcs({ failedWithCause: cause });
    const execution = await service.execute({}, ecs);

    expect(execution.status).toBe('FAILED');
    expect(execution.error).toBe('INFRA_FAILED');
    expect(
      execution.events.some(
        (event) => event.type === 'StateEntered' && event.state.name === 'EvaluateFailed',
      ),
    ).toBe(false);
  });
});

describe('bad input', () => {
  const cases = JSON.parse(
    readFileSync(join(REPO_ROOT, 'tests', 'fixtures', 'run-input-cases.json'), 'utf8'),
  ) as { invalid: Array<{ name: string; input: unknown; field: string }> };

  // All but `null`: aws-local-stepfunctions 3.0.0 fails the first `$` of a null input with
  // States.Runtime before Prepare runs; Prepare's own tests refuse null with InvalidRunInput.
  const objectOrValue = cases.invalid.filter((item) => item.input !== null);

  test.each(objectOrValue.map((item) => [item.name, item]))(
    '%s: fails with INVALID_INPUT naming the field, and starts no task',
    async (_name, item) => {
      const ecs = fakeEcs();
      const execution = await service.execute(item.input, ecs);

      expect(execution.status).toBe('FAILED');
      expect(execution.error).toBe('INVALID_INPUT');
      expect(execution.cause).toContain(item.field);
      expect(ecs.requests).toHaveLength(0);
    },
  );

  // StartExecution takes inputs up to 256 KiB; Step Functions fails any state whose payload
  // passes that, with States.DataLimitExceeded, which no Catch catches. The harness refuses
  // such a run (tests/support/state-sizes.ts), so each of these also checks every payload.
  test.each([
    ['200 KiB', 200 * 1024],
    ['262,000 bytes', 262_000],
  ])(
    'an input of %s fails with INVALID_INPUT naming `input` and the limit, and alerts',
    async (_label, size) => {
      const input = { job: 'nightly', vars: { pad: '' } };
      input.vars.pad = 'x'.repeat(size - JSON.stringify(input).length);
      expect(Buffer.byteLength(JSON.stringify(input))).toBe(size);
      const ecs = fakeEcs();
      const execution = await service.execute(input, ecs);

      expect(execution.status).toBe('FAILED');
      expect(execution.error).toBe('INVALID_INPUT');
      expect(execution.cause).toMatch(
        new RegExp(`input: must be at most 4096 bytes as compact JSON \\(got ${size}\\)`),
      );
      expect(ecs.requests).toHaveLength(0);
      // The input itself, as the first state's input, is the largest payload; nothing grew it.
      expect(execution.largestPayload).toEqual({ state: 'Prepare', what: 'entered', bytes: size });
      expect(size).toBeLessThanOrEqual(STATE_PAYLOAD_LIMIT_BYTES);
      const text = slackTexts();
      expect(text).toContain('invalid run input');
      expect(text).toContain('must be at most 4096 bytes');
      // Reported under the job its input names, read back from the execution.
      expect(text).toContain('nightly');
    },
  );

  test('the harness refuses the first design, whose Prepare and Evaluate carried the input: Step Functions would fail it uncaught', async () => {
    // As dbt-run.asl.yml was before (docs/design.md, "Changes from the first design"): the
    // whole input in Prepare's Parameters, and again in Evaluate's.
    const prepare = service.definition.States.Prepare as { Parameters: Record<string, string> };
    const evaluate = service.definition.States.Evaluate as { Parameters: Record<string, string> };
    const saved = [{ ...prepare.Parameters }, { ...evaluate.Parameters }] as const;
    prepare.Parameters = { 'input.$': '$', ...saved[0] };
    evaluate.Parameters = { ...saved[1], 'executionInput.$': '$$.Execution.Input' };
    try {
      const input = { job: 'nightly', vars: { pad: '' } };
      input.vars.pad = 'x'.repeat(262_000 - JSON.stringify(input).length);
      await expect(service.execute(input, fakeEcs())).rejects.toThrow(
        /^States\.DataLimitExceeded: .*: Prepare parameters 262\d{3} bytes; Evaluate parameters 262\d{3} bytes$/,
      );
    } finally {
      prepare.Parameters = saved[0];
      evaluate.Parameters = saved[1];
    }
  });

  test('the alert for bad input says which field is wrong', async () => {
    await service.execute({ job: 'nightly', command: 'drop' }, fakeEcs());

    expect(slackTexts()).toContain('command');
    expect(slackTexts()).toContain('invalid run input');
  });
});

describe('overlapping runs', () => {
  test('a start while another run holds the lock is SKIPPED_OVERLAP and leaves that lock alone', async () => {
    const expiresAt = Math.floor(Date.now() / 1000) + 3600;
    await leaveLock(service.dynamodb, service.lockTable, service.lockKey, 'other-run', expiresAt);
    try {
      const ecs = fakeEcs();
      const execution = await service.execute({}, ecs);

      expect(execution.error).toBe('SKIPPED_OVERLAP');
      expect(ecs.requests).toHaveLength(0);
      expect((await service.lockHolder())?.owner).toEqual({ S: 'other-run' });
    } finally {
      await service.dynamodb.send(
        new DeleteItemCommand({
          TableName: service.lockTable,
          Key: { lockId: { S: service.lockKey } },
        }),
      );
    }
  });

  test('two starts at the same moment: exactly one runs dbt, the other is skipped', async () => {
    const slowRun = (): TaskOutcome => ({
      stopped: stoppedTask({ exitCode: 0 }),
      beforeStop: async (request) => {
        await new Promise((resolve) => setTimeout(resolve, 500));
        await service.putSummary(request, summary(0));
      },
    });
    const ecs = fakeEcs(slowRun(), slowRun());
    const [first, second] = await Promise.all([
      service.execute({}, ecs, 'same-moment-a'),
      service.execute({}, ecs, 'same-moment-b'),
    ]);

    expect(ecs.requests).toHaveLength(1);
    expect([first?.status, second?.status].sort()).toEqual(['FAILED', 'SUCCEEDED']);
    expect([first?.error, second?.error]).toContain('SKIPPED_OVERLAP');
  });

  test('a lock left by a crashed run that has expired does not block the next run', async () => {
    const expired = Math.floor(Date.now() / 1000) - 60;
    await leaveLock(service.dynamodb, service.lockTable, service.lockKey, 'crashed-run', expired);
    const ecs = fakeEcs(dbtExits(0));
    const execution = await service.execute({}, ecs);

    expect(execution.status).toBe('SUCCEEDED');
    expect(ecs.requests).toHaveLength(1);
  });

  test('two jobs at the same moment both run, each under its own lock', async () => {
    const first = heldRun();
    const second = heldRun();
    const ecs = fakeEcs(first.outcome, second.outcome);
    const runs = Promise.all([
      service.execute({ job: 'hourly' }, ecs, 'two-jobs-hourly'),
      service.execute({}, ecs, 'two-jobs-manual'),
    ]);
    await Promise.all([first.started, second.started]);

    expect((await service.lockHolder('hourly'))?.owner).toEqual({ S: 'two-jobs-hourly' });
    expect((await service.lockHolder('manual'))?.owner).toEqual({ S: 'two-jobs-manual' });
    first.finish();
    second.finish();
    expect((await runs).map((execution) => execution.status)).toEqual(['SUCCEEDED', 'SUCCEEDED']);
  });

  test("a job of a lock group is SKIPPED_OVERLAP while another of the group runs, naming the group's lock and that job", async () => {
    const nightly = heldRun();
    const ecs = fakeEcs(nightly.outcome);
    const running = service.execute({ job: 'nightly-build' }, ecs, 'group-nightly');
    await nightly.started;

    const weekly = await service.execute({ job: 'weekly-full-refresh' }, ecs, 'group-weekly');

    expect(weekly.error).toBe('SKIPPED_OVERLAP');
    expect(weekly.cause).toContain(
      `execution group-nightly (job nightly-build) holds the overlap lock '${service.lockKeyOf('weekly-full-refresh')}'`,
    );
    expect(service.lockKeyOf('weekly-full-refresh')).toMatch(/#group#warehouse$/);
    expect(ecs.requests).toHaveLength(1);
    nightly.finish();
    expect((await running).status).toBe('SUCCEEDED');
  });

  test("an ABORTED execution's status change frees its lock at once, and the group's next run starts", async () => {
    const stopped = heldRun();
    const ecs = fakeEcs(stopped.outcome, dbtExits(0));
    const aborted = await service.execute(
      { job: 'nightly-build' },
      ecs,
      'stopped-nightly',
      undefined,
      {},
      stopped.started,
    );
    stopped.finish();
    expect(aborted.status).toBe('ABORTED');
    // StopExecution ends it before ReleaseLock: the lock stays until released or expired.
    expect((await service.lockHolder('nightly-build'))?.owner).toEqual({ S: 'stopped-nightly' });

    const released = await service.invoke(
      'releaseLock',
      statusChangeOf(aborted.executionArn, 'stopped-nightly', 'ABORTED'),
    );

    expect(released).toMatchObject({ released: [service.lockKeyOf('nightly-build')] });
    expect(await service.lockHolder('nightly-build')).toBeUndefined();
    const next = await service.execute({ job: 'weekly-full-refresh' }, ecs, 'after-the-stop');
    expect(next.status).toBe('SUCCEEDED');
  });

  test("a FAILED execution's late status change leaves the next run's lock alone", async () => {
    const next = heldRun();
    const ecs = fakeEcs(dbtExits(1), next.outcome);
    const failed = await service.execute({ job: 'nightly-build' }, ecs, 'failed-nightly');
    expect(failed.error).toBe('DBT_FAILED');
    const running = service.execute({ job: 'weekly-full-refresh' }, ecs, 'next-weekly');
    await next.started;

    const released = await service.invoke(
      'releaseLock',
      statusChangeOf(failed.executionArn, 'failed-nightly', 'FAILED'),
    );

    expect(released).toMatchObject({ released: [] });
    expect((await service.lockHolder('weekly-full-refresh'))?.owner).toEqual({ S: 'next-weekly' });
    next.finish();
    expect((await running).status).toBe('SUCCEEDED');
  });
});

/** A run whose task stays up until the test lets it finish (exit 0). */
function heldRun() {
  let markStarted = () => {};
  let finish = () => {};
  const started = new Promise<void>((resolve) => {
    markStarted = resolve;
  });
  const finished = new Promise<void>((resolve) => {
    finish = resolve;
  });
  const outcome: TaskOutcome = {
    stopped: stoppedTask({ exitCode: 0 }),
    beforeStop: async (request) => {
      markStarted();
      await finished;
      await service.putSummary(request, summary(0));
    },
  };
  return { outcome, started, finish };
}

/** The status change EventBridge delivers for the execution (a recorded shape, events.ts). */
function statusChangeOf(executionArn: string, executionName: string, status: 'ABORTED' | 'FAILED') {
  const event = statusChangeEvent(executionName, status);
  return {
    ...event,
    resources: [executionArn],
    detail: { ...event.detail, executionArn, stateMachineArn: service.stateMachineArn },
  };
}

describe('Slack down', () => {
  test.each([
    ['answers 500', SLACK.serverError],
    ['answers 404', SLACK.noService],
  ])(
    'Slack that %s changes no outcome; the failure alert goes to the alarm topic',
    async (_label, reply) => {
      service.slack.setFallback(reply);
      await service.alarmTopic.received();
      const succeeded = await service.execute({}, fakeEcs(dbtExits(0)));
      const failed = await service.execute({}, fakeEcs(dbtExits(1)));

      expect(succeeded.status).toBe('SUCCEEDED');
      expect(failed.error).toBe('DBT_FAILED');
      expect(service.slack.requests.length).toBeGreaterThanOrEqual(2);
      // Notify told of it (UndeliveredAlerts, and the alert on the topic: alarms.integration.test.ts)
      // rather than failing; only the failure alert goes to the topic, not the success notice.
      const notifyFailures = [...succeeded.events, ...failed.events].filter(
        (event) => event.type === 'StateFailed' && event.state.name === 'Notify',
      );
      expect(notifyFailures).toHaveLength(0);
      const published = await service.alarmTopic.received();
      expect(published.map((message) => message.Subject)).toEqual([
        'serverless-dbt dev: dbt job manual ended DBT_FAILED',
      ]);
    },
  );
});

describe("Lambda's own failures", () => {
  test.each([
    'Lambda.ServiceException',
    'Lambda.AWSLambdaException',
    'Lambda.SdkClientException',
    'Lambda.TooManyRequestsException',
  ])('Notify is retried after %s, and the alert arrives once', async (error) => {
    const failed = await service.execute({}, fakeEcs(dbtExits(1)), undefined, undefined, {
      notify: { error, times: 2 },
    });

    expect(failed.error).toBe('DBT_FAILED');
    expect(service.slack.requests).toHaveLength(1);
    expect(slackTexts()).toContain('dbt reported failures');
  });

  test('Notify gives up after its retries, and the outcome stands', async () => {
    const failed = await service.execute({}, fakeEcs(dbtExits(1)), undefined, undefined, {
      notify: { error: 'Lambda.ServiceException', times: 4 },
    });

    expect(failed.error).toBe('DBT_FAILED');
    expect(service.slack.requests).toHaveLength(0);
  });
});

describe('a scheduled run', () => {
  test("gives dbt its scheduled time as vars: run_date in the job's zone and the interval since its last run", async () => {
    // The input daily-build's schedule sends (cron(0 6 * * ? *), Europe/Berlin), with the
    // time EventBridge Scheduler fills in on the day the clocks go forward.
    const template = await packageService({ stage: 'dev' });
    const inputs = resourcesOfType(template, 'AWS::Scheduler::Schedule').map(([, resource]) => {
      const target = resource.Properties?.Target as { Input?: string } | undefined;
      return JSON.parse(target?.Input ?? '{}') as Record<string, unknown>;
    });
    const scheduled = inputs.find((input) => input.job === 'daily-build');
    expect(scheduled?.scheduledTime).toBe('<aws.scheduler.scheduled-time>');
    const ecs = fakeEcs(dbtExits(0));

    const execution = await service.execute(
      { ...scheduled, scheduledTime: '2026-03-29T04:00:00Z' },
      ecs,
      'run-scheduled-1',
    );

    expect(execution.status).toBe('SUCCEEDED');
    const [request] = ecs.requests;
    if (request === undefined) throw new Error('no RunTask');
    const spec = JSON.parse(containerEnvironment(request).RUN_SPEC ?? '');
    expect(spec.scheduledTime).toBe('2026-03-29T04:00:00Z');
    expect(spec.vars).toStrictEqual({
      scheduled_time: '2026-03-29T04:00:00Z',
      run_date: '2026-03-29',
      // Saturday's 06:00 was CET (05:00 UTC): a 23-hour interval.
      data_interval_start: '2026-03-28T05:00:00Z',
      data_interval_end: '2026-03-29T04:00:00Z',
    });
  });

  test('a run started without a scheduled time gets no such vars', async () => {
    const ecs = fakeEcs(dbtExits(0));
    await service.execute({ job: 'daily-build' }, ecs, 'run-unscheduled-1');
    const [request] = ecs.requests;
    if (request === undefined) throw new Error('no RunTask');
    expect(JSON.parse(containerEnvironment(request).RUN_SPEC ?? '')).not.toHaveProperty('vars');
  });
});

describe('the commands beyond build (issue 13)', () => {
  // The Fargate task is faked (fake-ecs.ts); the container's own handling of each command
  // runs real dbt in container/tests/test_commands.py.
  test('a run-operation reaches the container with its macro and args, and the alert names the macro, not the args', async () => {
    const ecs = fakeEcs(dbtExits(0));
    const input = {
      job: 'drop-pr',
      command: 'run-operation',
      macro: 'drop_schema_by_name',
      args: { schema_name: 'pr_42_private' },
      threads: 2,
    };

    const execution = await service.execute(input, ecs, 'run-operation-1');

    expect(execution.status).toBe('SUCCEEDED');
    const [request] = ecs.requests;
    if (request === undefined) throw new Error('no RunTask');
    expect(JSON.parse(containerEnvironment(request).RUN_SPEC ?? '')).toMatchObject({
      ...input,
      failFast: false,
      warnError: false,
    });
    const text = slackTexts();
    expect(text).toContain('dbt run-operation drop_schema_by_name --args … --threads 2');
    expect(text).not.toContain('pr_42_private');
  });

  test('a selector with failFast and warnError reaches the container as given', async () => {
    const ecs = fakeEcs(dbtExits(0));
    const input = { job: 'nightly', selector: 'nightly', failFast: true, warnError: true };

    const execution = await service.execute(input, ecs, 'run-selector-1');

    expect(execution.status).toBe('SUCCEEDED');
    const [request] = ecs.requests;
    if (request === undefined) throw new Error('no RunTask');
    expect(JSON.parse(containerEnvironment(request).RUN_SPEC ?? '')).toMatchObject({
      ...input,
      command: 'build',
    });
  });
});
