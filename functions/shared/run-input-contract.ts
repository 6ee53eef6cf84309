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

export const COMMANDS = [
  'build',
  'run',
  'test',
  'seed',
  'snapshot',
  'retry',
  'compile',
  'ls',
  'run-operation',
  'source freshness',
] as const;
export const FRESHNESS = ['fail', 'warn', 'skip'] as const;

/** The whole input, as compact JSON. ECS allows 8,192 characters for all overrides together. */
export const MAX_INPUT_BYTES = 4096;
export const MAX_VARS_BYTES = 2048;
/** `args` of run-operation, like `vars`: a JSON object dbt reads as YAML, which JSON is. */
export const MAX_ARGS_BYTES = 2048;
export const MAX_THREADS = 64;
/** Objects and arrays within `vars`, itself the first: deeper would reach Python's recursion limit. */
export const MAX_VARS_DEPTH = 32;
export const MAX_SELECTOR_CHARS = 1000;
export const MIN_TIMEOUT_SECONDS = 60;
export const MAX_TIMEOUT_SECONDS = 86_400;
/** A UTC instant to the second, as EventBridge Scheduler writes `<aws.scheduler.scheduled-time>`. */
export const SCHEDULED_TIME_PATTERN =
  '^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]Z$';

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
 * A rule tying one field to another, checked right after that field's own rule.
 * `when`: the other field `is` a value, `isNot` it, is one of `in`, or is `given` at all.
 * `expect`: `absent` (the field must not be given), `present` (it must be), or `notTrue`.
 */
export interface CrossFieldRule {
  readonly field: string;
  readonly when: {
    readonly field: string;
    readonly is?: string;
    readonly isNot?: string;
    readonly in?: readonly string[];
    readonly given?: true;
  };
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
      meaning:
        'the dbt command; nothing else is accepted. `source freshness` alone fails on sources stale past `error_after`',
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
    name: 'selector',
    kind: 'pattern',
    // A name, never selector syntax: the definition lives in the project's selectors.yml.
    pattern: '^[A-Za-z0-9_][A-Za-z0-9_-]{0,63}$',
    doc: {
      type: 'name: 1–64 `A-Z a-z 0-9 _ -`, not starting with `-`',
      meaning: "`--selector`: a selector defined in the project's `selectors.yml`",
    },
    cli: { option: 'selector', value: 'NAME', help: 'a selector from selectors.yml, e.g. nightly' },
    messages: {
      type: 'must be a string',
      pattern:
        "must be a selector's name: 1 to 64 characters of A-Z a-z 0-9 _ -, not starting with '-'",
    },
  },
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
      meaning:
        '`dbt source freshness` first; `fail` stops the run on stale sources. Not used by commands that build nothing: `compile` `ls` `run-operation` `source freshness`',
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
    doc: {
      type: 'boolean',
      meaning:
        '`dbt docs generate` after the command; never after `ls` `run-operation` `source freshness`',
    },
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
  {
    name: 'scheduledTime',
    kind: 'pattern',
    // EventBridge Scheduler's `<aws.scheduler.scheduled-time>` form: whole seconds, UTC.
    pattern: SCHEDULED_TIME_PATTERN,
    doc: {
      type: 'UTC instant `YYYY-MM-DDThh:mm:ssZ`',
      meaning:
        "the run's scheduled time; the schedule fills it, `backfill` sets it. Becomes the dbt vars `scheduled_time`, `run_date`, `data_interval_start`, `data_interval_end`",
    },
    cli: {
      option: 'scheduled-time',
      value: 'UTC_TIME',
      help: 'run as if scheduled at this time, e.g. 2026-11-24T05:00:00Z (gives dbt the run_date vars)',
    },
    messages: {
      type: 'must be a string',
      pattern: 'must be a UTC time as YYYY-MM-DDThh:mm:ssZ, e.g. 2026-11-24T05:00:00Z',
    },
  },
  {
    name: 'threads',
    kind: 'integer',
    minimum: 1,
    maximum: MAX_THREADS,
    doc: {
      type: `whole number 1–${MAX_THREADS}`,
      default: "the profile's",
      meaning: '`--threads` for the freshness check, the command and docs generate',
    },
    cli: {
      option: 'threads',
      value: 'N',
      parse: 'number',
      help: `dbt threads (1..${MAX_THREADS}; default: the profile's)`,
    },
    messages: {
      type: 'must be a whole number of threads',
      minimum: 'must be at least 1',
      maximum: `must be at most ${MAX_THREADS}`,
    },
  },
  {
    name: 'failFast',
    kind: 'boolean',
    default: false,
    doc: { type: 'boolean', meaning: '`--fail-fast`: the command stops at its first failure' },
    cli: { option: 'fail-fast', sets: true, help: 'stop the command at its first failure' },
    messages: { type: 'must be true or false' },
  },
  {
    name: 'warnError',
    kind: 'boolean',
    default: false,
    doc: { type: 'boolean', meaning: "`--warn-error`: the command's warnings fail the run" },
    cli: { option: 'warn-error', sets: true, help: "treat the command's warnings as errors" },
    messages: { type: 'must be true or false' },
  },
  {
    name: 'macro',
    kind: 'pattern',
    // dbt's own form: a macro's name, or `package.macro`.
    pattern: '^([A-Za-z_][A-Za-z0-9_]{0,63}\\.)?[A-Za-z_][A-Za-z0-9_]{0,63}$',
    doc: {
      type: 'macro name, or `package.macro`: `A-Z a-z 0-9 _`, not starting with a digit',
      meaning: 'with `command: run-operation`, the macro to run',
    },
    cli: { option: 'macro', value: 'NAME', help: 'the macro run-operation runs' },
    messages: {
      type: 'must be a string',
      pattern:
        "must be a macro's name or package.macro: up to 64 characters of A-Z a-z 0-9 _ each, not starting with a digit",
    },
  },
  {
    name: 'args',
    kind: 'object',
    maxBytes: MAX_ARGS_BYTES,
    maxDepth: MAX_VARS_DEPTH,
    doc: {
      type: `JSON object, at most ${MAX_ARGS_BYTES.toLocaleString('en-US')} bytes as compact JSON and ${MAX_VARS_DEPTH} objects and arrays deep`,
      meaning: "with `command: run-operation`, the macro's arguments (`--args`)",
    },
    cli: {
      option: 'args',
      value: 'JSON',
      parse: 'json',
      help: "the macro's arguments, a JSON object",
    },
    messages: {
      type: 'must be a JSON object',
      notJson: '{path} is not a JSON value',
      tooDeep: `must be nested at most ${MAX_VARS_DEPTH} objects and arrays deep (got {depth})`,
      tooLarge: `must be at most ${MAX_ARGS_BYTES} bytes as compact JSON (got {bytes})`,
    },
  },
  {
    name: 'allowEmpty',
    kind: 'boolean',
    default: false,
    doc: {
      type: 'boolean',
      meaning:
        'a selection that matches no node succeeds; otherwise the run fails with NOTHING_SELECTED (docs/verdicts.md)',
    },
    cli: {
      option: 'allow-empty',
      sets: true,
      help: 'succeed when the selection matches no node (default: fail, NOTHING_SELECTED)',
    },
    messages: { type: 'must be true or false' },
  },
  {
    name: 'only',
    kind: 'pattern',
    // One word for now; absent, the run builds its whole selection.
    pattern: '^changed$',
    doc: {
      type: '`changed`',
      default: 'everything',
      meaning:
        'with `build` or `run`: build only the nodes changed since the job\'s last successful run, and those downstream of sources with newer data (`state:modified+ source_status:fresher+`, `--defer`); nothing changed is a success (docs/run-input.md, "State-aware runs")',
    },
    cli: {
      option: 'only',
      value: 'changed',
      help: "build only what changed since the job's last successful run",
    },
    messages: {
      type: 'must be a string',
      pattern: 'must be changed; leave it out to build the whole selection',
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
const RUN_OPERATION = { field: 'command', is: 'run-operation' } as const;
const MACRO_SELECTS_NOTHING =
  'not allowed with command run-operation, which runs a macro, not a selection';
const SELECTOR_REPLACES =
  'not allowed with select or exclude: dbt uses the selector and ignores them';
/** The commands without `--full-refresh` (dbt refuses the option), less retry, refused above. */
const NO_FULL_REFRESH = ['test', 'snapshot', 'ls', 'run-operation', 'source freshness'];
/**
 * The commands whose empty selection is no failure (NOTHING_SELECTED), so `allowEmpty` would
 * change nothing: retry reruns an earlier run's selection, ls answers with what matches,
 * run-operation selects nothing, and source freshness is judged by the sources' age. The
 * container lists the other commands (container/dbt_runner/outcome.py, EMPTY_SELECTION_FAILS).
 */
export const EMPTY_SELECTION_NOT_CHECKED = ['retry', 'ls', 'run-operation', 'source freshness'];

/**
 * The commands a state-aware run (`only: changed`) refuses: all but build and run. Its summary
 * counts the models built and deferred; the commands that build nothing never check freshness,
 * and retry reruns an earlier run's own selection.
 */
export const STATE_AWARE_NOT_SUPPORTED = COMMANDS.filter(
  (command) => command !== 'build' && command !== 'run',
);

/**
 * `dbt retry` reruns the earlier run's own selection: a new one would be silently ignored,
 * and so would select and exclude next to a selector. An option dbt refuses for the command
 * is refused here, by name, rather than by dbt's usage error. `freshness` and `docs` have
 * defaults that Prepare fills, so they cannot be refused: the commands that build nothing
 * (compile, ls, run-operation, source freshness) skip the steps (docs/run-input.md).
 */
export const CROSS_FIELD_RULES: readonly CrossFieldRule[] = [
  { field: 'select', when: RETRY, expect: 'absent', message: RETRY_REPEATS_SELECTION },
  { field: 'select', when: RUN_OPERATION, expect: 'absent', message: MACRO_SELECTS_NOTHING },
  { field: 'exclude', when: RETRY, expect: 'absent', message: RETRY_REPEATS_SELECTION },
  { field: 'exclude', when: RUN_OPERATION, expect: 'absent', message: MACRO_SELECTS_NOTHING },
  { field: 'selector', when: RETRY, expect: 'absent', message: RETRY_REPEATS_SELECTION },
  { field: 'selector', when: RUN_OPERATION, expect: 'absent', message: MACRO_SELECTS_NOTHING },
  {
    field: 'selector',
    when: { field: 'select', given: true },
    expect: 'absent',
    message: SELECTOR_REPLACES,
  },
  {
    field: 'selector',
    when: { field: 'exclude', given: true },
    expect: 'absent',
    message: SELECTOR_REPLACES,
  },
  { field: 'fullRefresh', when: RETRY, expect: 'notTrue', message: RETRY_REPEATS_SELECTION },
  {
    field: 'fullRefresh',
    when: { field: 'command', in: NO_FULL_REFRESH },
    expect: 'notTrue',
    message: `not allowed with command ${NO_FULL_REFRESH.join(', ')}: dbt has no --full-refresh there`,
  },

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
  {
    field: 'threads',
    when: { field: 'command', is: 'ls' },
    expect: 'absent',
    message: 'not allowed with command ls, which runs no queries',
  },
  {
    field: 'failFast',
    when: { field: 'command', in: ['ls', 'run-operation'] },
    expect: 'notTrue',
    message: 'not allowed with command ls or run-operation, which run no nodes',
  },
  {
    field: 'macro',
    when: RUN_OPERATION,
    expect: 'present',
    message: 'is required with command run-operation: the macro to run',
  },
  {
    field: 'macro',
    when: { field: 'command', isNot: 'run-operation' },
    expect: 'absent',
    message: 'is only allowed with command run-operation',
  },
  {
    field: 'args',
    when: { field: 'command', isNot: 'run-operation' },
    expect: 'absent',
    message: 'is only allowed with command run-operation',
  },
  {
    field: 'allowEmpty',
    when: { field: 'command', in: EMPTY_SELECTION_NOT_CHECKED },
    expect: 'notTrue',
    message: `not allowed with command ${EMPTY_SELECTION_NOT_CHECKED.join(', ')}: only a command that builds or checks a selection of nodes fails when it matches none`,
  },
  {
    field: 'only',
    when: { field: 'command', in: STATE_AWARE_NOT_SUPPORTED },
    expect: 'absent',
    message: `not allowed with command ${STATE_AWARE_NOT_SUPPORTED.join(', ')}: only build and run compare with the job's last successful run`,
  },
  {
    field: 'only',
    when: { field: 'selector', given: true },
    expect: 'absent',
    message:
      'not allowed with selector: dbt ignores --select next to --selector; give select instead',
  },
  {
    field: 'only',
    when: { field: 'freshness', is: 'skip' },
    expect: 'absent',
    message:
      "not allowed with freshness skip: this run's freshness check tells which sources have new data",
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
