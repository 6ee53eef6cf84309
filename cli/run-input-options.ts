// The dbt options shared by `serverless-dbt local` and `serverless-dbt start`, and how they
// become a run input (docs/run-input.md): the same JSON a person would paste into the console's
// "Start execution". `--input JSON` is that JSON as is and replaces the options.
// Each option, its help and how its text becomes the field's value come from the run input's
// contract (functions/shared/run-input-contract.ts); only the shape is settled here, the rules
// are the schema's, applied by Prepare in the state machine and, for `start`, before any AWS call.
import type { ParseArgsConfig } from 'node:util';
import { InvalidRunInput } from '../functions/shared/run-input.ts';
import { type CliOption, FIELD_CONTRACTS } from '../functions/shared/run-input-contract.ts';
import { UsageError } from './errors.ts';

/**
 * For parseArgs, written out so that its values keep their types; a test holds it to the
 * contract's options (tests/cli/run-input-options.test.ts).
 */
export const RUN_INPUT_OPTIONS = {
  job: { type: 'string' },
  command: { type: 'string' },
  select: { type: 'string' },
  exclude: { type: 'string' },
  selector: { type: 'string' },
  'full-refresh': { type: 'boolean' },
  vars: { type: 'string' },
  freshness: { type: 'string' },
  'no-docs': { type: 'boolean' },
  'retry-of': { type: 'string' },
  'timeout-seconds': { type: 'string' },
  'scheduled-time': { type: 'string' },
  threads: { type: 'string' },
  'fail-fast': { type: 'boolean' },
  'warn-error': { type: 'boolean' },
  macro: { type: 'string' },
  args: { type: 'string' },
  'allow-empty': { type: 'boolean' },
  only: { type: 'string' },
  input: { type: 'string' },
} as const satisfies NonNullable<ParseArgsConfig['options']>;

const INPUT_HELP = 'the whole run input as JSON, as in the console; replaces the above';

function usageLine(option: string, value: string | undefined, help: string): string {
  const left = `--${option}${value === undefined ? '' : ` ${value}`}`;
  return `  ${left.padEnd(26)} ${help}`;
}

export const RUN_INPUT_USAGE = [
  'dbt options (each becomes a field of the run input):',
  ...FIELD_CONTRACTS.map(({ cli }: { cli: CliOption }) =>
    usageLine(cli.option, cli.value, cli.help),
  ),
  usageLine('input', 'JSON', INPUT_HELP),
].join('\n');

type Values = { [Name in keyof typeof RUN_INPUT_OPTIONS]?: string | boolean };

/** An option's text as its field's value: JSON parsed, a number when it reads as one. */
function fieldValue(cli: CliOption, field: string, given: string | boolean): unknown {
  if (typeof given === 'boolean') return cli.sets ?? given;
  if (cli.parse === 'json') return parseJson(field, given);
  // A number when it reads as one; otherwise as given, so that the schema names the field.
  if (cli.parse === 'number') return /^-?\d+(\.\d+)?$/.test(given.trim()) ? Number(given) : given;
  return given;
}

/**
 * The run input the options describe.
 * @throws InvalidRunInput when `--input` or `--vars` is not JSON.
 * @throws UsageError when `--input` is combined with other dbt options.
 */
export function runInputFrom(values: Values): unknown {
  const given = (Object.keys(RUN_INPUT_OPTIONS) as Array<keyof Values>).filter(
    (name) => name !== 'input' && values[name] !== undefined,
  );
  const raw = values.input;
  if (typeof raw === 'string') {
    if (given.length > 0) {
      // The command line itself is wrong, not the run input: a usage error (exit 2).
      throw new UsageError(`--input replaces the dbt options; leave out --${given.join(', --')}`);
    }
    return parseJson('input', raw);
  }

  const input: Record<string, unknown> = {};
  for (const { name, cli } of FIELD_CONTRACTS as ReadonlyArray<{ name: string; cli: CliOption }>) {
    const value = values[cli.option as keyof Values];
    if (value === undefined) continue;
    input[name] = fieldValue(cli, name, value);
  }
  // --retry-of says which run to retry, and so that the command is retry.
  if (input.retryOf !== undefined && input.command === undefined) {
    return { command: 'retry', ...input };
  }
  // Likewise --macro: only run-operation runs one.
  if (input.macro !== undefined && input.command === undefined) {
    return { command: 'run-operation', ...input };
  }
  return input;
}

function parseJson(field: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new InvalidRunInput(field, `not valid JSON (${reason})`);
  }
}
