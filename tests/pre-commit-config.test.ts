// .pre-commit-config.yaml against bin/test: the hooks run the very linters bin/test runs, as the
// same binaries (so the same pinned versions), and select the same files. Files only.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..');
const read = (path: string) => readFileSync(join(REPO, path), 'utf8');

interface Hook {
  id: string;
  entry: string;
  language: string;
  types?: string[];
  pass_filenames?: boolean;
}
const config = parse(read('.pre-commit-config.yaml')) as {
  repos: Array<{ repo: string; hooks: Hook[] }>;
};
const hooks = config.repos.flatMap((repo) => repo.hooks);

/** bin/test's parts: name -> command words (continuation lines joined). */
function binTestParts(): Map<string, string[]> {
  const parts = new Map<string, string[]>();
  const script = read('bin/test').replace(/\\\n\s*/g, ' ');
  for (const [, name = '', command = ''] of script.matchAll(/^\s*part "([^"]+)" (.+)$/gm)) {
    parts.set(name, command.trim().split(/\s+/));
  }
  return parts;
}

/** The commands behind `npm run [--silent] NAME` (package.json's script, split at &&). */
function npmScript(words: string[]): string[][] {
  const name = words.slice(2).find((word) => !word.startsWith('-')) ?? '';
  const scripts = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts;
  const script = scripts[name];
  if (script === undefined) throw new Error(`package.json has no script ${name}`);
  return script.split('&&').map((command) => {
    const [tool = '', ...rest] = command.trim().split(/\s+/);
    return [`node_modules/.bin/${tool}`, ...rest];
  });
}

/** A linter as `<binary> [<subcommand>]`: ".venv/bin/ruff check", "scripts/actionlint". */
const linter = ([tool = '', next = '']: string[]) =>
  /^[a-z]+$/.test(next) ? `${tool} ${next}` : tool;

const linters = [...binTestParts()]
  .filter(([name]) => !/jest|pytest/.test(name))
  .flatMap(([, words]) => (words[0] === 'npm' && words[1] === 'run' ? npmScript(words) : [words]))
  .map(linter);

describe('the pre-commit hooks', () => {
  test('are all local and fetch nothing: each runs a binary of the project', () => {
    expect(config.repos.map((repo) => repo.repo)).toEqual(['local']);
    for (const hook of hooks) {
      expect({ hook: hook.id, language: hook.language }).toEqual({
        hook: hook.id,
        language: 'unsupported',
      });
      expect(hook.entry).toMatch(/^(\.venv\/bin|node_modules\/\.bin|scripts)\//);
    }
  });

  test('run exactly the linters bin/test runs, as the same binaries', () => {
    // bin/test's linters, for the record: it is their list the hooks must follow.
    expect(new Set(linters)).toEqual(
      new Set([
        '.venv/bin/ruff check',
        '.venv/bin/ruff format',
        '.venv/bin/shellcheck',
        'scripts/actionlint',
        'node_modules/.bin/biome check',
        'node_modules/.bin/tsc',
        '.venv/bin/sqlfluff lint',
        '.venv/bin/hadolint',
      ]),
    );
    expect(new Set(hooks.map((hook) => linter(hook.entry.split(/\s+/))))).toEqual(new Set(linters));
  });

  test('shellcheck every shell script, as bin/test does by name', () => {
    const shellcheck = binTestParts().get('shellcheck (shell scripts)')?.slice(1) ?? [];
    expect(hooks.find((hook) => hook.id === 'shellcheck')?.types).toEqual(['shell']);
    expect(shellcheck.sort()).toEqual(shellScripts().sort());
  });
});

/** Every shell script of the repository (by its #! line or its .sh name), as pre-commit's
 * `types: [shell]` finds them; installed and generated folders left out. */
function shellScripts(): string[] {
  const skipped = new Set([
    '.git',
    'node_modules',
    '.venv',
    '.serverless',
    '.serverless-dbt',
    '.setup-stamps',
    '.ruff_cache',
    '__pycache__',
    'dbt_packages',
    'target',
    'logs',
  ]);
  const found: string[] = [];
  const walk = (folder: string) => {
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      const path = join(folder, entry.name);
      if (entry.isDirectory()) {
        if (!skipped.has(entry.name)) walk(path);
      } else if (entry.isFile()) {
        const head = readFileSync(path).subarray(0, 100).toString('latin1');
        if (entry.name.endsWith('.sh') || /^#!\S*(\/|env\s+)(ba|da|k|z)?sh\b/.test(head)) {
          found.push(relative(REPO, path));
        }
      }
    }
  };
  walk(REPO);
  return found;
}
