// @ts-check
'use strict';
// The parts of serverless.yml that depend on the stage's settings, resolved by osls as
// `${file(infra/config.cjs):<name>}`. Each export reads the settings it needs through
// settings.cjs, which checks them and throws an error naming a wrong one, and turns them into
// what the template holds. No network, no AWS SDK.
//
//   fargateSpot, notifyOn, defaultTimeoutSeconds, taskMemory, taskCpu
//                           strings for Lambda environments and the task definition
//   notifyEnvironment       Notify's environment (optional settings only when set)
//   jobLockGroups           JOB_LOCK_GROUPS for Prepare: job=group for the jobs with a lockGroup
//   jobSchedules            JOB_SCHEDULES for Prepare: each job's cron and time zone (JSON)
//   alarmOn                 ALARM_ON for Evaluate: the verdicts that page, expanded
//   alarmActions            every alarm's actions: the alarm topic and alarmTopicArns
//   dbtProject, dbtAdapter, dbtTarget
//                           the image's build settings (custom.dbt), checked
//   taskEnvironment         the dbt container's plain `Environment`
//   taskSecrets             the task definition's `Secrets` (credentialsSource env only)
//   executionRolePolicy     the task execution role's statements
//   taskRolePolicy          the task role's statements (artifacts + the one credentials source)
//   notifyRolePolicy        Notify's statements (the Slack secret only when set)
//   conditionalResources    one AWS::Scheduler::Schedule per job (its input with
//                           scheduledTime filled by the Scheduler), a "no successful run"
//                           alarm per enabled job, one email subscription to the alarm topic
//                           per alarmEmails, and the warehouse secret when the stack creates it
//   deployChecks            the network and image tag, checked, and who hears of a failure,
//                           for infra/deploy-checks.cjs
//   providerIam             provider.iam: the CloudFormation role (cfnRoleArn) when one is set
//   retainedFunctionLogGroups
//                           resources.extensions: DeletionPolicy and UpdateReplacePolicy
//                           Retain on the log group osls creates for every function

const crypto = require('node:crypto');
const deploySettings = require('./deploy-settings.cjs');
const noRunAlarm = require('./no-run-alarm.cjs');
const scheduleTimes = require('./schedule-times.cjs');

/** EventBridge Scheduler's placeholder for the time a run was scheduled for. */
const SCHEDULED_TIME_ATTRIBUTE = '<aws.scheduler.scheduled-time>';
const settings = require('./settings.cjs');
const warehouse = require('./warehouse-settings.cjs');

const { SettingError } = settings;

// How long a schedule keeps retrying to start the state machine (its RetryPolicy).
const SCHEDULE_RETRY_SECONDS = 3600;

/**
 * @typedef {import('./settings.cjs').ResolveVariable} ResolveVariable
 *
 * What osls passes to an export (it passes more; these read only this).
 * @typedef {{ resolveVariable: ResolveVariable }} ResolverContext
 *
 * A CloudFormation value: a literal, or an intrinsic function (`Ref`, `Fn::GetAtt`, ...).
 * @typedef {string | { [intrinsic: string]: unknown }} CfnValue
 *
 * @typedef {{
 *   Sid: string,
 *   Effect: 'Allow',
 *   Action: string | string[],
 *   Resource: CfnValue | CfnValue[],
 *   Condition?: Record<string, unknown>,
 * }} Statement
 */

/** @param {string} text */
const sub = (text) => ({ 'Fn::Sub': text });

/**
 * The warehouse secret the task reads: the one the settings give, or the one the stack creates.
 * @param {string | undefined} arn
 * @returns {CfnValue}
 */
const warehouseSecret = (arn) => arn ?? { Ref: 'WarehouseSecret' };

/**
 * @param {string} sid
 * @param {CfnValue} secretArn
 * @returns {Statement}
 */
const readSecret = (sid, secretArn) => ({
  Sid: sid,
  Effect: 'Allow',
  Action: 'secretsmanager:GetSecretValue',
  Resource: secretArn,
});

/**
 * @param {string} sid
 * @param {CfnValue} logGroupArn
 * @returns {Statement}
 */
const writeLog = (sid, logGroupArn) => ({
  Sid: sid,
  Effect: 'Allow',
  Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
  Resource: logGroupArn,
});

/**
 * A CloudFormation logical id for a job: letters and digits only, unique per name.
 * @param {string} name
 */
function scheduleLogicalId(name) {
  return `Schedule${camelName(name)}`;
}

/**
 * A job's name as letters and digits only, for logical ids: `nightly-build` -> `NightlyBuild`.
 * @param {string} name
 */
function camelName(name) {
  const words = name.split(/[^A-Za-z0-9]+/).filter(Boolean);
  return words.map((word) => word.charAt(0).toUpperCase() + word.slice(1)).join('');
}

/**
 * Something `serverless package` should say without failing, on its error output (osls gives
 * a file resolver no logger).
 * @param {string} message
 */
function notice(message) {
  process.stderr.write(`serverless-dbt: notice: ${message}\n`);
}

/** @param {ResolverContext} context */
async function fargateSpot({ resolveVariable }) {
  return String(await settings.fargateSpot(resolveVariable));
}

/** @param {ResolverContext} context */
async function notifyOn({ resolveVariable }) {
  return (await settings.notifyEvents(resolveVariable)).join(',');
}

/** @param {ResolverContext} context */
async function defaultTimeoutSeconds({ resolveVariable }) {
  return String(await settings.defaultTimeoutSeconds(resolveVariable));
}

/** @param {ResolverContext} context */
async function taskMemory({ resolveVariable }) {
  return String(await settings.taskMemory(resolveVariable));
}

/** @param {ResolverContext} context */
async function taskCpu({ resolveVariable }) {
  return String(await settings.taskCpu(resolveVariable));
}

/**
 * Prepare's JOB_LOCK_GROUPS: `job=group` for each job with a lockGroup, comma-separated
 * ('' when none has one: every job has a lock of its own).
 * @param {ResolverContext} context
 */
async function jobLockGroups({ resolveVariable }) {
  return (await settings.jobs(resolveVariable))
    .flatMap((job) => (job.lockGroup === undefined ? [] : [`${job.name}=${job.lockGroup}`]))
    .join(',');
}

/**
 * Prepare's JOB_SCHEDULES: each job's cron and time zone as JSON, `{"<job>": {"cron", "timezone"}}`,
 * what the vars of a run's scheduled time are computed against (run_date in the job's zone,
 * data_interval_start at its previous fire time).
 * @param {ResolverContext} context
 */
async function jobSchedules({ resolveVariable }) {
  const jobs = await settings.jobs(resolveVariable);
  return JSON.stringify(
    Object.fromEntries(jobs.map((job) => [job.name, { cron: job.cron, timezone: job.timezone }])),
  );
}

/**
 * The schedule's target input: the job's input and `scheduledTime`, which EventBridge
 * Scheduler fills with the time the run was scheduled for, e.g. 2026-11-24T05:00:00Z
 * (docs: "Adding context attributes in EventBridge Scheduler").
 * @param {Record<string, unknown>} input
 */
function scheduleInput(input) {
  return JSON.stringify({ ...input, scheduledTime: SCHEDULED_TIME_ATTRIBUTE });
}

/** @param {ResolverContext} context */
async function alarmOn({ resolveVariable }) {
  return (await settings.alarmOn(resolveVariable)).join(',');
}

/**
 * What every alarm notifies: the stack's alarm topic, then the stage's alarmTopicArns.
 * @param {ResolveVariable} resolveVariable
 * @returns {Promise<CfnValue[]>}
 */
async function alarmActionsOf(resolveVariable) {
  return [{ Ref: 'AlarmTopic' }, ...(await settings.alarmTopicArns(resolveVariable))];
}

/** @param {ResolverContext} context */
async function alarmActions({ resolveVariable }) {
  return alarmActionsOf(resolveVariable);
}

/** @param {ResolverContext} context */
async function notifyEnvironment({ resolveVariable }) {
  const stage = await resolveVariable('sls:stage');
  const service = await resolveVariable('self:service');
  /** @type {Record<string, unknown>} */
  const environment = {
    POWERTOOLS_SERVICE_NAME: service,
    STAGE: stage,
    NOTIFY_ON: (await settings.notifyEvents(resolveVariable)).join(','),
    LOG_GROUP: { Ref: 'TaskLogGroup' },
    LOG_STREAM_PREFIX: await resolveVariable('self:custom.logStreamPrefix'),
    DBT_CONTAINER_NAME: await resolveVariable('self:custom.containerName'),
    // Where an alert Slack did not take goes instead, and the dimension of UndeliveredAlerts.
    ALARM_TOPIC_ARN: { Ref: 'AlarmTopic' },
    STATE_MACHINE_NAME: await resolveVariable('self:custom.names.stateMachine'),
  };
  const slack = await settings.slackWebhookSecretArn(resolveVariable);
  if (slack !== '') environment.SLACK_WEBHOOK_SECRET_ARN = slack;
  const docsUrl = await settings.docsUrl(resolveVariable);
  if (docsUrl !== '') environment.DOCS_URL = docsUrl;
  return environment;
}

/** @param {ResolverContext} context */
async function dbtProject({ resolveVariable }) {
  return warehouse.dbtProject(resolveVariable);
}

/** @param {ResolverContext} context */
async function dbtAdapter({ resolveVariable }) {
  return warehouse.dbtAdapter(resolveVariable);
}

/** @param {ResolverContext} context */
async function dbtTarget({ resolveVariable }) {
  return warehouse.dbtTarget(resolveVariable);
}

/** @param {ResolverContext} context */
async function taskEnvironment({ resolveVariable }) {
  const environment = [
    { Name: 'ENV', Value: await resolveVariable('sls:stage') },
    { Name: 'CREDENTIALS_SOURCE', Value: await resolveVariable('param:credentialsSource') },
    {
      Name: 'ARTIFACTS_URI',
      Value: { 'Fn::Join': ['', ['s3://', { Ref: 'ArtifactsBucket' }, '/dbt']] },
    },
  ];
  const target = await warehouse.dbtTarget(resolveVariable);
  if (target !== '') environment.push({ Name: 'DBT_TARGET', Value: target });
  for (const [name, value] of Object.entries(await warehouse.taskEnvironment(resolveVariable))) {
    environment.push({ Name: name, Value: value });
  }
  return environment;
}

/** @param {ResolverContext} context */
async function taskSecrets({ resolveVariable }) {
  const source = await warehouse.credentials(resolveVariable);
  if (source.kind !== 'env') return [];
  return (await warehouse.warehouseSecretKeys(resolveVariable)).map((key) => ({
    Name: warehouse.secretVariable(key),
    // <secret ARN>:<JSON key>:<version stage>:<version id>
    ValueFrom: { 'Fn::Join': ['', [warehouseSecret(source.secretArn), `:${key}::`]] },
  }));
}

/**
 * Decrypting the warehouse secret with its customer-managed KMS key, through Secrets Manager
 * only; nothing when AWS's own key encrypts it.
 * @param {ResolveVariable} resolveVariable
 * @returns {Promise<Statement[]>}
 */
async function decryptTheSecret(resolveVariable) {
  const keyArn = await warehouse.warehouseSecretKmsKeyArn(resolveVariable);
  if (keyArn === '') return [];
  return [
    {
      Sid: 'DecryptTheWarehouseSecret',
      Effect: 'Allow',
      Action: 'kms:Decrypt',
      Resource: keyArn,
      Condition: {
        // biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation's Fn::Sub syntax
        StringEquals: { 'kms:ViaService': sub('secretsmanager.${AWS::Region}.amazonaws.com') },
      },
    },
  ];
}

/** @param {ResolverContext} context */
async function executionRolePolicy({ resolveVariable }) {
  /** @type {Statement[]} */
  const statements = [
    {
      Sid: 'PullTheImage',
      Effect: 'Allow',
      Action: [
        'ecr:BatchCheckLayerAvailability',
        'ecr:GetDownloadUrlForLayer',
        'ecr:BatchGetImage',
      ],
      Resource: { 'Fn::GetAtt': ['DbtRepository', 'Arn'] },
    },
    {
      // GetAuthorizationToken has no resource: AWS only accepts '*'.
      Sid: 'LogInToEcr',
      Effect: 'Allow',
      Action: 'ecr:GetAuthorizationToken',
      Resource: '*',
    },
    // The group's Arn ends in ':*': its streams.
    writeLog('WriteTheTaskLog', { 'Fn::GetAtt': ['TaskLogGroup', 'Arn'] }),
  ];
  const source = await warehouse.credentials(resolveVariable);
  if (source.kind === 'env') {
    statements.push(readSecret('InjectTheWarehouseSecret', warehouseSecret(source.secretArn)));
    statements.push(...(await decryptTheSecret(resolveVariable)));
  }
  return statements;
}

/** @param {ResolverContext} context */
async function taskRolePolicy({ resolveVariable }) {
  /** @type {Statement[]} */
  const statements = [
    {
      Sid: 'ArtifactsUnderTheDbtPrefix',
      Effect: 'Allow',
      Action: ['s3:PutObject', 's3:GetObject', 's3:DeleteObject'],
      // biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation's Fn::Sub syntax
      Resource: sub('${ArtifactsBucket.Arn}/dbt/*'),
    },
    {
      Sid: 'ListTheDbtPrefix',
      Effect: 'Allow',
      Action: 's3:ListBucket',
      Resource: { 'Fn::GetAtt': ['ArtifactsBucket', 'Arn'] },
      Condition: { StringLike: { 's3:prefix': ['dbt/*'] } },
    },
  ];
  const source = await warehouse.credentials(resolveVariable);
  if (source.kind === 'secretsmanager') {
    statements.push(readSecret('ReadTheWarehouseSecret', source.secretArn));
  }
  if (source.kind === 'glue') {
    statements.push({
      Sid: 'ReadTheGlueConnection',
      Effect: 'Allow',
      Action: 'glue:GetConnection',
      Resource: [
        // biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation's Fn::Sub syntax
        sub('arn:${AWS::Partition}:glue:${AWS::Region}:${AWS::AccountId}:catalog'),
        sub(
          `arn:\${AWS::Partition}:glue:\${AWS::Region}:\${AWS::AccountId}:connection/${source.connection}`,
        ),
      ],
    });
    if (source.secretArn !== undefined) {
      statements.push(readSecret('ReadTheGlueConnectionSecret', source.secretArn));
    }
  }
  if (source.kind !== 'env') statements.push(...(await decryptTheSecret(resolveVariable)));
  return statements;
}

/** @param {ResolverContext} context */
async function notifyRolePolicy({ resolveVariable }) {
  const name = await resolveVariable('self:custom.names.notify');
  /** @type {Statement[]} */
  const statements = [
    writeLog(
      'WriteItsOwnLog',
      sub(
        `arn:\${AWS::Partition}:logs:\${AWS::Region}:\${AWS::AccountId}:log-group:/aws/lambda/${name}:*`,
      ),
    ),
  ];
  const slack = await settings.slackWebhookSecretArn(resolveVariable);
  if (slack !== '') statements.push(readSecret('ReadTheSlackWebhook', slack));
  // An alert Slack did not take goes to the stack's own topic, and only there.
  statements.push({
    Sid: 'PublishUndeliveredAlerts',
    Effect: 'Allow',
    Action: 'sns:Publish',
    Resource: { Ref: 'AlarmTopic' },
  });
  return statements;
}

/**
 * The dead man's switch: per enabled job, an alarm that goes off when the job had no
 * successful run (Evaluate's SucceededRuns, per state machine and job) within its window
 * (no-run-alarm.cjs). CloudWatch alarms on N consecutive periods of FILL(SucceededRuns, 0):
 * a period without a run is a 0, not missing data, so the alarm goes off as soon as the
 * window has passed (with missing data, CloudWatch looks further back than N periods and
 * would find an older run). Missing data altogether (no run in the whole range CloudWatch
 * reads, or never one) breaches too. A job that cannot have one, and a job that loses runs to
 * a daylight saving gap, get a notice.
 * @param {ResolveVariable} resolveVariable
 * @param {import('./settings.cjs').Job[]} jobs
 * @returns {Promise<Record<string, unknown>>}
 */
async function noSuccessfulRunAlarms(resolveVariable, jobs) {
  const prefix = await resolveVariable('self:custom.prefix');
  const stateMachine = await resolveVariable('self:custom.names.stateMachine');
  const defaultTimeout = await settings.defaultTimeoutSeconds(resolveVariable);
  const actions = await alarmActionsOf(resolveVariable);
  const now = new Date();
  const { from, to } = scheduleTimes.horizon(now);
  /** @type {Record<string, unknown>} */
  const resources = {};
  for (const job of jobs.filter((each) => each.enabled)) {
    // A day that loses all its runs is refused (settings.cjs); one that loses some is said.
    const [partly] = scheduleTimes.skippedDays(job.cron, job.timezone, from, to);
    if (partly !== undefined) {
      notice(
        `job ${job.name}: its run at ${partly.skipped.join(', ')} on ${partly.date} does not ` +
          `happen, as that time does not exist in ${job.timezone} (the clocks go from ` +
          `${partly.gapFrom} to ${partly.gapTo}; EventBridge Scheduler skips it, every year); ` +
          `its other ${partly.kept} runs that day do`,
      );
    }
    const timeout = job.input.timeoutSeconds;
    const window = noRunAlarm.noRunWindow({
      cron: job.cron,
      timezone: job.timezone,
      timeoutSeconds: typeof timeout === 'number' ? timeout : defaultTimeout,
      scheduleRetrySeconds: SCHEDULE_RETRY_SECONDS,
      now,
    });
    if ('unwatchable' in window) {
      notice(
        `job ${job.name} has no "no successful run" alarm: ${window.unwatchable} ` +
          '(docs/alerts.md: watching a job the alarm cannot)',
      );
      continue;
    }
    const within = scheduleTimes.describeDuration(window.windowSeconds);
    resources[`NoSuccessfulRun${camelName(job.name)}Alarm`] = {
      Type: 'AWS::CloudWatch::Alarm',
      Properties: {
        AlarmName: `${prefix}-${job.name}-no-successful-run-in-${within.replace(/ /g, '')}`,
        AlarmDescription:
          `${job.name}: no successful run in ${within} (${window.describe}). ` +
          'The schedule may be disabled or skipped, or every run failed or did not start: ' +
          'docs/alerts.md.',
        Metrics: [
          {
            Id: 'succeeded',
            MetricStat: {
              Metric: {
                Namespace: 'serverless-dbt',
                MetricName: 'SucceededRuns',
                Dimensions: [
                  { Name: 'StateMachine', Value: stateMachine },
                  { Name: 'Job', Value: job.name },
                ],
              },
              Period: window.periodSeconds,
              Stat: 'Sum',
            },
            ReturnData: false,
          },
          {
            Id: 'succeededOrZero',
            Expression: 'FILL(succeeded, 0)',
            Label: `successful runs of ${job.name}`,
            ReturnData: true,
          },
        ],
        EvaluationPeriods: window.evaluationPeriods,
        DatapointsToAlarm: window.evaluationPeriods,
        Threshold: 1,
        ComparisonOperator: 'LessThanThreshold',
        TreatMissingData: 'breaching',
        AlarmActions: actions,
      },
    };
  }
  return resources;
}

/** @param {ResolverContext} context */
async function conditionalResources({ resolveVariable }) {
  const prefix = await resolveVariable('self:custom.prefix');
  /** @type {Record<string, unknown>} */
  const resources = {};
  const jobs = await settings.jobs(resolveVariable);
  for (const job of jobs) {
    const id = scheduleLogicalId(job.name);
    const scheduleName = `${prefix}-${job.name}`;
    if (scheduleName.length > 64) {
      throw new SettingError(
        `jobs.${job.name}`,
        `the schedule's name ${scheduleName} is longer than EventBridge Scheduler's 64 characters; shorten the job's name`,
      );
    }
    if (resources[id])
      throw new SettingError(
        'jobs',
        `'${job.name}' and another job have the same resource name ${id}`,
      );
    resources[id] = {
      Type: 'AWS::Scheduler::Schedule',
      Properties: {
        Name: scheduleName,
        Description: `serverless-dbt job ${job.name}`,
        GroupName: 'default',
        ScheduleExpression: job.cron,
        ScheduleExpressionTimezone: job.timezone,
        FlexibleTimeWindow: { Mode: 'OFF' },
        State: job.enabled ? 'ENABLED' : 'DISABLED',
        Target: {
          Arn: { Ref: 'DbtRunStateMachine' },
          RoleArn: { 'Fn::GetAtt': ['SchedulerRole', 'Arn'] },
          Input: scheduleInput(job.input),
          RetryPolicy: {
            MaximumEventAgeInSeconds: SCHEDULE_RETRY_SECONDS,
            MaximumRetryAttempts: 5,
          },
          DeadLetterConfig: { Arn: { 'Fn::GetAtt': ['ScheduleDeadLetterQueue', 'Arn'] } },
        },
      },
    };
  }
  Object.assign(resources, await noSuccessfulRunAlarms(resolveVariable, jobs));
  for (const email of await settings.alarmEmails(resolveVariable)) {
    // Named by the address, not its place in the list: reordering the list must not replace
    // a subscription, which the person would have to confirm again.
    const digest = crypto
      .createHash('sha256')
      .update(email.toLowerCase())
      .digest('hex')
      .slice(0, 10);
    resources[`AlarmEmail${digest}`] = {
      Type: 'AWS::SNS::Subscription',
      Properties: { TopicArn: { Ref: 'AlarmTopic' }, Protocol: 'email', Endpoint: email },
    };
  }
  const source = await warehouse.credentials(resolveVariable);
  if (source.kind === 'env' && source.secretArn === undefined) {
    const keys = await warehouse.warehouseSecretKeys(resolveVariable);
    resources.WarehouseSecret = {
      Type: 'AWS::SecretsManager::Secret',
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: {
        Name: `${prefix}/warehouse`,
        Description: `Warehouse connection of the dbt task (JSON: ${keys.join(', ')}); fill it in after the first deployment`,
        // Placeholders only; the password is generated, never written in the template.
        GenerateSecretString: {
          SecretStringTemplate: JSON.stringify(
            Object.fromEntries(
              keys.filter((key) => key !== 'password').map((key) => [key, 'set-me']),
            ),
          ),
          GenerateStringKey: 'password',
          PasswordLength: 32,
          ExcludePunctuation: true,
        },
      },
    };
  }
  return resources;
}

/** @param {ResolverContext} context */
async function deployChecks({ resolveVariable }) {
  return {
    subnets: await deploySettings.subnets(resolveVariable),
    securityGroups: await deploySettings.securityGroups(resolveVariable),
    imageTag: await deploySettings.imageTag(resolveVariable),
    alerting: {
      slack: (await settings.slackWebhookSecretArn(resolveVariable)) !== '',
      alarmEmails: (await settings.alarmEmails(resolveVariable)).length,
      alarmTopicArns: (await settings.alarmTopicArns(resolveVariable)).length,
    },
  };
}

/**
 * osls's `provider.iam`: `deploymentRole` (the role CloudFormation creates and updates the
 * stack with) only when cfnRoleArn names one, as an empty ARN fails osls's schema.
 * @param {ResolverContext} context
 */
async function providerIam({ resolveVariable }) {
  const role = await deploySettings.cfnRoleArn(resolveVariable);
  return role === '' ? {} : { deploymentRole: role };
}

/**
 * The logical id osls gives a function's log group (its naming.getLogGroupLogicalId).
 * @param {string} functionKey the function's key under `functions:`
 */
function functionLogGroupLogicalId(functionKey) {
  const normalized = functionKey.replace(/-/g, 'Dash').replace(/_/g, 'Underscore');
  return `${normalized.charAt(0).toUpperCase()}${normalized.slice(1)}LogGroup`;
}

/**
 * `resources.extensions` keeping every function's log group when the stack is removed or the
 * group replaced, as TaskLogGroup and StateMachineLogGroup are kept (infra/resources.yml).
 * Computed over `functions:`, so that a function added later is covered too.
 * @param {ResolverContext} context
 */
async function retainedFunctionLogGroups({ resolveVariable }) {
  const functions = /** @type {Record<string, { disableLogs?: boolean } | null>} */ (
    await resolveVariable('self:functions')
  );
  /** @type {Record<string, { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' }>} */
  const extensions = {};
  for (const [key, definition] of Object.entries(functions ?? {})) {
    // osls creates no log group for a function whose logs are off.
    if (definition?.disableLogs === true) continue;
    extensions[functionLogGroupLogicalId(key)] = {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    };
  }
  return extensions;
}

module.exports = {
  fargateSpot,
  notifyOn,
  defaultTimeoutSeconds,
  taskMemory,
  taskCpu,
  notifyEnvironment,
  jobLockGroups,
  jobSchedules,
  alarmOn,
  alarmActions,
  alarmActionsOf,
  dbtProject,
  dbtAdapter,
  dbtTarget,
  taskEnvironment,
  taskSecrets,
  executionRolePolicy,
  taskRolePolicy,
  notifyRolePolicy,
  conditionalResources,
  deployChecks,
  providerIam,
  retainedFunctionLogGroups,
};
