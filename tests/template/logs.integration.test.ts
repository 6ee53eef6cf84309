import {
  type CloudFormationTemplate,
  lambdaFunctions,
  packagedParams,
  packageService,
  resolveFake,
  resourcesOfType,
} from '../support/packaged.ts';
import { DEV, LIVE, PACKAGE_TIMEOUT_MS, resourceOf } from './helpers.ts';

describe.each([DEV, LIVE])('log groups in the $stage template', (options) => {
  let template: CloudFormationTemplate;
  let retention: number;

  beforeAll(async () => {
    template = await packageService(options);
    retention = Number((await packagedParams(options)).logRetentionDays);
  }, PACKAGE_TIMEOUT_MS);

  const groupNamed = (name: unknown) =>
    resourcesOfType(template, 'AWS::Logs::LogGroup').find(
      ([logicalId, group]) =>
        group.Properties?.LogGroupName === name ||
        resolveFake(template, { Ref: logicalId }) === name,
    );

  it("gives every log group the stage's retention", () => {
    const groups = resourcesOfType(template, 'AWS::Logs::LogGroup');
    expect(groups.length).toBeGreaterThanOrEqual(5);
    for (const [logicalId, group] of groups) {
      expect([logicalId, group.Properties?.RetentionInDays]).toEqual([logicalId, retention]);
    }
  });

  it("keeps every log group, the Lambdas' included, when the stack is removed or a group replaced", () => {
    const groups = resourcesOfType(template, 'AWS::Logs::LogGroup');
    for (const [logicalId, group] of groups) {
      expect([logicalId, group.DeletionPolicy, group.UpdateReplacePolicy]).toEqual([
        logicalId,
        'Retain',
        'Retain',
      ]);
    }
    // Each function's group, which osls creates: the rule above covers functions added later.
    for (const fn of lambdaFunctions(template)) {
      expect(groupNamed(`/aws/lambda/${fn.functionName}`)?.[1].DeletionPolicy).toBe('Retain');
    }
    expect(groups.map(([logicalId]) => logicalId)).toEqual(
      expect.arrayContaining(['TaskLogGroup', 'StateMachineLogGroup', 'PrepareLogGroup']),
    );
  });

  it('gives every Lambda its own log group, with retention', () => {
    for (const fn of lambdaFunctions(template)) {
      const group = groupNamed(`/aws/lambda/${fn.functionName}`);
      expect(group?.[1].Properties?.RetentionInDays).toBe(retention);
    }
  });

  it("sends the dbt container's log to a log group with retention, under the prefix dbt", () => {
    const container = (
      resourceOf(template, 'DbtTaskDefinition').Properties.ContainerDefinitions as Array<{
        LogConfiguration: { LogDriver: string; Options: Record<string, unknown> };
      }>
    )[0];
    expect(container?.LogConfiguration.LogDriver).toBe('awslogs');
    const options = container?.LogConfiguration.Options ?? {};
    expect(options['awslogs-stream-prefix']).toBe('dbt');
    expect(options['awslogs-group']).toEqual({ Ref: 'TaskLogGroup' });
    expect(resourceOf(template, 'TaskLogGroup').Properties.RetentionInDays).toBe(retention);
  });

  it('logs the state machine to its own log group with retention', () => {
    const logging = resourceOf(template, 'DbtRunStateMachine').Properties.LoggingConfiguration as {
      Level: string;
      Destinations: Array<{ CloudWatchLogsLogGroup: { LogGroupArn: unknown } }>;
    };
    expect(logging.Level).not.toBe('OFF');
    expect(logging.Destinations).toEqual([
      {
        CloudWatchLogsLogGroup: { LogGroupArn: { 'Fn::GetAtt': ['StateMachineLogGroup', 'Arn'] } },
      },
    ]);
    expect(resourceOf(template, 'StateMachineLogGroup').Properties.RetentionInDays).toBe(retention);
  });

  it("gives Notify the task's log group and stream prefix, to link a run's log", () => {
    const notify = lambdaFunctions(template).find((fn) => fn.name === 'notify');
    expect(notify?.environment.LOG_GROUP).toEqual({ Ref: 'TaskLogGroup' });
    expect(notify?.environment.LOG_STREAM_PREFIX).toBe('dbt');
  });
});
