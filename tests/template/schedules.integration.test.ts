import { parseRunInput } from '../../functions/shared/run-input.ts';
import {
  type CloudFormationTemplate,
  packagedParams,
  packageService,
  resourcesOfType,
  type TemplateResource,
} from '../support/packaged.ts';
import { DEV, LIVE, PACKAGE_TIMEOUT_MS } from './helpers.ts';

interface Job {
  job?: string;
  name: string;
  cron: string;
  timezone: string;
  input?: Record<string, unknown>;
  enabled?: boolean;
}

interface ScheduleProperties {
  Name: string;
  ScheduleExpression: string;
  ScheduleExpressionTimezone: string;
  State: string;
  Target: {
    Arn: unknown;
    RoleArn: unknown;
    Input: string;
    RetryPolicy?: { MaximumEventAgeInSeconds: number; MaximumRetryAttempts: number };
    DeadLetterConfig?: { Arn: unknown };
  };
}

describe.each([DEV, LIVE])('the $stage schedules', (options) => {
  let template: CloudFormationTemplate;
  let jobs: Job[];

  beforeAll(async () => {
    template = await packageService(options);
    jobs = (await packagedParams(options)).jobs as Job[];
  }, PACKAGE_TIMEOUT_MS);

  const schedules = () =>
    resourcesOfType(template, 'AWS::Scheduler::Schedule').map(
      ([, resource]: [string, TemplateResource]) =>
        resource.Properties as unknown as ScheduleProperties,
    );
  const scheduleOf = (job: Job) => {
    const found = schedules().filter((schedule) => {
      const input = JSON.parse(schedule.Target.Input) as { job?: string };
      return input.job === job.name;
    });
    expect(found).toHaveLength(1);
    return found[0] as ScheduleProperties;
  };

  it('has example jobs, one schedule for each', () => {
    expect(jobs.length).toBeGreaterThan(0);
    expect(schedules()).toHaveLength(jobs.length);
  });

  it("runs each job's cron in the job's time zone", () => {
    for (const job of jobs) {
      expect(scheduleOf(job)).toMatchObject({
        ScheduleExpression: job.cron,
        ScheduleExpressionTimezone: job.timezone,
      });
    }
  });

  it('starts this state machine, with a retry policy and a dead-letter queue', () => {
    for (const job of jobs) {
      const { Target } = scheduleOf(job);
      expect(Target.Arn).toEqual({ Ref: 'DbtRunStateMachine' });
      expect(Target.RoleArn).toEqual({ 'Fn::GetAtt': ['SchedulerRole', 'Arn'] });
      expect(Target.RetryPolicy?.MaximumRetryAttempts).toBeGreaterThan(0);
      expect(Target.RetryPolicy?.MaximumEventAgeInSeconds).toBeGreaterThan(0);
      expect(Target.DeadLetterConfig).toEqual({
        Arn: { 'Fn::GetAtt': ['ScheduleDeadLetterQueue', 'Arn'] },
      });
    }
  });

  it("sends the job's input with the job's name and the Scheduler's scheduled time, a valid run input", () => {
    for (const job of jobs) {
      const input = JSON.parse(scheduleOf(job).Target.Input) as Record<string, unknown>;
      expect(input).toEqual({
        ...job.input,
        job: job.name,
        scheduledTime: '<aws.scheduler.scheduled-time>',
      });
      // As EventBridge Scheduler sends it, with the context attribute filled in.
      const sent = { ...input, scheduledTime: '2026-11-24T05:00:00Z' };
      expect(parseRunInput(sent)).toMatchObject({
        job: job.name,
        scheduledTime: '2026-11-24T05:00:00Z',
      });
    }
  });

  it("gives Prepare each job's cron and the time zone its schedule runs in (JOB_SCHEDULES)", () => {
    const variables = Object.values(template.Resources)
      .filter((resource) => resource.Type === 'AWS::Lambda::Function')
      .map(
        (resource) =>
          (resource.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined)
            ?.Variables ?? {},
      )
      .filter((variables) => variables.JOB_SCHEDULES !== undefined);
    // Prepare's alone: the other functions have no use for the crons.
    expect(variables).toHaveLength(1);
    const given = JSON.parse(String(variables[0]?.JOB_SCHEDULES)) as Record<string, unknown>;
    for (const job of jobs) {
      const schedule = scheduleOf(job);
      expect([job.name, given[job.name]]).toEqual([
        job.name,
        { cron: schedule.ScheduleExpression, timezone: schedule.ScheduleExpressionTimezone },
      ]);
    }
  });

  it('disables the schedule of a disabled job and enables the others', () => {
    for (const job of jobs) {
      expect([job.name, scheduleOf(job).State]).toEqual([
        job.name,
        job.enabled === false ? 'DISABLED' : 'ENABLED',
      ]);
    }
  });
});

describe('the dev example jobs', () => {
  it(
    'include an enabled daily build in Berlin time and a disabled hourly freshness check',
    async () => {
      const jobs = (await packagedParams(DEV)).jobs as Job[];
      expect(jobs).toContainEqual(
        expect.objectContaining({
          name: 'daily-build',
          cron: 'cron(0 6 * * ? *)',
          timezone: 'Europe/Berlin',
          enabled: true,
        }),
      );
      expect(jobs).toContainEqual(
        expect.objectContaining({ name: 'hourly-freshness', enabled: false }),
      );
      const template = await packageService(DEV);
      const disabled = resourcesOfType(template, 'AWS::Scheduler::Schedule').filter(
        ([, resource]) => resource.Properties?.State === 'DISABLED',
      );
      const jobOf = ([, resource]: [string, TemplateResource]) =>
        (JSON.parse((resource.Properties as unknown as ScheduleProperties).Target.Input) as Job)
          .job;
      expect(disabled.map(jobOf)).toEqual(['hourly-freshness']);
    },
    PACKAGE_TIMEOUT_MS,
  );
});
