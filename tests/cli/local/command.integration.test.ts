import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jest } from '@jest/globals';
import { type LocalRunResult, runLocal } from '../../../cli/local/command.ts';
import { acquireFileLock, lockFile } from '../../../cli/local/file-lock.ts';
import { type Finished, startCli } from '../../support/cli.ts';
import { packageService, REPO_ROOT } from '../../support/packaged.ts';
import { type SlackServer, startSlackServer } from '../../support/slack-server.ts';
import {
  type BrokenProject,
  copySampleProject,
  type ProjectCopy,
  projectWithFailures,
  projectWithSyntaxError,
  SAMPLE_PROJECT,
} from './projects.ts';

jest.setTimeout(90_000);

/** The packaged state machine's name (dev stage): the key of its overlap lock. */
// The lock of a run of job `manual` (the default), as Prepare keys it.
const STATE_MACHINE = 'serverless-dbt-dev-dbt-run';
const LOCK_KEY = `${STATE_MACHINE}#job#manual`;
const ALERT_HEADER = '── the alert (set SLACK_WEBHOOK_URL to post it to Slack)';

/** What a user's shell would give the command: no webhook, no DuckDB path of its own. */
const childEnvironment: NodeJS.ProcessEnv = { ...process.env };
delete childEnvironment.SLACK_WEBHOOK_URL;
delete childEnvironment.DBT_DUCKDB_PATH;

const temporaryFolders: string[] = [];

async function stateFolder(): Promise<string> {
  const folder = await mkdtemp(join(tmpdir(), 'serverless-dbt-local-'));
  temporaryFolders.push(folder);
  return folder;
}

beforeAll(async () => {
  // Package once up front (cached afterwards), so that no test pays for it.
  await packageService({ stage: 'dev' });
}, 600_000);

afterAll(async () => {
  await Promise.all(temporaryFolders.map((folder) => rm(folder, { recursive: true, force: true })));
});

/** `node cli/serverless-dbt.ts local ARGS` as a user runs it. */
const runCommand = (args: string[], environment: NodeJS.ProcessEnv = {}): Promise<Finished> =>
  startCli(['local', ...args], { ...childEnvironment, ...environment }, 80_000).finished;

/** The run id the final report names. */
function runIdIn(stdout: string): string {
  const match = /^run (cli-local-\S+) \(job /m.exec(stdout);
  if (match?.[1] === undefined) throw new Error(`no run id in the output:\n${stdout}`);
  return match[1];
}

/** The progress lines (`── State`, `── State done in 1.23 s`), durations left out. */
function progressLines(stdout: string): string[] {
  return stdout.split('\n').flatMap((line) => {
    const match = /^── (\S+)(?:( done| failed) in [\d.]+ s(.*))?$/.exec(line);
    return match === null ? [] : [`${match[1]}${match[2] ?? ''}${match[3] ?? ''}`];
  });
}

const enteredStates = (result: LocalRunResult): string[] =>
  result.execution.events.flatMap((event) =>
    event.type === 'StateEntered' ? [event.state.name] : [],
  );

async function runInProcess(
  input: unknown,
  extra: { stateDir?: string; webhookUrl?: string; projectDir?: string } = {},
): Promise<{ result: LocalRunResult; lines: string[]; stateDir: string }> {
  const lines: string[] = [];
  const projectDir = extra.projectDir ?? SAMPLE_PROJECT;
  const stateDir = extra.stateDir ?? (await stateFolder());
  const result = await runLocal({
    input,
    projectDir,
    profilesDir: projectDir,
    target: 'local',
    stage: 'dev',
    stateDir,
    runId: `cli-local-test-${Math.random().toString(16).slice(2, 10)}`,
    ...(extra.webhookUrl === undefined ? {} : { webhookUrl: extra.webhookUrl }),
    print: (line) => lines.push(line),
  });
  return { result, lines, stateDir };
}

describe('serverless-dbt local on the sample project', () => {
  test('runs the whole project: exit 0, a line per state, dbt log, printed alert, report, artifacts and docs, lock given back', async () => {
    const state = await stateFolder();

    const run = await runCommand(['--state-dir', state]);

    expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
    // One line as each state starts and one as it ends, in the order of a successful run.
    expect(progressLines(run.stdout)).toEqual([
      'Prepare',
      'Prepare done',
      'RunDbt',
      'RunDbt done',
      'Evaluate',
      'Evaluate done',
      'ReleaseLock',
      'ReleaseLock done',
      'Notify',
      'Notify done',
      'Succeeded',
      'Succeeded done',
    ]);
    // Without --verbose, none of the Lambdas' own log lines.
    expect(run.stdout).not.toMatch(/^\{"level":/m);
    // Nor the metrics a deployed Evaluate writes (SucceededRuns): no alarm watches a local run.
    expect(run.stdout).not.toContain('"_aws"');
    // dbt's own log, as the entrypoint streams it.
    expect(run.stdout).toMatch(/Running with dbt=1\./);
    expect(run.stdout).toContain('Completed successfully');
    // No SLACK_WEBHOOK_URL: the alert is printed.
    expect(run.stdout).toContain(ALERT_HEADER);
    expect(run.stdout).toMatch(/✅ manual: succeeded/);
    // The report, last.
    const runId = runIdIn(run.stdout);
    expect(run.stdout).toContain(`run ${runId} (job manual): succeeded: SUCCEEDED`);
    // A local run is one attempt: its folder in the run's.
    const artifacts = join(state, 'runs', runId, 'attempt-1');
    expect(run.stdout).toContain(`artifacts: ${artifacts}`);
    expect(run.stdout).toContain(`docs:      ${join(artifacts, 'index.html')}`);

    const files = await readdir(artifacts);
    expect(files).toEqual(
      expect.arrayContaining(['manifest.json', 'run_results.json', 'summary.json', 'index.html']),
    );
    const summary = JSON.parse(await readFile(join(artifacts, 'summary.json'), 'utf8'));
    expect(summary).toMatchObject({ runId, exitCode: 0, command: 'build' });
    // The DuckDB file went to the state folder, and the overlap lock was given back.
    expect(existsSync(join(state, 'shop.duckdb'))).toBe(true);
    expect(await readdir(join(state, 'locks'))).toEqual([]);
  });
});

describe('serverless-dbt local progress lines', () => {
  test('a state whose error its Catch handles prints one end line (failed), not "failed" and then "done"', async () => {
    const run = await runCommand(['--command', 'drop', '--state-dir', await stateFolder()]);

    const lines = progressLines(run.stdout);
    expect(lines).toContain('Prepare failed: InvalidRunInput');
    const endLines: Record<string, number> = {};
    for (const line of lines) {
      const [state, end] = line.split(' ');
      if (state !== undefined && end !== undefined) endLines[state] = (endLines[state] ?? 0) + 1;
    }
    expect(endLines).toEqual({ Prepare: 1, Evaluate: 1, Notify: 1, Failed: 1 });
  });
});

describe('serverless-dbt local on broken projects', () => {
  const projects: BrokenProject[] = [];
  afterAll(async () => {
    await Promise.all(projects.map((project) => project.remove()));
  });

  async function runBroken(project: BrokenProject): Promise<Finished> {
    projects.push(project);
    return runCommand([
      '--project-dir',
      project.dir,
      '--profiles-dir',
      project.dir,
      '--state-dir',
      await stateFolder(),
      '--select',
      project.select,
      '--freshness',
      'skip',
      '--no-docs',
    ]);
  }

  test('a failing data test and a model DuckDB rejects: exit 1, DBT_FAILED, both nodes and their messages printed', async () => {
    const project = await projectWithFailures();

    const run = await runBroken(project);

    expect(run.code).toBe(1);
    const runId = runIdIn(run.stdout);
    expect(run.stdout).toContain(`run ${runId} (job manual): FAILED: DBT_FAILED`);
    const report = run.stdout.slice(run.stdout.indexOf(`run ${runId} (job manual)`));
    expect(report).toMatch(/^\s+error {2}model\.shop\.broken_cast: /m);
    expect(report).toMatch(/^\s+fail {2}test\.shop\.assert_nothing_is_wrong: Got 1 result/m);
    for (const node of project.failingNodes) expect(run.stdout).toContain(node);
    for (const message of project.messages) expect(run.stdout).toMatch(message);
  });

  test('a model with a Jinja syntax error: exit 1, DBT_ERROR, the compilation error printed', async () => {
    const project = await projectWithSyntaxError();

    const run = await runBroken(project);

    expect(run.code).toBe(1);
    const runId = runIdIn(run.stdout);
    expect(run.stdout).toContain(`run ${runId} (job manual): FAILED: DBT_ERROR`);
    expect(run.stdout).toMatch(
      /^ {2}error: parse: CompilationError: Compilation Error in model unparsable/m,
    );
    for (const message of project.messages) expect(run.stdout).toMatch(message);
  });
});

describe('serverless-dbt local refuses bad input before dbt starts', () => {
  const cases = JSON.parse(
    readFileSync(join(REPO_ROOT, 'tests', 'fixtures', 'run-input-cases.json'), 'utf8'),
  ) as { invalid: Array<{ name: string; input: unknown; field: string }> };
  // All but `null`: aws-local-stepfunctions 3.0.0 cannot pass a null input through `$`
  // (States.Runtime before Prepare runs); Prepare's own tests refuse null with InvalidRunInput.
  const invalid = cases.invalid.filter((item) => item.input !== null);

  test.each(invalid.map((item) => [item.name, item] as const))(
    '%s: the run fails as INVALID_INPUT naming the field, and RunDbt is never entered',
    async (_name, item) => {
      const { result, stateDir } = await runInProcess(item.input);

      expect(result.execution.status).toBe('FAILED');
      expect(result.evaluation?.verdict).toBe('INVALID_INPUT');
      expect(result.refusal).toMatch(new RegExp(`^InvalidRunInput: ${item.field}: `));
      expect(enteredStates(result)).not.toContain('RunDbt');
      // No entrypoint ran: it would have stored artifacts under runs/.
      expect(existsSync(join(stateDir, 'runs'))).toBe(false);
    },
  );

  test('--command drop: exit 1, InvalidRunInput naming command, no dbt', async () => {
    const run = await runCommand(['--command', 'drop', '--state-dir', await stateFolder()]);

    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/^InvalidRunInput: command: /m);
    expect(run.stdout).toContain('FAILED: INVALID_INPUT');
    expect(run.stdout).not.toMatch(/^── RunDbt/m);
    expect(run.stdout).not.toContain('Running with dbt=');
  });

  test('with --json, stdout is one JSON document of the outcome and the progress goes to stderr', async () => {
    const run = await runCommand([
      '--json',
      '--command',
      'drop',
      '--state-dir',
      await stateFolder(),
    ]);

    expect(run.code).toBe(1);
    const document = JSON.parse(run.stdout) as {
      runId: string;
      exitCode: number;
      refusal: string;
      report: { outcome: { verdict: string; runId: string } };
    };
    expect(document.exitCode).toBe(1);
    expect(document.refusal).toMatch(/^InvalidRunInput: command: /);
    expect(document.report.outcome.verdict).toBe('INVALID_INPUT');
    expect(document.report.outcome.runId).toBe(document.runId);
    expect(run.stderr).toMatch(/^── Prepare/m);
    expect(run.stderr).toContain('FAILED: INVALID_INPUT');
  });

  test('--vars that is not JSON: exit 1, InvalidRunInput naming vars, and the state machine never starts', async () => {
    const run = await runCommand(['--vars', '{bad', '--state-dir', await stateFolder()]);

    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^serverless-dbt: InvalidRunInput: vars: not valid JSON/m);
    expect(run.stdout).toBe('');
  });

  test('an unknown option: exit 2, the option named, the state machine never starts', async () => {
    const run = await runCommand(['--selekt', 'orders', '--state-dir', await stateFolder()]);

    expect(run.code).toBe(2);
    expect(run.stderr).toContain("'--selekt'");
    expect(run.stdout).toBe('');
  });
});

describe('serverless-dbt local and the overlap lock', () => {
  test('a run while another owner holds the lock under the state folder is SKIPPED_OVERLAP and leaves that lock alone', async () => {
    const state = await stateFolder();
    const table = join(state, 'locks');
    const other = await acquireFileLock(
      {
        table,
        key: LOCK_KEY,
        owner: 'another-run',
        executionArn: `arn:aws:states:::execution:${STATE_MACHINE}:another-run`,
        job: 'nightly',
        timeoutSeconds: 86_400,
      },
      () => new Date(),
    );

    const { result } = await runInProcess({}, { stateDir: state });

    expect(result.evaluation?.verdict).toBe('SKIPPED_OVERLAP');
    expect(result.execution.status).toBe('FAILED');
    expect(enteredStates(result)).not.toContain('RunDbt');
    const holder = JSON.parse(await readFile(lockFile(table, LOCK_KEY), 'utf8'));
    expect(holder).toEqual(other);
  });

  test("a deployed stage's settings in the shell do not steer the run, and process.env is left as it was", async () => {
    const state = await stateFolder();
    await acquireFileLock(
      {
        table: join(state, 'locks'),
        key: LOCK_KEY,
        owner: 'another-run',
        executionArn: `arn:aws:states:::execution:${STATE_MACHINE}:another-run`,
        job: 'nightly',
        timeoutSeconds: 86_400,
      },
      () => new Date(),
    );
    const shell = {
      AWS_REGION: 'eu-west-1',
      // Were it read, the run would take this group's lock and not be refused.
      JOB_LOCK_GROUPS: 'manual=a-deployed-group',
      ALLOW_OVERLAP: 'true',
      SLACK_WEBHOOK_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:slack-AbCdEf',
      LOG_GROUP: '/ecs/serverless-dbt-live',
    };
    const saved = { ...process.env };
    Object.assign(process.env, shell);
    try {
      const before = { ...process.env };

      const { result } = await runInProcess({}, { stateDir: state });

      expect({ ...process.env }).toStrictEqual(before);
      // The local lock key and no overlap: refused as the held lock says.
      expect(result.evaluation?.verdict).toBe('SKIPPED_OVERLAP');
      // No secret to read and no console to link to: the alert is printed, without links.
      expect(result.alertText).toMatch(/skipped/i);
      expect(result.alertText).not.toContain('console.aws.amazon.com');
    } finally {
      process.env = saved;
    }
  });
});

describe('serverless-dbt local and Slack', () => {
  let slack: SlackServer;
  // A copy of the sample project, so that these runs leave the repository's dbt/ alone.
  let project: ProjectCopy;
  beforeAll(async () => {
    slack = await startSlackServer();
    project = await copySampleProject();
  });
  afterAll(async () => {
    await slack?.close();
    await project?.remove();
  });
  beforeEach(() => slack.reset());

  // One seed alone: succeeds on an empty DuckDB file, in a few seconds.
  const small = ['--select', 'raw_products', '--no-docs', '--freshness', 'skip'];

  test('with SLACK_WEBHOOK_URL set the alert is posted to it, and not printed', async () => {
    const state = await stateFolder();
    const run = await runCommand(
      ['--job', 'slack_check', ...small, '--project-dir', project.dir, '--state-dir', state],
      { SLACK_WEBHOOK_URL: slack.webhookUrl },
    );

    expect(run.code).toBe(0);
    expect(slack.requests).toHaveLength(1);
    const message = slack.requests[0]?.json as { text?: string } | undefined;
    const text = message?.text ?? '';
    expect(text).toContain('slack_check');
    expect(text).toMatch(/succeeded/);
    expect(run.stdout).not.toContain(ALERT_HEADER);
    expect(run.stdout).toContain('(job slack_check): succeeded: SUCCEEDED');
  });

  test('runLocal with a webhook URL posts the alert and returns no alert text', async () => {
    const { result, lines } = await runInProcess(
      { job: 'slack_check', select: 'raw_products', docs: false, freshness: 'skip' },
      { webhookUrl: slack.webhookUrl, projectDir: project.dir },
    );

    expect(result.evaluation?.verdict).toBe('SUCCEEDED');
    expect(result.alertText).toBeNull();
    expect(slack.requests).toHaveLength(1);
    expect(slack.requests[0]?.body).toContain('slack_check');
    expect(lines).toContain('── Notify');
  });
});

describe('serverless-dbt local and a selection that matches nothing', () => {
  let project: ProjectCopy;
  beforeAll(async () => {
    project = await copySampleProject();
  });
  afterAll(async () => {
    await project?.remove();
  });

  const typo = ['--select', 'ordrs', '--no-docs', '--freshness', 'skip'];

  test('a typo in --select: exit 1, NOTHING_SELECTED naming the selector, and how to list what it matches', async () => {
    const state = await stateFolder();
    const run = await runCommand([...typo, '--project-dir', project.dir, '--state-dir', state]);

    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/^run cli-local-\S+ \(job manual\): FAILED: NOTHING_SELECTED$/m);
    expect(run.stdout).toContain(
      "build: the selection matched no node (--select ordrs); no enabled node matches 'ordrs'",
    );
    expect(run.stdout).toContain('`serverless-dbt local --command ls --select ordrs`');
  });

  test('with --allow-empty the same run succeeds', async () => {
    const state = await stateFolder();
    const run = await runCommand([
      ...typo,
      '--allow-empty',
      '--project-dir',
      project.dir,
      '--state-dir',
      state,
    ]);

    expect(run.code).toBe(0);
    expect(run.stdout).toContain('(job manual): succeeded: SUCCEEDED');
  });
});

describe('serverless-dbt local with a scheduled time', () => {
  test("dbt gets the scheduled time's vars, computed with the dev stage's cron and zone of the job", async () => {
    // daily-build runs cron(0 6 * * ? *) in Europe/Berlin on the dev stage.
    const { result } = await runInProcess({
      job: 'daily-build',
      command: 'compile',
      select: 'stg_orders',
      freshness: 'skip',
      docs: false,
      scheduledTime: '2026-03-29T04:00:00Z',
      vars: { region: 'eu' },
    });

    expect(result.evaluation?.verdict).toBe('SUCCEEDED');
    // dbt's own record of the vars it ran with.
    const runResults = JSON.parse(
      await readFile(join(result.artifactsDir, 'run_results.json'), 'utf8'),
    );
    expect(runResults.args.vars).toStrictEqual({
      scheduled_time: '2026-03-29T04:00:00Z',
      run_date: '2026-03-29',
      data_interval_start: '2026-03-28T05:00:00Z',
      data_interval_end: '2026-03-29T04:00:00Z',
      region: 'eu',
    });
  });
});
