/**
 * What a run cost, at list prices. Pure: no AWS SDK, no clock. The prices are data (PRICES,
 * with where and when they were read); the billing rules are the functions below.
 *
 * Fargate bills a task from the moment it starts pulling its image until it stops, per second,
 * with a one-minute minimum, for the vCPU and memory the task was given, not what it used.
 * Step Functions Standard bills each state entered; Lambda each request and its GB-seconds;
 * S3 each request.
 */

export type CpuArchitecture = 'X86_64' | 'ARM64';
export type CapacityProviderName = 'FARGATE' | 'FARGATE_SPOT';

interface FargateRates {
  /** Per vCPU-hour. */
  vcpuHour: number;
  /** Per GB of memory per hour. */
  gbHour: number;
}

interface RegionPrices {
  fargate: Record<CpuArchitecture, FargateRates>;
  /** Step Functions Standard, per state transition. */
  stateTransition: number;
  /** Lambda, per request. */
  lambdaRequest: number;
  /** Lambda arm64 (the functions' architecture), per GB-second. */
  lambdaArmGbSecond: number;
  /** S3 Standard, per PUT (and COPY, POST, LIST) request. */
  s3Put: number;
  /** S3 Standard, per GET request. */
  s3Get: number;
}

// us-east-1, us-east-2, us-west-2 and eu-west-1 share these list prices.
const US_EAST_1: RegionPrices = {
  fargate: {
    X86_64: { vcpuHour: 0.04048, gbHour: 0.004445 },
    ARM64: { vcpuHour: 0.03238, gbHour: 0.00356 },
  },
  stateTransition: 0.025 / 1000,
  lambdaRequest: 0.2 / 1_000_000,
  lambdaArmGbSecond: 0.0000133334,
  s3Put: 0.005 / 1000,
  s3Get: 0.0004 / 1000,
};

/**
 * List prices by region, read on `readOn` from `sources`. A region not listed is priced as
 * `fallbackRegion`, and the cost says so (RunCost.pricesRegion).
 */
export const PRICES = {
  readOn: '2026-12-02',
  sources: [
    'https://aws.amazon.com/fargate/pricing/',
    'https://aws.amazon.com/step-functions/pricing/',
    'https://aws.amazon.com/lambda/pricing/',
    'https://aws.amazon.com/s3/pricing/',
  ],
  /**
   * Fargate Spot's price moves with spare capacity, per region and hour; AWS advertises "up to
   * 70%" off on-demand, and its typical discount is close to that. Spot is priced here as
   * on-demand times this factor: an estimate, not the bill.
   */
  spotFactor: 0.3,
  fallbackRegion: 'us-east-1',
  regions: {
    'us-east-1': US_EAST_1,
    'us-east-2': US_EAST_1,
    'us-west-2': US_EAST_1,
    'eu-west-1': US_EAST_1,
  } as Record<string, RegionPrices>,
} as const;

/** Fargate's minimum billed time per task. */
export const FARGATE_MINIMUM_SECONDS = 60;

/**
 * What the rest of one run takes that Evaluate cannot see, per attempt: the objects the
 * container writes (summary.json, manifest.json, run_results.json, sources.json, catalog and
 * docs, the log) and the GET of summary.json by Evaluate. An estimate, stated in the docs.
 */
export const S3_PUTS_PER_ATTEMPT = 8;
export const S3_GETS_PER_ATTEMPT = 1;
/**
 * Each Lambda invocation billed as this long (the handler's time plus its cold start: a
 * daily job's invocations are all cold, and Lambda bills INIT since August 2025).
 */
export const LAMBDA_BILLED_SECONDS = 1;

export function pricesFor(region: string): { region: string; prices: RegionPrices } {
  const prices = PRICES.regions[region];
  if (prices !== undefined) return { region, prices };
  const fallback = PRICES.regions[PRICES.fallbackRegion] ?? US_EAST_1;
  return { region: PRICES.fallbackRegion, prices: fallback };
}

/**
 * The seconds Fargate bills a task: from its image pull's start (its start when it has no
 * pull time) to its stop, rounded up to the second, at least one minute. 0 for a task that
 * never began pulling or starting: Fargate bills nothing then.
 */
export function fargateBilledSeconds(
  times: { pullStartedAt?: number; startedAt?: number; stoppedAt?: number },
  fallbackStop?: number,
): number {
  const begin = times.pullStartedAt ?? times.startedAt;
  const end = times.stoppedAt ?? fallbackStop;
  if (begin === undefined || end === undefined || end < begin) return 0;
  return Math.max(FARGATE_MINIMUM_SECONDS, Math.ceil((end - begin) / 1000));
}

export interface FargateUsage {
  billedSeconds: number;
  /** vCPU: the task's CPU units / 1024. */
  vcpu: number;
  /** GB: the task's memory MiB / 1024. */
  memoryGb: number;
  architecture: CpuArchitecture;
  capacityProvider: CapacityProviderName;
}

export function fargateCost(usage: FargateUsage, prices: RegionPrices): number {
  const rates = prices.fargate[usage.architecture];
  const hours = usage.billedSeconds / 3600;
  const onDemand = hours * (usage.vcpu * rates.vcpuHour + usage.memoryGb * rates.gbHour);
  return usage.capacityProvider === 'FARGATE_SPOT' ? onDemand * PRICES.spotFactor : onDemand;
}

export interface OrchestrationUsage {
  stateTransitions: number;
  lambdaInvocations: number;
  lambdaMemoryMb: number;
  s3Puts: number;
  s3Gets: number;
}

export function orchestrationCost(usage: OrchestrationUsage, prices: RegionPrices): number {
  const gbSeconds = usage.lambdaInvocations * LAMBDA_BILLED_SECONDS * (usage.lambdaMemoryMb / 1024);
  return (
    usage.stateTransitions * prices.stateTransition +
    usage.lambdaInvocations * prices.lambdaRequest +
    gbSeconds * prices.lambdaArmGbSecond +
    usage.s3Puts * prices.s3Put +
    usage.s3Gets * prices.s3Get
  );
}

/** One attempt's task, as the cost lists it. */
export interface AttemptCost {
  attempt: number;
  capacityProvider: CapacityProviderName;
  billedSeconds: number;
  usd: number;
}

/** A run's cost, in `Evaluation.cost` and the run's outcome. */
export interface RunCost {
  /** The whole run so far: every attempt's task and the orchestration. */
  usd: number;
  fargateUsd: number;
  orchestrationUsd: number;
  attempts: AttemptCost[];
  stateTransitions: number;
  lambdaInvocations: number;
  /** The region whose prices were used (PRICES.fallbackRegion for one not listed). */
  pricesRegion: string;
  /** When the prices were read (PRICES.readOn). */
  pricesReadOn: string;
}

/** One attempt's task, priced. */
export function attemptCost(attempt: number, usage: FargateUsage, region: string): AttemptCost {
  return {
    attempt,
    capacityProvider: usage.capacityProvider,
    billedSeconds: usage.billedSeconds,
    usd: fargateCost(usage, pricesFor(region).prices),
  };
}

/** The run's cost: its attempts' tasks (each priced already) and the orchestration around them. */
export function runCost(
  region: string,
  attempts: AttemptCost[],
  orchestration: OrchestrationUsage,
): RunCost {
  const { region: pricesRegion, prices } = pricesFor(region);
  const fargateUsd = attempts.reduce((sum, item) => sum + item.usd, 0);
  const orchestrationUsd = orchestrationCost(orchestration, prices);
  return {
    usd: fargateUsd + orchestrationUsd,
    fargateUsd,
    orchestrationUsd,
    attempts,
    stateTransitions: orchestration.stateTransitions,
    lambdaInvocations: orchestration.lambdaInvocations,
    pricesRegion,
    pricesReadOn: PRICES.readOn,
  };
}

/** `$0.0123`; `$1.23` from a dollar; `<$0.0001` below a hundredth of a cent. */
export function formatUsd(amount: number): string {
  if (amount >= 1) return `$${amount.toFixed(2)}`;
  if (amount > 0 && amount < 0.0001) return '<$0.0001';
  return `$${amount.toFixed(4)}`;
}
