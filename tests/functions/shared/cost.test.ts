import {
  attemptCost,
  FARGATE_MINIMUM_SECONDS,
  fargateBilledSeconds,
  fargateCost,
  formatUsd,
  orchestrationCost,
  PRICES,
  pricesFor,
  runCost,
} from '../../../functions/shared/cost.ts';

const T0 = Date.parse('2026-03-02T05:00:00.000Z');
const usEast1 = pricesFor('us-east-1').prices;

describe('what Fargate bills for a task', () => {
  it('bills a task that ran 20 seconds as one minute, the minimum', () => {
    expect(fargateBilledSeconds({ pullStartedAt: T0, stoppedAt: T0 + 20_000 })).toBe(60);
    expect(FARGATE_MINIMUM_SECONDS).toBe(60);
  });

  it('bills per second past the minimum, a started second as a whole one', () => {
    expect(fargateBilledSeconds({ pullStartedAt: T0, stoppedAt: T0 + 61_200 })).toBe(62);
    expect(fargateBilledSeconds({ pullStartedAt: T0, stoppedAt: T0 + 600_000 })).toBe(600);
  });

  it('counts from the start of the image pull, not from the container start', () => {
    expect(
      fargateBilledSeconds({ pullStartedAt: T0, startedAt: T0 + 30_000, stoppedAt: T0 + 300_000 }),
    ).toBe(300);
  });

  it('counts from the start when the task has no pull time', () => {
    expect(fargateBilledSeconds({ startedAt: T0 + 30_000, stoppedAt: T0 + 300_000 })).toBe(270);
  });

  it('bills nothing for a task that never began pulling or starting', () => {
    expect(fargateBilledSeconds({ stoppedAt: T0 + 300_000 })).toBe(0);
  });

  it('bills a task that has not stopped yet up to the time given', () => {
    expect(fargateBilledSeconds({ pullStartedAt: T0 }, T0 + 120_000)).toBe(120);
  });
});

describe('the price of a task', () => {
  const hour = { billedSeconds: 3600, vcpu: 1, memoryGb: 2 } as const;

  it('prices 1 vCPU and 2 GB for an hour on-demand x86 in us-east-1 at list price', () => {
    const usd = fargateCost(
      { ...hour, architecture: 'X86_64', capacityProvider: 'FARGATE' },
      usEast1,
    );
    expect(usd).toBeCloseTo(0.04048 + 2 * 0.004445, 10);
  });

  it('prices ARM64 below x86', () => {
    const arm = fargateCost(
      { ...hour, architecture: 'ARM64', capacityProvider: 'FARGATE' },
      usEast1,
    );
    expect(arm).toBeCloseTo(0.03238 + 2 * 0.00356, 10);
  });

  it('prices Spot at the documented typical discount of on-demand', () => {
    const onDemand = fargateCost(
      { ...hour, architecture: 'X86_64', capacityProvider: 'FARGATE' },
      usEast1,
    );
    const spot = fargateCost(
      { ...hour, architecture: 'X86_64', capacityProvider: 'FARGATE_SPOT' },
      usEast1,
    );
    expect(spot).toBeCloseTo(onDemand * 0.3, 10);
    expect(PRICES.spotFactor).toBe(0.3);
  });

  it('prices a region it does not list as us-east-1, and says so', () => {
    expect(pricesFor('ap-south-2').region).toBe('us-east-1');
    expect(runCost('ap-south-2', [], emptyOrchestration).pricesRegion).toBe('us-east-1');
    expect(runCost('eu-west-1', [], emptyOrchestration).pricesRegion).toBe('eu-west-1');
  });

  it('keeps every price with where and when it was read', () => {
    expect(PRICES.readOn).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    for (const source of PRICES.sources) expect(source).toMatch(/^https:\/\/aws\.amazon\.com\//);
  });
});

const emptyOrchestration = {
  stateTransitions: 0,
  lambdaInvocations: 0,
  lambdaMemoryMb: 256,
  s3Puts: 0,
  s3Gets: 0,
};

describe('the price of the orchestration', () => {
  it('prices state transitions, Lambda requests and GB-seconds, and S3 requests', () => {
    const usd = orchestrationCost(
      {
        stateTransitions: 1000,
        lambdaInvocations: 4,
        lambdaMemoryMb: 1024,
        s3Puts: 1000,
        s3Gets: 1000,
      },
      usEast1,
    );
    // 1,000 transitions $0.025; 4 requests; 4 GB-s; 1,000 PUTs $0.005; 1,000 GETs $0.0004.
    expect(usd).toBeCloseTo(0.025 + 4 * 0.0000002 + 4 * 0.0000133334 + 0.005 + 0.0004, 10);
  });

  it('adds every attempt and the orchestration into the run’s cost', () => {
    const first = attemptCost(
      1,
      {
        billedSeconds: 90,
        vcpu: 1,
        memoryGb: 2,
        architecture: 'X86_64',
        capacityProvider: 'FARGATE_SPOT',
      },
      'us-east-1',
    );
    const second = attemptCost(
      2,
      {
        billedSeconds: 600,
        vcpu: 1,
        memoryGb: 2,
        architecture: 'X86_64',
        capacityProvider: 'FARGATE',
      },
      'us-east-1',
    );
    const cost = runCost('us-east-1', [first, second], {
      ...emptyOrchestration,
      stateTransitions: 14,
    });
    expect(cost.fargateUsd).toBeCloseTo(first.usd + second.usd, 12);
    expect(cost.orchestrationUsd).toBeCloseTo(14 * 0.000025, 12);
    expect(cost.usd).toBeCloseTo(cost.fargateUsd + cost.orchestrationUsd, 12);
    expect(second.usd).toBeGreaterThan(first.usd);
  });
});

describe('a cost as text', () => {
  it.each([
    [0.0123456, '$0.0123'],
    [0.00005, '<$0.0001'],
    [0, '$0.0000'],
    [1.5, '$1.50'],
  ])('shows %p as %s', (amount, text) => {
    expect(formatUsd(amount)).toBe(text);
  });
});
