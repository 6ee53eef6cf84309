// What the orchestration of one daily job costs a month, against an always-on MWAA mw1.small
// environment ($0.49 an hour) doing the same job. Both start the same Fargate task, so the
// task itself is left out of both sides. Counted from the event log of successful runs of the
// packaged state machine, executed locally with the real handlers (tests/support/service.ts):
// state transitions (Step Functions Standard bills each state entered) and Lambda invocations
// with their durations. Goal: ≤ 1/10,000 of MWAA.
//
//   node bench/orchestration-cost.ts [--runs 5]
//
import type { EventLog } from '../cli/local/execute.ts';
import { stoppedTask } from '../tests/functions/evaluate/tasks.ts';
import { fakeEcs } from '../tests/support/fake-ecs.ts';
import { startService } from '../tests/support/service.ts';

// List prices (us-east-1, November 2026):
const PRICE = {
  /** Step Functions Standard, per state transition ($0.025 per 1,000). */
  stateTransition: 0.025 / 1000,
  /** Lambda requests ($0.20 per million). */
  lambdaRequest: 0.2 / 1_000_000,
  /** Lambda arm64 compute, per GB-second. */
  lambdaArmGbSecond: 0.0000133334,
  /** EventBridge Scheduler, per invocation ($1.00 per million). */
  schedulerInvocation: 1 / 1_000_000,
  /** DynamoDB on-demand writes ($0.625 per million write request units). */
  dynamodbWrite: 0.625 / 1_000_000,
  /** S3 Standard GET ($0.0004 per 1,000). */
  s3Get: 0.0004 / 1000,
  /** MWAA mw1.small environment, per hour. */
  mwaaSmallHour: 0.49,
};
const DAYS_PER_MONTH = 365 / 12;
const HOURS_PER_MONTH = 24 * DAYS_PER_MONTH;
/**
 * Lambda bills the INIT phase of on-demand functions (since August 2025), and a daily job's
 * invocations are all cold starts: each is charged this much on top of its handler's time,
 * above the cold import that bench/lambda-bundles.ts measures (tens of milliseconds).
 */
const COLD_START_ALLOWANCE_MS = 500;
const GOAL_RATIO = 1 / 10_000;

const runsFlag = process.argv.indexOf('--runs');
const runs = runsFlag >= 0 ? Number(process.argv[runsFlag + 1]) : 5;

interface RunCount {
  transitions: number;
  invocations: number;
  /** Billed Lambda GB-seconds, cold start allowance included. */
  gbSeconds: number;
}

function countRun(
  events: EventLog[],
  memoryMbByArn: Map<string, number>,
  resources: Map<string, string>,
): RunCount {
  let transitions = 0;
  let invocations = 0;
  let gbSeconds = 0;
  const entered = new Map<string, number>();
  for (const event of events) {
    if (event.type === 'StateEntered') {
      transitions += 1;
      entered.set(event.state.name, event.timestamp);
    }
    if (event.type !== 'StateExited' && event.type !== 'StateFailed') continue;
    const memoryMb = memoryMbByArn.get(resources.get(event.state.name) ?? '');
    if (memoryMb === undefined) continue;
    invocations += 1;
    const billedMs = Math.max(
      1,
      Math.ceil(event.timestamp - (entered.get(event.state.name) ?? event.timestamp)),
    );
    gbSeconds += ((billedMs + COLD_START_ALLOWANCE_MS) / 1000) * (memoryMb / 1024);
  }
  return { transitions, invocations, gbSeconds };
}

const service = await startService({ environment: { NOTIFY_ON: 'failure' } });
try {
  const memoryMbByArn = new Map(
    service.functions.map((lambda) => [lambda.fakeArn, lambda.memorySize]),
  );
  const resources = new Map(
    Object.entries(service.definition.States).map(([name, state]) => [
      name,
      String(state.Resource ?? ''),
    ]),
  );
  const counts: RunCount[] = [];
  for (let run = 0; run < runs; run += 1) {
    const ecs = fakeEcs({
      stopped: stoppedTask({ exitCode: 0 }),
      beforeStop: (request) =>
        service.putSummary(request, {
          runId: 'bench',
          exitCode: 0,
          command: 'build',
          dbtVersion: '1.11.16',
          startedAt: new Date().toISOString(),
          finishedAt: new Date().toISOString(),
          steps: [],
          counts: { success: 40, pass: 30, error: 0, fail: 0, warn: 0, skipped: 0 },
          nodes: [],
          freshness: { status: 'pass', sources: [] },
        }),
    });
    const execution = await service.execute({ job: 'daily-build' }, ecs);
    if (execution.status !== 'SUCCEEDED')
      throw new Error(`run ${run} ${execution.status}: ${execution.cause}`);
    counts.push(countRun(execution.events, memoryMbByArn, resources));
  }

  const worst = counts.reduce((a, b) => (a.gbSeconds >= b.gbSeconds ? a : b));
  const transitions = Math.max(...counts.map((count) => count.transitions));
  const invocations = Math.max(...counts.map((count) => count.invocations));
  const perRun =
    transitions * PRICE.stateTransition +
    invocations * PRICE.lambdaRequest +
    worst.gbSeconds * PRICE.lambdaArmGbSecond;
  // Per run besides: one schedule invocation, the lock's PutItem and DeleteItem, one GET of summary.json.
  const extrasPerRun = PRICE.schedulerInvocation + 2 * PRICE.dynamodbWrite + PRICE.s3Get;
  const monthly = perRun * DAYS_PER_MONTH;
  const monthlyWithExtras = (perRun + extrasPerRun) * DAYS_PER_MONTH;
  const mwaa = PRICE.mwaaSmallHour * HOURS_PER_MONTH;

  console.log(`successful runs measured: ${runs} (the costliest one counted)`);
  console.log(`state transitions per run: ${transitions}`);
  console.log(
    `Lambda invocations per run: ${invocations}, billed ${worst.gbSeconds.toFixed(3)} GB-s (with ${COLD_START_ALLOWANCE_MS} ms cold start each)`,
  );
  console.log(
    `one daily job, per month: $${monthly.toFixed(5)} (with schedule, lock and S3 requests: $${monthlyWithExtras.toFixed(5)})`,
  );
  console.log(`MWAA mw1.small always on, per month: $${mwaa.toFixed(2)}`);
  const ratio = monthly / mwaa;
  console.log(
    `ratio: ${ratio.toExponential(2)} = 1/${Math.round(1 / ratio).toLocaleString('en')} (with extras 1/${Math.round(mwaa / monthlyWithExtras).toLocaleString('en')}); goal ≤ 1/10,000: ${ratio <= GOAL_RATIO ? 'met' : 'MISSED'}`,
  );
  console.log(
    'not counted (fixed, not per run): the Slack webhook secret ($0.40/month), three CloudWatch alarms ($0.10 each/month), logs',
  );
} finally {
  await service.stop();
}
