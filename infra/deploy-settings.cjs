// @ts-check
'use strict';
// The settings of a deployment rather than of a run: the network the dbt task joins, the image
// it runs and the role CloudFormation deploys with. `serverless package` checks their form, as
// settings.cjs does for the others; `serverless deploy` also refuses the placeholders that
// serverless.yml ships with (deployRefusals, called by infra/deploy-checks.cjs), so that a
// package can be built and reviewed before the stage's real values are known.

const settings = require('./settings.cjs');

const { SettingError, asText, param } = settings;

/** @typedef {import('./settings.cjs').ResolveVariable} ResolveVariable */

/**
 * Who hears of a failed run: Slack, and the alarm topic's subscribers.
 * @typedef {{ slack: boolean, alarmEmails: number, alarmTopicArns: number }} Alerting
 *
 * What `serverless deploy` checks before it calls AWS (serverless.yml, custom.deployChecks).
 * @typedef {{
 *   subnets: string[],
 *   securityGroups: string[],
 *   imageTag: string,
 *   alerting?: Alerting,
 * }} DeployChecks
 */

// The image tag serverless.yml gives by default: a name, so that `package` works, that no
// deployment may use.
const UNSET_IMAGE_TAG = 'unset';
// Docker's (and ECR's) tag grammar.
const IMAGE_TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/[A-Za-z0-9+=,.@_/-]{1,512}$/;
// Ids whose hex digits are one digit repeated (subnet-00000000000000000, sg-0cccccccccccccccc):
// serverless.yml's placeholders. A real id is random; sixteen equal digits are not.
const PLACEHOLDER_ID = /^(subnet|sg)-0?([0-9a-f])\2+$/;

/**
 * A list of existing EC2 ids of one kind, in the awsvpc configuration's limits.
 * @param {string} name
 * @param {unknown} value
 * @param {string} kind `subnet` or `sg`
 * @param {number} max
 * @returns {string[]}
 */
function idList(name, value, kind, max) {
  const pattern = new RegExp(`^${kind}-([0-9a-f]{8}|[0-9a-f]{17})$`);
  if (!Array.isArray(value) || value.length === 0 || value.length > max) {
    throw new SettingError(name, `must be a list of 1 to ${max} ${kind}- ids`);
  }
  for (const id of value) {
    if (typeof id !== 'string' || !pattern.test(id)) {
      throw new SettingError(name, `${JSON.stringify(id)} is not a ${kind}- id`);
    }
  }
  return value;
}

/**
 * The subnets of the task's network interface.
 * @param {ResolveVariable} resolveVariable
 */
async function subnets(resolveVariable) {
  return idList('subnets', await param(resolveVariable, 'subnets'), 'subnet', 16);
}

/**
 * The security groups of the task.
 * @param {ResolveVariable} resolveVariable
 */
async function securityGroups(resolveVariable) {
  return idList('securityGroups', await param(resolveVariable, 'securityGroups'), 'sg', 5);
}

/**
 * The tag of the image the task definition runs.
 * @param {ResolveVariable} resolveVariable
 */
async function imageTag(resolveVariable) {
  const tag = asText('imageTag', await param(resolveVariable, 'imageTag'));
  if (!IMAGE_TAG.test(tag)) {
    throw new SettingError(
      'imageTag',
      `${JSON.stringify(tag)} is not an image tag (A-Z a-z 0-9 _ . -, at most 128)`,
    );
  }
  return tag;
}

/**
 * The role CloudFormation deploys the stack with, or empty: the deployer's own permissions.
 * @param {ResolveVariable} resolveVariable
 */
async function cfnRoleArn(resolveVariable) {
  const arn = asText('cfnRoleArn', await param(resolveVariable, 'cfnRoleArn'));
  if (arn !== '' && !ROLE_ARN.test(arn)) {
    throw new SettingError('cfnRoleArn', 'must be an IAM role ARN or empty');
  }
  return arn;
}

/**
 * What a deployment of the stage may not use: each refusal names its setting.
 * @param {DeployChecks} checks
 * @param {string} stage
 * @returns {Error[]}
 */
function deployRefusals(checks, stage) {
  /** @type {Error[]} */
  const refusals = [];
  for (const name of /** @type {const} */ (['subnets', 'securityGroups'])) {
    const placeholders = checks[name].filter((id) => PLACEHOLDER_ID.test(id));
    if (placeholders.length > 0) {
      refusals.push(
        new SettingError(
          name,
          `${placeholders.join(', ')} ${placeholders.length === 1 ? 'is a placeholder' : 'are placeholders'}: ` +
            `set the stage's real ${name} in serverless.yml (params.${stage}.${name})`,
        ),
      );
    }
  }
  if (checks.imageTag === UNSET_IMAGE_TAG) {
    refusals.push(
      new SettingError(
        'imageTag',
        'is not set: deploy the image of a commit, --param "imageTag=<git sha>"',
      ),
    );
  } else if (checks.imageTag === 'latest') {
    refusals.push(
      new SettingError(
        'imageTag',
        '\'latest\' cannot name one image in a repository of immutable tags: deploy the image of a commit, --param "imageTag=<git sha>"',
      ),
    );
  }
  return refusals;
}

/**
 * What a deployment of the stage may do but should not: each warning names its settings.
 * A stage with neither Slack nor anyone subscribed to its alarms deploys (a first deployment
 * may come before the webhook exists), but every failure and every alarm of it reaches nobody.
 * @param {DeployChecks} checks
 * @param {string} stage
 * @returns {string[]}
 */
function deployWarnings(checks, stage) {
  const alerting = checks.alerting;
  if (alerting === undefined) return [];
  if (alerting.slack || alerting.alarmEmails > 0 || alerting.alarmTopicArns > 0) return [];
  return [
    `stage ${stage} tells nobody when a run fails: it has no Slack webhook ` +
      "(param 'slackWebhookSecretArn') and nobody subscribed to its alarms " +
      "(param 'alarmEmails' or 'alarmTopicArns'). Alerts go only to the Notify log and " +
      `alarms to an SNS topic without subscribers; set one in serverless.yml (params.${stage}), ` +
      'docs/configuration.md, "Who hears of a failure".',
  ];
}

module.exports = {
  UNSET_IMAGE_TAG,
  subnets,
  securityGroups,
  imageTag,
  cfnRoleArn,
  deployRefusals,
  deployWarnings,
};
