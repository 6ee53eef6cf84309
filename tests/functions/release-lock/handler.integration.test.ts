// The release-lock function end to end: the deployed handler (handler.ts wiring
// createReleaseLock), configured by its environment as serverless.yml configures it, against
// DynamoDB in a moto server, with the lock table as infra/resources.yml declares it (its
// `owner` index included). Locks are taken by Prepare's own conditional write (lock.ts).
// Nothing of AWS is mocked but its address; the events are recorded shapes (events.ts).
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Context } from 'aws-lambda';
import { acquire, release } from '../../../functions/prepare/lock.ts';
import { lockKeyOf } from '../../../functions/prepare/lock-rules.ts';
import type { ReleaseLockResult } from '../../../functions/release-lock/release-lock-handler.ts';
import { logged } from '../../support/logged.ts';
import { type Moto, startMoto } from '../../support/moto.ts';
import { executionArnOf, STATE_MACHINE } from '../prepare/events.ts';
import { clearLocks, createLockTable, lockItems } from '../prepare/lock-table.ts';
import { statusChangeEvent } from './events.ts';

const TABLE = 'serverless-dbt-dev-locks';
const LAYOUT = { stateMachine: STATE_MACHINE, groups: { 'nightly-build': 'warehouse' } };
const NIGHTLY_LOCK = lockKeyOf(LAYOUT, 'nightly-build');
const HOURLY_LOCK = lockKeyOf(LAYOUT, 'hourly');
const LAMBDA_CONTEXT = {
  functionName: 'serverless-dbt-dev-release-lock',
  awsRequestId: 'c0ffee00-0000-4000-8000-000000000005',
} as Context;

let moto: Moto;
let dynamodb: DynamoDBClient;
// Imported once the environment is set, as the handler reads it when its module loads.
type HandlerModule = typeof import('../../../functions/release-lock/handler.ts');
let handler: HandlerModule['handler'];
const savedEnvironment = { ...process.env };

beforeAll(async () => {
  moto = await startMoto();
  dynamodb = new DynamoDBClient(moto.clientConfig);
  await createLockTable(dynamodb, TABLE);
  Object.assign(process.env, moto.env, {
    LOCK_TABLE: TABLE,
    POWERTOOLS_SERVICE_NAME: 'serverless-dbt',
  });
  ({ handler } = await import('../../../functions/release-lock/handler.ts'));
}, 60_000);

afterAll(async () => {
  process.env = savedEnvironment;
  dynamodb?.destroy();
  await moto?.stop();
});

afterEach(async () => {
  await clearLocks(dynamodb, TABLE);
});

/** Prepare taking the lock of `job` for execution `owner`. */
async function takeLock(job: string, owner: string) {
  return acquire(dynamodb, {
    table: TABLE,
    key: lockKeyOf(LAYOUT, job),
    owner,
    executionArn: executionArnOf(owner),
    job,
    timeoutSeconds: 3600,
  });
}

/** One invocation, its log lines kept out of the test's output. */
async function invoke(event: unknown): Promise<ReleaseLockResult> {
  const { result, error } = await logged(() => handler(event, LAMBDA_CONTEXT));
  if (error !== undefined) throw error;
  return result as ReleaseLockResult;
}

async function owners(): Promise<Record<string, string | undefined>> {
  const items = await lockItems(dynamodb, TABLE);
  return Object.fromEntries(Object.entries(items).map(([key, item]) => [key, item.owner?.S]));
}

describe('the release-lock handler', () => {
  it("frees an ABORTED execution's lock at once, and logs it under the execution's name", async () => {
    await takeLock('nightly-build', 'run-stopped');
    await takeLock('hourly', 'run-hourly');

    const { result, error, lines } = await logged(() =>
      handler(statusChangeEvent('run-stopped', 'ABORTED'), LAMBDA_CONTEXT),
    );

    expect(error).toBeUndefined();
    expect(result).toStrictEqual<ReleaseLockResult>({
      executionName: 'run-stopped',
      status: 'ABORTED',
      released: [NIGHTLY_LOCK],
      notHeld: [],
    });
    // Another job's lock, held by a live run, stays.
    expect(await owners()).toStrictEqual({ [HOURLY_LOCK]: 'run-hourly' });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: 'INFO',
      message: 'released the lock the execution left',
      executionName: 'run-stopped',
      function_request_id: LAMBDA_CONTEXT.awsRequestId,
      released: [NIGHTLY_LOCK],
    });
  });

  it("frees a TIMED_OUT execution's lock though the event carries no input (too large)", async () => {
    await takeLock('hourly', 'run-too-long');

    const result = await invoke(statusChangeEvent('run-too-long', 'TIMED_OUT', { input: null }));

    expect(result.released).toEqual([HOURLY_LOCK]);
    expect(await owners()).toStrictEqual({});
  });

  it("does not free the next run's lock when a FAILED execution's lock was released and taken again", async () => {
    await takeLock('nightly-build', 'run-failed');
    // The failed run's own ReleaseLock, then the next run of the group takes the lock.
    expect(await release(dynamodb, TABLE, NIGHTLY_LOCK, 'run-failed')).toBe(true);
    await takeLock('nightly-build', 'run-next');

    const result = await invoke(statusChangeEvent('run-failed', 'FAILED', { error: 'DBT_FAILED' }));

    expect(result.released).toEqual([]);
    expect(await owners()).toStrictEqual({ [NIGHTLY_LOCK]: 'run-next' });
  });

  it('does nothing for a second delivery of the same event', async () => {
    await takeLock('hourly', 'run-twice');
    const event = statusChangeEvent('run-twice', 'ABORTED');

    const first = await invoke(event);
    await takeLock('hourly', 'run-after');
    const second = await invoke(event);

    expect(first.released).toEqual([HOURLY_LOCK]);
    expect(second.released).toEqual([]);
    expect(await owners()).toStrictEqual({ [HOURLY_LOCK]: 'run-after' });
  });

  it('leaves the locks alone for an execution that succeeded', async () => {
    await takeLock('hourly', 'run-ok');

    const result = await invoke(statusChangeEvent('run-ok', 'SUCCEEDED'));

    expect(result.released).toEqual([]);
    expect(await owners()).toStrictEqual({ [HOURLY_LOCK]: 'run-ok' });
  });

  it('fails an event it cannot read with UnreadableStatusChange, touching no lock', async () => {
    await takeLock('hourly', 'run-live');

    const { error } = await logged(() =>
      handler({ source: 'aws.ecs', 'detail-type': 'ECS Task State Change' }, LAMBDA_CONTEXT),
    );

    expect(error?.name).toBe('UnreadableStatusChange');
    expect(error?.message).toMatch(/^source: /);
    expect(await owners()).toStrictEqual({ [HOURLY_LOCK]: 'run-live' });
  });
});
