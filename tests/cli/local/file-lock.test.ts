// The local overlap lock: the DynamoDB lock's rules on a folder of the state folder.
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  acquireFileLock,
  lockFile,
  releaseFileLock,
  releaseLockTask,
} from '../../../cli/local/file-lock.ts';
import { RunAlreadyInProgress } from '../../../functions/prepare/lock-rules.ts';
import type { AcquireRequest } from '../../../functions/prepare/lock-store.ts';

// A job's lock, as Prepare keys it (lock-rules.ts, lockKeyOf).
const KEY = 'serverless-dbt-dev-dbt-run#job#nightly';
const NOW = new Date('2026-11-24T05:00:00Z');
const clock = () => NOW;

let folder: string;

beforeEach(async () => {
  folder = join(await mkdtemp(join(tmpdir(), 'serverless-dbt-locks-')), 'locks');
});

afterEach(async () => {
  await rm(join(folder, '..'), { recursive: true, force: true });
});

function request(owner: string, timeoutSeconds = 600): AcquireRequest {
  return {
    table: folder,
    key: KEY,
    owner,
    executionArn: `arn:aws:states:::execution:serverless-dbt-dev-dbt-run:${owner}`,
    job: 'nightly',
    timeoutSeconds,
  };
}

async function holder(): Promise<Record<string, unknown>> {
  return JSON.parse(await readFile(lockFile(folder, KEY), 'utf8'));
}

test('takes a free lock, recording the owner, job and expiry', async () => {
  const taken = await acquireFileLock(request('run-a'), clock);

  expect(await holder()).toEqual(taken);
  expect(taken).toMatchObject({ owner: 'run-a', job: 'nightly' });
  expect(taken.expiresAt).toBeGreaterThan(NOW.getTime() / 1000 + 2 * 600);
});

test('refuses a live lock of another run, naming it, and leaves it alone', async () => {
  await acquireFileLock(request('run-a'), clock);

  await expect(acquireFileLock(request('run-b'), clock)).rejects.toThrow(RunAlreadyInProgress);
  await expect(acquireFileLock(request('run-b'), clock)).rejects.toThrow(/execution run-a/);
  expect((await holder()).owner).toBe('run-a');
});

test('lets the same run take its own lock again (Prepare retried)', async () => {
  await acquireFileLock(request('run-a'), clock);

  await expect(acquireFileLock(request('run-a'), clock)).resolves.toMatchObject({
    owner: 'run-a',
  });
});

test('takes over a lock that has lapsed', async () => {
  await acquireFileLock(request('crashed', 60), clock);
  const later = new Date(NOW.getTime() + 24 * 3600 * 1000);

  await expect(acquireFileLock(request('next'), () => later)).resolves.toMatchObject({
    owner: 'next',
  });
  expect((await holder()).owner).toBe('next');
});

test('takes over a lock file that cannot be read, so a torn file never blocks', async () => {
  await acquireFileLock(request('run-a'), clock);
  await writeFile(lockFile(folder, KEY), '{"owner": "run-a", "expi');

  await expect(acquireFileLock(request('run-b'), clock)).resolves.toMatchObject({
    owner: 'run-b',
  });
});

test('of many runs starting at the same moment, exactly one gets the lock', async () => {
  const owners = Array.from({ length: 12 }, (_, index) => `run-${index}`);
  const outcomes = await Promise.allSettled(
    owners.map((owner) => acquireFileLock(request(owner), clock)),
  );

  const won = outcomes.filter((outcome) => outcome.status === 'fulfilled');
  expect(won).toHaveLength(1);
  for (const outcome of outcomes) {
    if (outcome.status === 'rejected') expect(outcome.reason).toBeInstanceOf(RunAlreadyInProgress);
  }
  // No drafts are left behind.
  expect(await readdir(folder)).toEqual([`${KEY}.json`]);
});

test('only the owner releases the lock', async () => {
  await acquireFileLock(request('run-a'), clock);

  expect(await releaseFileLock(folder, KEY, 'run-b')).toBe(false);
  expect((await holder()).owner).toBe('run-a');
  expect(await releaseFileLock(folder, KEY, 'run-a')).toBe(true);
  expect(await readdir(folder)).toEqual([]);
});

test("the ReleaseLock state's parameters free the owner's lock, and fail as DynamoDB would for another's", async () => {
  await acquireFileLock(request('run-a'), clock);
  const parameters = (owner: string) => ({
    TableName: folder,
    Key: { lockId: { S: KEY } },
    ConditionExpression: '#owner = :owner',
    ExpressionAttributeNames: { '#owner': 'owner' },
    ExpressionAttributeValues: { ':owner': { S: owner } },
  });

  await expect(releaseLockTask(parameters('run-b'))).rejects.toMatchObject({
    name: 'DynamoDB.ConditionalCheckFailedException',
  });
  await expect(releaseLockTask(parameters('run-a'))).resolves.toEqual({});
  expect(await readdir(folder)).toEqual([]);
});

test('refuses a key that could leave the folder', () => {
  expect(() => lockFile(folder, '../elsewhere')).toThrow(/unsafe lock key/);
  expect(() => lockFile(folder, '.hidden')).toThrow(/unsafe lock key/);
});
