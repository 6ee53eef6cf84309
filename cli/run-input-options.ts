// The dbt options shared by `serverless-dbt local` and `serverless-dbt start`, and how they
// become a run input (DESIGN.md, "The run input"): the same JSON a person would paste into the
// console's "Start execution". `--input JSON` is that JSON as is and replaces the options.
// Only the shape is settled here; the rules are the run input schema's
// (functions/shared/run-input.ts), applied by Prepare in the state machine and, for `start`,
// before any AWS call.
import type { ParseArgsConfig } from 'node:util';
import { InvalidRunInput } from '../functions/shared/run-input.ts';

export const RUN_INPUT_OPTIONS = {
  job: { type: 'string' },
  command: { type: 'string' },
  select: { type: 'string' },
  exclude: { type: 'string' },
  'full-refresh': { type: 'boolean' },
  vars: { type: 'string' },
  freshness: { type: 'string' },
  'no-docs': { type: 'boolean' },
  'retry-of': { type: 'string' },
  'timeout-seconds': { type: 'string' },
  input: { type: 'string' },
} as const satisfies NonNullable<ParseArgsConfig['options']>;

export const RUN_INPUT_USAGE = `dbt options (each becomes a field of the run input):
  --job NAME                 the job's name in alerts and history (default: manual)
  --command CMD              build | run | test | seed | snapshot | retry (default: build)
  --select WORDS             dbt selector words, e.g. "+orders tag:daily"
  --exclude WORDS            dbt selector words to leave out
  --full-refresh             rebuild incremental models and seeds from scratch
  --vars JSON                dbt vars, a JSON object
  --freshness fail|warn|skip check source freshness first (default: warn)
  --no-docs                  skip dbt docs generate
  --retry-of RUN_ID          rerun what failed in that run (implies --command retry)
  --timeout-seconds N        stop the run after N seconds (60..86400)
  --input JSON               the whole run input as JSON, as in the console; replaces the above`;

type Values = { [Name in keyof typeof RUN_INPUT_OPTIONS]?: string | boolean };

/**
 * The run input the options describe.
 * @throws InvalidRunInput when `--input` or `--vars` is not JSON, or `--input` is combined
 *   with other dbt options.
 */
export function runInputFrom(values: Values): unknown {
  const text = (name: keyof Values): string | undefined => {
    const value = values[name];
    return typeof value === 'string' ? value : undefined;
  };
  const given = (Object.keys(RUN_INPUT_OPTIONS) as Array<keyof Values>).filter(
    (name) => name !== 'input' && values[name] !== undefined,
  );
  const raw = text('input');
  if (raw !== undefined) {
    if (given.length > 0) {
      throw new InvalidRunInput(
        'input',
        `--input replaces the dbt options; leave out --${given.join(', --')}`,
      );
    }
    return parseJson('input', raw);
  }

  const input: Record<string, unknown> = {};
  const job = text('job');
  if (job !== undefined) input.job = job;
  const retryOf = text('retry-of');
  const command = text('command') ?? (retryOf === undefined ? undefined : 'retry');
  if (command !== undefined) input.command = command;
  if (retryOf !== undefined) input.retryOf = retryOf;
  const select = text('select');
  if (select !== undefined) input.select = select;
  const exclude = text('exclude');
  if (exclude !== undefined) input.exclude = exclude;
  if (values['full-refresh'] === true) input.fullRefresh = true;
  const vars = text('vars');
  if (vars !== undefined) input.vars = parseJson('vars', vars);
  const freshness = text('freshness');
  if (freshness !== undefined) input.freshness = freshness;
  if (values['no-docs'] === true) input.docs = false;
  const timeout = text('timeout-seconds');
  if (timeout !== undefined) {
    // A number when it reads as one, so that the schema names what is wrong with it.
    input.timeoutSeconds = /^-?\d+(\.\d+)?$/.test(timeout.trim()) ? Number(timeout) : timeout;
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
