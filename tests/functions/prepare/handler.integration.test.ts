// Prepare end to end: the deployed handler (handler.ts wiring createPrepare), configured by its
// environment as serverless.yml configures it, against DynamoDB and Step Functions in a moto
// server: each event's input is the input of an execution started in moto, which the handler
// reads with states:DescribeExecution. Nothing of AWS is mocked but its address.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { jest } from '@jest/globals';
import type { Context } from 'aws-lambda';
import { dynamoDbLocks, release } from '../../../functions/prepare/lock.ts';
import type { PrepareEvent } from '../../../functions/prepare/prepare.ts';
import { createPrepare } from '../../../functions/prepare/prepare-handler.ts';
import { readPrepareConfig } from '../../../functions/prepare/settings.ts';
import type { PreparedState } from '../../../functions/shared/contracts.ts';
import { knownExecutionInput } from '../../../functions/shared/execution-input.ts';
import { MAX_INPUT_BYTES } from '../../../functions/shared/run-input.ts';
import { logged } from '../../support/logged.ts';
import { type Moto, startMoto } from '../../support/moto.ts';
import { type MotoExecutions, motoExecutions } from '../../support/moto-executions.ts';
import { executionArnOf, GENERATED_NAME, jobLock, prepareEvent, STATE_MACHINE } from './events.ts';
import { clearLocks, createLockTable, lockItem, lockItems } from './lock-table.ts';

const TABLE = 'serverless-dbt-dev-locks';
const STAGE_ENVIRONMENT = {
  STAGE: 'dev',
  LOCK_TABLE: TABLE,
  DEFAULT_TIMEOUT_SECONDS: '3600',
  FARGATE_SPOT: 'true',
  ARTIFACTS_URI: 's3://serverless-dbt-dev-artifacts/dbt',
  NOTIFY_ON: 'start,failure',
  // As infra/config.cjs writes the jobs' `lockGroup`.
  JOB_LOCK_GROUPS: 'nightly-build=warehouse,weekly-full-refresh=warehouse',
};
const WAREHOUSE_LOCK = `${STATE_MACHINE}#group#warehouse`;
const LAMBDA_CONTEXT = {
  functionName: 'serverless-dbt-dev-prepare',
  awsRequestId: 'c0ffee00-0000-4000-8000-000000000001',
} as Context;

let moto: Moto;
let dynamodb: DynamoDBClient;
// Imported once the environment is set, as the handler reads it when its module loads.
type HandlerModule = typeof import('../../../functions/prepare/handler.ts');
let deployed: HandlerModule['handler'];
let executions: MotoExecutions;
/** The deployed handler, for an execution started in moto with the event's input. */
const handler = async (event: PrepareEvent, context: Context): Promise<PreparedState> => {
  await executions.start(event.input, event.executionName);
  const { input: _notPassed, ...stateInput } = event;
  return deployed(stateInput, context);
};
const savedEnvironment = { ...process.env };

beforeAll(async () => {
  moto = await startMoto();
  dynamodb = new DynamoDBClient(moto.clientConfig);
  await createLockTable(dynamodb, TABLE);
  executions = await motoExecutions(moto, STATE_MACHINE);
  // As Lambda starts it: settings and the SDK's endpoint and credentials from the environment,
  // read when the module loads.
  Object.assign(process.env, moto.env, STAGE_ENVIRONMENT);
  const module = await import('../../../functions/prepare/handler.ts');
  deployed = module.handler;
}, 60_000);

afterAll(async () => {
  process.env = savedEnvironment;
  dynamodb?.destroy();
  executions?.destroy();
  await moto?.stop();
});

describe('the Prepare handler', () => {
  afterEach(async () => {
    // Each test starts with every lock free, as after each run's ReleaseLock.
    await clearLocks(dynamodb, TABLE);
  });

  it('prepares a console start, takes the lock for the execution and logs one line', async () => {
    const { result, error, lines } = await logged(() =>
      handler(prepareEvent({ select: 'tag:daily' }), LAMBDA_CONTEXT),
    );
    expect(error).toBeUndefined();
    const state = result as PreparedState;
    expect(state.run).toMatchObject({
      runId: GENERATED_NAME,
      job: 'manual',
      stage: 'dev',
      trigger: 'console',
      timeoutSeconds: 3600,
      notifyOnStart: true,
      lock: { table: TABLE, key: jobLock('manual') },
      artifactsUri: `s3://serverless-dbt-dev-artifacts/dbt/runs/${GENERATED_NAME}/`,
    });
    expect(state.capacity).toStrictEqual([{ CapacityProvider: 'FARGATE_SPOT', Weight: 1 }]);
    expect(state.attempt).toBe(1);
    expect(JSON.parse(state.run.runSpec)).toStrictEqual(state.run.spec);

    const item = await lockItem(dynamodb, TABLE, jobLock('manual'));
    expect(item?.owner).toStrictEqual({ S: GENERATED_NAME });
    expect(item?.executionArn).toStrictEqual({ S: executionArnOf(GENERATED_NAME) });

    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: 'INFO',
      message: 'prepared',
      executionName: GENERATED_NAME,
      function_request_id: LAMBDA_CONTEXT.awsRequestId,
      cold_start: expect.any(Boolean),
      job: 'manual',
      command: 'build',
      trigger: 'console',
      lockAcquired: true,
    });
  });

  it('returns a state the ASL can hand on as is: plain JSON', async () => {
    const state = await handler(prepareEvent({}, 'cli-json-1'), LAMBDA_CONTEXT);
    expect(JSON.parse(JSON.stringify(state))).toStrictEqual(state);
  });

  it('refuses a second execution while the first holds the lock, and lets it in after release', async () => {
    await handler(prepareEvent({ job: 'nightly' }, 'run-first'), LAMBDA_CONTEXT);
    const { error, lines } = await logged(() =>
      handler(prepareEvent({ job: 'nightly' }, 'run-second'), LAMBDA_CONTEXT),
    );
    expect(error?.name).toBe('RunAlreadyInProgress');
    expect(error?.message).toMatch(/^execution run-first \(job nightly\) holds the overlap lock/);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: 'WARN',
      executionName: 'run-second',
      function_request_id: LAMBDA_CONTEXT.awsRequestId,
      holder: { owner: 'run-first' },
    });
    // ReleaseLock of the first execution (a conditional DeleteItem on owner).
    expect(await release(dynamodb, TABLE, jobLock('nightly'), 'run-first')).toBe(true);
    const state = await handler(prepareEvent({ job: 'nightly' }, 'run-third'), LAMBDA_CONTEXT);
    expect(state.run.lock).toStrictEqual({ table: TABLE, key: jobLock('nightly') });
  });

  it('runs two jobs at once, each under its own lock', async () => {
    const [hourly, manual] = await Promise.all([
      handler(prepareEvent({ job: 'hourly-freshness' }, 'run-hourly'), LAMBDA_CONTEXT),
      handler(prepareEvent({}, 'run-manual'), LAMBDA_CONTEXT),
    ]);
    expect(hourly.run.lock?.key).toBe(jobLock('hourly-freshness'));
    expect(manual.run.lock?.key).toBe(jobLock('manual'));
    const owners = Object.entries(await lockItems(dynamodb, TABLE)).map(([key, item]) => [
      key,
      item.owner?.S,
      item.job?.S,
    ]);
    expect(owners.sort()).toEqual([
      [jobLock('hourly-freshness'), 'run-hourly', 'hourly-freshness'],
      [jobLock('manual'), 'run-manual', 'manual'],
    ]);
  });

  it('refuses a job while another job of its lock group runs, naming the lock and that job', async () => {
    const nightly = await handler(
      prepareEvent({ job: 'nightly-build' }, 'run-nightly'),
      LAMBDA_CONTEXT,
    );
    expect(nightly.run.lock?.key).toBe(WAREHOUSE_LOCK);

    const { error } = await logged(() =>
      handler(prepareEvent({ job: 'weekly-full-refresh' }, 'run-weekly'), LAMBDA_CONTEXT),
    );
    expect(error?.name).toBe('RunAlreadyInProgress');
    expect(error?.message).toMatch(
      new RegExp(
        `^execution run-nightly \\(job nightly-build\\) holds the overlap lock '${WAREHOUSE_LOCK}'`,
      ),
    );
    // A job outside the group is not held up by it.
    const hourly = await handler(prepareEvent({ job: 'hourly' }, 'run-hourly-2'), LAMBDA_CONTEXT);
    expect(hourly.run.lock?.key).toBe(jobLock('hourly'));
  });

  it('lets only one of two executions started at the same moment through', async () => {
    const results = await Promise.allSettled([
      handler(prepareEvent({ job: 'nightly' }, 'airflow-nightly-a'), LAMBDA_CONTEXT),
      handler(prepareEvent({ job: 'nightly' }, 'airflow-nightly-b'), LAMBDA_CONTEXT),
    ]);
    const refused = results.flatMap((result) =>
      result.status === 'rejected' ? [result.reason] : [],
    );
    expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
    expect(refused.map((error) => error.name)).toEqual(['RunAlreadyInProgress']);
  });

  it('prepares the same execution again when Step Functions retries Prepare', async () => {
    const event = prepareEvent({ job: 'nightly' }, 'run-retried');
    const first = await handler(event, LAMBDA_CONTEXT);
    const again = await handler(event, LAMBDA_CONTEXT);
    expect(again).toStrictEqual(first);
  });

  it('fails bad input with InvalidRunInput and takes no lock', async () => {
    const { error } = await logged(() =>
      handler(prepareEvent({ select: 'orders; rm -rf /' }, 'run-bad'), LAMBDA_CONTEXT),
    );
    expect(error?.name).toBe('InvalidRunInput');
    expect(error?.message).toBe("select: contains ';', which is not allowed in a selector");
    expect(await lockItems(dynamodb, TABLE)).toEqual({});
  });

  it('fails an execution name that cannot be a folder with ConfigurationError, taking no lock', async () => {
    const { error } = await logged(() =>
      handler(prepareEvent({}, 'nightly.2026-03-02'), LAMBDA_CONTEXT),
    );
    expect(error?.name).toBe('ConfigurationError');
    expect(error?.message).toMatch(/^executionName: /);
    expect(await lockItems(dynamodb, TABLE)).toEqual({});
  });

  it("reads the run input from the execution's history, not from the state", async () => {
    await executions.start({ job: 'from-history' }, 'run-input-read');
    const state = await deployed(
      {
        executionName: 'run-input-read',
        executionArn: executionArnOf('run-input-read'),
        startedAt: '2026-03-02T05:00:00.123Z',
      },
      LAMBDA_CONTEXT,
    );
    expect(state.run.job).toBe('from-history');
  });

  it('refuses an input of 200 KiB by its size, naming `input` and the limit, and takes no lock', async () => {
    const { error } = await logged(() =>
      handler(
        prepareEvent({ job: 'nightly', vars: { pad: 'x'.repeat(200 * 1024) } }, 'run-big'),
        LAMBDA_CONTEXT,
      ),
    );
    expect(error?.name).toBe('InvalidRunInput');
    expect(error?.message).toMatch(
      new RegExp(
        `^input: must be at most ${MAX_INPUT_BYTES} bytes as compact JSON \\(got 2048\\d\\d\\)$`,
      ),
    );
    expect(await lockItems(dynamodb, TABLE)).toEqual({});
  });

  it('fails with ExecutionInputUnreadable, naming the execution, when the input cannot be read', async () => {
    const { error } = await logged(() =>
      deployed(
        {
          executionName: 'run-never-started',
          executionArn: executionArnOf('run-never-started'),
          startedAt: '2026-03-02T05:00:00.123Z',
        },
        LAMBDA_CONTEXT,
      ),
    );
    expect(error?.name).toBe('ExecutionInputUnreadable');
    expect(error?.message).toMatch(
      /run-never-started \(states:DescribeExecution\): ExecutionDoesNotExist/,
    );
    expect(await lockItems(dynamodb, TABLE)).toEqual({});
  });

  it('with ALLOW_OVERLAP=true, runs side by side without touching DynamoDB', async () => {
    const { LOCK_TABLE: _table, ...withoutTable } = STAGE_ENVIRONMENT;
    const config = readPrepareConfig({ ...withoutTable, ALLOW_OVERLAP: 'true' });
    const untouched = new DynamoDBClient(moto.clientConfig);
    const send = jest.spyOn(untouched, 'send');
    const overlapping = createPrepare({
      config,
      lockStore: dynamoDbLocks(untouched),
      executionInput: knownExecutionInput({}),
    });
    const states = await Promise.all([
      overlapping(prepareEvent({}, 'run-side-1'), LAMBDA_CONTEXT),
      overlapping(prepareEvent({}, 'run-side-2'), LAMBDA_CONTEXT),
    ]);
    for (const state of states) expect('lock' in state.run).toBe(false);
    expect(send).not.toHaveBeenCalled();
    expect(await lockItems(dynamodb, TABLE)).toEqual({});
    untouched.destroy();
  });
});
