// The image's pins (container/requirements.txt, container/adapters/*/): every adapter the docs
// promise has a pin and a full freeze, the freezes agree with the shared one, the Dockerfile's
// Python is the one the freezes were made on, and its venv keeps what the runner calls. Files
// only; the builds themselves are in tests/image/ (npm run test:image).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../support/packaged.ts';

const CONTAINER = join(REPO_ROOT, 'container');
const ADAPTERS = ['redshift', 'postgres', 'snowflake', 'bigquery', 'databricks', 'duckdb'];

const read = (...path: string[]) => readFileSync(join(CONTAINER, ...path), 'utf8');
const normalise = (name: string) => name.toLowerCase().replace(/[-_.]+/g, '-');

/** name -> version of every `name==version` line. */
function pins(text: string): Map<string, string> {
  const found = new Map<string, string>();
  for (const line of text.split('\n')) {
    const match = /^([A-Za-z0-9_.-]+)==(\S+)$/.exec(line.trim());
    if (match?.[1] && match[2]) found.set(normalise(match[1]), match[2]);
  }
  return found;
}

const shared = pins(read('constraints.txt'));
const base = pins(read('requirements.txt'));

test('the image supports exactly the six adapters the docs list, one folder each', () => {
  const folders = readdirSync(join(CONTAINER, 'adapters'), { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name);
  expect(folders.sort()).toEqual([...ADAPTERS].sort());
});

test('every image installs dbt-core 1.11.16 and boto3, whatever its adapter', () => {
  expect([...base.keys()].sort()).toEqual(['boto3', 'dbt-core']);
  expect(base.get('dbt-core')).toBe('1.11.16');
});

describe.each(ADAPTERS)('the %s adapter', (adapter) => {
  const requirements = read('adapters', adapter, 'requirements.txt');
  const freeze = pins(read('adapters', adapter, 'constraints.txt'));
  const exceptions = (/^# shared-freeze-exceptions: *(.*)$/m.exec(requirements)?.[1] ?? '')
    .split(/\s+/)
    .filter(Boolean)
    .map(normalise);

  test('pins its one package, and its freeze has that version and the base pins', () => {
    const own = pins(requirements);
    expect([...own.keys()]).toEqual([`dbt-${adapter}`]);
    expect(freeze.get(`dbt-${adapter}`)).toBe(own.get(`dbt-${adapter}`));
    for (const [name, version] of base) expect(freeze.get(name)).toBe(version);
  });

  test('shares every version with the shared freeze, but the exceptions it names', () => {
    const differing = [...freeze]
      .filter(([name, version]) => shared.has(name) && shared.get(name) !== version)
      .map(([name]) => name);
    expect(differing.sort()).toEqual([...exceptions].sort());
  });

  test('freezes every package (no range, no unpinned line)', () => {
    const lines = read('adapters', adapter, 'constraints.txt')
      .split('\n')
      .filter((line) => line.trim() !== '' && !line.startsWith('#'));
    expect(lines.length).toBe(freeze.size);
  });
});

test("the Dockerfile's default Python is a pinned 3.13, the freezes' Python", () => {
  const dockerfile = read('Dockerfile');
  expect(dockerfile).toMatch(/^ARG PYTHON_IMAGE=python:3\.13\.\d+-slim-trixie$/m);
});

test("the image keeps botocore's model of every AWS service the runner builds a client for", () => {
  const kept = /^\s+([a-z0-9|-]+)\) ;; \\$/m.exec(read('Dockerfile'))?.[1]?.split('|') ?? [];
  const runner = readdirSync(join(CONTAINER, 'dbt_runner'))
    .filter((name) => name.endsWith('.py'))
    .map((name) => read('dbt_runner', name))
    .join('\n');
  const called = [...runner.matchAll(/\bclient\(\s*["']([a-z0-9-]+)["']/g)].map(
    (match) => match[1],
  );
  expect(called.length).toBeGreaterThan(0);
  expect(kept).toEqual(expect.arrayContaining([...new Set(called)]));
});
