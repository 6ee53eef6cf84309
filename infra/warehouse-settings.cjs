// @ts-check
'use strict';
// The stage's settings about the dbt project and its warehouse: the project's folder, adapter
// and target, the container's plain variables, and where the warehouse credentials come from.
// Read and checked like every setting (settings.cjs): a wrong one throws a SettingError naming
// it. No network, no AWS SDK.
const fs = require('node:fs');
const path = require('node:path');
const settings = require('./settings.cjs');

const { SettingError, asText, param, secretArnParam } = settings;

/** @typedef {import('./settings.cjs').ResolveVariable} ResolveVariable */

const SECRET_ARN = /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:.+$/;

/**
 * Where the container's warehouse credentials come from (`credentialsSource`). `secretArn`
 * is undefined when none is given: for `env`, the stack then creates the secret.
 * @typedef {{ kind: 'env', secretArn: string | undefined }
 *   | { kind: 'secretsmanager', secretArn: string }
 *   | { kind: 'glue', connection: string, secretArn: string | undefined }} Credentials
 */

/**
 * Where the container's warehouse credentials come from.
 * @param {ResolveVariable} resolveVariable
 * @returns {Promise<Credentials>}
 */
async function credentials(resolveVariable) {
  const source =
    asText('credentialsSource', await param(resolveVariable, 'credentialsSource')) || 'env';
  const [kind, ...rest] = source.split(':');
  const name = rest.join(':');
  if (kind === 'env' && name === '') {
    const arn = await secretArnParam(resolveVariable, 'warehouseSecretArn');
    return { kind, secretArn: arn === '' ? undefined : arn };
  }
  if (kind === 'secretsmanager' && SECRET_ARN.test(name)) return { kind, secretArn: name };
  if (kind === 'glue' && /^[A-Za-z0-9_.-]{1,255}$/.test(name)) {
    // A connection that keeps its password in Secrets Manager (SECRET_ID): that secret too.
    const arn = await secretArnParam(resolveVariable, 'warehouseSecretArn');
    return { kind, connection: name, secretArn: arn === '' ? undefined : arn };
  }
  throw new SettingError(
    'credentialsSource',
    `must be env, glue:<connection> or secretsmanager:<secret ARN>, got ${JSON.stringify(source)}`,
  );
}

// The keys of the warehouse secret ECS injects with credentialsSource env, when the stage
// names none: the keys of AWS's own database secrets.
const DEFAULT_SECRET_KEYS = ['host', 'port', 'dbname', 'username', 'password'];
const KMS_KEY_ARN = /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[0-9a-f-]+$/;
const ENV_VAR_NAME = /^[A-Z_][A-Z0-9_]*$/;
// The container's own variables: the stack and the state machine set them.
const RESERVED_VARIABLES = new Set([
  'ENV',
  'RUN_ID',
  'RUN_SPEC',
  'RUN_ATTEMPT',
  'RUN_ATTEMPT_STARTED_AT',
  'ARTIFACTS_URI',
  'CREDENTIALS_SOURCE',
  'DBT_TARGET',
  'DBT_PROJECT_DIR',
  'DBT_PROFILES_DIR',
]);
// As the container's redaction decides it (container/dbt_runner/redaction.py).
const SECRET_NAME =
  /PASSWORD|PASSPHRASE|SECRET|TOKEN|PRIVATE[_.-]?KEY|CREDENTIAL|API[_.-]?KEY|ACCESS[_.-]?KEY|KEYFILE/i;

/**
 * The variable a key of the warehouse secret becomes in the container, as
 * container/dbt_runner/credentials.py names it: a secret's (`password`, `private-key`) under
 * dbt's DBT_ENV_SECRET_ prefix, any other (`host`) under DBT_WAREHOUSE_.
 * @param {string} key
 */
function secretVariable(key) {
  const prefix = SECRET_NAME.test(key) ? 'DBT_ENV_SECRET_' : 'DBT_WAREHOUSE_';
  return `${prefix}${key
    .toUpperCase()
    .replace(/[^A-Z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '')}`;
}

/**
 * The keys of the warehouse secret that ECS injects (credentialsSource env), each as its
 * variable (secretVariable).
 * @param {ResolveVariable} resolveVariable
 * @returns {Promise<string[]>}
 */
async function warehouseSecretKeys(resolveVariable) {
  const value = (await param(resolveVariable, 'warehouseSecretKeys')) ?? DEFAULT_SECRET_KEYS;
  const keys = typeof value === 'string' ? value.split(',').map((key) => key.trim()) : value;
  if (!Array.isArray(keys) || keys.length === 0) {
    throw new SettingError('warehouseSecretKeys', "must be a list of the secret's JSON keys");
  }
  /** @type {Map<string, string>} */
  const seen = new Map();
  for (const key of keys) {
    if (typeof key !== 'string' || !/^[A-Za-z0-9_.-]{1,64}$/.test(key)) {
      throw new SettingError(
        'warehouseSecretKeys',
        `${JSON.stringify(key)} is not a JSON key ECS can inject (A-Z a-z 0-9 _ . -)`,
      );
    }
    const variable = secretVariable(key);
    const other = seen.get(variable);
    if (other !== undefined) {
      throw new SettingError(
        'warehouseSecretKeys',
        `'${other}' and '${key}' would both be ${variable}`,
      );
    }
    seen.set(variable, key);
  }
  return /** @type {string[]} */ (keys);
}

/**
 * The KMS key that encrypts the warehouse secret, when it is a customer-managed one ('' for
 * AWS's own key, which needs no grant).
 * @param {ResolveVariable} resolveVariable
 */
async function warehouseSecretKmsKeyArn(resolveVariable) {
  const arn = asText(
    'warehouseSecretKmsKeyArn',
    await param(resolveVariable, 'warehouseSecretKmsKeyArn'),
  );
  if (arn !== '' && !KMS_KEY_ARN.test(arn)) {
    throw new SettingError(
      'warehouseSecretKmsKeyArn',
      'must be a KMS key ARN (arn:aws:kms:…:key/…) or empty',
    );
  }
  return arn;
}

const REPO_ROOT = path.join(__dirname, '..');

/**
 * The dbt project's folder, relative to the repository: it must hold dbt_project.yml.
 * @param {ResolveVariable} resolveVariable
 */
async function dbtProject(resolveVariable) {
  const folder = asText('dbtProject', await param(resolveVariable, 'dbtProject')) || 'dbt';
  if (path.isAbsolute(folder) || path.normalize(folder).startsWith('..')) {
    throw new SettingError(
      'dbtProject',
      'must be a folder inside this repository (the image is built from it)',
    );
  }
  if (!fs.existsSync(path.join(REPO_ROOT, folder, 'dbt_project.yml'))) {
    throw new SettingError('dbtProject', `${JSON.stringify(folder)} holds no dbt_project.yml`);
  }
  return path.normalize(folder);
}

/**
 * The dbt adapter the image installs: one of container/adapters/.
 * @param {ResolveVariable} resolveVariable
 */
async function dbtAdapter(resolveVariable) {
  const adapter = asText('dbtAdapter', await param(resolveVariable, 'dbtAdapter')) || 'redshift';
  const supported = fs.readdirSync(path.join(REPO_ROOT, 'container', 'adapters')).sort();
  if (!supported.includes(adapter)) {
    throw new SettingError(
      'dbtAdapter',
      `must be one of ${supported.join(', ')}, got ${JSON.stringify(adapter)}`,
    );
  }
  return adapter;
}

/**
 * The profile's target the task runs with ('' = the profile's own default target).
 * @param {ResolveVariable} resolveVariable
 */
async function dbtTarget(resolveVariable) {
  const target = asText('dbtTarget', await param(resolveVariable, 'dbtTarget'));
  if (target !== '' && !/^[A-Za-z0-9_-]{1,64}$/.test(target)) {
    throw new SettingError(
      'dbtTarget',
      'must be a target name of the profile (A-Z a-z 0-9 _ -) or empty',
    );
  }
  return target;
}

/**
 * Plain variables for the container (what the project's profile or models read besides the
 * secret, e.g. DBT_SCHEMA), by name. Never a secret: those belong in the warehouse secret.
 * @param {ResolveVariable} resolveVariable
 * @returns {Promise<Record<string, string>>}
 */
async function taskEnvironment(resolveVariable) {
  const value = (await param(resolveVariable, 'taskEnvironment')) ?? {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new SettingError('taskEnvironment', 'must be a map of variable names to values');
  }
  /** @type {Record<string, string>} */
  const environment = {};
  for (const [name, raw] of Object.entries(value)) {
    const where = `taskEnvironment.${name}`;
    if (!ENV_VAR_NAME.test(name)) {
      throw new SettingError(
        where,
        'must be a variable name of A-Z 0-9 _, not starting with a digit',
      );
    }
    if (
      RESERVED_VARIABLES.has(name) ||
      name.startsWith('DBT_ENV_SECRET_') ||
      name.startsWith('DBT_WAREHOUSE_')
    ) {
      throw new SettingError(
        where,
        'is set by serverless-dbt itself (dbtTarget, the warehouse secret)',
      );
    }
    if (SECRET_NAME.test(name)) {
      throw new SettingError(
        where,
        'names a secret: put it in the warehouse secret, not in plain settings',
      );
    }
    if (typeof raw !== 'string' && typeof raw !== 'number' && typeof raw !== 'boolean') {
      throw new SettingError(where, 'must be a string, a number or true/false');
    }
    environment[name] = String(raw);
  }
  return environment;
}

module.exports = {
  credentials,
  warehouseSecretKeys,
  warehouseSecretKmsKeyArn,
  secretVariable,
  dbtProject,
  dbtAdapter,
  dbtTarget,
  taskEnvironment,
};
