// The state machine as deployed: the definition `serverless package` puts in the CloudFormation
// template, executed by aws-local-stepfunctions, with the real Prepare, Evaluate and Notify
// handlers (configured by the template's environment), DynamoDB, S3 and Secrets Manager in a
// moto server, and Slack as a real HTTP server on 127.0.0.1. ECS's control plane is the one
// thing mocked (tests/support/fake-ecs.ts): it answers RunTask as the .sync integration does.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DeleteItemCommand } from '@aws-sdk/client-dynamodb';
import { jest } from '@jest/globals';
import type { RunOutcome } from '../../functions/shared/contracts.ts';
import {
  ECS_API_CAUSES,
  failedToStartTask,
  REASONS,
  stoppedTask,
} from '../functions/evaluate/tasks.ts';
import { leaveLock } from '../functions/prepare/lock-table.ts';
import { containerEnvironment, fakeEcs, type TaskOutcome } from '../support/fake-ecs.ts';
import { REPO_ROOT } from '../support/packaged.ts';
import { type LocalService, startService } from '../support/service.ts';
import { SLACK } from '../support/slack-server.ts';

jest.setTimeout(120_000);

let service: LocalService;

beforeAll(async () => {
  service = await startService({
    environment: { NOTIFY_ON: 'success,failure', FARGATE_SPOT: 'true' },
  });
}, 180_000);

afterAll(async () => {
  await service?.stop();
});

beforeEach(() => service.slack.reset());

afterEach(async () => {
  // Whatever happened, the run gave its overlap lock back.
  expect(await service.lockHolder()).toBeUndefined();
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
  test('succeeds with the outcome as output, and starts one task with only RUN_SPEC and RUN_ID', async () => {
    const ecs = fakeEcs(dbtExits(0));
    const execution = await service.execute({ job: 'nightly', select: 'marts' }, ecs, 'run-ok-1');

    expect(execution.status).toBe('SUCCEEDED');
    expect(outcomeOf(execution.output)).toEqual({
      runId: 'run-ok-1',
      job: 'nightly',
      verdict: 'SUCCEEDED',
      reason: expect.any(String),
      hint: null,
      exitCode: 0,
      counts: COUNTS,
      artifactsUri: `${service.artifactsUri}/runs/run-ok-1/`,
    });
    expect(ecs.requests).toHaveLength(1);
    const [request] = ecs.requests;
    if (request === undefined) throw new Error('no RunTask');
    expect(request.CapacityProviderStrategy).toEqual([
      { CapacityProvider: 'FARGATE_SPOT', Weight: 1 },
    ]);
    const environment = containerEnvironment(request);
    expect(Object.keys(environment).sort()).toEqual(['RUN_ID', 'RUN_SPEC']);
    expect(environment.RUN_ID).toBe('run-ok-1');
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
    const execution = await service.execute({ job: 'nightly' }, ecs);

    expect(execution.status).toBe('FAILED');
    expect(execution.error).toBe('DBT_FAILED');
    expect(execution.cause).toEqual(expect.any(String));
    expect(ecs.requests).toHaveLength(1);
    const text = slackTexts();
    expect(text).toContain('model.shop.orders');
    expect(text).toContain('column \\"amount\\" does not exist');
    expect(text).toContain('test.shop.not_null_orders_order_id.1a2b');
    expect(text).toContain('Got 3 results');
  });

  test('exit 2 fails with DBT_ERROR and is not retried', async () => {
    const ecs = fakeEcs(dbtExits(2));
    const execution = await service.execute({}, ecs);

    expect(execution.error).toBe('DBT_ERROR');
    expect(ecs.requests).toHaveLength(1);
  });

  test('exit 3 fails with CONFIG_ERROR and exit 4 with ARTIFACTS_LOST', async () => {
    const config = await service.execute({}, fakeEcs(dbtExits(3)));
    const artifacts = await service.execute({}, fakeEcs(dbtExits(4)));

    expect([config.error, artifacts.error]).toEqual(['CONFIG_ERROR', 'ARTIFACTS_LOST']);
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
    // The same run: same run id and spec on both attempts.
    const [first, second] = ecs.requests.map(containerEnvironment);
    expect(second).toEqual(first);
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
});

describe('Slack down', () => {
  test.each([
    ['answers 500', SLACK.serverError],
    ['answers 404', SLACK.noService],
  ])('Slack that %s changes no outcome', async (_label, reply) => {
    service.slack.setFallback(reply);
    const succeeded = await service.execute({}, fakeEcs(dbtExits(0)));
    const failed = await service.execute({}, fakeEcs(dbtExits(1)));

    expect(succeeded.status).toBe('SUCCEEDED');
    expect(failed.error).toBe('DBT_FAILED');
    expect(service.slack.requests.length).toBeGreaterThanOrEqual(2);
    const notifyFailures = [...succeeded.events, ...failed.events].filter(
      (event) => event.type === 'StateFailed' && event.state.name === 'Notify',
    );
    expect(notifyFailures).toHaveLength(2);
  });
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
