// Every generated form of the run input is what its one source, the contract, makes of it now.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIELD_CONTRACTS, RUN_INPUT_FIELDS } from '../../functions/shared/run-input-contract.ts';
import {
  AIRFLOW_VALIDATOR,
  generatedFiles,
  JSON_SCHEMA,
  PYTHON_VALIDATOR,
  REPO_ROOT,
  type Reader,
  RUN_INPUT_DOC,
  staleFiles,
} from '../../scripts/generate-run-input.ts';

const onDisk: Reader = (path) => readFileSync(join(REPO_ROOT, path), 'utf8');

test('every generated file is current (else: npm run generate)', () => {
  expect(staleFiles()).toEqual([]);
});

test('a hand edit of the contract in any generated form is found', () => {
  for (const path of [JSON_SCHEMA, PYTHON_VALIDATOR, AIRFLOW_VALIDATOR, RUN_INPUT_DOC]) {
    const edited: Reader = (each) => {
      const text = onDisk(each);
      return each === path ? text?.replace('1,000', '1,001').replace('1000', '1001') : text;
    };
    expect(staleFiles(edited)).toEqual([path]);
  }
});

test("a change to the container's validator outside the contract leaves the DAG's copy stale", () => {
  const edited: Reader = (each) => {
    const text = onDisk(each);
    return each === PYTHON_VALIDATOR
      ? text?.replace('def first_problem', 'def first_problem_')
      : text;
  };
  expect(staleFiles(edited)).toEqual([AIRFLOW_VALIDATOR]);
});

test('the DAG carries the container validator byte for byte', () => {
  const files = generatedFiles();
  expect(files.get(AIRFLOW_VALIDATOR)).toBe(files.get(PYTHON_VALIDATOR));
});

test('the JSON Schema has every field of the contract, in its order, and nothing else', () => {
  const schema = JSON.parse(onDisk(JSON_SCHEMA) ?? '{}');
  expect(Object.keys(schema.properties)).toEqual(RUN_INPUT_FIELDS);
  expect(schema.additionalProperties).toBe(false);
});

test("the docs' table has a row per field, with its default", () => {
  const doc = onDisk(RUN_INPUT_DOC) ?? '';
  for (const field of FIELD_CONTRACTS) {
    const row = doc.split('\n').find((line) => line.startsWith(`| \`${field.name}\` |`));
    expect(row).toBeDefined();
    if ('default' in field && field.default !== undefined) {
      expect(row).toContain(`\`${JSON.stringify(field.default)}\``);
    }
  }
});
