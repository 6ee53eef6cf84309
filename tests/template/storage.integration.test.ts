import { LOCK_OWNER_INDEX } from '../../functions/prepare/lock-rules.ts';
import {
  type CloudFormationTemplate,
  packagedParams,
  packageService,
} from '../support/packaged.ts';
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

  const lifecycleRules = () =>
    (
      resourceOf(template, 'ArtifactsBucket').Properties.LifecycleConfiguration as {
        Rules: Array<{
          Prefix?: string;
          ExpirationInDays?: number;
          Status: string;
          NoncurrentVersionExpiration?: { NoncurrentDays: number };
          ExpiredObjectDeleteMarker?: boolean;
        }>;
      }
    ).Rules;

  it("expires old runs' artifacts after artifactsRetentionDays but keeps the latest docs", async () => {
    const retention = Number((await packagedParams(options)).artifactsRetentionDays);
    const expiring = lifecycleRules().filter((rule) => rule.ExpirationInDays !== undefined);
    expect(expiring).toEqual([
      expect.objectContaining({
        Prefix: 'dbt/runs/',
        Status: 'Enabled',
        ExpirationInDays: retention,
      }),
    ]);
  });

  it('versions the artifacts bucket, so an overwritten or deleted object keeps its earlier version', () => {
    expect(resourceOf(template, 'ArtifactsBucket').Properties.VersioningConfiguration).toEqual({
      Status: 'Enabled',
    });
  });

  it('expires noncurrent versions after 30 days, and the delete markers left alone, bucket-wide', () => {
    const versions = lifecycleRules().filter(
      (rule) => rule.NoncurrentVersionExpiration !== undefined,
    );
    expect(versions).toEqual([
      expect.objectContaining({
        Status: 'Enabled',
        NoncurrentVersionExpiration: { NoncurrentDays: 30 },
        ExpiredObjectDeleteMarker: true,
      }),
    ]);
    // Every prefix: latest/ is replaced by each successful run, and runs/ expires.
    expect(versions[0]?.Prefix).toBeUndefined();
  });

  it('keeps the artifacts bucket when the stack is removed or the bucket replaced', () => {
    expect(resourceOf(template, 'ArtifactsBucket')).toMatchObject({
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
  });

  it('keys the lock table by lockId, on demand, with expiresAt as its TTL and an index on owner', () => {
    expect(resourceOf(template, 'LockTable').Properties).toMatchObject({
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: 'lockId', AttributeType: 'S' },
        { AttributeName: 'owner', AttributeType: 'S' },
      ],
      KeySchema: [{ AttributeName: 'lockId', KeyType: 'HASH' }],
      // The index the release-lock function queries (LOCK_OWNER_INDEX): keys only, no
      // capacity of its own (on demand, as the table).
      GlobalSecondaryIndexes: [
        {
          IndexName: LOCK_OWNER_INDEX,
          KeySchema: [{ AttributeName: 'owner', KeyType: 'HASH' }],
          Projection: { ProjectionType: 'KEYS_ONLY' },
        },
      ],
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
    });
    const index = (
      resourceOf(template, 'LockTable').Properties.GlobalSecondaryIndexes as Array<
        Record<string, unknown>
      >
    )[0];
    expect(index).not.toHaveProperty('ProvisionedThroughput');
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

  it('alarms on timed-out executions of this state machine, to the alarm topic', () => {
    // Failed runs page by their verdict (AlarmingRuns, alarms.integration.test.ts), not on
    // ExecutionsFailed, which a skipped or cancelled run raises too.
    const alarms = Object.values(template.Resources).filter(
      (resource) =>
        resource.Type === 'AWS::CloudWatch::Alarm' &&
        resource.Properties?.Namespace === 'AWS/States',
    );
    expect(alarms.map((alarm) => alarm.Properties?.MetricName).sort()).toEqual([
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
