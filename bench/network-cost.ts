// What the dbt task's network costs a month for one daily job in one region, for each way of
// giving a Fargate task in a VPC what it must reach at run time (docs/configuration.md, "What
// the network must reach"): ECR and S3 (the image), CloudWatch Logs, Secrets Manager or Glue
// (the credentials), S3 (the artifacts), and the warehouse. dbt packages are not on the list:
// the image installs them at build time and a run skips `dbt deps` (container/dbt_runner/packages.py).
// Prints the table docs/configuration.md shows.
//
//   node_modules/.bin/node bench/network-cost.ts [--image-mb 200] [--run-minutes 15] [--warehouse-mb 0]
//
// --image-mb: the compressed image a task pulls (Fargate keeps no image between tasks);
// --run-minutes: how long the task runs; --warehouse-mb: what a run exchanges with a warehouse
// on the internet (Snowflake, BigQuery, Databricks), 0 for one inside the VPC (Redshift,
// RDS). Logs and AWS API calls (LOGS_AND_API_MB_PER_RUN) and the artifacts (ARTIFACTS_MB_PER_RUN)
// are a few MB a run. Data transfer out to the internet is left out: the same whichever way.
import { parseArgs } from 'node:util';

// List prices, us-east-1, November 2026; other regions' differ (the pages below have them).
const PRICE = {
  /** NAT gateway, per hour, and per GB it processes (https://aws.amazon.com/vpc/pricing/). */
  natGatewayHour: 0.045,
  natGatewayGb: 0.045,
  /**
   * Interface VPC endpoint (PrivateLink), per endpoint per AZ per hour, a partial hour billed
   * as a whole one, and per GB processed (first PB) (https://aws.amazon.com/privatelink/pricing/).
   */
  interfaceEndpointHour: 0.01,
  interfaceEndpointGb: 0.01,
  /**
   * A public IPv4 address, per hour, also the one a NAT gateway holds
   * (https://aws.amazon.com/vpc/pricing/, "Public IPv4 addresses";
   * https://aws.amazon.com/blogs/networking-and-content-delivery/identify-and-optimize-public-ipv4-address-usage-on-aws/).
   */
  publicIpv4Hour: 0.005,
  /** An S3 gateway endpoint: no charge (AWS Prescriptive Guidance, WKLD.12). */
  s3GatewayEndpoint: 0,
};
const DAYS_PER_MONTH = 365 / 12;
const HOURS_PER_MONTH = 24 * DAYS_PER_MONTH;
const MB_PER_GB = 1024;
const LOGS_AND_API_MB_PER_RUN = 2;
const ARTIFACTS_MB_PER_RUN = 3;
/** ecr.api, ecr.dkr, logs and secretsmanager: what a task with `env` or `secretsmanager:` credentials needs. */
const ENDPOINTS_ENV = 4;
/** `glue:` whose connection keeps its password in Secrets Manager: glue as well. */
const ENDPOINTS_GLUE = 5;

const { values } = parseArgs({
  options: {
    'image-mb': { type: 'string', default: '200' },
    'run-minutes': { type: 'string', default: '15' },
    'warehouse-mb': { type: 'string', default: '0' },
  },
});
const imageMb = Number(values['image-mb']);
const runMinutes = Number(values['run-minutes']);
const warehouseMb = Number(values['warehouse-mb']);
for (const [name, value] of [
  ['--image-mb', imageMb],
  ['--run-minutes', runMinutes],
  ['--warehouse-mb', warehouseMb],
] as const) {
  if (!Number.isFinite(value) || value < 0) throw new Error(`${name} must be a number ≥ 0`);
}

interface Choice {
  name: string;
  /** Paid whether or not a run happens. */
  fixedPerMonth: number;
  perRun: number;
  /** What else it takes, or what it cannot do. */
  note: string;
}

const runs = DAYS_PER_MONTH;
/** A public IPv4 address is billed while the task holds it: each run counted as a whole hour, an upper bound. */
const billedRunHours = Math.ceil(runMinutes / 60);
const imageGb = imageMb / MB_PER_GB;
const logsAndApiGb = LOGS_AND_API_MB_PER_RUN / MB_PER_GB;
const artifactsGb = ARTIFACTS_MB_PER_RUN / MB_PER_GB;
const warehouseGb = warehouseMb / MB_PER_GB;

const natGateways = (count: number, s3Gateway: boolean): Choice => ({
  name: `NAT gateway in ${count} AZ${count > 1 ? 's' : ''}${s3Gateway ? ' + S3 gateway endpoint' : ''}`,
  fixedPerMonth: count * (PRICE.natGatewayHour + PRICE.publicIpv4Hour) * HOURS_PER_MONTH,
  // With the S3 gateway endpoint the image's layers (ECR keeps them in S3) and the artifacts skip the NAT.
  perRun:
    (logsAndApiGb + warehouseGb + (s3Gateway ? 0 : imageGb + artifactsGb)) * PRICE.natGatewayGb,
  note: 'reaches anything, a warehouse on the internet included',
});

const interfaceEndpoints = (endpoints: number, azs: number, credentials: string): Choice => ({
  name: `${endpoints} interface endpoints in ${azs} AZ${azs > 1 ? 's' : ''} + S3 gateway endpoint (${credentials})`,
  fixedPerMonth:
    endpoints * azs * PRICE.interfaceEndpointHour * HOURS_PER_MONTH + PRICE.s3GatewayEndpoint,
  // The logs and the API calls (the image's manifest among them) go through the interface
  // endpoints; the image's layers and the artifacts through the S3 gateway endpoint.
  perRun: logsAndApiGb * PRICE.interfaceEndpointGb,
  note: 'no internet at all: the warehouse must be in the VPC (or behind its own PrivateLink)',
});

const choices: Choice[] = [
  {
    name: 'public subnet, assignPublicIp ENABLED',
    fixedPerMonth: 0,
    perRun: billedRunHours * PRICE.publicIpv4Hour,
    note: 'the task only connects out: its security group allows nothing in',
  },
  natGateways(1, true),
  natGateways(1, false),
  natGateways(2, true),
  interfaceEndpoints(ENDPOINTS_ENV, 1, 'env, secretsmanager:'),
  interfaceEndpoints(ENDPOINTS_ENV, 2, 'env, secretsmanager:'),
  interfaceEndpoints(ENDPOINTS_GLUE, 2, 'glue: with a secret'),
];

const dollars = (amount: number): string => {
  if (amount === 0) return '$0';
  if (amount < 0.0001) return '< $0.0001';
  return amount >= 1 ? `$${amount.toFixed(2)}` : `$${amount.toFixed(4)}`;
};

console.log(
  `one daily job (${runs.toFixed(1)} runs a month), image ${imageMb} MB, ${runMinutes} min a run, ` +
    `${warehouseMb} MB a run to a warehouse on the internet; us-east-1 list prices`,
);
console.log('');
console.log('| network | fixed a month | per run | a month | note |');
console.log('| --- | --- | --- | --- | --- |');
for (const choice of choices) {
  const monthly = choice.fixedPerMonth + choice.perRun * runs;
  console.log(
    `| ${choice.name} | ${dollars(choice.fixedPerMonth)} | ${dollars(choice.perRun)} | ${dollars(monthly)} | ${choice.note} |`,
  );
}
