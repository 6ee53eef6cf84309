// infra/deploy-checks.cjs, the osls plugin that makes `serverless deploy` refuse the
// placeholders serverless.yml ships with, called as osls calls it: its `initialize` hook, with
// the settings osls resolved (custom.deployChecks). deploy-checks.integration.test.ts runs the
// real `serverless deploy`.
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { REPO_ROOT } from '../support/packaged.ts';

interface Checks {
  subnets: string[];
  securityGroups: string[];
  imageTag: string;
  alerting?: { slack: boolean; alarmEmails: number; alarmTopicArns: number };
}

type Plugin = { hooks: { initialize: () => void } };
type PluginClass = new (
  serverless: unknown,
  options: Record<string, unknown>,
  utilities?: { log?: { warning?: (text: string) => void } },
) => Plugin;

const DeployChecks = createRequire(import.meta.url)(
  join(REPO_ROOT, 'infra', 'deploy-checks.cjs'),
) as PluginClass;

class ServerlessError extends Error {
  readonly code: string;

  constructor(message: string, code: string) {
    super(message);
    this.code = code;
  }
}

const READY: Checks = {
  subnets: ['subnet-0123456789abcdef0', 'subnet-0fedcba9876543210'],
  securityGroups: ['sg-0a1b2c3d4e5f67890'],
  imageTag: '3f2a9c1d',
};
const AS_SHIPPED: Checks = {
  subnets: ['subnet-00000000000000000'],
  securityGroups: ['sg-00000000000000000'],
  imageTag: 'unset',
};

/** What the plugin printed with osls's `log.warning`. */
let warnings: string[] = [];
beforeEach(() => {
  warnings = [];
});

function initialize(
  checks: Checks | undefined,
  commands = ['deploy'],
  options: Record<string, unknown> = {},
): void {
  const serverless = {
    processedInput: { commands },
    service: { custom: checks === undefined ? {} : { deployChecks: checks } },
    classes: { Error: ServerlessError },
    getProvider: () => ({ getStage: () => 'live' }),
  };
  const log = { warning: (text: string) => warnings.push(text) };
  new DeployChecks(serverless, options, { log }).hooks.initialize();
}

const NOBODY = { slack: false, alarmEmails: 0, alarmTopicArns: 0 };

describe('serverless deploy', () => {
  it("refuses serverless.yml's placeholders, naming each setting and where to set it", () => {
    expect(() => initialize(AS_SHIPPED)).toThrow(
      new ServerlessError(
        [
          'stage live is not ready to deploy:',
          "  param 'subnets': subnet-00000000000000000 is a placeholder: set the stage's real subnets in serverless.yml (params.live.subnets)",
          "  param 'securityGroups': sg-00000000000000000 is a placeholder: set the stage's real securityGroups in serverless.yml (params.live.securityGroups)",
          `  param 'imageTag': is not set: deploy the image of a commit, --param "imageTag=<git sha>"`,
        ].join('\n'),
        'SERVERLESS_DBT_NOT_READY_TO_DEPLOY',
      ),
    );
  });

  it('names only the placeholders among real ids', () => {
    const subnets = [
      'subnet-0123456789abcdef0',
      'subnet-0aaaaaaaaaaaaaaaa',
      'subnet-0bbbbbbbbbbbbbbbb',
    ];
    expect(() => initialize({ ...READY, subnets })).toThrow(
      /^stage live is not ready to deploy:\n {2}param 'subnets': subnet-0aaaaaaaaaaaaaaaa, subnet-0bbbbbbbbbbbbbbbb are placeholders: [^\n]*$/,
    );
  });

  it("refuses 'latest', which an immutable repository cannot move", () => {
    expect(() => initialize({ ...READY, imageTag: 'latest' })).toThrow(
      /param 'imageTag': 'latest' cannot name one image in a repository of immutable tags/,
    );
  });

  it('lets a stage with its real network and a commit tag go on', () => {
    expect(() => initialize(READY)).not.toThrow();
  });

  it('says so when serverless.yml lost the settings it checks', () => {
    expect(() => initialize(undefined)).toThrow(/custom\.deployChecks/);
  });
});

describe('serverless deploy of a stage that tells nobody of a failure', () => {
  it('warns, naming the settings to set, and still deploys', () => {
    expect(() => initialize({ ...READY, alerting: NOBODY })).not.toThrow();
    expect(warnings).toEqual([
      expect.stringMatching(
        /^WARNING: stage live tells nobody when a run fails: it has no Slack webhook \(param 'slackWebhookSecretArn'\) and nobody subscribed to its alarms \(param 'alarmEmails' or 'alarmTopicArns'\)\..*params\.live/,
      ),
    ]);
  });

  it('warns before refusing the placeholders, so both are seen', () => {
    expect(() => initialize({ ...AS_SHIPPED, alerting: NOBODY })).toThrow(/not ready to deploy/);
    expect(warnings).toHaveLength(1);
  });

  it.each([
    ['a Slack webhook', { ...NOBODY, slack: true }],
    ['an alarm email', { ...NOBODY, alarmEmails: 1 }],
    ['an alarm topic', { ...NOBODY, alarmTopicArns: 2 }],
  ])('does not warn a stage with %s', (_what, alerting) => {
    initialize({ ...READY, alerting });
    expect(warnings).toEqual([]);
  });

  it('does not warn on `serverless package`, which changes no stack', () => {
    initialize({ ...READY, alerting: NOBODY }, ['package']);
    expect(warnings).toEqual([]);
  });
});

describe.each([
  ['serverless package', ['package'], {}],
  ['serverless deploy function', ['deploy', 'function'], { function: 'prepare' }],
  ['serverless deploy --function', ['deploy'], { function: 'prepare' }],
  ['serverless deploy list', ['deploy', 'list'], {}],
  ['serverless print', ['print'], {}],
])('%s', (_command, commands, options) => {
  it('accepts the placeholders: it changes no stack', () => {
    expect(() => initialize(AS_SHIPPED, commands, options)).not.toThrow();
  });
});
