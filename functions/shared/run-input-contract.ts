/**
 * The run input's contract as data: every field, its limits, its default, the wording of
 * every refusal, the rules that tie fields together, and how the docs and the CLI present
 * it. This table is the one source of the run input. Everything else follows from it:
 *
 * - the zod schema Prepare and the CLI apply (run-input.ts, built from this table);
 * - the Python validator of the container and of the Airflow DAG, which reads the table as
 *   JSON (`container/dbt_runner/run_input.py`, copied byte for byte to the DAG's folder);
 * - the DAG's params and the JSON Schema (`contracts/run-input.schema.json`);
 * - the CLI's options and help (cli/run-input-options.ts);
 * - the field table in docs/run-input.md.
 *
 * `npm run generate` rewrites the generated forms (scripts/generate-run-input.ts) and
 * tests/scripts/generate-run-input.test.ts fails when any of them is stale. Data only: no zod, no SDK.
 */

export const COMMANDS = ['build', 'run', 'test', 'seed', 'snapshot', 'retry'] as const;
export const FRESHNESS = ['fail', 'warn', 'skip'] as const;

/** The whole input, as compact JSON. ECS allows 8,192 characters for all overrides together. */
export const MAX_INPUT_BYTES = 4096;
export const MAX_VARS_BYTES = 2048;
/** Objects and arrays within `vars`, itself the first: deeper would reach Python's recursion limit. */
export const MAX_VARS_DEPTH = 32;
export const MAX_SELECTOR_CHARS = 1000;
export const MIN_TIMEOUT_SECONDS = 60;
export const MAX_TIMEOUT_SECONDS = 86_400;

/** The characters of a selector word, as a regular expression character class body. */
const SELECTOR_WORD_CHARS = 'A-Za-z0-9_.:+*@/,=-';

/** How a field is given on the command line (`serverless-dbt local` and `start`). */
export interface CliOption {
  /** The long option's name, without the dashes. */
  readonly option: string;
  /** Placeholder of the option's value; absent for a switch. */
  readonly value?: string;
  /** A switch sets the field to this value. */
  readonly sets?: boolean;
  /** How the value's text becomes the field's value. */
  readonly parse?: 'text' | 'json' | 'number';
  readonly help: string;
}

/** How the field appears in docs/run-input.md's table. */
export interface FieldDoc {
  readonly type: string;
  /** The default as the docs state it, when it is not the value itself. */
  readonly default?: string;
  readonly meaning: string;
}

interface FieldBase {
  readonly name: string;
  readonly doc: FieldDoc;
  readonly cli: CliOption;
}

/** A string matched whole by `pattern`. */
export interface PatternField extends FieldBase {
  readonly kind: 'pattern';
  readonly pattern: string;
  readonly default?: string;
  readonly messages: { readonly type: string; readonly pattern: string };
}

/** One of a fixed list of words. */
export interface EnumField extends FieldBase {
  readonly kind: 'enum';
  readonly values: readonly string[];
  readonly default: string;
  readonly messages: { readonly invalid: string };
}

/**
 * dbt selector words separated by spaces or tabs; each word only selector syntax, and none
 * starting with `-`, so nothing can act as a dbt flag or a shell metacharacter.
 */
export interface SelectorField extends FieldBase {
  readonly kind: 'selector';
  readonly maxChars: number;
  /** Character class body of the characters a word may hold. */
  readonly wordChars: string;
  readonly messages: {
    readonly type: string;
    readonly empty: string;
    /** `{count}`: the number of characters given. */
    readonly tooLong: string;
    /** `{char}`: the character, described (see describeChar). */
    readonly badChar: string;
    readonly blank: string;
    /** `{word}`: the word, cut to 40 characters. */
    readonly flag: string;
  };
}

export interface BooleanField extends FieldBase {
  readonly kind: 'boolean';
  readonly default: boolean;
  readonly messages: { readonly type: string };
}

/** A JSON object, at most `maxBytes` as compact JSON and `maxDepth` objects and arrays deep. */
export interface ObjectField extends FieldBase {
  readonly kind: 'object';
  readonly maxBytes: number;
  readonly maxDepth: number;
  readonly messages: {
    readonly type: string;
    /** `{path}`: where the value that is not JSON sits, e.g. `vars.a.0`. */
    readonly notJson: string;
    /** `{depth}`: how deep it is. */
    readonly tooDeep: string;
    /** `{bytes}`: the size given. */
    readonly tooLarge: string;
  };
}

/** A whole number within [minimum, maximum]. */
export interface IntegerField extends FieldBase {
  readonly kind: 'integer';
  readonly minimum: number;
  readonly maximum: number;
  readonly messages: { readonly type: string; readonly minimum: string; readonly maximum: string };
}

export type FieldContract =
  | PatternField
  | EnumField
  | SelectorField
  | BooleanField
  | ObjectField
  | IntegerField;

/**
 * A rule tying one field to `command`, checked right after that field's own rule.
 * `expect`: `absent` (the field must not be given), `present` (it must be), or `notTrue`.
 */
export interface CrossFieldRule {
  readonly field: string;
  readonly when: { readonly field: string; readonly is?: string; readonly isNot?: string };
  readonly expect: 'absent' | 'present' | 'notTrue';
  readonly message: string;
}

const oneOf = (values: readonly string[]) => `must be one of ${values.join(', ')}`;

function selectorField<const Name extends string>(
  name: Name,
  doc: FieldDoc,
  cli: CliOption,
): SelectorField & { readonly name: Name } {
  return {
    name,
    kind: 'selector',
    maxChars: MAX_SELECTOR_CHARS,
    wordChars: SELECTOR_WORD_CHARS,
    doc,
    cli,
    messages: {
      type: 'must be a string of dbt selector words',
      empty: 'must not be empty',
      tooLong: `must be at most ${MAX_SELECTOR_CHARS} characters (got {count})`,
      badChar: 'contains {char}, which is not allowed in a selector',
      blank: 'must not be blank',
      flag: "word '{word}' starts with '-', which would act as a dbt flag",
    },
  };
}

const SELECTOR_DOC_TYPE = `dbt selector words, at most ${MAX_SELECTOR_CHARS.toLocaleString('en-US')} characters`;

/** Every field, in the order problems are reported: the first wrong field is named. */
export const FIELD_CONTRACTS = [
  {
    name: 'job',
    kind: 'pattern',
    pattern: '^[A-Za-z0-9_-]{1,64}$',
    default: 'manual',
    doc: {
      type: 'string of 1–64 `A-Z a-z 0-9 _ -`',
      meaning:
        'name shown in alerts and history; picks the overlap lock (its own, or its `lockGroup`)',
    },
    cli: {
      option: 'job',
      value: 'NAME',
      help: "the job's name in alerts and history (default: manual)",
    },
    messages: {
      type: 'must be a string',
      pattern: 'must be 1 to 64 characters of A-Z a-z 0-9 _ -',
    },
  },
  {
    name: 'command',
    kind: 'enum',
    values: COMMANDS,
    default: 'build',
    doc: {
      type: COMMANDS.map((command) => `\`${command}\``).join(' '),
      meaning: 'the dbt command; nothing else is accepted',
    },
    cli: { option: 'command', value: 'CMD', help: `${COMMANDS.join(' | ')} (default: build)` },
    messages: { invalid: oneOf(COMMANDS) },
  },
  selectorField(
    'select',
    { type: SELECTOR_DOC_TYPE, meaning: 'the nodes to run; each word becomes its own argv item' },
    { option: 'select', value: 'WORDS', help: 'dbt selector words, e.g. "+orders tag:daily"' },
  ),
  selectorField(
    'exclude',
    { type: SELECTOR_DOC_TYPE, meaning: 'the nodes to leave out; each word its own argv item' },
    { option: 'exclude', value: 'WORDS', help: 'dbt selector words to leave out' },
  ),
  {
    name: 'fullRefresh',
    kind: 'boolean',
    default: false,
    doc: { type: 'boolean', meaning: '`--full-refresh`' },
    cli: {
      option: 'full-refresh',
      sets: true,
      help: 'rebuild incremental models and seeds from scratch',
    },
    messages: { type: 'must be true or false' },
  },
  {
    name: 'vars',
    kind: 'object',
    maxBytes: MAX_VARS_BYTES,
    maxDepth: MAX_VARS_DEPTH,
    doc: {
      type: `JSON object, at most ${MAX_VARS_BYTES.toLocaleString('en-US')} bytes as compact JSON and ${MAX_VARS_DEPTH} objects and arrays deep`,
      meaning: '`--vars`, given to every step (vars can change parsing)',
    },
    cli: { option: 'vars', value: 'JSON', parse: 'json', help: 'dbt vars, a JSON object' },
    messages: {
      type: 'must be a JSON object',
      notJson: '{path} is not a JSON value',
      tooDeep: `must be nested at most ${MAX_VARS_DEPTH} objects and arrays deep (got {depth})`,
      tooLarge: `must be at most ${MAX_VARS_BYTES} bytes as compact JSON (got {bytes})`,
    },
  },
  {
    name: 'freshness',
    kind: 'enum',
    values: FRESHNESS,
    default: 'warn',
    doc: {
      type: FRESHNESS.map((mode) => `\`${mode}\``).join(' '),
      meaning: '`dbt source freshness` first; `fail` stops the run on stale sources',
    },
    cli: {
      option: 'freshness',
      value: FRESHNESS.join('|'),
      help: 'check source freshness first (default: warn)',
    },
    messages: { invalid: oneOf(FRESHNESS) },
  },
  {
    name: 'docs',
    kind: 'boolean',
    default: true,
    doc: { type: 'boolean', meaning: '`dbt docs generate` after the command' },
    cli: { option: 'no-docs', sets: false, help: 'skip dbt docs generate' },
    messages: { type: 'must be true or false' },
  },
  {
    name: 'retryOf',
    kind: 'pattern',
    pattern: '^[A-Za-z0-9_-]{1,80}$',
    doc: {
      type: 'run id: 1–80 `A-Z a-z 0-9 _ -`',
      meaning: 'with `command: retry`, the earlier run whose failures to rerun',
    },
    cli: {
      option: 'retry-of',
      value: 'RUN_ID',
      help: 'rerun what failed in that run (implies --command retry)',
    },
    messages: {
      type: 'must be a string',
      pattern: 'must be a run id: 1 to 80 characters of A-Z a-z 0-9 _ -',
    },
  },
  {
    name: 'timeoutSeconds',
    kind: 'integer',
    minimum: MIN_TIMEOUT_SECONDS,
    maximum: MAX_TIMEOUT_SECONDS,
    doc: {
      type: `whole number ${MIN_TIMEOUT_SECONDS}–${MAX_TIMEOUT_SECONDS}`,
      default: "the stage's",
      meaning: "the task's limit; past it the task is stopped",
    },
    cli: {
      option: 'timeout-seconds',
      value: 'N',
      parse: 'number',
      help: `stop the run after N seconds (${MIN_TIMEOUT_SECONDS}..${MAX_TIMEOUT_SECONDS})`,
    },
    messages: {
      type: 'must be a whole number of seconds',
      minimum: `must be at least ${MIN_TIMEOUT_SECONDS}`,
      maximum: `must be at most ${MAX_TIMEOUT_SECONDS}`,
    },
  },
] as const satisfies readonly FieldContract[];

export type RunInputField = (typeof FIELD_CONTRACTS)[number]['name'];

/** Every field's name, in the order problems are reported. */
export const RUN_INPUT_FIELDS: readonly RunInputField[] = FIELD_CONTRACTS.map(
  (field) => field.name,
);

const RETRY_REPEATS_SELECTION =
  "not allowed with command retry, which reruns the earlier run's selection";
const RETRY = { field: 'command', is: 'retry' } as const;

/** `dbt retry` reruns the earlier run's own selection: a new one would be silently ignored. */
export const CROSS_FIELD_RULES: readonly CrossFieldRule[] = [
  { field: 'select', when: RETRY, expect: 'absent', message: RETRY_REPEATS_SELECTION },
  { field: 'exclude', when: RETRY, expect: 'absent', message: RETRY_REPEATS_SELECTION },
  { field: 'fullRefresh', when: RETRY, expect: 'notTrue', message: RETRY_REPEATS_SELECTION },
  {
    field: 'retryOf',
    when: RETRY,
    expect: 'present',
    message: 'is required with command retry: the id of the run to retry',
  },
  {
    field: 'retryOf',
    when: { field: 'command', isNot: 'retry' },
    expect: 'absent',
    message: 'is only allowed with command retry',
  },
];

/** The wording of problems with the input as a whole. */
export const INPUT_MESSAGES = {
  notAnObject: 'must be a JSON object',
  unknownField: `unknown field; the run input accepts only ${RUN_INPUT_FIELDS.join(', ')}`,
  /** `{bytes}`: the size given. */
  tooLarge: `must be at most ${MAX_INPUT_BYTES} bytes as compact JSON (got {bytes})`,
} as const;

/** The whole contract, as the generated forms carry it. */
export const RUN_INPUT_CONTRACT = {
  maxInputBytes: MAX_INPUT_BYTES,
  messages: INPUT_MESSAGES,
  fields: FIELD_CONTRACTS,
  rules: CROSS_FIELD_RULES,
} as const;

/** Fill a message template's `{name}` placeholders. */
export function fill(template: string, values: Record<string, string | number>): string {
  return template.replace(/\{(\w+)\}/g, (whole, key: string) =>
    key in values ? String(values[key]) : whole,
  );
}

/** A character as a refusal names it: printable ASCII quoted, anything else by code point. */
export function describeChar(ch: string): string {
  const code = ch.codePointAt(0) ?? 0;
  const hex = `U+${code.toString(16).toUpperCase().padStart(4, '0')}`;
  if (code >= 0x21 && code <= 0x7e) {
    return ch === "'" ? `"'"` : `'${ch}'`;
  }
  if (code === 0x0a) return `a newline (${hex})`;
  if (code === 0x0d) return `a carriage return (${hex})`;
  return hex;
}
