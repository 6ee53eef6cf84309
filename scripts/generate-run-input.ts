/**
 * Writes every generated form of the run input from its one source, the table in
 * functions/shared/run-input-contract.ts:
 *
 * - contracts/run-input.schema.json: the JSON Schema (editors, the DAG's params);
 * - the CONTRACT block of container/dbt_runner/run_input.py, the Python validator;
 * - airflow-compat/dags/serverless_dbt_lib/run_input.py, a byte-for-byte copy of it;
 * - the field table in docs/run-input.md.
 *
 * `npm run generate` writes them; `--check` only reports the stale ones (exit 1).
 * tests/scripts/generate-run-input.test.ts runs the same comparison.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  CROSS_FIELD_RULES,
  type CrossFieldRule,
  FIELD_CONTRACTS,
  type FieldContract,
  MAX_INPUT_BYTES,
  RUN_INPUT_CONTRACT,
} from '../functions/shared/run-input-contract.ts';

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

export const PYTHON_VALIDATOR = 'container/dbt_runner/run_input.py';
export const AIRFLOW_VALIDATOR = 'airflow-compat/dags/serverless_dbt_lib/run_input.py';
export const JSON_SCHEMA = 'contracts/run-input.schema.json';
export const RUN_INPUT_DOC = 'docs/run-input.md';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** The JSON Schema of one field: its type and the limits a schema can state. */
export function fieldSchema(field: FieldContract): Record<string, Json> {
  const described: Record<string, Json> = { description: field.doc.meaning.replaceAll('`', '') };
  const fallback = 'default' in field ? field.default : undefined;
  const withDefault: Record<string, Json> = fallback === undefined ? {} : { default: fallback };
  switch (field.kind) {
    case 'pattern':
      return { type: 'string', pattern: field.pattern, ...described, ...withDefault };
    case 'enum':
      return { type: 'string', enum: [...field.values], ...described, ...withDefault };
    case 'selector':
      // The word rules (characters, no leading '-') are the validators': their refusal
      // names the character or the word, which a pattern's failure would not.
      return { type: 'string', minLength: 1, maxLength: field.maxChars, ...described };
    case 'boolean':
      return { type: 'boolean', ...described, ...withDefault };
    case 'object':
      return { type: 'object', ...described };
    case 'integer':
      return { type: 'integer', minimum: field.minimum, maximum: field.maximum, ...described };
  }
}

function ruleSchema(rule: CrossFieldRule): Json {
  const { when } = rule;
  const value: Json =
    when.in !== undefined ? { enum: [...when.in] } : { const: when.is ?? when.isNot ?? null };
  const condition: Json = when.given
    ? { required: [when.field] }
    : { properties: { [when.field]: value }, required: [when.field] };
  const then: Json =
    rule.expect === 'absent'
      ? { not: { required: [rule.field] } }
      : rule.expect === 'present'
        ? { required: [rule.field] }
        : { properties: { [rule.field]: { const: false } } };
  return {
    description: `${rule.field}: ${rule.message}`,
    if: when.isNot === undefined ? condition : { not: condition },
    then,
  };
}

export function runInputJsonSchema(): Record<string, Json> {
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    title: 'serverless-dbt run input',
    description:
      `The JSON that starts a run (docs/run-input.md), at most ${MAX_INPUT_BYTES} bytes as ` +
      'compact JSON. Generated from functions/shared/run-input-contract.ts: do not edit.',
    type: 'object',
    additionalProperties: false,
    properties: Object.fromEntries(
      FIELD_CONTRACTS.map((field) => [field.name, fieldSchema(field)]),
    ),
    allOf: CROSS_FIELD_RULES.map(ruleSchema),
  };
}

/** What the Python validator walks: the contract less its CLI and docs wording, plus schemas. */
export function pythonContract(): Json {
  return {
    maxInputBytes: RUN_INPUT_CONTRACT.maxInputBytes,
    messages: { ...RUN_INPUT_CONTRACT.messages },
    fields: FIELD_CONTRACTS.map(({ doc: _doc, cli: _cli, ...field }, index) => ({
      ...(JSON.parse(JSON.stringify(field)) as Record<string, Json>),
      schema: fieldSchema(FIELD_CONTRACTS[index] as FieldContract),
    })),
    rules: JSON.parse(JSON.stringify(CROSS_FIELD_RULES)) as Json,
  };
}

const PY_BEGIN = '# BEGIN GENERATED CONTRACT (npm run generate): do not edit by hand.\n';
const PY_END = '# END GENERATED CONTRACT\n';
const DOC_BEGIN = '<!-- BEGIN GENERATED FIELDS (npm run generate): do not edit by hand. -->\n';
const DOC_END = '<!-- END GENERATED FIELDS -->\n';

function replaceBetween(text: string, begin: string, end: string, body: string, path: string) {
  const start = text.indexOf(begin);
  const stop = text.indexOf(end);
  if (start < 0 || stop < start)
    throw new Error(`${path}: the generated block's markers are missing`);
  return text.slice(0, start + begin.length) + body + text.slice(stop);
}

/** JSON laid out two levels deep, one field or rule a line: short to read, easy to diff. */
function shallowJson(value: Json, depth = 0): string {
  if (depth >= 2 || value === null || typeof value !== 'object') return JSON.stringify(value);
  const pad = '  '.repeat(depth + 1);
  const close = '  '.repeat(depth);
  if (Array.isArray(value)) {
    return `[\n${value.map((item) => pad + shallowJson(item, depth + 1)).join(',\n')}\n${close}]`;
  }
  const entries = Object.entries(value).map(
    ([key, item]) => `${pad}${JSON.stringify(key)}: ${shallowJson(item, depth + 1)}`,
  );
  return `{\n${entries.join(',\n')}\n${close}}`;
}

function pythonBlock(): string {
  const json = shallowJson(pythonContract());
  if (json.includes('"""')) throw new Error('the contract cannot hold """ in a Python raw string');
  return `CONTRACT: dict[str, Any] = json.loads(r"""\n${json}\n""")\n`;
}

const code = (text: string) => `\`${text}\``;

function docDefault(field: FieldContract): string {
  if (field.doc.default !== undefined) return field.doc.default;
  if (!('default' in field)) return 'none';
  return code(JSON.stringify(field.default));
}

function docBlock(): string {
  const rows = FIELD_CONTRACTS.map(
    (field) =>
      `| ${code(field.name)} | ${field.doc.type} | ${docDefault(field)} | ${field.doc.meaning} |`,
  );
  const rules = CROSS_FIELD_RULES.map((rule) => `- ${code(rule.field)}: ${rule.message}`);
  return [
    '| field | type | default | meaning |',
    '| --- | --- | --- | --- |',
    ...rows,
    '',
    `The whole input is at most ${MAX_INPUT_BYTES.toLocaleString('en-US')} bytes as compact JSON.`,
    'The fields that depend on `command`, as they are refused:',
    '',
    ...rules,
    '',
  ].join('\n');
}

export type Reader = (path: string) => string | undefined;

const readRepoFile: Reader = (path) => {
  try {
    return readFileSync(join(REPO_ROOT, path), 'utf8');
  } catch {
    return undefined;
  }
};

/** Every generated file, by path, as it should be now. */
export function generatedFiles(read: Reader = readRepoFile): Map<string, string> {
  const source = (path: string) => {
    const text = read(path);
    if (text === undefined) throw new Error(`${path}: missing`);
    return text;
  };
  const python = replaceBetween(
    source(PYTHON_VALIDATOR),
    PY_BEGIN,
    PY_END,
    pythonBlock(),
    PYTHON_VALIDATOR,
  );
  return new Map([
    [JSON_SCHEMA, `${JSON.stringify(runInputJsonSchema(), null, 2)}\n`],
    [PYTHON_VALIDATOR, python],
    [AIRFLOW_VALIDATOR, python],
    [
      RUN_INPUT_DOC,
      replaceBetween(source(RUN_INPUT_DOC), DOC_BEGIN, DOC_END, docBlock(), RUN_INPUT_DOC),
    ],
  ]);
}

/** The generated files whose content differs from what they should be. */
export function staleFiles(read: Reader = readRepoFile): string[] {
  return [...generatedFiles(read)]
    .filter(([path, content]) => read(path) !== content)
    .map(([path]) => path);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  if (process.argv.includes('--check')) {
    const stale = staleFiles();
    for (const path of stale) console.error(`stale: ${path} (run npm run generate)`);
    process.exit(stale.length > 0 ? 1 : 0);
  }
  for (const [path, content] of generatedFiles()) {
    writeFileSync(join(REPO_ROOT, path), content);
    console.log(`wrote ${path}`);
  }
}
