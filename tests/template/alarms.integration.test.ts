import {
  type CloudFormationTemplate,
  packageService,
  resourcesOfType,
} from '../support/packaged.ts';
import { DEV, LIVE, PACKAGE_TIMEOUT_MS, resourceOf } from './helpers.ts';

/** Whether one period's statistic breaches the alarm's threshold. */
function breaches(properties: Record<string, unknown>, value: number): boolean {
  const threshold = Number(properties.Threshold);
  switch (properties.ComparisonOperator) {
    case 'GreaterThanThreshold':
      return value > threshold;
    case 'GreaterThanOrEqualToThreshold':
      return value >= threshold;
    default:
      throw new Error(`the test cannot evaluate ${String(properties.ComparisonOperator)}`);
  }
}

describe.each([DEV, LIVE])('the dead-letter alarm in the $stage template', (options) => {
  let template: CloudFormationTemplate;
  let alarm: Record<string, unknown>;

  beforeAll(async () => {
    template = await packageService(options);
    alarm = resourceOf(template, 'ScheduleDeadLettersAlarm').Properties;
  }, PACKAGE_TIMEOUT_MS);

  it('watches the queue every schedule sends its dead letters to', () => {
    const schedules = resourcesOfType(template, 'AWS::Scheduler::Schedule');
    expect(schedules.length).toBeGreaterThan(0);
    for (const [, schedule] of schedules) {
      expect(schedule.Properties?.Target).toMatchObject({
        DeadLetterConfig: { Arn: { 'Fn::GetAtt': ['ScheduleDeadLetterQueue', 'Arn'] } },
      });
    }
    expect(alarm.Dimensions).toEqual([
      { Name: 'QueueName', Value: { 'Fn::GetAtt': ['ScheduleDeadLetterQueue', 'QueueName'] } },
    ]);
    expect(alarm.AlarmActions).toEqual([{ Ref: 'AlarmTopic' }]);
  });

  it('counts new messages, so each dead letter notifies even while older ones wait', () => {
    // The queue's depth stays above zero for the 14 days a message is kept: an alarm on it
    // stays in ALARM and never notifies of the next failure.
    expect(alarm).toMatchObject({
      Namespace: 'AWS/SQS',
      MetricName: 'NumberOfMessagesSent',
      Statistic: 'Sum',
      EvaluationPeriods: 1,
    });
    expect(Number(alarm.Period)).toBeLessThanOrEqual(60);
    expect(breaches(alarm, 1)).toBe(true);
    expect(breaches(alarm, 0)).toBe(false);
  });

  it('returns to OK when no message arrives, ready to notify of the next one', () => {
    // SQS publishes no NumberOfMessagesSent for a period without messages.
    expect(alarm.TreatMissingData).toBe('notBreaching');
  });
});
