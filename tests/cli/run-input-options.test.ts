// The CLI's dbt options → the run input a person would paste into the console.
import { parseArgs } from 'node:util';
import { UsageError } from '../../cli/errors.ts';
import { RUN_INPUT_OPTIONS, RUN_INPUT_USAGE, runInputFrom } from '../../cli/run-input-options.ts';
import { InvalidRunInput, parseRunInput } from '../../functions/shared/run-input.ts';
import { FIELD_CONTRACTS } from '../../functions/shared/run-input-contract.ts';

const inputOf = (...args: string[]) =>
  runInputFrom(parseArgs({ args, options: RUN_INPUT_OPTIONS, strict: true }).values);

function refusal(...args: string[]): InvalidRunInput {
  try {
    inputOf(...args);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidRunInput);
    return error as InvalidRunInput;
  }
  throw new Error(`accepted ${args.join(' ')}`);
}

test('no options is the default job, {}', () => {
  expect(inputOf()).toEqual({});
});

test('each option becomes its field, and the result passes the run input schema', () => {
  const input = inputOf(
    '--job',
    'nightly',
    '--command',
    'run',
    '--select',
    '+orders tag:daily',
    '--exclude',
    'legacy',
    '--full-refresh',
    '--vars',
    '{"day": "2026-11-24"}',
    '--freshness',
    'fail',
    '--no-docs',
    '--timeout-seconds',
    '900',
  );

  expect(input).toEqual({
    job: 'nightly',
    command: 'run',
    select: '+orders tag:daily',
    exclude: 'legacy',
    fullRefresh: true,
    vars: { day: '2026-11-24' },
    freshness: 'fail',
    docs: false,
    timeoutSeconds: 900,
  });
  expect(() => parseRunInput(input)).not.toThrow();
});

test('--retry-of implies the retry command', () => {
  expect(inputOf('--retry-of', 'cli-local-20261124T050000Z-ab12')).toEqual({
    command: 'retry',
    retryOf: 'cli-local-20261124T050000Z-ab12',
  });
});

test('--macro implies run-operation, and --args is parsed as JSON', () => {
  const input = inputOf('--macro', 'drop_schema_by_name', '--args', '{"schema_name": "pr_42"}');
  expect(input).toEqual({
    command: 'run-operation',
    macro: 'drop_schema_by_name',
    args: { schema_name: 'pr_42' },
  });
  expect(() => parseRunInput(input)).not.toThrow();
});

test('--selector, --threads, --fail-fast and --warn-error become their fields', () => {
  const input = inputOf(
    '--command',
    'source freshness',
    '--selector',
    'nightly',
    '--threads',
    '8',
    '--fail-fast',
    '--warn-error',
  );
  expect(input).toEqual({
    command: 'source freshness',
    selector: 'nightly',
    threads: 8,
    failFast: true,
    warnError: true,
  });
  expect(() => parseRunInput(input)).not.toThrow();
});

test('--input is the run input as is, and replaces the options', () => {
  expect(inputOf('--input', '{"command": "seed", "anything": 1}')).toEqual({
    command: 'seed',
    anything: 1,
  });
});

test('--input with other dbt options is a usage error (exit 2) naming them', () => {
  const combined = () => inputOf('--input', '{}', '--select', 'orders', '--full-refresh');
  expect(combined).toThrow(UsageError);
  expect(combined).toThrow(
    /^--input replaces the dbt options; leave out --select, --full-refresh$/,
  );
});

test('JSON that does not parse is refused, naming the field', () => {
  expect(refusal('--vars', '{day: 1}').field).toBe('vars');
  expect(refusal('--input', '{"job": ').field).toBe('input');
});

test('a timeout that is not a number reaches the schema as given, so it names the field', () => {
  expect(inputOf('--timeout-seconds', 'soon')).toEqual({ timeoutSeconds: 'soon' });
  expect(() => parseRunInput(inputOf('--timeout-seconds', 'soon'))).toThrow(/^timeoutSeconds: /);
});

test("the options are the contract's, a switch for each field that a switch sets", () => {
  const expected = Object.fromEntries(
    FIELD_CONTRACTS.map(({ cli }) => [cli.option, { type: 'value' in cli ? 'string' : 'boolean' }]),
  );
  expect(RUN_INPUT_OPTIONS).toEqual({ ...expected, input: { type: 'string' } });
});

test("the help lists every field's option with its help, and --input", () => {
  for (const { cli } of FIELD_CONTRACTS) {
    const line = RUN_INPUT_USAGE.split('\n').find((each) =>
      each.trim().startsWith(`--${cli.option} `),
    );
    expect(line).toContain(cli.help);
    if ('value' in cli) expect(line).toContain(`--${cli.option} ${cli.value}`);
  }
  expect(RUN_INPUT_USAGE).toMatch(/--input JSON +the whole run input as JSON/);
});
