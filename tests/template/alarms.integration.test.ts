import {
  type CloudFormationTemplate,
  packageService,
  resourcesOfType,
} from '../support/packaged.ts';
import { allStatements, DEV, grants, LIVE, PACKAGE_TIMEOUT_MS, resourceOf } from './helpers.ts';

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

// Which runs page and who hears of them (issue 12, items 1, 2 and 11): Evaluate counts
// AlarmingRuns for the verdicts of the stage's alarmOn, Notify counts UndeliveredAlerts when
// Slack does not take an alert, and the functions' own errors page as a backstop. The alarms
// must name the metrics exactly as the functions emit them (functions/shared/metrics.ts).
const LIVE_ALARM_ON =
  'DBT_FAILED,DBT_ERROR,NOTHING_SELECTED,CONFIG_ERROR,ARTIFACTS_LOST,OUT_OF_MEMORY,INFRA_RETRYABLE,INFRA_FAILED,TIMED_OUT';
const CHATBOT_TOPIC = 'arn:aws:sns:eu-west-1:123456789012:chatbot-alarms';
const WITH_SUBSCRIBERS = {
  stage: 'live',
  // As `--param` gives them: comma-separated strings.
  params: {
    alarmEmails: 'oncall@example.com,data-team@example.com',
    alarmTopicArns: CHATBOT_TOPIC,
    alarmOn: 'DBT_FAILED,INFRA_*',
  },
};

/** A function's resource by its osls name (`evaluate`), and its environment. */
function lambdaOf(template: CloudFormationTemplate, name: string) {
  const resource = resourceOf(
    template,
    `${name.charAt(0).toUpperCase()}${name.slice(1)}LambdaFunction`,
  );
  const properties = resource.Properties as {
    FunctionName: string;
    Environment: { Variables: Record<string, unknown> };
  };
  return { name: properties.FunctionName, environment: properties.Environment.Variables };
}

function stateMachineName(template: CloudFormationTemplate): string {
  const [, machine] = resourcesOfType(template, 'AWS::StepFunctions::StateMachine')[0] ?? [];
  const name = machine?.Properties?.StateMachineName;
  if (typeof name !== 'string') throw new Error('the state machine has no name');
  return name;
}

describe.each([DEV, LIVE])('the run alarms in the $stage template', (options) => {
  let template: CloudFormationTemplate;

  beforeAll(async () => {
    template = await packageService(options);
  }, PACKAGE_TIMEOUT_MS);

  it("does not page on AWS/States' ExecutionsFailed, which every verdict but SUCCEEDED raises", () => {
    const metrics = resourcesOfType(template, 'AWS::CloudWatch::Alarm').map(
      ([, alarm]) => `${alarm.Properties?.Namespace}/${alarm.Properties?.MetricName}`,
    );
    expect(metrics).not.toContain('AWS/States/ExecutionsFailed');
    expect(metrics).toContain('AWS/States/ExecutionsTimedOut');
  });

  it('pages on each AlarmingRuns Evaluate counts, under the state machine Evaluate names', () => {
    const alarm = resourceOf(template, 'AlarmingRunsAlarm').Properties;
    const evaluate = lambdaOf(template, 'evaluate');
    expect(alarm).toMatchObject({
      Namespace: 'serverless-dbt',
      MetricName: 'AlarmingRuns',
      Statistic: 'Sum',
      EvaluationPeriods: 1,
      TreatMissingData: 'notBreaching',
    });
    expect(alarm.Dimensions).toEqual([{ Name: 'StateMachine', Value: stateMachineName(template) }]);
    expect(evaluate.environment.STATE_MACHINE_NAME).toBe(stateMachineName(template));
    expect(breaches(alarm, 1)).toBe(true);
    expect(breaches(alarm, 0)).toBe(false);
  });

  it("gives Evaluate the default verdicts that page: the issue's list, INFRA_* expanded, no notices", () => {
    const { environment } = lambdaOf(template, 'evaluate');
    expect(environment.ALARM_ON).toBe(LIVE_ALARM_ON);
    for (const notice of ['SKIPPED_OVERLAP', 'CANCELLED', 'INVALID_INPUT', 'SUCCEEDED']) {
      expect(String(environment.ALARM_ON).split(',')).not.toContain(notice);
    }
  });

  it('pages on each UndeliveredAlerts Notify counts, and gives Notify the alarm topic', () => {
    const alarm = resourceOf(template, 'UndeliveredAlertsAlarm').Properties;
    const notify = lambdaOf(template, 'notify');
    expect(alarm).toMatchObject({
      Namespace: 'serverless-dbt',
      MetricName: 'UndeliveredAlerts',
      Statistic: 'Sum',
      TreatMissingData: 'notBreaching',
    });
    expect(alarm.Dimensions).toEqual([{ Name: 'StateMachine', Value: stateMachineName(template) }]);
    expect(notify.environment.STATE_MACHINE_NAME).toBe(stateMachineName(template));
    expect(notify.environment.ALARM_TOPIC_ARN).toEqual({ Ref: 'AlarmTopic' });
    expect(breaches(alarm, 1)).toBe(true);
  });

  it.each([
    ['evaluate', 'EvaluateErrorsAlarm'],
    ['notify', 'NotifyErrorsAlarm'],
  ])("pages on the %s function's own errors, which no metric of its own would tell", (name, id) => {
    const alarm = resourceOf(template, id).Properties;
    expect(alarm).toMatchObject({
      Namespace: 'AWS/Lambda',
      MetricName: 'Errors',
      Statistic: 'Sum',
      TreatMissingData: 'notBreaching',
    });
    expect(alarm.Dimensions).toEqual([
      { Name: 'FunctionName', Value: lambdaOf(template, name).name },
    ]);
    expect(breaches(alarm, 1)).toBe(true);
  });

  it('lets Notify alone publish, and only to the alarm topic', () => {
    const publishers = allStatements(template).filter((statement) =>
      grants(statement, 'sns:Publish'),
    );
    expect(publishers.map((statement) => [statement.where, statement.Resource])).toEqual([
      ['NotifyRole/notify', [{ Ref: 'AlarmTopic' }]],
    ]);
  });

  it('sends every alarm to the alarm topic, which has no subscriber unless the stage names one', () => {
    const alarms = resourcesOfType(template, 'AWS::CloudWatch::Alarm');
    expect(alarms.length).toBeGreaterThanOrEqual(6);
    for (const [, alarm] of alarms) {
      expect(alarm.Properties?.AlarmActions).toEqual([{ Ref: 'AlarmTopic' }]);
    }
    expect(resourcesOfType(template, 'AWS::SNS::Subscription')).toEqual([]);
  });
});

describe('a stage with alarm subscribers and its own alarmOn', () => {
  let template: CloudFormationTemplate;

  beforeAll(async () => {
    template = await packageService(WITH_SUBSCRIBERS);
  }, PACKAGE_TIMEOUT_MS);

  it('subscribes each alarm email to the alarm topic', () => {
    const subscriptions = resourcesOfType(template, 'AWS::SNS::Subscription').map(
      ([, resource]) => resource.Properties,
    );
    expect(subscriptions).toEqual([
      { TopicArn: { Ref: 'AlarmTopic' }, Protocol: 'email', Endpoint: 'oncall@example.com' },
      { TopicArn: { Ref: 'AlarmTopic' }, Protocol: 'email', Endpoint: 'data-team@example.com' },
    ]);
  });

  it('sends every alarm to the alarm topic and to each alarmTopicArns', () => {
    for (const [, alarm] of resourcesOfType(template, 'AWS::CloudWatch::Alarm')) {
      expect(alarm.Properties?.AlarmActions).toEqual([{ Ref: 'AlarmTopic' }, CHATBOT_TOPIC]);
    }
  });

  it("gives Evaluate the stage's own verdicts, expanded, in the contract's order", () => {
    expect(lambdaOf(template, 'evaluate').environment.ALARM_ON).toBe(
      'DBT_FAILED,INFRA_RETRYABLE,INFRA_FAILED',
    );
  });
});
