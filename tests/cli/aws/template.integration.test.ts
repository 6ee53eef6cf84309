// What the AWS commands assume about a deployed stage, held against the template that
// `serverless package` produces: the stack's name and Outputs, where the dbt container logs,
// where artifacts go, and how the state machine ends and runs its task.
import { deployedSchedule, planDates } from '../../../cli/aws/backfill-plan.ts';
import { logStreamOf, stackNameOf } from '../../../cli/aws/names.ts';
import { STACK_OUTPUTS } from '../../../cli/aws/stack.ts';
import {
  type CloudFormationTemplate,
  packageService,
  resolveFake,
  stateMachineDefinition,
} from '../../support/packaged.ts';
import { DEV, PACKAGE_TIMEOUT_MS, resourceOf } from '../../template/helpers.ts';

let template: CloudFormationTemplate;

beforeAll(async () => {
  template = await packageService(DEV);
}, PACKAGE_TIMEOUT_MS);

describe('the deployed stage, as the AWS commands read it', () => {
  test("backfill finds each job's cron, zone and input in the template, and plans a date with it", () => {
    const schedule = deployedSchedule(template, 'daily-build', 'dev');
    expect(schedule).toMatchObject({
      job: 'daily-build',
      cron: 'cron(0 6 * * ? *)',
      timezone: 'Europe/Berlin',
      input: { job: 'daily-build', scheduledTime: '<aws.scheduler.scheduled-time>' },
    });
    const [planned] = planDates(schedule, ['2026-07-01'], new Date('2026-12-01T00:00:00Z'));
    // 06:00 in Berlin in summer (CEST) is 04:00 UTC.
    expect(planned).toMatchObject({
      scheduledTime: '2026-07-01T04:00:00Z',
      input: { job: 'daily-build', scheduledTime: '2026-07-01T04:00:00Z' },
    });
  });

  test('the stack is serverless-dbt-<stage> and has every output the commands read', () => {
    expect(stackNameOf('dev')).toBe('serverless-dbt-dev');
    expect(Object.keys(template.Outputs ?? {})).toEqual(expect.arrayContaining([...STACK_OUTPUTS]));
  });

  test('the dbt container logs to the stream logs reads: dbt/dbt/<task id>', () => {
    const [container] = resourceOf(template, 'DbtTaskDefinition').Properties
      .ContainerDefinitions as Array<{
      Name: string;
      LogConfiguration: { Options: Record<string, unknown> };
      Environment: Array<{ Name: string; Value: unknown }>;
    }>;
    const prefix = container?.LogConfiguration.Options['awslogs-stream-prefix'];
    expect(logStreamOf('0123abcd')).toBe(`${prefix}/${container?.Name}/0123abcd`);
  });

  test('runs store artifacts under s3://<ArtifactsBucketName>/dbt, where start and docs look', () => {
    const [container] = resourceOf(template, 'DbtTaskDefinition').Properties
      .ContainerDefinitions as Array<{ Environment: Array<{ Name: string; Value: unknown }> }>;
    const artifactsUri = container?.Environment.find(({ Name }) => Name === 'ARTIFACTS_URI');
    const bucket = resolveFake(template, template.Outputs?.ArtifactsBucketName?.Value);
    expect(resolveFake(template, artifactsUri?.Value)).toBe(`s3://${bucket}/dbt`);
  });

  test('the state machine ends as start --wait reads it and runs its task as logs finds it', () => {
    const { States } = stateMachineDefinition(template) as {
      States: Record<string, Record<string, unknown>>;
    };
    const ends = Object.values(States).filter(({ Type }) => Type === 'Succeed' || Type === 'Fail');
    expect(ends).toEqual(
      expect.arrayContaining([
        { Type: 'Succeed', OutputPath: '$.evaluation.output' },
        { Type: 'Fail', ErrorPath: '$.evaluation.verdict', CausePath: '$.evaluation.reason' },
      ]),
    );
    expect(ends).toHaveLength(2);
    // The ECS integration whose TaskSubmitted/TaskSucceeded/TaskFailed events name the task.
    expect(States.RunDbt?.Resource).toBe('arn:aws:states:::ecs:runTask.sync');
  });
});
