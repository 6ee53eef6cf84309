// `serverless-dbt start` against a deployed stage in moto, whose state machine moto executes.
import { executionNameFor } from '../../../cli/aws/names.ts';
import { startCommand } from '../../../cli/aws/start.ts';
import { CliError } from '../../../cli/errors.ts';
import { InvalidRunInput } from '../../../functions/shared/run-input.ts';
import {
  BUCKET,
  deployTestStageAroundTests,
  executionNames,
  FAILED_HINT,
  FAILED_REASON,
  finished,
  putArtifact,
  STAGE,
  stopRunningExecutions,
} from './stage.ts';

const stage = deployTestStageAroundTests();

const NAME_RE = /^cli-[A-Za-z0-9_-]+-\d{8}T\d{6}-[0-9a-f]{8}$/;

describe('serverless-dbt start', () => {
  test('refuses an invalid input before any AWS call: the error names the field and no execution is created', async () => {
    const before = await executionNames(stage);
    const context = stage.context();
    await expect(
      startCommand(['--stage', STAGE, '--command', 'drop', '--select', 'orders'], context),
    ).rejects.toThrow(InvalidRunInput);
    await expect(
      startCommand(['--stage', STAGE, '--select', 'orders; rm -rf /'], context),
    ).rejects.toThrow(/^select: contains ';'/);
    // Not even credentials are looked at: an input error comes first.
    const noAws = stage.context({
      env: {},
      credentials: async () => {
        throw new Error('credentials were asked for');
      },
    });
    await expect(
      startCommand(['--stage', STAGE, '--input', '{"job": "x", "docs": "no"}'], noAws),
    ).rejects.toMatchObject({ name: 'InvalidRunInput', field: 'docs' });
    expect(await executionNames(stage)).toEqual(before);
  });

  test('starts an execution with a valid, deterministic cli- name and the input as given', async () => {
    const now = new Date('2026-11-24T21:05:09.123Z');
    const args = ['--stage', STAGE, '--job', 'nightly', '--select', 'tag:daily', '--no-docs'];
    const context = stage.context({ now: () => now });
    expect(await startCommand(args, context)).toBe(0);

    const name = context.stdout[0]?.match(/^started run (\S+) \(stage test\)$/)?.[1] ?? '';
    expect(name).toMatch(NAME_RE);
    expect(name).toMatch(/^cli-nightly-20261124T210509-/);
    expect(name.length).toBeLessThanOrEqual(80);
    const arn = `${stage.stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
    expect(context.stdout).toEqual([
      `started run ${name} (stage test)`,
      `execution: ${arn}`,
      `console:   https://eu-west-1.console.aws.amazon.com/states/home?region=eu-west-1#/v2/executions/details/${arn}`,
    ]);
    const execution = await finished(stage.sfn, arn);
    // The input as given: Prepare fills the defaults.
    expect(JSON.parse(execution.input ?? '')).toEqual({
      job: 'nightly',
      select: 'tag:daily',
      docs: false,
    });

    // The same input in the same second: the same name (the options' order does not matter),
    // which Step Functions refuses once that execution has ended (and answers with the same
    // execution while it runs).
    const again = stage.context({ now: () => new Date('2026-11-24T21:05:09.999Z') });
    const reordered = ['--no-docs', '--select', 'tag:daily', '--job', 'nightly', '--stage', STAGE];
    await expect(startCommand(reordered, again)).rejects.toThrow(CliError);
    // Another input in that second: another name.
    const other = stage.context({ now: () => now });
    expect(await startCommand(['--stage', STAGE, '--job', 'nightly'], other)).toBe(0);
    expect(other.stdout[0]).not.toContain(name);
    expect(other.stdout[0]).toMatch(/^started run cli-nightly-20261124T210509-[0-9a-f]{8} /);
  });

  test('start --wait on a run that succeeds exits 0 and prints the summary with a docs link', async () => {
    const now = new Date('2026-11-24T21:10:00Z');
    const context = stage.context({ now: () => now });
    // The container's artifacts, as if the task had written them (moto runs no container).
    const name = executionNameFor('nightly', { job: 'nightly' }, now);
    await putArtifact(
      stage,
      `runs/${name}/attempt-1`,
      'summary.json',
      JSON.stringify({
        counts: { success: 12, pass: 30, error: 0, fail: 0, warn: 1, skipped: 0 },
        nodes: [
          {
            uniqueId: 'test.shop.orders_recent',
            resourceType: 'test',
            status: 'warn',
            message: 'Got 3 results',
          },
        ],
      }),
    );
    await putArtifact(stage, `runs/${name}/attempt-1`, 'index.html', '<html>docs</html>');

    expect(await startCommand(['--stage', STAGE, '--job', 'nightly', '--wait'], context)).toBe(0);
    const report = context.stdout.slice(4).join('\n');
    expect(report).toContain(`run ${name} (job nightly): succeeded: SUCCEEDED`);
    expect(report).toContain('dbt build succeeded.');
    expect(report).toContain('counts: 12 success, 30 pass, 1 warn');
    expect(report).toContain('warn  test.shop.orders_recent: Got 3 results');
    expect(report).toContain(`artifacts: s3://${BUCKET}/dbt/runs/${name}/attempt-1/`);
    const docs = report.match(/^docs: +(\S+)$/m)?.[1] ?? '';
    expect(docs).toContain(`/${BUCKET}/dbt/runs/${name}/attempt-1/index.html?`);
    expect(await (await fetch(docs)).text()).toBe('<html>docs</html>');
    expect(context.stderr).toEqual([]);
  });

  test('start --wait on a run that fails exits 1 with the verdict and the reason', async () => {
    const now = new Date('2026-11-24T21:20:00Z');
    const context = stage.context({ now: () => now });
    const name = executionNameFor('broken', { job: 'broken' }, now);
    // summary.json but no docs page: the run failed before docs generate.
    await putArtifact(
      stage,
      `runs/${name}/attempt-1`,
      'summary.json',
      JSON.stringify({
        counts: { success: 10, pass: 29, error: 1, fail: 1, warn: 0, skipped: 1 },
        nodes: [
          {
            uniqueId: 'model.shop.orders',
            status: 'error',
            message: 'Database Error\n  division by zero',
          },
          { uniqueId: 'test.shop.unique_orders_id', status: 'fail', message: 'Got 2 results' },
        ],
      }),
    );
    expect(await startCommand(['--stage', STAGE, '--job', 'broken', '--wait'], context)).toBe(1);
    const report = context.stdout.slice(4).join('\n');
    // The verdict and reason of the Fail state, the hint from the state it failed with.
    expect(report).toContain(
      `run ${name} (job broken): FAILED: DBT_FAILED\n  ${FAILED_REASON}\n  hint: ${FAILED_HINT}`,
    );
    expect(report).toContain('counts: 10 success, 29 pass, 1 error, 1 fail, 1 skipped');
    expect(report).toContain('   error  model.shop.orders: Database Error');
    expect(report).toContain('    fail  test.shop.unique_orders_id: Got 2 results');
    expect(report).not.toContain('docs:');
  });

  test('start --wait exits 3 when the execution is stopped without a verdict', async () => {
    const context = stage.context({
      // Stop the execution from the console, so to speak, while the command waits.
      sleep: () => stopRunningExecutions(stage),
    });
    expect(await startCommand(['--stage', STAGE, '--job', 'slow', '--wait'], context)).toBe(3);
    expect(context.stdout.join('\n')).toMatch(/\(job slow\): FAILED: CANCELLED/);
  });

  test('a stage that is not deployed is one sentence naming the stack and how to deploy it', async () => {
    const context = stage.context();
    await expect(startCommand(['--stage', 'nope', '--job', 'nightly'], context)).rejects.toThrow(
      new CliError(
        'no stack serverless-dbt-nope in eu-west-1: deploy it first (npx serverless deploy --stage nope)',
      ),
    );
  });

  test('missing credentials are one sentence', async () => {
    const { userMessage } = await import('../../../cli/errors.ts');
    const context = stage.context({
      env: { AWS_REGION: 'eu-west-1', AWS_ENDPOINT_URL: stage.moto.endpoint },
      credentials: async () => {
        throw Object.assign(new Error('Could not load credentials from any providers'), {
          name: 'CredentialsProviderError',
        });
      },
    });
    const error = await startCommand(['--stage', STAGE], context).catch((caught) => caught);
    expect(userMessage(error)).toBe(
      'no AWS credentials found: set AWS_PROFILE, or run `aws sso login` / `aws configure`',
    );
  });
});
