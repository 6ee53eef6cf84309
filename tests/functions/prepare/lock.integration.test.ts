// The overlap lock against DynamoDB as moto serves it on 127.0.0.1.
import {
  DynamoDBClient,
  ResourceNotFoundException,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { acquire, release } from '../../../functions/prepare/lock.ts';
import {
  epochSeconds,
  lockExpiresAt,
  RunAlreadyInProgress,
} from '../../../functions/prepare/lock-rules.ts';
import type { AcquireRequest } from '../../../functions/prepare/lock-store.ts';
import { type Moto, startMoto } from '../../support/moto.ts';
import { executionArnOf } from './events.ts';
import { createLockTable, leaveLock, lockItem } from './lock-table.ts';

const TABLE = 'serverless-dbt-dev-locks';
const NOW = new Date('2026-03-02T05:00:00Z');
const at = (date: Date) => () => date;
const secondsAfter = (seconds: number) => new Date(NOW.getTime() + seconds * 1000);

let moto: Moto;
let dynamodb: DynamoDBClient;

beforeAll(async () => {
  moto = await startMoto();
  dynamodb = new DynamoDBClient(moto.clientConfig);
  await createLockTable(dynamodb, TABLE);
}, 60_000);

afterAll(async () => {
  dynamodb?.destroy();
  await moto?.stop();
});

/** Each test its own key: one state machine's lock, untouched by the other tests. */
let keys = 0;
function newKey(): string {
  keys += 1;
  return `dbt-run-${keys}`;
}

function requestOf(key: string, owner: string, timeoutSeconds = 3600): AcquireRequest {
  return {
    table: TABLE,
    key,
    owner,
    executionArn: executionArnOf(owner),
    job: 'nightly',
    timeoutSeconds,
  };
}

async function refusal(promise: Promise<unknown>): Promise<RunAlreadyInProgress> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(RunAlreadyInProgress);
    return error as RunAlreadyInProgress;
  }
  throw new Error('the lock was acquired');
}

describe('acquire', () => {
  it('writes the lock item: owner, execution, job, when, and an expiry that is also its TTL', async () => {
    const key = newKey();
    const holder = await acquire(dynamodb, requestOf(key, 'run-a', 1800), at(NOW));
    const expiresAt = lockExpiresAt(epochSeconds(NOW), 1800);
    expect(holder).toStrictEqual({
      owner: 'run-a',
      expiresAt,
      job: 'nightly',
      acquiredAt: NOW.toISOString(),
      executionArn: executionArnOf('run-a'),
    });
    expect(await lockItem(dynamodb, TABLE, key)).toStrictEqual({
      lockId: { S: key },
      owner: { S: 'run-a' },
      executionArn: { S: executionArnOf('run-a') },
      job: { S: 'nightly' },
      acquiredAt: { S: NOW.toISOString() },
      expiresAt: { N: String(expiresAt) },
    });
  });

  it('lets exactly one of two simultaneous starts win; the other names the winner', async () => {
    const key = newKey();
    const results = await Promise.allSettled([
      acquire(dynamodb, requestOf(key, 'run-a')),
      acquire(dynamodb, requestOf(key, 'run-b')),
    ]);
    const winners = results.flatMap((result) =>
      result.status === 'fulfilled' ? [result.value] : [],
    );
    const losers = results.flatMap((result) =>
      result.status === 'rejected' ? [result.reason] : [],
    );
    expect(winners).toHaveLength(1);
    expect(losers).toHaveLength(1);
    const winner = winners[0]?.owner ?? '';
    const loser = losers[0];
    expect(loser).toBeInstanceOf(RunAlreadyInProgress);
    expect(loser.name).toBe('RunAlreadyInProgress');
    expect(loser.holder.owner).toBe(winner);
    expect(loser.message).toContain(`execution ${winner} (job nightly) holds the overlap lock`);
    expect(loser.message).toMatch(/until \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z/);
    expect((await lockItem(dynamodb, TABLE, key))?.owner).toStrictEqual({ S: winner });
  });

  it('lets exactly one of ten simultaneous starts win', async () => {
    const key = newKey();
    const owners = Array.from({ length: 10 }, (_, index) => `run-${index}`);
    const results = await Promise.allSettled(
      owners.map((owner) => acquire(dynamodb, requestOf(key, owner))),
    );
    expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
    for (const result of results) {
      if (result.status === 'rejected') expect(result.reason).toBeInstanceOf(RunAlreadyInProgress);
    }
  });

  it('gives the same execution its own lock again, with a later expiry (Prepare retried)', async () => {
    const key = newKey();
    await acquire(dynamodb, requestOf(key, 'run-a'), at(NOW));
    const again = await acquire(dynamodb, requestOf(key, 'run-a'), at(secondsAfter(25)));
    expect(again.expiresAt).toBe(lockExpiresAt(epochSeconds(NOW) + 25, 3600));
    expect((await lockItem(dynamodb, TABLE, key))?.expiresAt).toStrictEqual({
      N: String(again.expiresAt),
    });
  });

  it('takes over the expired lock of a run that never released it', async () => {
    const key = newKey();
    await leaveLock(dynamodb, TABLE, key, 'aborted-run', epochSeconds(NOW) - 1);
    const holder = await acquire(dynamodb, requestOf(key, 'run-b'), at(NOW));
    expect(holder.owner).toBe('run-b');
    expect((await lockItem(dynamodb, TABLE, key))?.owner).toStrictEqual({ S: 'run-b' });
  });

  it("refuses while a lost holder's lock is live, up to its expiry second, and not after", async () => {
    const key = newKey();
    const expiresAt = epochSeconds(NOW) + 600;
    await leaveLock(dynamodb, TABLE, key, 'crashed-run', expiresAt);
    const early = await refusal(acquire(dynamodb, requestOf(key, 'run-b'), at(NOW)));
    expect(early.holder).toMatchObject({ owner: 'crashed-run', expiresAt, job: 'nightly' });
    expect(early.message).toContain(new Date(expiresAt * 1000).toISOString());
    await refusal(acquire(dynamodb, requestOf(key, 'run-b'), at(secondsAfter(600))));
    const later = await acquire(dynamodb, requestOf(key, 'run-b'), at(secondsAfter(601)));
    expect(later.owner).toBe('run-b');
  });

  it('takes a lock item that has no expiry rather than waiting for ever', async () => {
    const key = newKey();
    await leaveLock(dynamodb, TABLE, key, 'hand-made', 0);
    await dynamodb.send(
      new UpdateItemCommand({
        TableName: TABLE,
        Key: { lockId: { S: key } },
        UpdateExpression: 'REMOVE expiresAt',
      }),
    );
    expect((await acquire(dynamodb, requestOf(key, 'run-b'), at(NOW))).owner).toBe('run-b');
  });

  it('lets a DynamoDB error other than the condition through as it is', async () => {
    await expect(
      acquire(dynamodb, { ...requestOf(newKey(), 'run-a'), table: 'no-such-table' }),
    ).rejects.toBeInstanceOf(ResourceNotFoundException);
  });
});

describe('release', () => {
  it('frees the lock of its owner, so the next run starts', async () => {
    const key = newKey();
    await acquire(dynamodb, requestOf(key, 'run-a'));
    await refusal(acquire(dynamodb, requestOf(key, 'run-b')));
    expect(await release(dynamodb, TABLE, key, 'run-a')).toBe(true);
    expect(await lockItem(dynamodb, TABLE, key)).toBeUndefined();
    expect((await acquire(dynamodb, requestOf(key, 'run-b'))).owner).toBe('run-b');
  });

  it("does nothing to another execution's lock", async () => {
    const key = newKey();
    await acquire(dynamodb, requestOf(key, 'run-a'), at(NOW));
    const before = await lockItem(dynamodb, TABLE, key);
    expect(await release(dynamodb, TABLE, key, 'run-b')).toBe(false);
    expect(await lockItem(dynamodb, TABLE, key)).toStrictEqual(before);
  });

  it('does not free the lock a later run took over from an expired holder', async () => {
    const key = newKey();
    await leaveLock(dynamodb, TABLE, key, 'slow-run', epochSeconds(NOW) - 1);
    await acquire(dynamodb, requestOf(key, 'run-b'), at(NOW));
    expect(await release(dynamodb, TABLE, key, 'slow-run')).toBe(false);
    expect((await lockItem(dynamodb, TABLE, key))?.owner).toStrictEqual({ S: 'run-b' });
  });

  it('reports a free lock as not released', async () => {
    expect(await release(dynamodb, TABLE, newKey(), 'run-a')).toBe(false);
  });
});
