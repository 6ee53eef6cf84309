import { type CloudFormationTemplate, packageService } from '../support/packaged.ts';
import { allStatements, DEV, LIVE, PACKAGE_TIMEOUT_MS, resourceOf } from './helpers.ts';

describe.each([DEV, LIVE])('storage in the $stage template', (options) => {
  let template: CloudFormationTemplate;

  beforeAll(async () => {
    template = await packageService(options);
  }, PACKAGE_TIMEOUT_MS);

  it('blocks every kind of public access to the artifacts bucket', () => {
    expect(
      resourceOf(template, 'ArtifactsBucket').Properties.PublicAccessBlockConfiguration,
    ).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
  });

  it('encrypts the artifacts bucket', () => {
    const encryption = resourceOf(template, 'ArtifactsBucket').Properties.BucketEncryption as {
      ServerSideEncryptionConfiguration: Array<{
        ServerSideEncryptionByDefault: { SSEAlgorithm: string };
      }>;
    };
    expect(
      encryption.ServerSideEncryptionConfiguration[0]?.ServerSideEncryptionByDefault.SSEAlgorithm,
    ).toMatch(/^(AES256|aws:kms|aws:kms:dsse)$/);
  });

  it('denies every request to the artifacts bucket that does not use TLS', () => {
    const policies = Object.entries(template.Resources).filter(
      ([, resource]) =>
        resource.Type === 'AWS::S3::BucketPolicy' &&
        JSON.stringify(resource.Properties?.Bucket) === JSON.stringify({ Ref: 'ArtifactsBucket' }),
    );
    expect(policies).toHaveLength(1);
    const [[logicalId]] = policies as [[string, unknown]];
    const deny = allStatements(template).filter(
      (statement) => statement.where === logicalId && statement.Effect === 'Deny',
    );
    expect(deny).toContainEqual(
      expect.objectContaining({
        Principal: '*',
        Action: ['s3:*'],
        Resource: [
          { 'Fn::GetAtt': ['ArtifactsBucket', 'Arn'] },
          // biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation's Fn::Sub syntax
          { 'Fn::Sub': '${ArtifactsBucket.Arn}/*' },
        ],
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      }),
    );
  });

  it("expires old runs' artifacts but keeps the latest docs", () => {
    const rules = (
      resourceOf(template, 'ArtifactsBucket').Properties.LifecycleConfiguration as {
        Rules: Array<{ Prefix?: string; ExpirationInDays?: number; Status: string }>;
      }
    ).Rules;
    const expiring = rules.filter((rule) => rule.ExpirationInDays !== undefined);
    expect(expiring).toEqual([expect.objectContaining({ Prefix: 'dbt/runs/', Status: 'Enabled' })]);
  });

  it('keys the lock table by lockId, on demand, with expiresAt as its TTL', () => {
    expect(resourceOf(template, 'LockTable').Properties).toMatchObject({
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [{ AttributeName: 'lockId', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'lockId', KeyType: 'HASH' }],
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
    });
  });

  it('encrypts the schedules dead-letter queue', () => {
    const queue = resourceOf(template, 'ScheduleDeadLetterQueue').Properties;
    expect(queue.SqsManagedSseEnabled === true || queue.KmsMasterKeyId !== undefined).toBe(true);
  });

  it('scans pushed images and keeps their tags immutable, with a lifecycle', () => {
    const repository = resourceOf(template, 'DbtRepository').Properties;
    expect(repository).toMatchObject({
      ImageTagMutability: 'IMMUTABLE',
      ImageScanningConfiguration: { ScanOnPush: true },
    });
    const policy = JSON.parse(
      (repository.LifecyclePolicy as { LifecyclePolicyText: string }).LifecyclePolicyText,
    ) as { rules: unknown[] };
    expect(policy.rules.length).toBeGreaterThan(0);
  });

  it('runs tasks on a cluster with both Fargate and Fargate Spot', () => {
    expect(resourceOf(template, 'DbtCluster').Properties.CapacityProviders).toEqual([
      'FARGATE',
      'FARGATE_SPOT',
    ]);
  });

  it('alarms on failed and timed-out executions of this state machine, to the alarm topic', () => {
    const alarms = Object.values(template.Resources).filter(
      (resource) =>
        resource.Type === 'AWS::CloudWatch::Alarm' &&
        resource.Properties?.Namespace === 'AWS/States',
    );
    expect(alarms.map((alarm) => alarm.Properties?.MetricName).sort()).toEqual([
      'ExecutionsFailed',
      'ExecutionsTimedOut',
    ]);
    for (const alarm of alarms) {
      expect(alarm.Properties).toMatchObject({
        Dimensions: [{ Name: 'StateMachineArn', Value: { Ref: 'DbtRunStateMachine' } }],
        AlarmActions: [{ Ref: 'AlarmTopic' }],
      });
    }
  });

  it('outputs the state machine, the bucket, the repository and the log group', () => {
    expect(template.Outputs).toMatchObject({
      StateMachineArn: { Value: { Ref: 'DbtRunStateMachine' } },
      ArtifactsBucketName: { Value: { Ref: 'ArtifactsBucket' } },
      RepositoryUri: { Value: { 'Fn::GetAtt': ['DbtRepository', 'RepositoryUri'] } },
      TaskLogGroupName: { Value: { Ref: 'TaskLogGroup' } },
    });
  });
});
