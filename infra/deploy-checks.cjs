// @ts-check
'use strict';
// An osls plugin (serverless.yml, `plugins:`): `serverless deploy` refuses a stage whose
// settings are still serverless.yml's placeholders (the subnets, the security groups, an unset
// image tag), naming each setting, before it packages or calls AWS. `serverless package`
// accepts them, so that the template can be built and tested with no account. It also warns,
// loudly but without refusing, when the stage would tell nobody of a failed run (no Slack
// webhook, no alarm subscriber).

const deploySettings = require('./deploy-settings.cjs');

/**
 * What osls gives a plugin besides the instance: its log (`log.warning` prints in yellow).
 * @typedef {{ log?: { warning?: (text: string) => void } }} PluginUtilities
 *
 * The parts of osls's Serverless instance this plugin reads.
 * @typedef {{
 *   processedInput: { commands: string[] },
 *   service: { custom?: { deployChecks?: import('./deploy-settings.cjs').DeployChecks } },
 *   classes: { Error: new (message: string, code: string) => Error },
 *   getProvider: (name: 'aws') => { getStage: () => string },
 * }} Serverless
 */

class DeployChecks {
  /**
   * @param {Serverless} serverless
   * @param {Record<string, unknown>} options the command line's options
   * @param {PluginUtilities} [utilities]
   */
  constructor(serverless, options, utilities = {}) {
    this.serverless = serverless;
    this.options = options;
    const log = utilities.log;
    /** @type {(text: string) => void} */
    this.warn =
      typeof log?.warning === 'function'
        ? log.warning.bind(log)
        : (text) => process.stderr.write(`Warning: ${text}\n`);
    // `initialize` runs once the settings are resolved, before any command's own hooks.
    this.hooks = { initialize: () => this.refuseAnUnreadyStage() };
  }

  refuseAnUnreadyStage() {
    // As osls's own deploy plugin tells a stack deployment from `deploy function`.
    const isStackDeployment =
      this.serverless.processedInput.commands.join(' ') === 'deploy' && !this.options.function;
    if (!isStackDeployment) return;
    const checks = this.serverless.service.custom?.deployChecks;
    if (checks === undefined) {
      throw new this.serverless.classes.Error(
        'serverless.yml has no custom.deployChecks, which infra/deploy-checks.cjs reads',
        'SERVERLESS_DBT_DEPLOY_CHECKS_MISSING',
      );
    }
    const stage = this.serverless.getProvider('aws').getStage();
    // Before the refusals, so that a stage fixed for them is not surprised by it next time.
    for (const warning of deploySettings.deployWarnings(checks, stage)) {
      this.warn(`WARNING: ${warning}`);
    }
    const refusals = deploySettings.deployRefusals(checks, stage);
    if (refusals.length === 0) return;
    throw new this.serverless.classes.Error(
      [
        `stage ${stage} is not ready to deploy:`,
        ...refusals.map((refusal) => `  ${refusal.message}`),
      ].join('\n'),
      'SERVERLESS_DBT_NOT_READY_TO_DEPLOY',
    );
  }
}

module.exports = DeployChecks;
