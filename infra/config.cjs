'use strict';
// The parts of serverless.yml that depend on the stage's settings, resolved by osls as
// `${file(infra/config.cjs):<name>}`. Each export reads the params it needs, checks them, and
// throws an error naming the setting when one is wrong, so a bad setting fails
// `serverless package` instead of a deployment or a run. No network, no AWS SDK.
//
//   fargateSpot, notifyOn, defaultTimeoutSeconds, taskMemory   strings for Lambda environments
//   notifyEnvironment       Notify's environment (optional settings only when set)
//   taskSecrets             the task definition's `Secrets` (credentialsSource env only)
//   executionRolePolicy     the task execution role's statements
//   taskRolePolicy          the task role's statements (artifacts + the one credentials source)
//   notifyRolePolicy        Notify's statements (the Slack secret only when set)
//   conditionalResources    one AWS::Scheduler::Schedule per job, and the warehouse secret
//                           when the stack creates it

const JOB_NAME = /^[A-Za-z0-9_-]{1,64}$/;
const NOTIFY_EVENTS = ['start', 'success', 'failure'];
const SCHEDULE_EXPRESSION =
  /^(cron\(\S+( \S+){5}\)|rate\(\d+ (minute|minutes|hour|hours|day|days)\)|at\(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\))$/;
const SECRET_ARN = /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:.+$/;
// The keys of the warehouse secret (the JSON shape AWS uses for Redshift secrets) and the
// variables profiles.yml reads from them.
const WAREHOUSE_SECRET_KEYS = {
  DBT_REDSHIFT_HOST: 'host',
  DBT_REDSHIFT_PORT: 'port',
  DBT_REDSHIFT_DBNAME: 'dbname',
  DBT_REDSHIFT_USER: 'username',
  DBT_REDSHIFT_PASSWORD: 'password',
  DBT_REDSHIFT_SCHEMA: 'schema',
};

class SettingError extends Error {
  constructor(name, problem) {
    super(`param '${name}': ${problem}`);
    this.name = 'SettingError';
  }
}

async function param(resolveVariable, name) {
  return resolveVariable(`param:${name}`);
}

const sub = (text) => ({ 'Fn::Sub': text });

function asBoolean(name, value) {
  if (value === true || value === 'true') return true;
  if (value === false || value === 'false') return false;
  throw new SettingError(name, `must be true or false, got ${JSON.stringify(value)}`);
}

function asInteger(name, value, min, max) {
  const number = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
  if (!Number.isInteger(number) || number < min || number > max) {
    throw new SettingError(
      name,
      `must be a whole number from ${min} to ${max}, got ${JSON.stringify(value)}`,
    );
  }
  return number;
}

function asText(name, value) {
  if (value === undefined || value === null) return '';
  if (typeof value !== 'string') {
    throw new SettingError(name, `must be a string, got ${JSON.stringify(value)}`);
  }
  return value.trim();
}

async function notifyEvents(resolveVariable) {
  const value = await param(resolveVariable, 'notifyOn');
  const list =
    typeof value === 'string'
      ? value
          .split(',')
          .map((word) => word.trim())
          .filter(Boolean)
      : value;
  if (!Array.isArray(list) || list.some((event) => !NOTIFY_EVENTS.includes(event))) {
    throw new SettingError(
      'notifyOn',
      `must be a list of ${NOTIFY_EVENTS.join(', ')}, got ${JSON.stringify(value)}`,
    );
  }
  return [...new Set(list)];
}

async function slackSecretArn(resolveVariable) {
  const arn = asText(
    'slackWebhookSecretArn',
    await param(resolveVariable, 'slackWebhookSecretArn'),
  );
  if (arn !== '' && !SECRET_ARN.test(arn)) {
    throw new SettingError(
      'slackWebhookSecretArn',
      'must be a Secrets Manager secret ARN or empty',
    );
  }
  return arn;
}

/** Where the container's warehouse credentials come from, checked. */
async function credentials(resolveVariable) {
  const source =
    asText('credentialsSource', await param(resolveVariable, 'credentialsSource')) || 'env';
  const [kind, ...rest] = source.split(':');
  const name = rest.join(':');
  if (kind === 'env' && name === '') {
    const arn = asText('warehouseSecretArn', await param(resolveVariable, 'warehouseSecretArn'));
    if (arn !== '' && !SECRET_ARN.test(arn)) {
      throw new SettingError('warehouseSecretArn', 'must be a Secrets Manager secret ARN or empty');
    }
    return {
      kind: 'env',
      secretArn: arn === '' ? { Ref: 'WarehouseSecret' } : arn,
      createSecret: arn === '',
    };
  }
  if (kind === 'secretsmanager' && SECRET_ARN.test(name)) return { kind, secretArn: name };
  if (kind === 'glue' && /^[A-Za-z0-9_.-]{1,255}$/.test(name)) {
    // A connection that keeps its password in Secrets Manager (SECRET_ID): that secret too.
    const arn = asText('warehouseSecretArn', await param(resolveVariable, 'warehouseSecretArn'));
    if (arn !== '' && !SECRET_ARN.test(arn)) {
      throw new SettingError('warehouseSecretArn', 'must be a Secrets Manager secret ARN or empty');
    }
    return { kind, connection: name, secretArn: arn === '' ? undefined : arn };
  }
  throw new SettingError(
    'credentialsSource',
    `must be env, glue:<connection> or secretsmanager:<secret ARN>, got ${JSON.stringify(source)}`,
  );
}

/** The jobs of the stage, checked: each becomes one schedule. */
async function jobs(resolveVariable) {
  const value = (await param(resolveVariable, 'jobs')) ?? [];
  if (!Array.isArray(value)) throw new SettingError('jobs', 'must be a list');
  const seen = new Set();
  return value.map((job, index) => {
    const where = `jobs[${index}]`;
    if (typeof job !== 'object' || job === null) throw new SettingError(where, 'must be an object');
    const unknown = Object.keys(job).filter(
      (key) => !['name', 'cron', 'timezone', 'input', 'enabled', 'description'].includes(key),
    );
    if (unknown.length > 0) throw new SettingError(where, `unknown field ${unknown[0]}`);
    const { name, cron, timezone, input = {}, enabled = true } = job;
    if (typeof name !== 'string' || !JOB_NAME.test(name)) {
      throw new SettingError(`${where}.name`, 'must be 1 to 64 characters of A-Z a-z 0-9 _ -');
    }
    if (name === 'manual') {
      throw new SettingError(`${where}.name`, "'manual' is the name of runs started by hand");
    }
    if (seen.has(name)) throw new SettingError(`${where}.name`, `'${name}' is used twice`);
    seen.add(name);
    if (typeof cron !== 'string' || !SCHEDULE_EXPRESSION.test(cron)) {
      throw new SettingError(
        `${where}.cron`,
        'must be an EventBridge Scheduler expression: cron(m h dom mon dow y), rate(...) or at(...)',
      );
    }
    if (typeof timezone !== 'string' || !isTimeZone(timezone)) {
      throw new SettingError(
        `${where}.timezone`,
        'must be an IANA time zone such as Europe/Berlin or UTC',
      );
    }
    if (typeof input !== 'object' || input === null || Array.isArray(input)) {
      throw new SettingError(`${where}.input`, 'must be a run input object (docs/run-input.md)');
    }
    if ('job' in input && input.job !== name) {
      throw new SettingError(`${where}.input.job`, 'is the job name; leave it out');
    }
    return {
      name,
      cron,
      timezone,
      input: { ...input, job: name },
      enabled: asBoolean(`${where}.enabled`, enabled),
    };
  });
}

function isTimeZone(zone) {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** A CloudFormation logical id for a job: letters and digits only, unique per name. */
function scheduleLogicalId(name) {
  const words = name.split(/[^A-Za-z0-9]+/).filter(Boolean);
  const camel = words.map((word) => word[0].toUpperCase() + word.slice(1)).join('');
  return `Schedule${camel}`;
}

module.exports = {
  async fargateSpot({ resolveVariable }) {
    return String(asBoolean('fargateSpot', await param(resolveVariable, 'fargateSpot')));
  },

  async notifyOn({ resolveVariable }) {
    return (await notifyEvents(resolveVariable)).join(',');
  },

  async defaultTimeoutSeconds({ resolveVariable }) {
    return String(
      asInteger(
        'defaultTimeoutSeconds',
        await param(resolveVariable, 'defaultTimeoutSeconds'),
        60,
        86400,
      ),
    );
  },

  async taskMemory({ resolveVariable }) {
    return String(asInteger('taskMemory', await param(resolveVariable, 'taskMemory'), 512, 122880));
  },

  async taskCpu({ resolveVariable }) {
    const cpu = asInteger('taskCpu', await param(resolveVariable, 'taskCpu'), 256, 16384);
    if (![256, 512, 1024, 2048, 4096, 8192, 16384].includes(cpu)) {
      throw new SettingError(
        'taskCpu',
        'must be a Fargate CPU value: 256, 512, 1024, 2048, 4096, 8192 or 16384',
      );
    }
    return String(cpu);
  },

  async notifyEnvironment({ resolveVariable }) {
    const stage = await resolveVariable('sls:stage');
    const service = await resolveVariable('self:service');
    const environment = {
      POWERTOOLS_SERVICE_NAME: service,
      STAGE: stage,
      NOTIFY_ON: (await notifyEvents(resolveVariable)).join(','),
      LOG_GROUP: { Ref: 'TaskLogGroup' },
      LOG_STREAM_PREFIX: await resolveVariable('self:custom.logStreamPrefix'),
      DBT_CONTAINER_NAME: await resolveVariable('self:custom.containerName'),
    };
    const slack = await slackSecretArn(resolveVariable);
    if (slack !== '') environment.SLACK_WEBHOOK_SECRET_ARN = slack;
    const docsUrl = asText('docsUrl', await param(resolveVariable, 'docsUrl'));
    if (docsUrl !== '') {
      if (!/^https?:\/\/\S+$/.test(docsUrl))
        throw new SettingError('docsUrl', 'must be an http(s) URL or empty');
      environment.DOCS_URL = docsUrl;
    }
    return environment;
  },

  async taskSecrets({ resolveVariable }) {
    const source = await credentials(resolveVariable);
    if (source.kind !== 'env') return [];
    return Object.entries(WAREHOUSE_SECRET_KEYS).map(([name, key]) => ({
      Name: name,
      // <secret ARN>:<JSON key>:<version stage>:<version id>
      ValueFrom: { 'Fn::Join': ['', [source.secretArn, `:${key}::`]] },
    }));
  },

  async executionRolePolicy({ resolveVariable }) {
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
      {
        Sid: 'WriteTheTaskLog',
        Effect: 'Allow',
        Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        // The group's Arn ends in ':*': its streams.
        Resource: { 'Fn::GetAtt': ['TaskLogGroup', 'Arn'] },
      },
    ];
    const source = await credentials(resolveVariable);
    if (source.kind === 'env') {
      statements.push({
        Sid: 'InjectTheWarehouseSecret',
        Effect: 'Allow',
        Action: 'secretsmanager:GetSecretValue',
        Resource: source.secretArn,
      });
    }
    return statements;
  },

  async taskRolePolicy({ resolveVariable }) {
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
    const source = await credentials(resolveVariable);
    if (source.kind === 'secretsmanager') {
      statements.push({
        Sid: 'ReadTheWarehouseSecret',
        Effect: 'Allow',
        Action: 'secretsmanager:GetSecretValue',
        Resource: source.secretArn,
      });
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
        statements.push({
          Sid: 'ReadTheGlueConnectionSecret',
          Effect: 'Allow',
          Action: 'secretsmanager:GetSecretValue',
          Resource: source.secretArn,
        });
      }
    }
    return statements;
  },

  async notifyRolePolicy({ resolveVariable }) {
    const name = await resolveVariable('self:custom.names.notify');
    const statements = [
      {
        Sid: 'WriteItsOwnLog',
        Effect: 'Allow',
        Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        Resource: sub(
          `arn:\${AWS::Partition}:logs:\${AWS::Region}:\${AWS::AccountId}:log-group:/aws/lambda/${name}:*`,
        ),
      },
    ];
    const slack = await slackSecretArn(resolveVariable);
    if (slack !== '') {
      statements.push({
        Sid: 'ReadTheSlackWebhook',
        Effect: 'Allow',
        Action: 'secretsmanager:GetSecretValue',
        Resource: slack,
      });
    }
    return statements;
  },

  async conditionalResources({ resolveVariable }) {
    const prefix = await resolveVariable('self:custom.prefix');
    const resources = {};
    for (const job of await jobs(resolveVariable)) {
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
            Input: JSON.stringify(job.input),
            RetryPolicy: { MaximumEventAgeInSeconds: 3600, MaximumRetryAttempts: 5 },
            DeadLetterConfig: { Arn: { 'Fn::GetAtt': ['ScheduleDeadLetterQueue', 'Arn'] } },
          },
        },
      };
    }
    const source = await credentials(resolveVariable);
    if (source.kind === 'env' && source.createSecret) {
      resources.WarehouseSecret = {
        Type: 'AWS::SecretsManager::Secret',
        DeletionPolicy: 'Retain',
        UpdateReplacePolicy: 'Retain',
        Properties: {
          Name: `${prefix}/redshift`,
          Description:
            'Redshift connection of the dbt task (JSON: host, port, dbname, username, password, schema); fill it in after the first deployment',
          // Placeholders only; the password is generated, never written in the template.
          GenerateSecretString: {
            SecretStringTemplate: JSON.stringify({
              host: 'set-me.invalid',
              port: '5439',
              dbname: 'set-me',
              username: 'set-me',
              schema: 'set-me',
            }),
            GenerateStringKey: 'password',
            PasswordLength: 32,
            ExcludePunctuation: true,
          },
        },
      };
    }
    return resources;
  },
};
