import { costOf, pathTaken, regionOfArn } from '../../../functions/evaluate/run-cost.ts';
import type { RunState } from '../../../functions/shared/contracts.ts';
import { preparedRun, taskErrorState, taskState } from './events.ts';
import { failedToStartTask, REASONS, stoppedTask, taskFailed } from './tasks.ts';

const SETTINGS = {
  taskCpuUnits: 1024,
  taskMemoryMiB: 2048,
  taskCpuArchitecture: 'X86_64',
  lambdaMemoryMb: 256,
} as const;
const EXECUTION_ARN =
  'arn:aws:states:eu-west-1:123456789012:execution:serverless-dbt-dev-dbt-run:r1';
const NOW = Date.parse('2026-03-02T06:00:00.000Z');

// The recorded task (tests/functions/evaluate/tasks.ts): pull started 2 s after creation,
// stopped 600 s after it: 598 s billed; 1 vCPU, 4096 MiB, FARGATE_SPOT, in eu-west-1.
const SPOT_TASK_USD = (598 / 3600) * (0.04048 + 4 * 0.004445) * 0.3;

describe("a run's cost, from the state Evaluate is given", () => {
  it('prices the stopped task from its pull start to its stop, at its own size, on Spot', () => {
    const cost = costOf(taskState(stoppedTask()), 1, EXECUTION_ARN, SETTINGS, NOW);
    expect(cost?.attempts).toEqual([
      { attempt: 1, capacityProvider: 'FARGATE_SPOT', billedSeconds: 598, usd: expect.any(Number) },
    ]);
    expect(cost?.attempts[0]?.usd).toBeCloseTo(SPOT_TASK_USD, 12);
    expect(cost?.pricesRegion).toBe('eu-west-1');
    expect(cost?.usd).toBeGreaterThan(SPOT_TASK_USD);
    expect(cost?.usd).toBeLessThan(SPOT_TASK_USD + 0.001);
  });

  it('prices the task a States.TaskFailed cause holds', () => {
    const cost = costOf(
      taskErrorState(taskFailed(stoppedTask({ exitCode: 1 }))),
      1,
      EXECUTION_ARN,
      SETTINGS,
      NOW,
    );
    expect(cost?.attempts[0]?.billedSeconds).toBe(598);
  });

  it('bills no task that never started, but still the orchestration', () => {
    const cost = costOf(
      taskState(failedToStartTask(REASONS.eniTimeout)),
      1,
      EXECUTION_ARN,
      SETTINGS,
      NOW,
    );
    expect(cost?.attempts).toEqual([]);
    expect(cost?.fargateUsd).toBe(0);
    expect(cost?.orchestrationUsd).toBeGreaterThan(0);
  });

  it('uses the task definition’s size when the task does not say it', () => {
    const { Cpu: _cpu, Memory: _memory, ...task } = stoppedTask();
    const cost = costOf(taskState(task), 1, EXECUTION_ARN, SETTINGS, NOW);
    expect(cost?.attempts[0]?.usd).toBeCloseTo((598 / 3600) * (0.04048 + 2 * 0.004445) * 0.3, 12);
  });

  it('adds the earlier attempt’s cost to a second attempt on on-demand Fargate', () => {
    const first = taskState(
      stoppedTask({ stoppedReason: REASONS.spot, stopCode: 'SpotInterruption' }),
    );
    const firstCost = costOf(first, 1, EXECUTION_ARN, SETTINGS, NOW);
    const { CapacityProviderName: _spot, ...onDemandTask } = stoppedTask();
    const second: RunState = {
      ...taskState(onDemandTask, { attempt: 2 }),
      capacity: [{ CapacityProvider: 'FARGATE', Weight: 1 }],
      previousAttempt: { cost: firstCost ?? undefined } as RunState['previousAttempt'],
    };
    const cost = costOf(second, 2, EXECUTION_ARN, SETTINGS, NOW);
    expect(cost?.attempts.map((item) => [item.attempt, item.capacityProvider])).toEqual([
      [1, 'FARGATE_SPOT'],
      [2, 'FARGATE'],
    ]);
    // On-demand is the Spot price / 0.3.
    expect(cost?.attempts[1]?.usd).toBeCloseTo(SPOT_TASK_USD / 0.3, 12);
    expect(cost?.fargateUsd).toBeCloseTo(SPOT_TASK_USD + SPOT_TASK_USD / 0.3, 12);
  });

  it('has no cost for a run of serverless-dbt local, which runs nothing on AWS', () => {
    const local = {
      ...stoppedTask(),
      TaskArn: 'arn:aws:ecs:local:000000000000:task/serverless-dbt-local/1',
    };
    expect(costOf(taskState(local), 1, 'arn:aws:states:::execution:x:y', SETTINGS, NOW)).toBeNull();
  });

  it('has no cost to give when nothing names a region', () => {
    expect(costOf({}, 1, undefined, SETTINGS, NOW)).toBeNull();
  });
});

describe('the path an execution takes', () => {
  it('counts the states and Lambdas of one attempt that holds a lock and announces no start', () => {
    // Prepare, AnnounceStart?, RunDbt, Evaluate, AnotherAttempt?, HoldsLock?, ReleaseLock,
    // Notify, Outcome?, Succeeded.
    expect(pathTaken(taskState(stoppedTask()), 1)).toEqual({
      stateTransitions: 10,
      lambdaInvocations: 3,
    });
  });

  it('adds RetryOnDemand and a second RunDbt, Evaluate, AnotherAttempt? for a second attempt', () => {
    expect(pathTaken(taskState(stoppedTask()), 2).stateTransitions).toBe(14);
  });

  it('adds AnnounceStart and its Lambda when the run announces its start, and no ReleaseLock without a lock', () => {
    const run = preparedRun({ notifyOnStart: true, lock: undefined });
    expect(pathTaken(taskState(stoppedTask(), { run }), 1)).toEqual({
      stateTransitions: 10,
      lambdaInvocations: 4,
    });
  });

  it('reads the region of an ARN', () => {
    expect(regionOfArn(EXECUTION_ARN)).toBe('eu-west-1');
    expect(regionOfArn('not-an-arn')).toBeUndefined();
  });
});
