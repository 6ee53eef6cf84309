// The package cache keys a package on the hash of what it was made from: a package made while
// the project changed is made again, never kept under a hash it may not match. `serverless
// package` is replaced by a packager that writes the two files a package folder holds and
// records what serverless.yml said when it ran (the real one: tests/template/*).
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import {
  type Packager,
  packageDirectory,
  packageHash,
  STATE_FILE,
  TEMPLATE_FILE,
} from '../../../cli/local/package-cache.ts';

let root: string;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'serverless-dbt-package-cache-'));
  await writeFile(join(root, 'serverless.yml'), 'service: one\n');
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

/** Writes a package of what serverless.yml says; `during` runs while it "packages". */
function packager(during: (call: number) => Promise<void> = async () => {}): Packager & {
  calls: number;
} {
  const fake = async (from: string, _options: unknown, into: string) => {
    fake.calls += 1;
    const seen = await readFile(join(from, 'serverless.yml'), 'utf8');
    await during(fake.calls);
    await mkdir(into, { recursive: true });
    await writeFile(join(into, TEMPLATE_FILE), JSON.stringify({ seen }));
    await writeFile(join(into, STATE_FILE), '{}');
  };
  fake.calls = 0;
  return fake;
}

const seenIn = async (directory: string) =>
  (JSON.parse(await readFile(join(directory, TEMPLATE_FILE), 'utf8')) as { seen: string }).seen;

test('a package is kept under the hash of what it was made from, and taken from the cache after', async () => {
  const fake = packager();
  const first = await packageDirectory({ stage: 'dev', root }, fake);
  expect(basename(first)).toBe(await packageHash({ stage: 'dev', root }));
  expect(await packageDirectory({ stage: 'dev', root }, fake)).toBe(first);
  expect(fake.calls).toBe(1);
});

test('a project edited while it was being packaged is packaged again, and the package matches its hash', async () => {
  const fake = packager(async (call) => {
    if (call === 1) await writeFile(join(root, 'serverless.yml'), 'service: two\n');
  });
  const directory = await packageDirectory({ stage: 'dev', root }, fake);

  expect(fake.calls).toBe(2);
  expect(await seenIn(directory)).toBe('service: two\n');
  expect(basename(directory)).toBe(await packageHash({ stage: 'dev', root }));
  // Nothing was kept under the hash of the project before the edit.
  await writeFile(join(root, 'serverless.yml'), 'service: one\n');
  const kept = (await readdir(join(root, '.serverless-dbt', 'package'))).filter(
    (name) => !name.startsWith('.'),
  );
  expect(kept).toEqual([basename(directory)]);
});

test('a project that keeps changing fails after three tries with a sentence, and keeps nothing', async () => {
  const fake = packager(async (call) => {
    await writeFile(join(root, 'serverless.yml'), `service: edit${call}\n`);
  });
  await expect(packageDirectory({ stage: 'dev', root }, fake)).rejects.toThrow(
    'the project changed while it was being packaged, 3 times: run again once the edits are saved',
  );
  expect(fake.calls).toBe(3);
  const kept = (await readdir(join(root, '.serverless-dbt', 'package'))).filter(
    (name) => !name.startsWith('.'),
  );
  expect(kept).toEqual([]);
});
