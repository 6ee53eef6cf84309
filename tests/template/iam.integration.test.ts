import {
  type CloudFormationTemplate,
  lambdaFunctions,
  packageService,
  resolveFake,
  resourcesOfType,
} from '../support/packaged.ts';
import {
  allStatements,
  DEV,
  grants,
  LIVE,
  PACKAGE_TIMEOUT_MS,
  resourceOf,
  roleStatements,
  SLACK_SECRET_ARN,
  type Statement,
  WAREHOUSE_SECRET_ARN,
  WITH_GLUE,
  WITH_SECRETS_MANAGER,
  WITH_SLACK_AND_DOCS,
} from './helpers.ts';
import { resourceCovers } from './iam-policy.ts';

const SENSITIVE = ['iam:PassRole', 'ecs:RunTask'];

describe.each([DEV, LIVE])('IAM in the $stage template', (options) => {
  let template: CloudFormationTemplate;
  let statements: Statement[];

  beforeAll(async () => {
    template = await packageService(options);
    statements = allStatements(template);
  }, PACKAGE_TIMEOUT_MS);

  const fake = (value: unknown) => resolveFake(template, value);

  it.each(SENSITIVE)('no statement grants %s on "*"', (action) => {
    const granting = statements.filter((statement) => grants(statement, action));
    expect(granting.length).toBeGreaterThan(0);
    for (const statement of granting) {
      expect([statement.where, statement.Resource]).not.toContainEqual(
        expect.arrayContaining(['*']),
      );
    }
  });

  it('grants iam:PassRole only on the two task roles, to ECS tasks only', () => {
    const passing = statements.filter((statement) => grants(statement, 'iam:PassRole'));
    for (const statement of passing) {
      expect(statement.Resource).toEqual([
        { 'Fn::GetAtt': ['TaskRole', 'Arn'] },
        { 'Fn::GetAtt': ['TaskExecutionRole', 'Arn'] },
      ]);
      expect(statement.Condition?.StringEquals?.['iam:PassedToService']).toBe(
        'ecs-tasks.amazonaws.com',
      );
    }
  });

  it('grants ecs:RunTask only on the task definition family, on its own cluster', () => {
    const running = statements.filter((statement) => grants(statement, 'ecs:RunTask'));
    const family = resourceOf(template, 'DbtTaskDefinition').Properties.Family;
    for (const statement of running) {
      expect(fake(statement.Resource)).toEqual([
        `arn:aws:ecs:eu-west-1:123456789012:task-definition/${family}:*`,
      ]);
      expect(statement.Condition?.ArnEquals?.['ecs:cluster']).toEqual({
        'Fn::GetAtt': ['DbtCluster', 'Arn'],
      });
    }
  });

  it('gives the state machine only what its states need', () => {
    const role = roleStatements(template, 'StateMachineRole');
    const actions = role.flatMap((statement) => statement.Action).sort();
    expect(actions).toEqual(
      [
        'dynamodb:DeleteItem',
        'ecs:DescribeTasks',
        'ecs:RunTask',
        'ecs:StopTask',
        'ecs:TagResource',
        'events:DescribeRule',
        'events:PutRule',
        'events:PutTargets',
        'iam:PassRole',
        'lambda:InvokeFunction',
        'logs:CreateLogDelivery',
        'logs:DeleteLogDelivery',
        'logs:DescribeLogGroups',
        'logs:DescribeResourcePolicies',
        'logs:GetLogDelivery',
        'logs:ListLogDeliveries',
        'logs:PutResourcePolicy',
        'logs:UpdateLogDelivery',
      ].sort(),
    );
    const on = (action: string) =>
      role.filter((statement) => statement.Action.includes(action)).flatMap((s) => s.Resource);
    // Its own states' functions; releaseLock is invoked by its EventBridge rule, never by it.
    expect((fake(on('lambda:InvokeFunction')) as string[]).sort()).toEqual(
      lambdaFunctions(template)
        .filter((fn) => fn.name !== 'releaseLock')
        .map((fn) => fn.fakeArn)
        .sort(),
    );
    expect(fake(on('events:PutRule'))).toEqual([
      'arn:aws:events:eu-west-1:123456789012:rule/StepFunctionsGetEventsForECSTaskRule',
    ]);
    expect(on('dynamodb:DeleteItem')).toEqual([{ 'Fn::GetAtt': ['LockTable', 'Arn'] }]);
    // Only the log delivery actions, which AWS's Step Functions guide grants on "*", use it.
    expect(
      role
        .filter((s) => s.Resource.includes('*'))
        .flatMap((s) => s.Action)
        .sort(),
    ).toEqual([
      'logs:CreateLogDelivery',
      'logs:DeleteLogDelivery',
      'logs:GetLogDelivery',
      'logs:ListLogDeliveries',
      'logs:UpdateLogDelivery',
    ]);
    for (const action of [
      'logs:PutResourcePolicy',
      'logs:DescribeResourcePolicies',
      'logs:DescribeLogGroups',
    ]) {
      expect([action, fake(on(action))]).toEqual([
        action,
        ['arn:aws:logs:eu-west-1:123456789012:*'],
      ]);
    }
  });

  it('lets each service assume its role only for this account, and this stack where it says so', () => {
    const trust = (role: string) =>
      (
        resourceOf(template, role).Properties.AssumeRolePolicyDocument as {
          Statement: Array<{ Principal: { Service: string }; Condition?: Statement['Condition'] }>;
        }
      ).Statement;
    const serviceRoles = resourcesOfType(template, 'AWS::IAM::Role').map(([id]) => id);
    for (const role of serviceRoles) {
      for (const statement of trust(role)) {
        // Lambda sets no aws:SourceArn or aws:SourceAccount when it assumes a role.
        if (statement.Principal.Service === 'lambda.amazonaws.com') continue;
        expect([role, fake(statement.Condition?.StringEquals?.['aws:SourceAccount'])]).toEqual([
          role,
          '123456789012',
        ]);
      }
    }

    const stateMachineArn = fake({ Ref: 'DbtRunStateMachine' }) as string;
    const [states] = trust('StateMachineRole');
    const sources = fake(states?.Condition?.ArnLike?.['aws:SourceArn']) as string[];
    const covered = (arn: string) => sources.some((pattern) => resourceCovers(pattern, arn));
    expect(covered(stateMachineArn)).toBe(true);
    expect(covered(`${stateMachineArn}:live`)).toBe(true);
    expect(covered(`${stateMachineArn}-other`)).toBe(false);
    expect(covered(stateMachineArn.replace('123456789012', '210987654321'))).toBe(false);

    const groups = new Set(
      resourcesOfType(template, 'AWS::Scheduler::Schedule').map(
        ([, schedule]) => schedule.Properties?.GroupName,
      ),
    );
    expect(groups.size).toBe(1);
    const [scheduler] = trust('SchedulerRole');
    expect(fake(scheduler?.Condition?.StringEquals?.['aws:SourceArn'])).toBe(
      `arn:aws:scheduler:eu-west-1:123456789012:schedule-group/${[...groups][0]}`,
    );
  });

  it('uses its own hand-written role for the state machine', () => {
    expect(resourceOf(template, 'DbtRunStateMachine').Properties.RoleArn).toEqual({
      'Fn::GetAtt': ['StateMachineRole', 'Arn'],
    });
  });

  it('gives each function its own role with only its own permissions', () => {
    const byFunction = Object.fromEntries(
      lambdaFunctions(template).map((fn) => [
        fn.name,
        resourceOf(template, fn.logicalId).Properties.Role,
      ]),
    );
    expect(byFunction).toEqual({
      prepare: { 'Fn::GetAtt': ['PrepareRole', 'Arn'] },
      evaluate: { 'Fn::GetAtt': ['EvaluateRole', 'Arn'] },
      notify: { 'Fn::GetAtt': ['NotifyRole', 'Arn'] },
      releaseLock: { 'Fn::GetAtt': ['ReleaseLockRole', 'Arn'] },
    });
    const actionsOf = (role: string) =>
      roleStatements(template, role)
        .flatMap((statement) => statement.Action)
        .filter((action) => !action.startsWith('logs:'))
        .sort();
    // Prepare only takes the lock; the state machine's ReleaseLock state frees it.
    expect(actionsOf('PrepareRole')).toEqual([
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'states:DescribeExecution',
    ]);
    expect(actionsOf('EvaluateRole')).toEqual([
      's3:GetObject',
      's3:ListBucket',
      'states:DescribeExecution',
    ]);
    // Both read a run's input, and only from this stage's own state machine's executions.
    for (const role of ['PrepareRole', 'EvaluateRole']) {
      const reads = roleStatements(template, role).filter((s) =>
        s.Action.includes('states:DescribeExecution'),
      );
      expect(reads.map((statement) => fake(statement.Resource))).toEqual([
        [
          `arn:aws:states:eu-west-1:123456789012:execution:serverless-dbt-${options.stage}-dbt-run:*`,
        ],
      ]);
    }
    expect(
      roleStatements(template, 'EvaluateRole').find((s) => s.Action.includes('s3:ListBucket'))
        ?.Condition?.StringLike?.['s3:prefix'],
    ).toEqual(['dbt/runs/*']);
    expect(
      fake(roleStatements(template, 'EvaluateRole').find((s) => s.Sid === 'ReadRunArtifacts')),
    ).toMatchObject({ Resource: [expect.stringMatching(/^arn:aws:s3:::[^/]+\/dbt\/runs\/\*$/)] });
    for (const role of ['PrepareRole', 'EvaluateRole', 'NotifyRole', 'ReleaseLockRole']) {
      const logs = roleStatements(template, role).filter((s) =>
        s.Action.some((action) => action.startsWith('logs:')),
      );
      for (const statement of logs) {
        expect(fake(statement.Resource)).toEqual([
          expect.stringMatching(
            /^arn:aws:logs:eu-west-1:123456789012:log-group:\/aws\/lambda\/serverless-dbt-\w+-[\w-]+:\*$/,
          ),
        ]);
      }
    }
  });

  it('lets ReleaseLock only query the owner index, delete lock items and dead-letter to its queue', () => {
    const role = roleStatements(template, 'ReleaseLockRole').filter(
      (statement) => !statement.Action.some((action) => action.startsWith('logs:')),
    );
    expect(role.map(({ Action, Resource }) => ({ Action, Resource }))).toEqual([
      // biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation's Fn::Sub syntax
      { Action: ['dynamodb:Query'], Resource: [{ 'Fn::Sub': '${LockTable.Arn}/index/owner' }] },
      { Action: ['dynamodb:DeleteItem'], Resource: [{ 'Fn::GetAtt': ['LockTable', 'Arn'] }] },
      {
        Action: ['sqs:SendMessage'],
        Resource: [{ 'Fn::GetAtt': ['LockReleaseDeadLetterQueue', 'Arn'] }],
      },
    ]);
    expect(fake(role[0]?.Resource)).toEqual([
      `arn:aws:dynamodb:eu-west-1:123456789012:table/${fake({ Ref: 'LockTable' })}/index/owner`,
    ]);
  });

  it('lets the schedules start only this state machine and write only to their queue', () => {
    const role = roleStatements(template, 'SchedulerRole');
    expect(role.map(({ Action, Resource }) => ({ Action, Resource }))).toEqual([
      { Action: ['states:StartExecution'], Resource: [{ Ref: 'DbtRunStateMachine' }] },
      {
        Action: ['sqs:SendMessage'],
        Resource: [{ 'Fn::GetAtt': ['ScheduleDeadLetterQueue', 'Arn'] }],
      },
    ]);
  });

  it('lets the dbt task write only under its own prefix of the artifacts bucket', () => {
    const role = roleStatements(template, 'TaskRole');
    const s3 = role.filter((statement) => statement.Action.some((a) => a.startsWith('s3:')));
    for (const statement of s3) {
      for (const resource of fake(statement.Resource) as string[]) {
        expect(resource).toMatch(/^arn:aws:s3:::[a-z0-9.-]+(\/dbt\/\*)?$/);
      }
      if (statement.Action.includes('s3:ListBucket')) {
        expect(statement.Condition?.StringLike?.['s3:prefix']).toEqual(['dbt/*']);
      }
    }
    expect(role.flatMap((statement) => statement.Action)).not.toContain('s3:*');
  });
});

describe('the credentials source decides who reads which secret', () => {
  it(
    'with env, the execution role reads the one warehouse secret and the task role none',
    async () => {
      const template = await packageService({ stage: 'dev' });
      const execution = roleStatements(template, 'TaskExecutionRole').filter((s) =>
        s.Action.includes('secretsmanager:GetSecretValue'),
      );
      expect(execution.map((s) => s.Resource)).toEqual([[{ Ref: 'WarehouseSecret' }]]);
      expect(roleStatements(template, 'TaskRole').flatMap((s) => s.Action)).not.toContain(
        'secretsmanager:GetSecretValue',
      );
    },
    PACKAGE_TIMEOUT_MS,
  );

  it(
    'with secretsmanager:<arn>, the task role reads that secret and ECS injects nothing',
    async () => {
      const template = await packageService(WITH_SECRETS_MANAGER);
      const reads = roleStatements(template, 'TaskRole').filter((s) =>
        s.Action.includes('secretsmanager:GetSecretValue'),
      );
      expect(reads.map((s) => s.Resource)).toEqual([[WAREHOUSE_SECRET_ARN]]);
      expect(roleStatements(template, 'TaskExecutionRole').flatMap((s) => s.Action)).not.toContain(
        'secretsmanager:GetSecretValue',
      );
      expect(template.Resources.WarehouseSecret).toBeUndefined();
    },
    PACKAGE_TIMEOUT_MS,
  );

  it(
    'with glue:<connection>, the task role reads that one connection',
    async () => {
      const template = await packageService(WITH_GLUE);
      const glue = roleStatements(template, 'TaskRole').filter((s) =>
        s.Action.includes('glue:GetConnection'),
      );
      expect(
        resolveFake(
          template,
          glue.map((s) => s.Resource),
        ),
      ).toEqual([
        [
          'arn:aws:glue:eu-west-1:123456789012:catalog',
          'arn:aws:glue:eu-west-1:123456789012:connection/redshift-prod',
        ],
      ]);
    },
    PACKAGE_TIMEOUT_MS,
  );

  it(
    'lets Notify read the Slack webhook secret only when one is set',
    async () => {
      const without = await packageService({ stage: 'dev' });
      expect(roleStatements(without, 'NotifyRole').flatMap((s) => s.Action)).not.toContain(
        'secretsmanager:GetSecretValue',
      );
      const withSlack = await packageService(WITH_SLACK_AND_DOCS);
      const reads = roleStatements(withSlack, 'NotifyRole').filter((s) =>
        s.Action.includes('secretsmanager:GetSecretValue'),
      );
      expect(reads.map((s) => s.Resource)).toEqual([[SLACK_SECRET_ARN]]);
    },
    PACKAGE_TIMEOUT_MS,
  );
});
