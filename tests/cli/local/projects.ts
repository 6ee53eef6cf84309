// Copies of the sample dbt project (dbt/) in a temporary folder, broken on purpose, for the
// tests of `serverless-dbt local`. A copy leaves out what dbt makes as it runs (target/,
// logs/, dbt_packages/) and any DuckDB file, so that it starts as a fresh checkout would. The
// broken nodes depend on nothing (no ref, no source), so that a test can select them alone
// on an empty DuckDB file and stay fast.
import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative, sep } from 'node:path';
import { REPO_ROOT } from '../../support/packaged.ts';

export const SAMPLE_PROJECT = join(REPO_ROOT, 'dbt');

const LEFT_OUT_FOLDERS = new Set(['target', 'logs', 'dbt_packages']);

export interface ProjectCopy {
  /** The project folder (dbt_project.yml and profiles.yml are in it). */
  dir: string;
  /** Removes the copy and the temporary folder around it. */
  remove: () => Promise<void>;
}

export interface BrokenProject extends ProjectCopy {
  /** dbt selector words that pick the broken nodes and nothing else. */
  select: string;
  /** The nodes that fail, by unique id (none when dbt cannot even parse the project). */
  failingNodes: string[];
  /** What dbt says about each failure, as the terminal must show it. */
  messages: RegExp[];
}

/** A copy of the sample project, as a fresh checkout has it. */
export async function copySampleProject(): Promise<ProjectCopy> {
  const parent = await mkdtemp(join(tmpdir(), 'serverless-dbt-project-'));
  const dir = join(parent, 'dbt');
  await cp(SAMPLE_PROJECT, dir, {
    recursive: true,
    filter: (source) => {
      const path = relative(SAMPLE_PROJECT, source);
      if (path === '') return true;
      if (LEFT_OUT_FOLDERS.has(path.split(sep)[0] ?? '')) return false;
      const name = basename(source);
      return !/\.duckdb(\.wal)?$/.test(name);
    },
  });
  return { dir, remove: () => rm(parent, { recursive: true, force: true }) };
}

/** Writes (or overwrites) one file of a project copy. */
export async function writeProjectFile(
  project: ProjectCopy,
  path: string,
  text: string,
): Promise<void> {
  const file = join(project.dir, path);
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, text);
}

/**
 * A project whose run fails in dbt: a data test that finds rows, and a model that DuckDB
 * rejects when it runs (a cast that cannot succeed). Parsing and compiling succeed.
 */
export async function projectWithFailures(): Promise<BrokenProject> {
  const project = await copySampleProject();
  await writeProjectFile(
    project,
    'models/broken/broken_cast.sql',
    [
      '-- Compiles, but DuckDB refuses it when the table is built (a view would defer the cast).',
      "{{ config(materialized='table') }}",
      "select cast('x' as integer) as id",
      '',
    ].join('\n'),
  );
  await writeProjectFile(
    project,
    'tests/assert_nothing_is_wrong.sql',
    '-- A singular test fails when it returns rows: this one always returns one.\nselect 1 as wrong_row\n',
  );
  return {
    ...project,
    select: 'broken_cast assert_nothing_is_wrong',
    failingNodes: ['model.shop.broken_cast', 'test.shop.assert_nothing_is_wrong'],
    messages: [
      /Conversion Error: Could not convert string 'x' to INT32/,
      /Got 1 result, configured to fail if != 0/,
    ],
  };
}

/** A project dbt cannot parse: a model with a Jinja syntax error (an unclosed call). */
export async function projectWithSyntaxError(): Promise<BrokenProject> {
  const project = await copySampleProject();
  await writeProjectFile(
    project,
    'models/broken/unparsable.sql',
    "select * from {{ ref('stg_orders' }}\n",
  );
  return {
    ...project,
    select: 'unparsable',
    failingNodes: [],
    messages: [
      /Compilation Error in model unparsable \(models\/broken\/unparsable\.sql\)/,
      /unexpected '\}', expected '\)'/,
    ],
  };
}
