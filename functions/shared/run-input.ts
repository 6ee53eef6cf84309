/**
 * The run input: the one JSON document every trigger (schedule, console, CLI, Airflow)
 * sends to the state machine (docs/run-input.md). Its rules are the table in
 * run-input-contract.ts; this module turns that table into zod schemas and applies them.
 *
 * `parseRunInput` is the entry point. It checks the fields one by one in the table's order,
 * each field's own rule and then the rules tying it to `command`, and names the first
 * problem; the total size comes last. The Python validator (container/dbt_runner/run_input.py)
 * walks the same table in the same order, so both name the same field with the same words;
 * the shared vectors in tests/fixtures/run-input-cases.json hold them to it.
 *
 * No AWS SDK here: Prepare, the CLI and local runs all import this module.
 */
import * as z from 'zod';
import {
  type BooleanField,
  CROSS_FIELD_RULES,
  type CrossFieldRule,
  describeChar,
  type EnumField,
  FIELD_CONTRACTS,
  fill,
  INPUT_MESSAGES,
  type IntegerField,
  MAX_INPUT_BYTES,
  type ObjectField,
  type PatternField,
  RUN_INPUT_FIELDS,
  type RunInputField,
  type SelectorField,
} from './run-input-contract.ts';

export {
  COMMANDS,
  FRESHNESS,
  MAX_INPUT_BYTES,
  MAX_SELECTOR_CHARS,
  MAX_TIMEOUT_SECONDS,
  MAX_VARS_BYTES,
  MAX_VARS_DEPTH,
  MIN_TIMEOUT_SECONDS,
  RUN_INPUT_FIELDS,
  type RunInputField,
} from './run-input-contract.ts';

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

const utf8 = new TextEncoder();

/** UTF-8 size of the compact JSON of a value, as the Python side counts it. */
export function jsonBytes(value: unknown): number {
  return utf8.encode(JSON.stringify(value)).length;
}

/** The first problem with a dbt selector string, or undefined if it is fine. */
export function selectorProblem(field: SelectorField, value: string): string | undefined {
  const { messages } = field;
  const chars = Array.from(value);
  if (chars.length === 0) return messages.empty;
  if (chars.length > field.maxChars) return fill(messages.tooLong, { count: chars.length });
  const wordChar = new RegExp(`^[${field.wordChars}]$`);
  for (const ch of chars) {
    if (ch !== ' ' && ch !== '\t' && !wordChar.test(ch)) {
      return fill(messages.badChar, { char: describeChar(ch) });
    }
  }
  const words = value.split(/[ \t]+/).filter((word) => word !== '');
  if (words.length === 0) return messages.blank;
  const flag = words.find((word) => word.startsWith('-'));
  if (flag !== undefined) return fill(messages.flag, { word: flag.slice(0, 40) });
  return undefined;
}

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

/** How many objects and arrays deep a JSON value is (the value itself the first). */
function depthOf(value: unknown): number {
  let deepest = 0;
  const stack: Array<[unknown, number]> = [[value, 1]];
  for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
    const [current, depth] = item;
    if (typeof current !== 'object' || current === null) continue;
    deepest = Math.max(deepest, depth);
    for (const child of Object.values(current)) stack.push([child, depth + 1]);
  }
  return deepest;
}

// One builder per kind of field in the contract.

const patternString = (field: PatternField) =>
  z
    .string({ error: field.messages.type })
    .regex(new RegExp(field.pattern), { error: field.messages.pattern });

const oneOf = <const Values extends readonly [string, ...string[]]>(
  field: EnumField & { values: Values },
) => z.enum(field.values, { error: field.messages.invalid });

const selector = (field: SelectorField) =>
  z.string({ error: field.messages.type }).superRefine((value, ctx) => {
    const problem = selectorProblem(field, value);
    if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
  });

const boolean = (field: BooleanField) => z.boolean({ error: field.messages.type });

const jsonObject = (field: ObjectField) =>
  z
    .custom<Record<string, JsonValue>>(isPlainObject, { error: field.messages.type })
    .superRefine((value, ctx) => {
      const where = nonJsonPath(value, field.name);
      if (where !== undefined) {
        ctx.addIssue({ code: 'custom', message: fill(field.messages.notJson, { path: where }) });
        return;
      }
      const depth = depthOf(value);
      if (depth > field.maxDepth) {
        ctx.addIssue({ code: 'custom', message: fill(field.messages.tooDeep, { depth }) });
        return;
      }
      const bytes = jsonBytes(value);
      if (bytes > field.maxBytes) {
        ctx.addIssue({ code: 'custom', message: fill(field.messages.tooLarge, { bytes }) });
      }
    });

const integer = (field: IntegerField) =>
  z
    .int({ error: field.messages.type })
    .min(field.minimum, { error: field.messages.minimum })
    .max(field.maximum, { error: field.messages.maximum });

const [
  JOB,
  COMMAND,
  SELECT,
  EXCLUDE,
  SELECTOR,
  FULL_REFRESH,
  VARS,
  FRESHNESS_FIELD,
  DOCS,
  RETRY_OF,
  TIMEOUT,
  SCHEDULED_TIME,
  THREADS,
  FAIL_FAST,
  WARN_ERROR,
  MACRO,
  ARGS,
  ALLOW_EMPTY,
  ONLY,
] = FIELD_CONTRACTS;

/** Each field's zod schema, built from its row of the contract. */
const fields = {
  job: patternString(JOB).default(JOB.default),
  command: oneOf(COMMAND).default(COMMAND.default),
  select: selector(SELECT).optional(),
  exclude: selector(EXCLUDE).optional(),
  selector: patternString(SELECTOR).optional(),
  fullRefresh: boolean(FULL_REFRESH).default(FULL_REFRESH.default),
  vars: jsonObject(VARS).optional(),
  freshness: oneOf(FRESHNESS_FIELD).default(FRESHNESS_FIELD.default),
  docs: boolean(DOCS).default(DOCS.default),
  retryOf: patternString(RETRY_OF).optional(),
  timeoutSeconds: integer(TIMEOUT).optional(),
  scheduledTime: patternString(SCHEDULED_TIME).optional(),
  threads: integer(THREADS).optional(),
  failFast: boolean(FAIL_FAST).default(FAIL_FAST.default),
  warnError: boolean(WARN_ERROR).default(WARN_ERROR.default),
  macro: patternString(MACRO).optional(),
  args: jsonObject(ARGS).optional(),
  allowEmpty: boolean(ALLOW_EMPTY).default(ALLOW_EMPTY.default),
  only: patternString(ONLY).optional(),
} satisfies Record<RunInputField, z.ZodType>;

/**
 * The run input's shape: per-field rules and unknown fields refused. The rules that tie
 * fields together, the order of reporting and the total size are `parseRunInput`'s: use it.
 */
export const runInputSchema = z.strictObject(fields);

/** The validated run input with defaults filled: what RUN_SPEC carries to the container. */
export type RunSpec = z.output<typeof runInputSchema>;

function ruleApplies(rule: CrossFieldRule, input: Record<string, unknown>): boolean {
  const { when } = rule;
  const other = input[when.field];
  if (when.given) return other !== undefined;
  if (when.in !== undefined) return when.in.includes(other as string);
  return when.is !== undefined ? other === when.is : other !== when.isNot;
}

function breaks(rule: CrossFieldRule, input: Record<string, unknown>): boolean {
  if (!ruleApplies(rule, input)) return false;
  const value = input[rule.field];
  if (rule.expect === 'absent') return value !== undefined;
  if (rule.expect === 'present') return value === undefined;
  return value === true;
}

/**
 * The first problem of a run input, in the contract's order, as [field, problem]:
 * the input's shape, unknown fields, then field by field its own rule and the rules
 * tying it to others, then the total size.
 */
export function firstProblem(raw: unknown): [string, string] | undefined {
  if (!isPlainObject(raw)) return ['input', INPUT_MESSAGES.notAnObject];
  const unknown = Object.keys(raw).find((name) => !Object.hasOwn(fields, name));
  if (unknown !== undefined) return [unknown, INPUT_MESSAGES.unknownField];
  for (const name of RUN_INPUT_FIELDS) {
    if (raw[name] !== undefined) {
      const result = fields[name].safeParse(raw[name]);
      if (!result.success) return [name, result.error.issues[0]?.message ?? 'is not valid'];
    }
    const rule = CROSS_FIELD_RULES.find((each) => each.field === name && breaks(each, raw));
    if (rule !== undefined) return [name, rule.message];
  }
  const bytes = jsonBytes(raw);
  if (bytes > MAX_INPUT_BYTES) return ['input', fill(INPUT_MESSAGES.tooLarge, { bytes })];
  return undefined;
}

/**
 * Validate a run input and fill its defaults.
 * @throws InvalidRunInput naming the first field at fault.
 */
export function parseRunInput(raw: unknown): RunSpec {
  const problem = firstProblem(raw);
  if (problem !== undefined) throw new InvalidRunInput(...problem);
  const parsed = runInputSchema.parse(raw);
  // Optional fields appear only when given, and vars come back exactly as sent
  // (a JSON round trip keeps keys such as "__proto__" as plain data).
  const spec = Object.fromEntries(
    Object.entries(parsed).filter(([, value]) => value !== undefined),
  ) as RunSpec;
  for (const name of ['vars', 'args'] as const) {
    const given = (raw as Record<string, unknown>)[name];
    if (given !== undefined) spec[name] = JSON.parse(JSON.stringify(given));
  }
  return spec;
}
