// The release of a dead execution's lock in the packaged template: the EventBridge rule on
// this state machine's status changes, its Lambda target with retries and a dead-letter queue,
// the permissions that let the rule invoke the function and write to the queue, and the alarm
// on the queue. The rule's pattern, as deployed, is put on the default event bus of a moto
// server and sent recorded status changes (events.ts): moto's bus matches them as EventBridge
// does and delivers the matched ones to a log group, standing in for the function (moto does
// not run Lambdas; on AWS only Step Functions itself may put `aws.states` events).
import { randomUUID } from 'node:crypto';
import {
  CloudWatchLogsClient,
  CreateLogGroupCommand,
  FilterLogEventsCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import {
  EventBridgeClient,
  PutEventsCommand,
  PutRuleCommand,
  PutTargetsCommand,
} from '@aws-sdk/client-eventbridge';
import { statusChangeEvent } from '../functions/release-lock/events.ts';
import { type Moto, startMoto } from '../support/moto.ts';
import {
  type CloudFormationTemplate,
  FAKE_ACCOUNT,
  packageService,
  resolveFake,
} from '../support/packaged.ts';
import { DEV, LIVE, PACKAGE_TIMEOUT_MS, resourceOf } from './helpers.ts';

let moto: Moto;
let events: EventBridgeClient;
let logs: CloudWatchLogsClient;

beforeAll(async () => {
  moto = await startMoto();
  events = new EventBridgeClient(moto.clientConfig);
  logs = new CloudWatchLogsClient(moto.clientConfig);
}, 60_000);

afterAll(async () => {
  events?.destroy();
  logs?.destroy();
  await moto?.stop();
});

type Status = Parameters<typeof statusChangeEvent>[1];

describe.each([DEV, LIVE])(
  'releasing a dead execution’s lock in the $stage template',
  (options) => {
    let template: CloudFormationTemplate;
    let rule: Record<string, unknown>;
    const fake = (value: unknown) => resolveFake(template, value);
    const delivered = `/test/lock-release-${options.stage}`;

    beforeAll(async () => {
      template = await packageService(options);
      rule = resourceOf(template, 'LockReleaseRule').Properties;
      // The deployed pattern on moto's default bus, delivering to a log group.
      await logs.send(new CreateLogGroupCommand({ logGroupName: delivered }));
      await events.send(
        new PutRuleCommand({
          Name: `lock-release-${options.stage}`,
          EventPattern: JSON.stringify(fake(rule.EventPattern)),
          State: 'ENABLED',
        }),
      );
      await events.send(
        new PutTargetsCommand({
          Rule: `lock-release-${options.stage}`,
          Targets: [
            {
              Id: 'delivered',
              Arn: `arn:aws:logs:eu-west-1:${FAKE_ACCOUNT.accountId}:log-group:${delivered}`,
            },
          ],
        }),
      );
    }, PACKAGE_TIMEOUT_MS);

    /** Whether the deployed rule passes a recorded status change on to its target. */
    async function delivers(status: Status, stateMachineArn?: string): Promise<boolean> {
      const executionName = `run-${randomUUID()}`;
      const recorded = statusChangeEvent(executionName, status);
      const detail = {
        ...recorded.detail,
        stateMachineArn: stateMachineArn ?? (fake({ Ref: 'DbtRunStateMachine' }) as string),
      };
      await events.send(
        new PutEventsCommand({
          Entries: [
            {
              Source: recorded.source,
              DetailType: recorded['detail-type'],
              Resources: recorded.resources,
              Detail: JSON.stringify(detail),
            },
          ],
        }),
      );
      const found = await logs.send(new FilterLogEventsCommand({ logGroupName: delivered }));
      return (found.events ?? []).some((event) => event.message?.includes(executionName));
    }

    it.each(['ABORTED', 'TIMED_OUT', 'FAILED'] as const)(
      'sends a %s execution of this state machine to the function',
      async (status) => {
        expect(await delivers(status)).toBe(true);
      },
    );

    it.each(['RUNNING', 'SUCCEEDED'] as const)('leaves a %s execution alone', async (status) => {
      expect(await delivers(status)).toBe(false);
    });

    it("leaves other state machines' executions alone", async () => {
      const other = `arn:aws:states:eu-west-1:${FAKE_ACCOUNT.accountId}:stateMachine:someone-elses-machine`;
      expect(await delivers('ABORTED', other)).toBe(false);
    });

    it('targets the release-lock function, with retries and a dead-letter queue', () => {
      expect(rule.State).toBe('ENABLED');
      expect(rule.Targets).toEqual([
        {
          Id: 'release-lock',
          Arn: { 'Fn::GetAtt': ['ReleaseLockLambdaFunction', 'Arn'] },
          RetryPolicy: { MaximumRetryAttempts: expect.any(Number), MaximumEventAgeInSeconds: 3600 },
          DeadLetterConfig: { Arn: { 'Fn::GetAtt': ['LockReleaseDeadLetterQueue', 'Arn'] } },
        },
      ]);
      expect(resourceOf(template, 'ReleaseLockLambdaFunction').Properties.Handler).toBe(
        'functions/release-lock/handler.handler',
      );
    });

    it('lets only this rule invoke the function', () => {
      expect(resourceOf(template, 'ReleaseLockPermission').Properties).toEqual({
        FunctionName: { 'Fn::GetAtt': ['ReleaseLockLambdaFunction', 'Arn'] },
        Action: 'lambda:InvokeFunction',
        Principal: 'events.amazonaws.com',
        SourceArn: { 'Fn::GetAtt': ['LockReleaseRule', 'Arn'] },
      });
    });

    it('retries a failed invocation twice, then sends the event to the same queue', () => {
      expect(resourceOf(template, 'ReleaseLockInvokeConfig').Properties).toEqual({
        FunctionName: { Ref: 'ReleaseLockLambdaFunction' },
        Qualifier: '$LATEST',
        MaximumRetryAttempts: 2,
        MaximumEventAgeInSeconds: 3600,
        DestinationConfig: {
          OnFailure: { Destination: { 'Fn::GetAtt': ['LockReleaseDeadLetterQueue', 'Arn'] } },
        },
      });
    });

    it('lets only this rule write dead letters to the encrypted queue', () => {
      const queue = resourceOf(template, 'LockReleaseDeadLetterQueue').Properties;
      expect(queue.SqsManagedSseEnabled).toBe(true);
      const policy = resourceOf(template, 'LockReleaseDeadLetterQueuePolicy').Properties;
      expect(policy.Queues).toEqual([{ Ref: 'LockReleaseDeadLetterQueue' }]);
      expect((policy.PolicyDocument as { Statement: unknown[] }).Statement).toEqual([
        {
          Sid: 'EventBridgeDeadLettersOfTheRule',
          Effect: 'Allow',
          Principal: { Service: 'events.amazonaws.com' },
          Action: 'sqs:SendMessage',
          Resource: { 'Fn::GetAtt': ['LockReleaseDeadLetterQueue', 'Arn'] },
          Condition: {
            ArnEquals: { 'aws:SourceArn': { 'Fn::GetAtt': ['LockReleaseRule', 'Arn'] } },
          },
        },
      ]);
    });

    it('alarms on every new dead letter, to the alarm topic', () => {
      const alarm = resourceOf(template, 'LockReleaseDeadLettersAlarm').Properties;
      expect(alarm).toMatchObject({
        Namespace: 'AWS/SQS',
        MetricName: 'NumberOfMessagesSent',
        Dimensions: [
          {
            Name: 'QueueName',
            Value: { 'Fn::GetAtt': ['LockReleaseDeadLetterQueue', 'QueueName'] },
          },
        ],
        Statistic: 'Sum',
        EvaluationPeriods: 1,
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        TreatMissingData: 'notBreaching',
      });
      expect(alarm.AlarmActions).toEqual(expect.arrayContaining([{ Ref: 'AlarmTopic' }]));
    });
  },
);
