// What one daily job costs a month, the whole bill: the task, the orchestration around it
// (state transitions, Lambda, S3 requests, the schedule and the lock), its logs, secrets and
// alarms, and the network the task needs (docs/configuration.md, "What the network must
// reach"), against an always-on MWAA mw1.small and a dbt Cloud Starter seat. The task and the
// orchestration are priced by the same code Evaluate prices each run with
// (functions/shared/cost.ts, functions/evaluate/run-cost.ts). Prints the table
// docs/configuration.md shows under "What it costs" (tests/bench/costs.test.ts checks the two
// match).
//
//   node_modules/.bin/node bench/costs.ts
//
import { readFileSync } from 'node:fs';
import { pathTaken } from '../functions/evaluate/run-cost.ts';
import type { RunState } from '../functions/shared/contracts.ts';
import {
  attemptCost,
  formatUsd,
  orchestrationCost,
  PRICES,
  pricesFor,
  S3_GETS_PER_ATTEMPT,
  S3_PUTS_PER_ATTEMPT,
} from '../functions/shared/cost.ts';

/** The job: the stage defaults of serverless.yml (taskCpu 1024, taskMemory 2048, X86_64). */
export const JOB = {
  region: 'us-east-1',
  vcpu: 1,
  memoryGb: 2,
  /** The image pull (billed) and the dbt run. */
  billedMinutesPerRun: 15.5,
  runsPerMonth: 365 / 12,
  /** The task's log a run: dbt's log lines, a few MB. */
  logMbPerRun: 5,
  /** The warehouse's secret and Slack's webhook secret. */
  secrets: 2,
  lambdaMemoryMb: 256,
} as const;

/**
 * Monthly and per-use prices besides a run's own, us-east-1, read on PRICES.readOn:
 * https://aws.amazon.com/vpc/pricing/, https://aws.amazon.com/privatelink/pricing/,
 * https://aws.amazon.com/cloudwatch/pricing/, https://aws.amazon.com/secrets-manager/pricing/,
 * https://aws.amazon.com/eventbridge/pricing/, https://aws.amazon.com/dynamodb/pricing/,
 * https://aws.amazon.com/managed-workflows-for-apache-airflow/pricing/,
 * https://www.getdbt.com/pricing (Starter, per developer seat).
 */
export const OTHER_PRICES = {
  publicIpv4Hour: 0.005,
  natGatewayHour: 0.045,
  natGatewayGb: 0.045,
  interfaceEndpointHour: 0.01,
  logsIngestedGb: 0.5,
  logsStoredGbMonth: 0.03,
  secretMonth: 0.4,
  alarmMonth: 0.1,
  schedulerInvocation: 1 / 1_000_000,
  dynamodbWrite: 0.625 / 1_000_000,
  mwaaSmallHour: 0.49,
  dbtCloudStarterSeatMonth: 100,
} as const;

const HOURS_PER_MONTH = (24 * 365) / 12;
/** The stack's CloudWatch alarms, as infra/resources.yml declares them (a job's no-run alarm is one more). */
export const STACK_ALARMS = (
  readFileSync(new URL('../infra/resources.yml', import.meta.url), 'utf8').match(
    /^\s+Type: AWS::CloudWatch::Alarm$/gm,
  ) ?? []
).length;
/** ecr.api, ecr.dkr, logs, secretsmanager: what the task needs with no NAT and no public IP. */
const INTERFACE_ENDPOINTS = 4;
/** The logs and API calls that cross a NAT gateway when the S3 gateway endpoint carries the image and artifacts. */
const NAT_MB_PER_RUN = 2;

interface Line {
  item: string;
  monthly: number;
  counted: string;
}

/** The bill's lines and totals, as the rows of docs/configuration.md's table. */
export function costLines(): Line[] {
  const runs = JOB.runsPerMonth;
  const task = (capacityProvider: 'FARGATE' | 'FARGATE_SPOT') =>
    attemptCost(
      1,
      {
        billedSeconds: JOB.billedMinutesPerRun * 60,
        vcpu: JOB.vcpu,
        memoryGb: JOB.memoryGb,
        architecture: 'X86_64',
        capacityProvider,
      },
      JOB.region,
    ).usd * runs;
  // A scheduled run that holds a lock and posts its outcome (dbt-run.asl.yml's path).
  const path = pathTaken(
    { run: { notifyOnStart: false, lock: { table: 'locks', key: 'job' } } } as RunState,
    1,
  );
  const orchestration =
    orchestrationCost(
      {
        ...path,
        lambdaMemoryMb: JOB.lambdaMemoryMb,
        s3Puts: S3_PUTS_PER_ATTEMPT,
        s3Gets: S3_GETS_PER_ATTEMPT,
      },
      pricesFor(JOB.region).prices,
    ) * runs;
  const scheduleAndLock =
    (OTHER_PRICES.schedulerInvocation + 2 * OTHER_PRICES.dynamodbWrite) * runs;
  const logGb = (JOB.logMbPerRun * runs) / 1024;
  const logs = logGb * (OTHER_PRICES.logsIngestedGb + OTHER_PRICES.logsStoredGbMonth);
  const secrets = JOB.secrets * OTHER_PRICES.secretMonth;
  const alarms = STACK_ALARMS * OTHER_PRICES.alarmMonth;
  const billedHoursPerRun = Math.ceil(JOB.billedMinutesPerRun / 60);
  const publicIp = billedHoursPerRun * OTHER_PRICES.publicIpv4Hour * runs;
  const nat =
    (OTHER_PRICES.natGatewayHour + OTHER_PRICES.publicIpv4Hour) * HOURS_PER_MONTH +
    ((NAT_MB_PER_RUN * runs) / 1024) * OTHER_PRICES.natGatewayGb;
  const endpoints = INTERFACE_ENDPOINTS * OTHER_PRICES.interfaceEndpointHour * HOURS_PER_MONTH;
  const common = task('FARGATE') + orchestration + scheduleAndLock + logs + secrets + alarms;
  const minutes = `${runs.toFixed(1)} runs × ${JOB.billedMinutesPerRun} min`;
  return [
    {
      item: 'task, on-demand Fargate',
      monthly: task('FARGATE'),
      counted: `${minutes}, ${JOB.vcpu} vCPU, ${JOB.memoryGb} GB, x86`,
    },
    {
      item: 'task, on Fargate Spot instead',
      monthly: task('FARGATE_SPOT'),
      counted: `the same at ${Math.round((1 - PRICES.spotFactor) * 100)} % off (Spot's price varies)`,
    },
    {
      item: 'orchestration',
      monthly: orchestration,
      counted: `${path.stateTransitions} state transitions, ${path.lambdaInvocations} Lambda invocations, ${S3_PUTS_PER_ATTEMPT + S3_GETS_PER_ATTEMPT} S3 requests a run`,
    },
    {
      item: 'schedule and lock',
      monthly: scheduleAndLock,
      counted: 'one schedule invocation, two DynamoDB writes a run',
    },
    {
      item: 'logs',
      monthly: logs,
      counted: `${JOB.logMbPerRun} MB a run, ingested and kept a month`,
    },
    { item: 'secrets', monthly: secrets, counted: `${JOB.secrets} secrets` },
    { item: 'alarms', monthly: alarms, counted: `the stack's ${STACK_ALARMS} alarms` },
    {
      item: 'network: public IP',
      monthly: publicIp,
      counted: `a public IPv4 address, ${billedHoursPerRun} hour a run`,
    },
    {
      item: 'network: NAT gateway',
      monthly: nat,
      counted:
        'one AZ, with its public IPv4, always on; the S3 gateway endpoint (free) for the image',
    },
    {
      item: 'network: VPC endpoints',
      monthly: endpoints,
      counted: `${INTERFACE_ENDPOINTS} interface endpoints in one AZ, always on; the S3 gateway endpoint (free)`,
    },
    {
      item: '**one daily job, with a public IP**',
      monthly: common + publicIp,
      counted: 'on-demand task and everything above but the other networks',
    },
    {
      item: '**one daily job, with a NAT gateway**',
      monthly: common + nat,
      counted: 'the same, a NAT gateway instead',
    },
    {
      item: '**one daily job, with VPC endpoints**',
      monthly: common + endpoints,
      counted: 'the same, VPC endpoints instead',
    },
    {
      item: 'MWAA mw1.small',
      monthly: OTHER_PRICES.mwaaSmallHour * HOURS_PER_MONTH,
      counted: 'always on; it runs the same task besides (add the task)',
    },
    {
      item: 'dbt Cloud Starter',
      monthly: OTHER_PRICES.dbtCloudStarterSeatMonth,
      counted: 'one developer seat',
    },
  ];
}

/** The markdown table docs/configuration.md holds. */
export function costTable(): string {
  const rows = costLines().map(
    (line) => `| ${line.item} | ${formatUsd(line.monthly)} | ${line.counted} |`,
  );
  return [
    `one daily job in ${JOB.region}, list prices read ${PRICES.readOn}`,
    '',
    '| item | a month | counted as |',
    '| --- | --- | --- |',
    ...rows,
  ].join('\n');
}

if (import.meta.main) console.log(costTable());
