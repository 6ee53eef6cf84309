// @ts-check
'use strict';
// The stage's settings (serverless.yml's `params`), read through osls's resolveVariable and
// checked. Each function returns one setting's value, checked and normalised, or throws a
// SettingError naming the setting, so that a bad setting fails `serverless package` instead
// of a deployment or a run. config.cjs turns the values into the template. No network, no
// AWS SDK.

/**
 * osls's resolver of `${...}` addresses (`param:taskMemory`, `self:custom.prefix`).
 * @typedef {(address: string) => Promise<unknown>} ResolveVariable
 */

/**
 * A job of the stage: one schedule that starts the state machine with `input`.
 * @typedef {{
 *   name: string,
 *   cron: string,
 *   timezone: string,
 *   input: Record<string, unknown>,
 *   enabled: boolean,
 *   lockGroup?: string,
 * }} Job
 */

// A job's input is a run input: checked here by the run input's own rules, so that a wrong one
// fails `serverless package` naming the job and the field instead of failing every run.
// (osls runs on the project's Node 24, which loads TypeScript directly.)
if (Number(process.versions.node.split('.')[0]) < 24) {
  throw new Error(
    `serverless-dbt packages on Node 24, the project's \`node\` devDependency (this is ${process.version}): ` +
      'run `npx serverless ...`, which puts node_modules/.bin/node first',
  );
}
const runInput = require('../functions/shared/run-input.ts');
const scheduleTimes = require('./schedule-times.cjs');
const contracts = require('../functions/shared/contracts.ts');
const JOB_FIELDS = ['name', 'cron', 'timezone', 'input', 'enabled', 'description', 'lockGroup'];
// A lock group's name: what a job's name may be, so that it fits the lock's key.
const LOCK_GROUP = /^[A-Za-z0-9_-]{1,64}$/;
const NOTIFY_EVENTS = ['start', 'success', 'failure'];
const FARGATE_CPUS = [256, 512, 1024, 2048, 4096, 8192, 16384];
const SCHEDULE_EXPRESSION =
  /^(cron\(\S+( \S+){5}\)|rate\(\d+ (minute|minutes|hour|hours|day|days)\)|at\(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\))$/;
const SECRET_ARN = /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:.+$/;
const TOPIC_ARN = /^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$/;
// An address SNS can send to: one @, no spaces, a dot in the domain. SNS itself checks more
// only when it sends the confirmation; this catches the typo before the deployment.
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

class SettingError extends Error {
  /**
   * @param {string} name the setting, as the stage's params spell it (`jobs[0].cron`)
   * @param {string} problem what is wrong with it
   */
  constructor(name, problem) {
    super(`param '${name}': ${problem}`);
    this.name = 'SettingError';
  }
}

/**
 * @param {ResolveVariable} resolveVariable
 * @param {string} name
 * @returns {Promise<unknown>}
 */
async function param(resolveVariable, name) {
  return resolveVariable(`param:${name}`);
}

/**
 * @param {string} name
 * @param {unknown} value
 * @returns {boolean}
 */
function asBoolean(name, value) {
  if (value === true || value === 'true') return true;
  if (value === false || value === 'false') return false;
  throw new SettingError(name, `must be true or false, got ${JSON.stringify(value)}`);
}

/**
 * @param {string} name
 * @param {unknown} value
 * @param {number} min
 * @param {number} max
 * @returns {number}
 */
function asInteger(name, value, min, max) {
  const number = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
  if (typeof number !== 'number' || !Number.isInteger(number) || number < min || number > max) {
    throw new SettingError(
      name,
      `must be a whole number from ${min} to ${max}, got ${JSON.stringify(value)}`,
    );
  }
  return number;
}

/**
 * An optional text: empty when unset.
 * @param {string} name
 * @param {unknown} value
 * @returns {string}
 */
function asText(name, value) {
  if (value === undefined || value === null) return '';
  if (typeof value !== 'string') {
    throw new SettingError(name, `must be a string, got ${JSON.stringify(value)}`);
  }
  return value.trim();
}

/**
 * An optional Secrets Manager secret ARN: empty when unset.
 * @param {ResolveVariable} resolveVariable
 * @param {string} name
 * @returns {Promise<string>}
 */
async function secretArnParam(resolveVariable, name) {
  const arn = asText(name, await param(resolveVariable, name));
  if (arn !== '' && !SECRET_ARN.test(arn)) {
    throw new SettingError(name, 'must be a Secrets Manager secret ARN or empty');
  }
  return arn;
}

/**
 * Whether the task runs on Fargate Spot.
 * @param {ResolveVariable} resolveVariable
 */
async function fargateSpot(resolveVariable) {
  return asBoolean('fargateSpot', await param(resolveVariable, 'fargateSpot'));
}

/**
 * The run's time limit when its input gives none.
 * @param {ResolveVariable} resolveVariable
 */
async function defaultTimeoutSeconds(resolveVariable) {
  return asInteger(
    'defaultTimeoutSeconds',
    await param(resolveVariable, 'defaultTimeoutSeconds'),
    60,
    86400,
  );
}

/**
 * The task's memory in MiB.
 * @param {ResolveVariable} resolveVariable
 */
async function taskMemory(resolveVariable) {
  return asInteger('taskMemory', await param(resolveVariable, 'taskMemory'), 512, 122880);
}

/**
 * The task's CPU units: one of the values Fargate offers.
 * @param {ResolveVariable} resolveVariable
 */
async function taskCpu(resolveVariable) {
  const cpu = asInteger('taskCpu', await param(resolveVariable, 'taskCpu'), 256, 16384);
  if (!FARGATE_CPUS.includes(cpu)) {
    throw new SettingError(
      'taskCpu',
      'must be a Fargate CPU value: 256, 512, 1024, 2048, 4096, 8192 or 16384',
    );
  }
  return cpu;
}

/**
 * The events Notify reports, each once: a list, or a comma-separated string.
 * @param {ResolveVariable} resolveVariable
 * @returns {Promise<string[]>}
 */
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

/**
 * A list setting: a YAML list, or a comma-separated string (as `--param` gives one).
 * @param {string} name
 * @param {unknown} value
 * @returns {unknown[]}
 */
function asList(name, value) {
  if (value === undefined || value === null || value === '') return [];
  if (typeof value === 'string') {
    return value
      .split(',')
      .map((word) => word.trim())
      .filter(Boolean);
  }
  if (!Array.isArray(value)) throw new SettingError(name, 'must be a list');
  return value;
}

/**
 * The verdicts that page: each a verdict of functions/shared/contracts.ts, or a pattern with
 * `*` (`INFRA_*`) that stands for the verdicts it matches. Expanded, each once, in the
 * contract's order.
 * @param {ResolveVariable} resolveVariable
 * @returns {Promise<string[]>}
 */
async function alarmOn(resolveVariable) {
  const list = asList('alarmOn', await param(resolveVariable, 'alarmOn'));
  /** @type {Set<string>} */
  const chosen = new Set();
  for (const [index, entry] of list.entries()) {
    if (typeof entry !== 'string') {
      throw new SettingError(
        `alarmOn[${index}]`,
        `must be a verdict, got ${JSON.stringify(entry)}`,
      );
    }
    const pattern = new RegExp(`^${entry.replace(/[^A-Z_*]/g, '\\$&').replace(/\*/g, '[A-Z_]*')}$`);
    const matched = contracts.VERDICTS.filter((verdict) => pattern.test(verdict));
    if (matched.length === 0) {
      throw new SettingError(
        `alarmOn[${index}]`,
        `${JSON.stringify(entry)} is not a verdict; the verdicts are ${contracts.VERDICTS.join(', ')} (docs/verdicts.md)`,
      );
    }
    for (const verdict of matched) chosen.add(verdict);
  }
  return contracts.VERDICTS.filter((verdict) => chosen.has(verdict));
}

/**
 * Email addresses subscribed to the alarm topic, each once.
 * @param {ResolveVariable} resolveVariable
 * @returns {Promise<string[]>}
 */
async function alarmEmails(resolveVariable) {
  const list = asList('alarmEmails', await param(resolveVariable, 'alarmEmails'));
  for (const [index, email] of list.entries()) {
    if (typeof email !== 'string' || !EMAIL.test(email.trim())) {
      throw new SettingError(
        `alarmEmails[${index}]`,
        `${JSON.stringify(email)} is not an email address`,
      );
    }
  }
  return [...new Set(list.map((email) => String(email).trim()))];
}

/**
 * Existing SNS topics every alarm also notifies (one AWS Chatbot watches, a pager's), each once.
 * @param {ResolveVariable} resolveVariable
 * @returns {Promise<string[]>}
 */
async function alarmTopicArns(resolveVariable) {
  const list = asList('alarmTopicArns', await param(resolveVariable, 'alarmTopicArns'));
  for (const [index, arn] of list.entries()) {
    if (typeof arn !== 'string' || !TOPIC_ARN.test(arn.trim())) {
      throw new SettingError(
        `alarmTopicArns[${index}]`,
        `${JSON.stringify(arn)} is not an SNS topic ARN (arn:aws:sns:<region>:<account>:<name>)`,
      );
    }
  }
  // CloudWatch takes at most 5 actions per alarm state; the stack's own topic is one.
  if (list.length > 4) {
    throw new SettingError('alarmTopicArns', 'at most 4 topics: an alarm has at most 5 actions');
  }
  return [...new Set(list.map((arn) => String(arn).trim()))];
}

/**
 * The secret holding Slack's webhook URL, or empty.
 * @param {ResolveVariable} resolveVariable
 */
async function slackWebhookSecretArn(resolveVariable) {
  return secretArnParam(resolveVariable, 'slackWebhookSecretArn');
}

/**
 * Where the dbt docs are served, for links in alerts, or empty.
 * @param {ResolveVariable} resolveVariable
 */
async function docsUrl(resolveVariable) {
  const url = asText('docsUrl', await param(resolveVariable, 'docsUrl'));
  if (url !== '' && !/^https?:\/\/\S+$/.test(url)) {
    throw new SettingError('docsUrl', 'must be an http(s) URL or empty');
  }
  return url;
}

/**
 * The jobs of the stage, in their order: each becomes one schedule.
 * @param {ResolveVariable} resolveVariable
 * @returns {Promise<Job[]>}
 */
async function jobs(resolveVariable) {
  const value = (await param(resolveVariable, 'jobs')) ?? [];
  if (!Array.isArray(value)) throw new SettingError('jobs', 'must be a list');
  /** @type {Set<string>} */
  const seen = new Set();
  const checked = value.map((/** @type {unknown} */ job, index) => {
    const where = `jobs[${index}]`;
    if (typeof job !== 'object' || job === null) throw new SettingError(where, 'must be an object');
    const unknown = Object.keys(job).filter((key) => !JOB_FIELDS.includes(key));
    if (unknown.length > 0) throw new SettingError(where, `unknown field ${unknown[0]}`);
    const {
      name,
      cron,
      timezone,
      input = {},
      enabled = true,
      lockGroup,
    } = /** @type {Record<string, unknown>} */ (job);
    if (typeof name !== 'string') throw new SettingError(`${where}.name`, 'must be a string');
    const nameProblem = runInputProblem({ job: name });
    if (nameProblem !== undefined) throw new SettingError(`${where}.name`, nameProblem.problem);
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
    scheduleProblem(`${where}.cron`, cron);
    if (typeof input !== 'object' || input === null || Array.isArray(input)) {
      throw new SettingError(`${where}.input`, 'must be a run input object (docs/run-input.md)');
    }
    if ('job' in input && input.job !== name) {
      throw new SettingError(`${where}.input.job`, 'is the job name; leave it out');
    }
    if ('scheduledTime' in input) {
      throw new SettingError(
        `${where}.input.scheduledTime`,
        'is filled by the schedule with the time each run is scheduled for; leave it out',
      );
    }
    const inputProblem = runInputProblem({ ...input, job: name });
    if (inputProblem !== undefined) {
      const at = inputProblem.field === 'input' ? '' : `.${inputProblem.field}`;
      throw new SettingError(`${where}.input${at}`, inputProblem.problem);
    }
    if (lockGroup !== undefined && (typeof lockGroup !== 'string' || !LOCK_GROUP.test(lockGroup))) {
      throw new SettingError(
        `${where}.lockGroup`,
        `must be 1 to 64 characters of A-Z a-z 0-9 _ - (jobs that name the same group share one overlap lock), got ${JSON.stringify(lockGroup)}`,
      );
    }
    return {
      name,
      cron,
      timezone,
      input: { ...input, job: name },
      enabled: asBoolean(`${where}.enabled`, enabled),
      ...(lockGroup === undefined ? {} : { lockGroup }),
    };
  });
  const now = new Date();
  for (const [index, job] of checked.entries()) refuseSkippedDay(`jobs[${index}]`, job, now);
  return checked;
}

/**
 * Refuse a schedule expression EventBridge Scheduler would refuse or misread, naming why.
 * @param {string} name the setting (`jobs[0].cron`)
 * @param {string} cron
 */
function scheduleProblem(name, cron) {
  try {
    scheduleTimes.parseSchedule(cron);
  } catch (error) {
    if (!(error instanceof scheduleTimes.ScheduleSyntaxError)) throw error;
    throw new SettingError(name, error.message);
  }
}

/**
 * Refuse an enabled job whose every run of a day falls into a daylight saving gap of its time
 * zone (a daily 02:30 in Europe/Berlin on the last Sunday of March): EventBridge Scheduler
 * skips a time that does not exist, so that day would have no run and no alert. A job that
 * keeps some of that day's runs (an hourly one) is only a notice (config.cjs).
 * @param {string} where the job's setting (`jobs[0]`)
 * @param {Job} job
 * @param {Date} now
 */
function refuseSkippedDay(where, job, now) {
  if (!job.enabled) return;
  const { from, to } = scheduleTimes.horizon(now);
  const lost = scheduleTimes
    .skippedDays(job.cron, job.timezone, from, to)
    .find((day) => day.kept === 0);
  if (lost === undefined) return;
  throw new SettingError(
    `${where}.cron`,
    `job ${job.name} runs at ${lost.skipped.join(', ')} ${job.timezone} time, which does not exist ` +
      `on ${lost.date} (the clocks go from ${lost.gapFrom} to ${lost.gapTo}); EventBridge Scheduler ` +
      `skips a time that does not exist, so the job would not run at all that day. Choose a time ` +
      `outside ${lost.gapFrom}-${lost.gapTo}, or a time zone without daylight saving such as UTC`,
  );
}

/**
 * The run input's refusal of `input`, if any.
 * @param {Record<string, unknown>} input
 * @returns {{ field: string, problem: string } | undefined}
 */
function runInputProblem(input) {
  try {
    runInput.parseRunInput(input);
    return undefined;
  } catch (error) {
    if (!(error instanceof runInput.InvalidRunInput)) throw error;
    return { field: error.field, problem: error.message.slice(error.field.length + 2) };
  }
}

/** @param {string} zone */
function isTimeZone(zone) {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

module.exports = {
  SettingError,
  param,
  asText,
  fargateSpot,
  defaultTimeoutSeconds,
  taskMemory,
  taskCpu,
  notifyEvents,
  alarmOn,
  alarmEmails,
  alarmTopicArns,
  slackWebhookSecretArn,
  docsUrl,
  jobs,
  secretArnParam,
};
