/**
 * The run input: the one JSON document every trigger (schedule, console, CLI, Airflow)
 * sends to the state machine. See DESIGN.md, "The run input".
 *
 * `parseRunInput` is the entry point: it validates with `runInputSchema`, reports the
 * first problem in a fixed field order (so every validator, including the Python
 * entrypoint, names the same field for the same input), checks the total size, and
 * returns the spec with defaults filled. The shared vectors in
 * tests/fixtures/run-input-cases.json pin the behaviour.
 *
 * No AWS SDK here: Prepare, the CLI and local runs all import this module.
 */
import * as z from 'zod';

export const COMMANDS = ['build', 'run', 'test', 'seed', 'snapshot', 'retry'] as const;
export const FRESHNESS = ['fail', 'warn', 'skip'] as const;

export const MAX_INPUT_BYTES = 4096;
export const MAX_VARS_BYTES = 2048;
export const MAX_SELECTOR_CHARS = 1000;
export const MIN_TIMEOUT_SECONDS = 60;
export const MAX_TIMEOUT_SECONDS = 86_400;

/** Every field, in the order problems are reported. */
export const RUN_INPUT_FIELDS = [
  'job',
  'command',
  'select',
  'exclude',
  'fullRefresh',
  'vars',
  'freshness',
  'docs',
  'retryOf',
  'timeoutSeconds',
] as const;
export type RunInputField = (typeof RUN_INPUT_FIELDS)[number];

/** Thrown for any bad run input. Step Functions matches on the error name. */
export class InvalidRunInput extends Error {
  override readonly name = 'InvalidRunInput';
  /** The field at fault: a run input field, an unknown field's name, or `input`. */
  readonly field: string;

  constructor(field: string, problem: string) {
    super(`${field}: ${problem}`);
    this.field = field;
  }
}

const JOB_RE = /^[A-Za-z0-9_-]{1,64}$/;
const RETRY_OF_RE = /^[A-Za-z0-9_-]{1,80}$/;
const SELECTOR_CHAR_RE = /^[A-Za-z0-9_.:+*@/,=-]$/;

const utf8 = new TextEncoder();

/** UTF-8 size of the compact JSON of a value, as the Python side counts it. */
export function jsonBytes(value: unknown): number {
  return utf8.encode(JSON.stringify(value)).length;
}

function describeChar(ch: string): string {
  const code = ch.codePointAt(0) ?? 0;
  const hex = `U+${code.toString(16).toUpperCase().padStart(4, '0')}`;
  if (code >= 0x21 && code <= 0x7e) {
    return ch === "'" ? `"'"` : `'${ch}'`;
  }
  if (code === 0x0a) return `a newline (${hex})`;
  if (code === 0x0d) return `a carriage return (${hex})`;
  return hex;
}

/**
 * The first problem with a dbt selector string, or undefined if it is fine.
 * Words are separated by spaces or tabs; each word is dbt selector syntax only,
 * so nothing can reach dbt as a flag or a shell as a metacharacter.
 */
export function selectorProblem(value: string): string | undefined {
  const chars = Array.from(value);
  if (chars.length === 0) return 'must not be empty';
  if (chars.length > MAX_SELECTOR_CHARS) {
    return `must be at most ${MAX_SELECTOR_CHARS} characters (got ${chars.length})`;
  }
  for (const ch of chars) {
    if (ch !== ' ' && ch !== '\t' && !SELECTOR_CHAR_RE.test(ch)) {
      return `contains ${describeChar(ch)}, which is not allowed in a selector`;
    }
  }
  const words = value.split(/[ \t]+/).filter((word) => word !== '');
  if (words.length === 0) return 'must not be blank';
  const flag = words.find((word) => word.startsWith('-'));
  if (flag !== undefined) {
    return `word '${flag.slice(0, 40)}' starts with '-', which would act as a dbt flag`;
  }
  return undefined;
}

const selector = z
  .string({ error: 'must be a string of dbt selector words' })
  .superRefine((value, ctx) => {
    const problem = selectorProblem(value);
    if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
  });

/** JSON as parsed from a document: what `vars` may hold. */
export type JsonValue =
  | string
  | number
  | boolean
  | null
  | JsonValue[]
  | { [key: string]: JsonValue };

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' &&
  value !== null &&
  (Object.getPrototypeOf(value) === Object.prototype || Object.getPrototypeOf(value) === null);

/**
 * Where the first value that is not plain JSON sits (e.g. `vars.a.0`), or undefined.
 * Walks with its own stack, so deep nesting cannot overflow the call stack, and reads
 * own keys only, so a "__proto__" key is data like any other.
 */
function nonJsonPath(value: unknown, root: string): string | undefined {
  const stack: Array<[unknown, string]> = [[value, root]];
  for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
    const [current, path] = item;
    if (current === null || typeof current === 'string' || typeof current === 'boolean') continue;
    if (typeof current === 'number') {
      if (Number.isFinite(current)) continue;
      return path;
    }
    if (Array.isArray(current)) {
      for (let i = current.length - 1; i >= 0; i -= 1) stack.push([current[i], `${path}.${i}`]);
      continue;
    }
    if (!isPlainObject(current)) return path;
    const keys = Object.keys(current);
    for (let i = keys.length - 1; i >= 0; i -= 1) {
      const key = keys[i] as string;
      stack.push([current[key], `${path}.${key}`]);
    }
  }
  return undefined;
}

const jsonObject = z
  .custom<Record<string, JsonValue>>(isPlainObject, { error: 'must be a JSON object' })
  .superRefine((value, ctx) => {
    const where = nonJsonPath(value, 'vars');
    if (where !== undefined) {
      ctx.addIssue({ code: 'custom', message: `${where} is not a JSON value` });
      return;
    }
    let bytes: number;
    try {
      bytes = jsonBytes(value);
    } catch {
      ctx.addIssue({ code: 'custom', message: 'is nested too deeply' });
      return;
    }
    if (bytes > MAX_VARS_BYTES) {
      ctx.addIssue({
        code: 'custom',
        message: `must be at most ${MAX_VARS_BYTES} bytes as compact JSON (got ${bytes})`,
      });
    }
  });

const boolean = z.boolean({ error: 'must be true or false' });

const fields = {
  job: z
    .string({ error: 'must be a string' })
    .regex(JOB_RE, { error: 'must be 1 to 64 characters of A-Z a-z 0-9 _ -' })
    .default('manual'),
  command: z.enum(COMMANDS, { error: `must be one of ${COMMANDS.join(', ')}` }).default('build'),
  select: selector.optional(),
  exclude: selector.optional(),
  fullRefresh: boolean.default(false),
  vars: jsonObject.optional(),
  freshness: z.enum(FRESHNESS, { error: `must be one of ${FRESHNESS.join(', ')}` }).default('warn'),
  docs: boolean.default(true),
  retryOf: z
    .string({ error: 'must be a string' })
    .regex(RETRY_OF_RE, { error: 'must be a run id: 1 to 80 characters of A-Z a-z 0-9 _ -' })
    .optional(),
  timeoutSeconds: z
    .int({ error: 'must be a whole number of seconds' })
    .min(MIN_TIMEOUT_SECONDS, { error: `must be at least ${MIN_TIMEOUT_SECONDS}` })
    .max(MAX_TIMEOUT_SECONDS, { error: `must be at most ${MAX_TIMEOUT_SECONDS}` })
    .optional(),
} satisfies Record<RunInputField, z.ZodType>;

const RETRY_REPEATS_SELECTION =
  "not allowed with command retry, which reruns the earlier run's selection";

/**
 * The rules that tie `command: retry` to `retryOf`, as [field, problem] pairs.
 * Reads only `command` and whether the other fields are present, so it gives the same
 * answer on the raw input and on a parsed spec.
 */
export function retryProblems(input: Record<string, unknown>): Array<[RunInputField, string]> {
  const problems: Array<[RunInputField, string]> = [];
  if (input.command === 'retry') {
    if (input.select !== undefined) problems.push(['select', RETRY_REPEATS_SELECTION]);
    if (input.exclude !== undefined) problems.push(['exclude', RETRY_REPEATS_SELECTION]);
    if (input.fullRefresh === true) problems.push(['fullRefresh', RETRY_REPEATS_SELECTION]);
    if (input.retryOf === undefined) {
      problems.push(['retryOf', 'is required with command retry: the id of the run to retry']);
    }
  } else if (input.retryOf !== undefined) {
    problems.push(['retryOf', 'is only allowed with command retry']);
  }
  return problems;
}

/**
 * The run input schema: per-field rules, unknown fields refused, and the retry rules.
 * It may report several problems at once, and zod skips the retry rules when some field
 * has the wrong type; `parseRunInput` applies them regardless, picks the problem to
 * report, and checks the total size. Use `parseRunInput`.
 */
export const runInputSchema = z.strictObject(fields).superRefine(
  (spec, ctx) => {
    for (const [field, message] of retryProblems(spec)) {
      ctx.addIssue({ code: 'custom', path: [field], message });
    }
  },
  { when: (payload) => isPlainObject(payload.value) },
);

/** The validated run input with defaults filled: what RUN_SPEC carries to the container. */
export type RunSpec = z.output<typeof runInputSchema>;

const FIELD_RANK: ReadonlyMap<string, number> = new Map(
  RUN_INPUT_FIELDS.map((field, index) => [field, index]),
);

interface Problem {
  rank: number;
  field: string;
  message: string;
}

function toProblem(issue: z.core.$ZodIssue): Problem {
  const head = issue.path[0];
  if (head === undefined) {
    if (issue.code === 'unrecognized_keys') {
      const field = issue.keys[0] ?? 'input';
      return {
        rank: -1,
        field,
        message: `unknown field; the run input accepts only ${RUN_INPUT_FIELDS.join(', ')}`,
      };
    }
    return { rank: -2, field: 'input', message: 'must be a JSON object' };
  }
  const field = String(head);
  return { rank: FIELD_RANK.get(field) ?? -1, field, message: issue.message };
}

/**
 * Validate a run input and fill its defaults.
 * @throws InvalidRunInput naming the first field at fault.
 */
export function parseRunInput(raw: unknown): RunSpec {
  if (!isPlainObject(raw)) {
    throw new InvalidRunInput('input', 'must be a JSON object');
  }
  const result = runInputSchema.safeParse(raw);
  if (!result.success) {
    const problems = result.error.issues.map(toProblem);
    for (const [field, message] of retryProblems(raw)) {
      problems.push({ rank: FIELD_RANK.get(field) ?? -1, field, message });
    }
    const first = problems.reduce((best, next) => (next.rank < best.rank ? next : best));
    throw new InvalidRunInput(first.field, first.message);
  }
  const bytes = jsonBytes(raw);
  if (bytes > MAX_INPUT_BYTES) {
    throw new InvalidRunInput(
      'input',
      `must be at most ${MAX_INPUT_BYTES} bytes as compact JSON (got ${bytes})`,
    );
  }
  // Optional fields appear only when given, and vars come back exactly as sent
  // (a JSON round trip keeps keys such as "__proto__" as plain data).
  const spec = Object.fromEntries(
    Object.entries(result.data).filter(([, value]) => value !== undefined),
  ) as RunSpec;
  if (raw.vars !== undefined) spec.vars = JSON.parse(JSON.stringify(raw.vars));
  return spec;
}
