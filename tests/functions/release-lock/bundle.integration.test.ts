// The release-lock function as Lambda runs it: the one .mjs file `serverless package` puts in
// releaseLock.zip (esbuild, minified, the AWS SDK inside), started by a plain Node 24 process
// with the environment the template gives it, its handler called with a recorded ABORTED
// status change (events.ts). DynamoDB is a moto server; nothing is mocked.
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { acquire } from '../../../functions/prepare/lock.ts';
import { lockKeyOf } from '../../../functions/prepare/lock-rules.ts';
import { type Moto, startMoto } from '../../support/moto.ts';
import {
  lambdaFunctions,
  type PackagedFunction,
  packagedArtifacts,
  packageService,
} from '../../support/packaged.ts';
import { executionArnOf, STATE_MACHINE } from '../prepare/events.ts';
import { createLockTable, lockItems } from '../prepare/lock-table.ts';
import { statusChangeEvent } from './events.ts';

const run = promisify(execFile);
const DEV = { stage: 'dev' };

let moto: Moto;
let dynamodb: DynamoDBClient;
let folder: string;
let releaseLock: PackagedFunction;
let bundle: string;

beforeAll(async () => {
  const template = await packageService(DEV);
  const found = lambdaFunctions(template).find((fn) => fn.name === 'releaseLock');
  if (found === undefined) throw new Error('the package has no releaseLock function');
  releaseLock = found;
  const zip = (await packagedArtifacts(DEV)).releaseLock;
  if (zip === undefined) throw new Error('the package has no releaseLock.zip');
  folder = await mkdtemp(join(tmpdir(), 'release-lock-bundle-'));
  await run('unzip', ['-q', zip, '-d', folder]);
  bundle = join(
    folder,
    `${releaseLock.handler.slice(0, releaseLock.handler.lastIndexOf('.'))}.mjs`,
  );

  moto = await startMoto();
  dynamodb = new DynamoDBClient(moto.clientConfig);
  await createLockTable(dynamodb, releaseLock.fakeEnvironment.LOCK_TABLE ?? '');
}, 240_000);

afterAll(async () => {
  dynamodb?.destroy();
  await moto?.stop();
  if (folder !== undefined) await rm(folder, { recursive: true, force: true });
});

/** Loads the bundle in a fresh Node process, as a cold Lambda does, and invokes it once. */
async function invokeBundle(event: unknown) {
  const script = `
    const { handler } = await import(${JSON.stringify(bundle)});
    const context = { functionName: ${JSON.stringify(releaseLock.functionName)}, awsRequestId: 'req-1' };
    try {
      console.log(JSON.stringify({ outcome: await handler(JSON.parse(process.argv[1]), context) }));
    } catch (error) {
      console.log(JSON.stringify({ error: { name: error.name, message: error.message } }));
    }`;
  const { stdout } = await run(
    process.execPath,
    ['--input-type=module', '-e', script, JSON.stringify(event)],
    {
      // Only what Lambda would set: the function's environment, the SDK's endpoint and keys.
      env: { ...releaseLock.fakeEnvironment, ...moto.env, PATH: process.env.PATH ?? '' },
    },
  );
  const lines = stdout
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, unknown>);
  return { lines, last: lines.at(-1) ?? {} };
}

describe('the bundled release-lock function', () => {
  it("frees an ABORTED execution's lock, logging under the execution's name", async () => {
    const table = releaseLock.fakeEnvironment.LOCK_TABLE ?? '';
    const key = lockKeyOf({ stateMachine: STATE_MACHINE, groups: {} }, 'nightly-build');
    await acquire(dynamodb, {
      table,
      key,
      owner: 'run-stopped',
      executionArn: executionArnOf('run-stopped'),
      job: 'nightly-build',
      timeoutSeconds: 3600,
    });

    const { lines, last } = await invokeBundle(statusChangeEvent('run-stopped', 'ABORTED'));

    expect(last).toStrictEqual({
      outcome: { executionName: 'run-stopped', status: 'ABORTED', released: [key], notHeld: [] },
    });
    expect(lines[0]).toMatchObject({
      message: 'released the lock the execution left',
      executionName: 'run-stopped',
      function_name: releaseLock.functionName,
    });
    expect(await lockItems(dynamodb, table)).toStrictEqual({});
  }, 60_000);

  it('keeps its error name through minification, for the logs and the dead letters', async () => {
    const { last } = await invokeBundle({ source: 'aws.ecs' });

    expect(last).toMatchObject({ error: { name: 'UnreadableStatusChange' } });
  }, 60_000);
});
