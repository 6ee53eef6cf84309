// The GitHub Actions workflows (.github/workflows/) read as data: what runs on which event, the
// order of a stage's deploy, dev before live, and that no job holds long-lived AWS keys or more
// permissions than it uses. actionlint (bin/test) checks their syntax and the shell in their
// steps; this checks what they mean.
import { accessSync, constants, readdirSync, readFileSync } from 'node:fs';
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
  needs?: string | string[];
  uses?: string;
  environment?: string | { name: string };
  concurrency?: string | { group: string; 'cancel-in-progress'?: boolean | string };
  permissions?: string | Record<string, string>;
  env?: Record<string, string>;
  steps?: Step[];
}
interface Workflow {
  on: Record<string, { branches?: string[]; 'branches-ignore'?: string[] } | null>;
  permissions?: string | Record<string, string>;
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

  test('dev and live run the very same steps', () => {
    expect(steps(job('deploy.yml', 'live'))).toEqual(steps(job('deploy.yml', 'dev')));
  });
});

describe('every workflow', () => {
  test('there are the two workflows docs/deploy.md describes', () => {
    expect(files.sort()).toEqual(['ci.yml', 'deploy.yml']);
  });

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
