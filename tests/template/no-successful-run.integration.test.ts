// Each job's dead man's switch in the packaged template (`serverless package`): an alarm per
// enabled job on the SucceededRuns metric Evaluate emits, as the metric contract says, with a
// window no shorter than the job's longest gap plus the longest run. And `serverless package`
// refusing a daily job whose time a spring-forward day skips.
import {
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lockExpiresAt } from '../../functions/prepare/lock-rules.ts';
import {
  type CloudFormationTemplate,
  packagedParams,
  packageService,
  REPO_ROOT,
  resourcesOfType,
  stateMachineResource,
} from '../support/packaged.ts';
import { DEV, LIVE, PACKAGE_TIMEOUT_MS } from './helpers.ts';

interface Job {
  name: string;
  cron: string;
  timezone: string;
  input?: { timeoutSeconds?: number };
  enabled?: boolean;
}

interface AlarmProperties {
  AlarmName: string;
  AlarmDescription: string;
  Metrics: Array<{
    Id: string;
    Expression?: string;
    ReturnData: boolean;
    MetricStat?: {
      Metric: {
        Namespace: string;
        MetricName: string;
        Dimensions: Array<{ Name: string; Value: unknown }>;
      };
      Period: number;
      Stat: string;
    };
  }>;
  EvaluationPeriods: number;
  DatapointsToAlarm: number;
  Threshold: number;
  ComparisonOperator: string;
  TreatMissingData: string;
  AlarmActions: unknown[];
}

const scheduleTimes = createRequire(import.meta.url)(
  join(REPO_ROOT, 'infra', 'schedule-times.cjs'),
) as {
  longestGapSeconds: (expression: string, zone: string, from: Date, to: Date) => number;
};

/** The alarms on SucceededRuns, by the Job dimension they watch. */
function noRunAlarms(template: CloudFormationTemplate): Map<string, AlarmProperties> {
  const found = new Map<string, AlarmProperties>();
  for (const [, resource] of resourcesOfType(template, 'AWS::CloudWatch::Alarm')) {
    const properties = resource.Properties as unknown as AlarmProperties;
    const metric = properties.Metrics?.find((each) => each.MetricStat)?.MetricStat?.Metric;
    if (metric?.MetricName !== 'SucceededRuns') continue;
    const job = metric.Dimensions.find((dimension) => dimension.Name === 'Job')?.Value;
    found.set(String(job), properties);
  }
  return found;
}

describe.each([DEV, LIVE])("the $stage template's no-successful-run alarms", (options) => {
  let template: CloudFormationTemplate;
  let jobs: Job[];
  let defaultTimeout: number;

  beforeAll(async () => {
    template = await packageService(options);
    const params = await packagedParams(options);
    jobs = params.jobs as Job[];
    defaultTimeout = Number(params.defaultTimeoutSeconds);
  }, PACKAGE_TIMEOUT_MS);

  it('has one for each enabled job whose window CloudWatch can hold, and none for a disabled job', () => {
    const alarms = noRunAlarms(template);
    const enabled = jobs.filter((job) => job.enabled !== false).map((job) => job.name);
    expect(alarms.size).toBeGreaterThan(0);
    for (const job of alarms.keys()) expect(enabled).toContain(job);
    for (const job of jobs.filter((each) => each.enabled === false)) {
      expect(alarms.has(job.name)).toBe(false);
    }
  });

  it('watches SucceededRuns of this state machine and the job, as Evaluate emits it', () => {
    const stateMachineName = stateMachineResource(template).resource.Properties?.StateMachineName;
    expect(typeof stateMachineName).toBe('string');
    for (const [job, alarm] of noRunAlarms(template)) {
      const [metric, expression] = alarm.Metrics;
      expect(metric?.MetricStat).toEqual({
        Metric: {
          Namespace: 'serverless-dbt',
          MetricName: 'SucceededRuns',
          Dimensions: [
            { Name: 'StateMachine', Value: stateMachineName },
            { Name: 'Job', Value: job },
          ],
        },
        Period: expect.any(Number),
        Stat: 'Sum',
      });
      expect(metric?.ReturnData).toBe(false);
      expect(expression).toMatchObject({ Expression: `FILL(${metric?.Id}, 0)`, ReturnData: true });
    }
  });

  it('goes off when every period of the window had no success, and tells the alarm topic', () => {
    for (const [job, alarm] of noRunAlarms(template)) {
      expect([job, alarm]).toEqual([
        job,
        expect.objectContaining({
          Threshold: 1,
          ComparisonOperator: 'LessThanThreshold',
          TreatMissingData: 'breaching',
          DatapointsToAlarm: alarm.EvaluationPeriods,
        }),
      ]);
      expect(alarm.AlarmActions).toContainEqual({ Ref: 'AlarmTopic' });
      expect(alarm.AlarmName).toContain(`-${job}-no-successful-run-in-`);
      expect(alarm.AlarmDescription).toMatch(new RegExp(`^${job}: no successful run in \\d`));
    }
  });

  it("lasts at least the job's longest gap plus its longest run, within CloudWatch's limits", () => {
    const now = new Date();
    const inTwoYears = new Date(now.getTime() + 2 * 365 * 86_400_000);
    for (const [name, alarm] of noRunAlarms(template)) {
      const job = jobs.find((each) => each.name === name) as Job;
      const gap = scheduleTimes.longestGapSeconds(job.cron, job.timezone, now, inTwoYears);
      const run = lockExpiresAt(0, job.input?.timeoutSeconds ?? defaultTimeout);
      const period = alarm.Metrics[0]?.MetricStat?.Period ?? 0;
      const window = period * alarm.EvaluationPeriods;
      expect([name, window >= gap + run]).toEqual([name, true]);
      expect(window).toBeLessThanOrEqual(period < 3600 ? 86_400 : 604_800);
    }
  });
});

describe('the example jobs', () => {
  it(
    'watch the dev daily build and the live nightly build; the weekly job is beyond 7 days',
    async () => {
      expect([...noRunAlarms(await packageService(DEV)).keys()]).toEqual(['daily-build']);
      expect([...noRunAlarms(await packageService(LIVE)).keys()]).toEqual(['nightly-build']);
    },
    PACKAGE_TIMEOUT_MS,
  );

  it(
    'run the live nightly build at a time that exists every day in its time zone',
    async () => {
      const nightly = ((await packagedParams(LIVE)).jobs as Job[]).find(
        (job) => job.name === 'nightly-build',
      );
      expect(nightly).toMatchObject({ cron: 'cron(30 3 * * ? *)', timezone: 'Europe/Berlin' });
    },
    PACKAGE_TIMEOUT_MS,
  );
});

describe('serverless package with a daily job at 02:30 in Europe/Berlin', () => {
  let root: string;

  beforeAll(() => {
    // The repository as it is, but for serverless.yml, whose live nightly build is moved
    // back to 02:30.
    root = mkdtempSync(join(tmpdir(), 'sdbt-dst-gap-'));
    for (const entry of readdirSync(REPO_ROOT)) {
      if (['serverless.yml', '.serverless-dbt', '.serverless', '.git'].includes(entry)) continue;
      symlinkSync(join(REPO_ROOT, entry), join(root, entry));
    }
    const original = readFileSync(join(REPO_ROOT, 'serverless.yml'), 'utf8');
    const moved = original.replace('cron: cron(30 3 * * ? *)', 'cron: cron(30 2 * * ? *)');
    expect(moved).not.toBe(original);
    writeFileSync(join(root, 'serverless.yml'), moved);
  });

  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it(
    'fails, naming the setting, the job, the time and the date it would not run',
    async () => {
      await expect(packageService({ stage: 'live', root })).rejects.toThrow(
        /param 'jobs\[0\]\.cron': job nightly-build runs at 02:30 Europe\/Berlin time, which does not exist on \d{4}-03-\d\d \(the clocks go from 02:00 to 03:00\)/,
      );
    },
    PACKAGE_TIMEOUT_MS,
  );
});
