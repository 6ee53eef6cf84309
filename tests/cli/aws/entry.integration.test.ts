// The AWS commands through the real entry, as a user runs them: `node cli/serverless-dbt.ts`
// on the project's Node 24, in a process with an empty home and only the given AWS settings.
// Checks the exit codes and that a user's mistake is one line on stderr, never a stack trace.
import { freePort } from '../../support/moto.ts';
import { deployTestStageAroundTests, FAILED_REASON, runCli, STAGE } from './stage.ts';

const stage = deployTestStageAroundTests();
/** What the CLI runs with: the stage's environment (moto's, a quick poll). */
let env: Record<string, string>;

beforeAll(() => {
  env = stage.env;
});

/** stderr is exactly one `serverless-dbt: …` line, with no stack trace. */
function expectOneSentence(stderr: string, sentence: string | RegExp): void {
  const lines = stderr.trimEnd().split('\n');
  expect(lines).toHaveLength(1);
  expect(stderr).not.toMatch(/^\s+at /m);
  if (typeof sentence === 'string') expect(lines[0]).toBe(`serverless-dbt: ${sentence}`);
  else expect(lines[0]).toMatch(sentence);
}

describe('serverless-dbt start, history, logs and docs from the command line', () => {
  test('start --wait exits 0 when the run succeeds and 1 when it fails, with the summary on stdout', async () => {
    const succeeded = await runCli(['start', '--stage', STAGE, '--job', 'nightly', '--wait'], env);
    expect(succeeded.stderr).toBe('');
    expect(succeeded.code).toBe(0);
    expect(succeeded.stdout).toMatch(
      /^run cli-nightly-\S+ \(job nightly\): succeeded: SUCCEEDED$/m,
    );

    const failed = await runCli(['start', '--stage', STAGE, '--job', 'broken', '--wait'], env);
    expect(failed.stderr).toBe('');
    expect(failed.code).toBe(1);
    expect(failed.stdout).toMatch(/^run cli-broken-\S+ \(job broken\): FAILED: DBT_FAILED$/m);
    expect(failed.stdout).toContain(FAILED_REASON);
    // No summary.json for this run: the counts come from the state the run failed with.
    expect(failed.stdout).toContain('counts: 10 success, 29 pass, 1 error, 1 fail, 1 skipped');
    expect(failed.stdout).toMatch(
      /^artifacts: s3:\/\/serverless-dbt-test-artifacts\/dbt\/runs\/cli-broken-/m,
    );

    const history = await runCli(['history', '--stage', STAGE, '--limit', '5'], env);
    expect(history.code).toBe(0);
    expect(history.stdout.split('\n').filter((line) => line.startsWith('20'))).toHaveLength(2);
  });

  test('without --wait, start exits 0 once the run has started', async () => {
    const result = await runCli(['start', '--stage', STAGE, '--input', '{"job":"adhoc"}'], env);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(
      /^started run cli-adhoc-\d{8}T\d{6}-[0-9a-f]{8} \(stage test\)$/m,
    );
  });

  test('an invalid run input exits 1 with one sentence naming the field', async () => {
    const result = await runCli(['start', '--stage', STAGE, '--freshness', 'sometimes'], env);
    expect(result.code).toBe(1);
    expectOneSentence(result.stderr, 'InvalidRunInput: freshness: must be one of fail, warn, skip');
  });

  test('no credentials exits 1 with one sentence', async () => {
    const { AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, ...withoutKeys } = env;
    const result = await runCli(['history', '--stage', STAGE], withoutKeys);
    expect(result.code).toBe(1);
    expectOneSentence(
      result.stderr,
      'no AWS credentials found: set AWS_PROFILE, or run `aws sso login` / `aws configure`',
    );
  });

  test('reads credentials and region from AWS_PROFILE, or the region from --region', async () => {
    const { AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION, ...bare } = env;
    const files = {
      '.aws/credentials': `[analyst]\naws_access_key_id = ${AWS_ACCESS_KEY_ID}\naws_secret_access_key = ${AWS_SECRET_ACCESS_KEY}\n`,
      '.aws/config': `[profile analyst]\nregion = ${AWS_REGION}\n`,
    };
    const profile = await runCli(
      ['history', '--stage', STAGE],
      { ...bare, AWS_PROFILE: 'analyst' },
      files,
    );
    expect(profile.stderr).toBe('');
    expect(profile.code).toBe(0);
    expect(profile.stdout).toMatch(/^STARTED \(UTC\)/);

    const region = await runCli(['history', '--stage', STAGE, '--region', AWS_REGION ?? ''], {
      ...bare,
      AWS_ACCESS_KEY_ID: AWS_ACCESS_KEY_ID ?? '',
      AWS_SECRET_ACCESS_KEY: AWS_SECRET_ACCESS_KEY ?? '',
    });
    expect(region.code).toBe(0);
    // Another region has no such stack.
    const elsewhere = await runCli(['history', '--stage', STAGE, '--region', 'us-east-2'], env);
    expect(elsewhere.code).toBe(1);
    expectOneSentence(
      elsewhere.stderr,
      /^serverless-dbt: no stack serverless-dbt-test in us-east-2: /,
    );
  });

  test("without AWS_REGION, the region is the stage's in serverless.yml, before the profile's", async () => {
    // Stage `test` has no params of its own in serverless.yml: the default region, eu-west-1,
    // where the stage's stack is in moto.
    const { AWS_REGION, ...withoutRegion } = env;
    // Exit 0: the stack was found (elsewhere, `no stack …` exits 1).
    const fromProject = await runCli(['history', '--stage', STAGE], withoutRegion);
    expect(fromProject.code).toBe(0);
    expect(fromProject.stderr).not.toMatch(/no stack|no AWS region/);

    // The profile's region comes after the project's...
    const { AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, ...bare } = withoutRegion;
    const files = {
      '.aws/credentials': `[analyst]\naws_access_key_id = ${AWS_ACCESS_KEY_ID}\naws_secret_access_key = ${AWS_SECRET_ACCESS_KEY}\n`,
      '.aws/config': '[profile analyst]\nregion = us-east-2\n',
    };
    const profile = await runCli(
      ['history', '--stage', STAGE],
      { ...bare, AWS_PROFILE: 'analyst' },
      files,
    );
    expect(profile.code).toBe(0);

    // ...and AWS_REGION (or AWS_DEFAULT_REGION) before it.
    for (const name of ['AWS_REGION', 'AWS_DEFAULT_REGION']) {
      const environment = await runCli(['history', '--stage', STAGE], {
        ...withoutRegion,
        [name]: 'us-east-2',
      });
      expect(environment.code).toBe(1);
      expectOneSentence(
        environment.stderr,
        /^serverless-dbt: no stack serverless-dbt-test in us-east-2: /,
      );
    }
  });

  test('AWS_PROFILE naming no profile says so, naming the files looked in', async () => {
    const { AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, ...bare } = env;
    const files = { '.aws/config': '[profile analyst]\nregion = eu-west-1\n' };
    const config = '/tmp/serverless-dbt-home/.aws/config';
    const credentials = '/tmp/serverless-dbt-home/.aws/credentials';
    const result = await runCli(
      ['history', '--stage', STAGE],
      {
        ...bare,
        AWS_PROFILE: 'nosuch',
        AWS_CONFIG_FILE: config,
        AWS_SHARED_CREDENTIALS_FILE: credentials,
      },
      files,
    );
    expect(result.code).toBe(1);
    expectOneSentence(
      result.stderr,
      `AWS_PROFILE names a profile that does not exist: no [profile nosuch] in ${config} and no [nosuch] in ${credentials} (aws configure list-profiles lists them)`,
    );
    // The home's own files when AWS_CONFIG_FILE is not set.
    const inHome = await runCli(
      ['history', '--stage', STAGE],
      { ...bare, AWS_PROFILE: 'nosuch' },
      files,
    );
    expect(inHome.code).toBe(1);
    expectOneSentence(
      inHome.stderr,
      /^serverless-dbt: AWS_PROFILE names a profile that does not exist: no \[profile nosuch\] in \/\S+\/\.aws\/config and no \[nosuch\] in \/\S+\/\.aws\/credentials /,
    );
  });

  test('an AWS_ENDPOINT_URL nothing listens on is named, in one sentence', async () => {
    const endpoint = `http://127.0.0.1:${await freePort()}`;
    const result = await runCli(['history', '--stage', STAGE], {
      ...env,
      AWS_ENDPOINT_URL: endpoint,
    });
    expect(result.code).toBe(1);
    expectOneSentence(
      result.stderr,
      `could not reach AWS_ENDPOINT_URL ${endpoint} (ECONNREFUSED): start what serves it, or unset AWS_ENDPOINT_URL to reach AWS itself`,
    );
  });

  test('a stage with no stack and an unknown run each exit 1 with one sentence', async () => {
    const noStack = await runCli(['logs', '--stage', 'qa', 'cli-x-1'], env);
    expect(noStack.code).toBe(1);
    expectOneSentence(
      noStack.stderr,
      'no stack serverless-dbt-qa in eu-west-1: deploy it first (npx serverless deploy --stage qa)',
    );

    const unknownRun = await runCli(['logs', '--stage', STAGE, 'cli-x-1'], env);
    expect(unknownRun.code).toBe(1);
    expectOneSentence(unknownRun.stderr, /^serverless-dbt: no run cli-x-1 in stage test /);
  });

  test('--input with other dbt options exits 2 naming them, for start and local alike', async () => {
    for (const command of ['start', 'local']) {
      const result = await runCli(
        [command, '--stage', STAGE, '--input', '{"job":"adhoc"}', '--select', 'orders'],
        env,
      );
      expect(result.code).toBe(2);
      expectOneSentence(result.stderr, '--input replaces the dbt options; leave out --select');
    }
  });

  test('an unknown option exits 2 with the usage, and --help exits 0', async () => {
    const wrong = await runCli(['history', '--stage', STAGE, '--bogus'], env);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toMatch(/^serverless-dbt: Unknown option '--bogus'/);
    expect(wrong.stderr).toContain('usage: serverless-dbt history --stage STAGE [--limit N]');
    expect(wrong.stderr).not.toMatch(/^\s+at /m);

    const help = await runCli(['start', '--help'], {});
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('usage: serverless-dbt start --stage STAGE');
  });
});

describe('serverless-dbt backfill from the command line', () => {
  test('exits 0 when every date succeeds, 1 when one fails, 2 naming a wrong option', async () => {
    const dates = ['--from', '2026-08-01', '--to', '2026-08-02'];
    const ok = await runCli(['backfill', '--stage', STAGE, '--job', 'nightly', ...dates], env);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('2026-08-02  SUCCEEDED     cli-backfill-nightly-2026-08-02');

    const failed = await runCli(['backfill', '--stage', STAGE, '--job', 'broken', ...dates], env);
    expect(failed.code).toBe(1);
    expect(failed.stdout).toContain(
      `2026-08-01  DBT_FAILED    cli-backfill-broken-2026-08-01  ${FAILED_REASON}`,
    );

    const wrong = await runCli(
      ['backfill', '--stage', STAGE, '--job', 'nightly', ...dates, '--concurrency', '9'],
      env,
    );
    expect(wrong.code).toBe(2);
    expectOneSentence(wrong.stderr, "--concurrency '9' must be a whole number from 1 to 4");
  }, 60_000);
});
