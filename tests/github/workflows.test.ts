// The GitHub Actions workflows (.github/workflows/) read as data: what runs on which event, the
// order of a stage's deploy, dev before live, which pull requests Slim CI builds and with what,
// and that no job holds long-lived AWS keys or more permissions than it uses. actionlint
// (bin/test) checks their syntax and the shell in their steps; this checks what they mean.
import { execFileSync, spawnSync } from 'node:child_process';
import {
  accessSync,
  chmodSync,
  constants,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const WORKFLOWS = join(REPO, '.github', 'workflows');

interface Step {
  name?: string;
  id?: string;
  if?: string;
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
  env?: Record<string, string>;
}
interface Job {
  name?: string;
  if?: string;
  needs?: string | string[];
  uses?: string;
  environment?: string | { name: string };
  concurrency?: string | { group: string; 'cancel-in-progress'?: boolean | string };
  permissions?: string | Record<string, string>;
  env?: Record<string, string>;
  steps?: Step[];
}
interface Workflow {
  on: Record<
    string,
    { branches?: string[]; 'branches-ignore'?: string[]; types?: string[] } | null
  >;
  permissions?: string | Record<string, string>;
  concurrency?: Job['concurrency'];
  jobs: Record<string, Job>;
}

const files = readdirSync(WORKFLOWS).filter((file) => /\.ya?ml$/.test(file));
const text = (file: string) => readFileSync(join(WORKFLOWS, file), 'utf8');
const workflow = (file: string) => parse(text(file)) as Workflow;
const job = (file: string, name: string): Job => {
  const found = workflow(file).jobs[name];
  if (!found) throw new Error(`${file} has no job ${name}`);
  return found;
};
const steps = (found: Job): Step[] => found.steps ?? [];
const needs = (found: Job) => [found.needs ?? []].flat();
const environmentOf = (found: Job) =>
  typeof found.environment === 'string' ? found.environment : found.environment?.name;
const usesAction = (action: string) => (step: Step) => step.uses?.startsWith(`${action}@`) ?? false;
const runs = (pattern: RegExp) => (step: Step) => pattern.test(step.run ?? '');
const grantsIdToken = (permissions: Job['permissions']) =>
  typeof permissions === 'object' && permissions['id-token'] === 'write';

/** A GitHub expression as the workflow writes it: expr('github.sha') is ${{ github.sha }}. */
const expr = (inner: string) => `\${{ ${inner} }}`;

const ASSUME_ROLE = 'aws-actions/configure-aws-credentials';
const STAGES = ['dev', 'live'] as const;

/** The values a job condition reads; null as GitHub gives a missing one (a deleted fork). */
type Context = Record<string, string | null>;

const operand = (token: string, context: Context) => {
  const literal = /^'(.*)'$/.exec(token);
  if (literal) return literal[1];
  if (!(token in context)) throw new Error(`the test's context has no ${token}`);
  return context[token];
};

/**
 * A condition as GitHub evaluates it, for the forms the workflows use: `||` of `&&` of `==` or
 * `!=` between context values and string literals. Anything else throws, so a condition that
 * outgrows it fails the test instead of being misread.
 */
const evaluate = (condition: string, context: Context): boolean =>
  condition.split('||').some((all) =>
    all.split('&&').every((comparison) => {
      const match = /^\s*(\S+)\s*(==|!=)\s*(\S+)\s*$/.exec(comparison);
      if (!match) throw new Error(`cannot evaluate "${comparison.trim()}"`);
      const [, left = '', operator, right = ''] = match;
      const equal = operand(left, context) === operand(right, context);
      return operator === '==' ? equal : !equal;
    }),
  );

/** The expression inside ${{ }}: the reverse of expr. */
const insideExpression = (value: string | undefined) =>
  /^\$\{\{ (.*) \}\}$/.exec(value ?? '')?.[1] ?? '';

/**
 * Runs a step's shell as the runner does (bash -eo pipefail) in a folder where
 * bin/serverless-dbt prints its arguments, one a line: the CLI needs AWS and a warehouse, and
 * what is checked here is the step's own shell line.
 */
const runWithCliStandIn = (script: string, env: Record<string, string>) => {
  const folder = mkdtempSync(join(tmpdir(), 'slim-ci-step-'));
  try {
    mkdirSync(join(folder, 'bin'));
    writeFileSync(
      join(folder, 'bin', 'serverless-dbt'),
      '#!/usr/bin/env bash\nprintf "%s\\n" "$@"\n',
    );
    chmodSync(join(folder, 'bin', 'serverless-dbt'), 0o755);
    return execFileSync('bash', ['-eo', 'pipefail', '-c', script], {
      cwd: folder,
      env: { PATH: process.env.PATH ?? '', ...env },
      encoding: 'utf8',
    })
      .trimEnd()
      .split('\n');
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
};

describe('ci.yml: every check on every change', () => {
  const ci = workflow('ci.yml');

  test('runs on pull requests, on pushes to branches other than main, and when deploy.yml calls it', () => {
    expect(Object.keys(ci.on).sort()).toEqual(['pull_request', 'push', 'workflow_call']);
    expect(ci.on.push?.['branches-ignore']).toEqual(['main']);
  });

  test('runs bin/test and the image tier, each in a job of its own', () => {
    expect(steps(job('ci.yml', 'checks')).filter(runs(/^bin\/test$/))).toHaveLength(1);
    expect(steps(job('ci.yml', 'image')).filter(runs(/^npm run test:image$/))).toHaveLength(1);
  });

  test('reads the repository and nothing more', () => {
    expect(ci.permissions).toEqual({ contents: 'read' });
    for (const found of Object.values(ci.jobs)) expect(found.permissions).toBeUndefined();
  });

  test('bin/test gets Python 3.11 as python3 and 3.12 for the Airflow 3 lines, and caches pip by every Airflow line pin file', () => {
    const setups = steps(job('ci.yml', 'checks')).filter(usesAction('actions/setup-python'));
    expect(setups).toHaveLength(1);
    const lines = (value: unknown) =>
      String(value ?? '')
        .trim()
        .split('\n')
        .map((line) => line.trim());
    // setup-python makes the last version listed the default python3.
    expect(lines(setups[0]?.with?.['python-version'])).toEqual(['3.12', '3.11']);
    // Each Airflow line's venv (airflow-compat/setup) is installed from its constraints.txt.
    const airflowLines = readdirSync(join(REPO, 'airflow-compat'), { withFileTypes: true })
      .filter((entry) => entry.isDirectory() && /^airflow[\d.]+$/.test(entry.name))
      .map((entry) => `airflow-compat/${entry.name}/constraints.txt`);
    expect(airflowLines).toEqual(
      expect.arrayContaining([
        'airflow-compat/airflow3.0/constraints.txt',
        'airflow-compat/airflow2/constraints.txt',
      ]),
    );
    expect(lines(setups[0]?.with?.['cache-dependency-path'])).toEqual(
      expect.arrayContaining(['airflow-compat/constraints.txt', ...airflowLines]),
    );
  });
});

describe('deploy.yml: a push to main becomes deployed stages', () => {
  const deploy = workflow('deploy.yml');

  test('runs on pushes to main only', () => {
    expect(deploy.on).toEqual({ push: { branches: ['main'] } });
  });

  test('deploys dev only after every check passed (ci.yml), and live only after dev', () => {
    expect(job('deploy.yml', 'checks').uses).toBe('./.github/workflows/ci.yml');
    expect(needs(job('deploy.yml', 'dev'))).toEqual(['checks']);
    expect(needs(job('deploy.yml', 'live'))).toEqual(['dev']);
    expect(Object.keys(deploy.jobs).sort()).toEqual(['checks', 'dev', 'live']);
  });

  test('live waits in the live environment, where reviewers approve it; dev has its own', () => {
    expect(environmentOf(job('deploy.yml', 'live'))).toBe('live');
    expect(environmentOf(job('deploy.yml', 'dev'))).toBe('dev');
  });

  test.each(STAGES)(
    '%s: one deploy at a time, and a deploy in progress is never cancelled',
    (stage) => {
      expect(job('deploy.yml', stage).concurrency).toEqual({
        group: `deploy-${stage}`,
        'cancel-in-progress': false,
      });
    },
  );

  test.each(STAGES)('%s: deploys its own stage with the commit as the image tag', (stage) => {
    expect(job('deploy.yml', stage).env).toEqual({ STAGE: stage, IMAGE_TAG: expr('github.sha') });
  });

  test.each(STAGES)(
    '%s: role, ECR login, repository, image build and push, deploy, smoke run, DAG: in that order',
    (stage) => {
      const all = steps(job('deploy.yml', stage));
      const order = [
        usesAction(ASSUME_ROLE),
        usesAction('aws-actions/amazon-ecr-login'),
        runs(/^scripts\/deploy-stage repository --stage "\$STAGE" --image-tag "\$IMAGE_TAG"/),
        runs(
          /^scripts\/deploy-stage image --stage "\$STAGE" --repository .* --image-tag "\$IMAGE_TAG"/,
        ),
        runs(/^npx serverless deploy --stage "\$STAGE" --param "imageTag=\$IMAGE_TAG"$/),
        runs(/^bin\/serverless-dbt start --stage "\$STAGE" --wait .*--select /),
        runs(/^scripts\/deploy-stage dags /),
      ].map((matches) => all.findIndex(matches));
      expect(order).not.toContain(-1);
      expect([...order].sort((a, b) => a - b)).toEqual(order);
    },
  );

  test.each(STAGES)(
    '%s: pushes to the repository the stack reports, which it made sure exists',
    (stage) => {
      const all = steps(job('deploy.yml', stage));
      const repository = all.find(runs(/^scripts\/deploy-stage repository /));
      const image = all.find(runs(/^scripts\/deploy-stage image /));
      expect(repository?.id).toBe('repository');
      expect(image?.env?.REPOSITORY_URI).toBe(expr('steps.repository.outputs.uri'));
      expect(image?.run).toContain('--repository "$REPOSITORY_URI"');
    },
  );

  test.each(STAGES)('%s: assumes the deploy role by OIDC, in the stage region', (stage) => {
    const role = steps(job('deploy.yml', stage)).find(usesAction(ASSUME_ROLE));
    expect(role?.with?.['role-to-assume']).toBe(expr('vars.AWS_DEPLOY_ROLE_ARN'));
    expect(role?.with?.['aws-region']).toBe(expr('steps.settings.outputs.region'));
    expect(Object.keys(role?.with ?? {}).sort()).toEqual([
      'aws-region',
      'role-session-name',
      'role-to-assume',
    ]);
  });

  test.each(STAGES)('%s: copies the DAG only when MWAA_DAGS_BUCKET names a bucket', (stage) => {
    const dags = steps(job('deploy.yml', stage)).find(runs(/^scripts\/deploy-stage dags /));
    expect(dags?.if).toBe("vars.MWAA_DAGS_BUCKET != ''");
    expect(dags?.env?.MWAA_DAGS_BUCKET).toBe(expr('vars.MWAA_DAGS_BUCKET'));
  });

  const MWAA_SETTINGS = {
    MWAA_DAGS_BUCKET: '--bucket',
    MWAA_ENVIRONMENT: '--environment',
    MWAA_AIRFLOW_VERSION: '--airflow-version',
    MWAA_REQUIREMENTS: '--requirements',
  };

  test.each(STAGES)(
    '%s: gives the DAG step its four variables, each as its option, empty ones as empty values',
    (stage) => {
      const dags = steps(job('deploy.yml', stage)).find(runs(/^scripts\/deploy-stage dags /));
      expect(dags?.env).toEqual(
        Object.fromEntries(Object.keys(MWAA_SETTINGS).map((name) => [name, expr(`vars.${name}`)])),
      );
      // The step's shell, with a scripts/deploy-stage that prints its arguments.
      const folder = mkdtempSync(join(tmpdir(), 'deploy-dags-step-'));
      try {
        mkdirSync(join(folder, 'scripts'));
        writeFileSync(
          join(folder, 'scripts', 'deploy-stage'),
          '#!/usr/bin/env bash\nprintf "[%s]\\n" "$@"\n',
        );
        chmodSync(join(folder, 'scripts', 'deploy-stage'), 0o755);
        const values = {
          MWAA_DAGS_BUCKET: 'mwaa-acme',
          MWAA_ENVIRONMENT: 'analytics',
          MWAA_AIRFLOW_VERSION: '',
          MWAA_REQUIREMENTS: 'requirements/prod.txt',
        };
        const printed = execFileSync('bash', ['-eo', 'pipefail', '-c', dags?.run ?? 'exit 99'], {
          cwd: folder,
          env: { PATH: process.env.PATH ?? '', ...values },
          encoding: 'utf8',
        });
        const expected = Object.entries(MWAA_SETTINGS).flatMap(([name, option]) => [
          `[${option}]`,
          `[${values[name as keyof typeof values]}]`,
        ]);
        expect(printed.trimEnd().split('\n')).toEqual(['[dags]', ...expected]);
      } finally {
        rmSync(folder, { recursive: true, force: true });
      }
    },
  );

  test('dev and live run the very same steps', () => {
    expect(steps(job('deploy.yml', 'live'))).toEqual(steps(job('deploy.yml', 'dev')));
  });
});

describe('slim-ci.yml: a pull request builds what it changed, and its schema goes when it closes', () => {
  const slim = workflow('slim-ci.yml');
  const ROLE_JOBS = ['build', 'drop'] as const;
  const REPOSITORY = 'acme/analytics';
  const ACTIONS = ['opened', 'synchronize', 'reopened', 'closed'];
  const context = (action: string, headRepository: string | null, roleArn: string): Context => ({
    'github.event.action': action,
    'github.event.pull_request.head.repo.full_name': headRepository,
    'github.repository': REPOSITORY,
    'vars.SLIM_CI_ROLE_ARN': roleArn,
  });
  const runningJobs = (each: Context) =>
    Object.entries(slim.jobs)
      .filter(([, found]) => evaluate(found.if ?? '', each))
      .map(([name]) => name);
  const command = (name: (typeof ROLE_JOBS)[number]) =>
    steps(job('slim-ci.yml', name)).find(runs(/^bin\/serverless-dbt ci /));

  test('runs when a pull request opens, gets a push, reopens or closes, and on nothing else', () => {
    expect(slim.on).toEqual({ pull_request: { types: ACTIONS } });
  });

  test('reads the repository; only build and drop may ask for an OIDC token', () => {
    expect(slim.permissions).toEqual({ contents: 'read' });
    for (const name of ROLE_JOBS) {
      expect(job('slim-ci.yml', name).permissions).toEqual({
        contents: 'read',
        'id-token': 'write',
      });
    }
    expect(Object.keys(slim.jobs).sort()).toEqual(['build', 'drop', 'skipped']);
    expect(job('slim-ci.yml', 'skipped').permissions).toBeUndefined();
  });

  test('one run per pull request: a new push, or the close, cancels the run in progress', () => {
    expect(slim.concurrency).toEqual({
      group: `slim-ci-${expr('github.event.pull_request.number')}`,
      'cancel-in-progress': true,
    });
  });

  test.each(ACTIONS)(
    '%s: build runs on an open pull request of this repository, drop on a closed one, each only with the role',
    (action) => {
      expect(runningJobs(context(action, REPOSITORY, 'arn:aws:iam::123456789012:role/ci'))).toEqual(
        [action === 'closed' ? 'drop' : 'build'],
      );
    },
  );

  test.each(ACTIONS)(
    '%s: a fork (or a deleted one), or no SLIM_CI_ROLE_ARN, runs neither build nor drop, only the notice',
    (action) => {
      const role = 'arn:aws:iam::123456789012:role/ci';
      for (const each of [
        context(action, 'someone/analytics', role),
        context(action, null, role),
        context(action, REPOSITORY, ''),
      ]) {
        expect(runningJobs(each)).toEqual(['skipped']);
      }
    },
  );

  test('the notice says why: a fork gets no role, or the variable to set', () => {
    const skipped = job('slim-ci.yml', 'skipped');
    const why = steps(skipped)[0]?.run ?? '';
    const fromFork = (headRepository: string | null) =>
      String(
        evaluate(insideExpression(skipped.env?.FROM_FORK), context('opened', headRepository, '')),
      );
    expect(runWithCliStandIn(why, { FROM_FORK: fromFork('someone/analytics') })).toEqual([
      expect.stringMatching(
        /^::notice title=Slim CI did not run::a pull request from a fork gets no AWS role/,
      ),
    ]);
    expect(runWithCliStandIn(why, { FROM_FORK: fromFork(REPOSITORY) })).toEqual([
      expect.stringMatching(
        /^::notice title=Slim CI did not run::the GitHub variable SLIM_CI_ROLE_ARN is not set/,
      ),
    ]);
  });

  test('the notice job is one step: no checkout, no role, no token', () => {
    const skipped = job('slim-ci.yml', 'skipped');
    expect(steps(skipped)).toHaveLength(1);
    expect(steps(skipped).some((step) => step.uses !== undefined)).toBe(false);
  });

  test.each(ROLE_JOBS)(
    '%s: install, the credentials setting, stage settings, the role, then bin/serverless-dbt ci: in that order',
    (name) => {
      const all = steps(job('slim-ci.yml', name));
      const order = [
        usesAction('actions/checkout'),
        runs(/^scripts\/setup$/),
        runs(/SLIM_CI_CREDENTIALS_SOURCE/),
        runs(/^scripts\/deploy-stage settings --stage "\$STAGE" >> "\$GITHUB_OUTPUT"$/),
        usesAction(ASSUME_ROLE),
        runs(new RegExp(`^bin/serverless-dbt ci ${name} `)),
      ].map((matches) => all.findIndex(matches));
      expect(order).not.toContain(-1);
      expect([...order].sort((a, b) => a - b)).toEqual(order);
    },
  );

  test.each(ROLE_JOBS)('%s: no step is skipped on a condition but the artifacts upload', (name) => {
    const conditional = steps(job('slim-ci.yml', name)).filter((step) => step.if !== undefined);
    expect(conditional.map((step) => [step.uses?.split('@')[0], step.if])).toEqual(
      name === 'build' ? [['actions/upload-artifact', 'always()']] : [],
    );
  });

  test.each(ROLE_JOBS)(
    "%s: the stage is SLIM_CI_STAGE or live, the pull request's number comes from the event",
    (name) => {
      expect(job('slim-ci.yml', name).env).toEqual({
        STAGE: expr("vars.SLIM_CI_STAGE || 'live'"),
        PR_NUMBER: expr('github.event.pull_request.number'),
      });
    },
  );

  test.each(ROLE_JOBS)(
    '%s: assumes SLIM_CI_ROLE_ARN by OIDC in the stage region, the session named after the pull request',
    (name) => {
      const role = steps(job('slim-ci.yml', name)).find(usesAction(ASSUME_ROLE));
      expect(role?.with).toEqual({
        'role-to-assume': expr('vars.SLIM_CI_ROLE_ARN'),
        'aws-region': expr('steps.settings.outputs.region'),
        'role-session-name': `slim-ci-pr-${expr('github.event.pull_request.number')}-${expr('github.run_id')}`,
      });
    },
  );

  test.each(ROLE_JOBS)(
    '%s: the warehouse credentials are SLIM_CI_CREDENTIALS_SOURCE, the target SLIM_CI_TARGET',
    (name) => {
      expect(command(name)?.env).toEqual({
        CREDENTIALS_SOURCE: expr('vars.SLIM_CI_CREDENTIALS_SOURCE'),
        SLIM_CI_TARGET: expr('vars.SLIM_CI_TARGET'),
      });
    },
  );

  test.each(ROLE_JOBS)(
    '%s: stops before the role, naming SLIM_CI_CREDENTIALS_SOURCE, when that variable is not set',
    (name) => {
      const check = steps(job('slim-ci.yml', name)).find(runs(/SLIM_CI_CREDENTIALS_SOURCE/));
      expect(check?.env).toEqual({
        SLIM_CI_CREDENTIALS_SOURCE: expr('vars.SLIM_CI_CREDENTIALS_SOURCE'),
      });
      const run = (value: string) =>
        spawnSync('bash', ['-eo', 'pipefail', '-c', check?.run ?? 'exit 99'], {
          env: { PATH: process.env.PATH ?? '', SLIM_CI_CREDENTIALS_SOURCE: value },
          encoding: 'utf8',
        });
      const unset = run('');
      expect(unset.status).toBe(1);
      expect(unset.stdout).toMatch(
        /^::error title=Slim CI::set the GitHub variable SLIM_CI_CREDENTIALS_SOURCE /,
      );
      const set = run(
        'secretsmanager:arn:aws:secretsmanager:eu-west-1:123456789012:secret:ci-AbCdEf',
      );
      expect({ status: set.status, stdout: set.stdout }).toEqual({ status: 0, stdout: '' });
    },
  );

  test.each(ROLE_JOBS)(
    '%s: calls the CLI with the pull request and the stage, and --target only when SLIM_CI_TARGET is set',
    (name) => {
      const script = command(name)?.run ?? '';
      const base = { PR_NUMBER: '42', STAGE: 'live' };
      expect(runWithCliStandIn(script, { ...base, SLIM_CI_TARGET: '' })).toEqual([
        'ci',
        name,
        '--pr',
        '42',
        '--stage',
        'live',
      ]);
      expect(runWithCliStandIn(script, { ...base, SLIM_CI_TARGET: 'ci target' })).toEqual([
        'ci',
        name,
        '--pr',
        '42',
        '--stage',
        'live',
        '--target',
        'ci target',
      ]);
    },
  );

  test("build checks out the pull request merged into its base, drop the reviewed code: the merge commit, or the base's", () => {
    const checkout = (name: (typeof ROLE_JOBS)[number]) =>
      steps(job('slim-ci.yml', name)).find(usesAction('actions/checkout'));
    expect(checkout('build')?.with).toEqual({ 'persist-credentials': false });
    expect(checkout('drop')?.with).toEqual({
      ref: expr(
        'github.event.pull_request.merged && github.event.pull_request.merge_commit_sha || github.event.pull_request.base.sha',
      ),
      'persist-credentials': false,
    });
  });

  test("build keeps the run's artifacts (a hidden folder) as the workflow's, even when dbt failed", () => {
    const all = steps(job('slim-ci.yml', 'build'));
    const upload = all.findIndex(usesAction('actions/upload-artifact'));
    expect(upload).toBeGreaterThan(all.findIndex(runs(/^bin\/serverless-dbt ci build /)));
    expect(all[upload]?.if).toBe('always()');
    expect(all[upload]?.with).toMatchObject({
      path: '.serverless-dbt/runs/',
      'include-hidden-files': true,
    });
  });
});

describe('every workflow', () => {
  test('there are the workflows docs/deploy.md and docs/slim-ci.md describe', () => {
    expect(files.sort()).toEqual(['ci.yml', 'deploy.yml', 'slim-ci.yml']);
  });

  test.each(files)(
    '%s: gives GitHub values to the shell through env, never as an expression inside run:',
    (file) => {
      const scripts = Object.values(workflow(file).jobs)
        .flatMap(steps)
        .map((step) => step.run ?? '');
      expect(scripts.filter((script) => script.includes('${{'))).toEqual([]);
    },
  );

  test.each(files)(
    '%s: every checkout leaves no token behind (persist-credentials: false)',
    (file) => {
      const checkouts = Object.values(workflow(file).jobs)
        .flatMap(steps)
        .filter(usesAction('actions/checkout'));
      for (const checkout of checkouts) expect(checkout.with?.['persist-credentials']).toBe(false);
    },
  );

  test.each(files)('%s: holds no long-lived AWS keys and reads no secrets', (file) => {
    expect(text(file)).not.toMatch(
      /aws-access-key-id|aws-secret-access-key|aws-session-token|AWS_ACCESS_KEY_ID|AWS_SECRET_ACCESS_KEY|AWS_SESSION_TOKEN/i,
    );
    expect(text(file)).not.toMatch(/\bsecrets\./);
  });

  test.each(files)('%s: grants id-token: write only to the jobs that assume a role', (file) => {
    const found = workflow(file);
    expect(grantsIdToken(found.permissions)).toBe(false);
    for (const [name, each] of Object.entries(found.jobs)) {
      const assumes = steps(each).some(usesAction(ASSUME_ROLE));
      expect({ job: name, idToken: grantsIdToken(each.permissions) }).toEqual({
        job: name,
        idToken: assumes,
      });
    }
  });

  test.each(files)('%s: pins every action to a full commit SHA, its version beside it', (file) => {
    const uses = [...text(file).matchAll(/^\s*(?:-\s+)?uses:\s*(\S+)(.*)$/gm)];
    expect(uses.length).toBeGreaterThan(0);
    for (const [, action = '', rest = ''] of uses) {
      if (action.startsWith('./')) continue;
      expect(action).toMatch(/^[\w.-]+\/[\w./-]+@[0-9a-f]{40}$/);
      expect(rest).toMatch(/^ # v\d+(\.\d+)*$/);
    }
  });

  test.each(files)('%s: every project script a step runs exists and is executable', (file) => {
    const scripts = Object.values(workflow(file).jobs)
      .flatMap(steps)
      .flatMap((step) => [...(step.run ?? '').matchAll(/(?:^|\s)((?:bin|scripts)\/[\w.-]+)/g)])
      .map((match) => match[1] ?? '');
    for (const script of new Set(scripts)) {
      expect(() => accessSync(join(REPO, script), constants.X_OK)).not.toThrow();
    }
  });
});
