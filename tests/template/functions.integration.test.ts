import { execFile } from 'node:child_process';
import { isBuiltin } from 'node:module';
import { promisify } from 'node:util';
import {
  type CloudFormationTemplate,
  lambdaFunctions,
  type PackagedFunction,
  packagedArtifacts,
  packagedParams,
  packageService,
} from '../support/packaged.ts';
import {
  DEV,
  DOCS_URL,
  LIVE,
  PACKAGE_TIMEOUT_MS,
  SLACK_SECRET_ARN,
  WITH_SLACK_AND_DOCS,
} from './helpers.ts';

const run = promisify(execFile);

/** JOB_LOCK_GROUPS as the stage's jobs ask for it: `job=group` for each job with a lockGroup. */
function jobLockGroupsOf(jobs: unknown): string {
  return ((jobs ?? []) as Array<{ name: string; lockGroup?: string }>)
    .filter((job) => job.lockGroup !== undefined)
    .map((job) => `${job.name}=${job.lockGroup}`)
    .join(',');
}

/** JOB_SCHEDULES as the stage's jobs ask for it: each job's cron and time zone. */
function jobSchedulesOf(jobs: unknown): string {
  return JSON.stringify(
    Object.fromEntries(
      ((jobs ?? []) as Array<{ name: string; cron: string; timezone: string }>).map((job) => [
        job.name,
        { cron: job.cron, timezone: job.timezone },
      ]),
    ),
  );
}

async function zipEntries(zip: string): Promise<string[]> {
  const { stdout } = await run('unzip', ['-Z1', zip]);
  return stdout.split('\n').filter(Boolean);
}

async function zipText(zip: string, entry: string): Promise<string> {
  const { stdout } = await run('unzip', ['-p', zip, entry], { maxBuffer: 64 * 1024 * 1024 });
  return stdout;
}

describe.each([DEV, LIVE])('the $stage functions', (options) => {
  let template: CloudFormationTemplate;
  let functions: Record<string, PackagedFunction>;
  let params: Record<string, unknown>;
  let zips: Record<string, string>;

  beforeAll(async () => {
    template = await packageService(options);
    functions = Object.fromEntries(lambdaFunctions(template).map((fn) => [fn.name, fn]));
    params = await packagedParams(options);
    zips = await packagedArtifacts(options);
  }, PACKAGE_TIMEOUT_MS);

  it('are prepare, evaluate, notify and releaseLock', () => {
    expect(Object.keys(functions).sort()).toEqual(['evaluate', 'notify', 'prepare', 'releaseLock']);
  });

  it('run on arm64 and Node.js 24', () => {
    for (const fn of Object.values(functions)) {
      expect([fn.name, fn.runtime, fn.architectures]).toEqual([fn.name, 'nodejs24.x', ['arm64']]);
    }
  });

  it('are each bundled into one ESM .mjs file that holds the AWS SDK', async () => {
    for (const fn of Object.values(functions)) {
      const zip = zips[fn.name];
      expect(zip).toBeDefined();
      const entries = await zipEntries(zip as string);
      const bundle = `${fn.handler.slice(0, fn.handler.lastIndexOf('.'))}.mjs`;
      expect(entries).toEqual([bundle]);
      const code = await zipText(zip as string, bundle);
      // Bundled, not left to the runtime: the client's code is in the file (with its
      // package.json, whose name the SDK puts in its user agent), and the file imports
      // nothing but Node's own modules.
      expect(code).toMatch(/"@aws-sdk\/client-[a-z0-9-]+"/);
      const imported = [
        ...code.matchAll(/(?:^|[;\n}])\s*import\s*(?:[\w$*{][^;]*?from\s*)?["']([^"']+)["']/g),
        ...code.matchAll(/\bimport\(\s*["']([^"']+)["']\s*\)/g),
      ].map((match) => match[1] as string);
      expect(imported.length).toBeGreaterThan(0);
      expect(imported.filter((name) => !isBuiltin(name))).toEqual([]);
    }
  });

  it('time out before the state machine gives up on them (TimeoutSeconds 30)', () => {
    for (const fn of Object.values(functions)) {
      expect(fn.timeout).toBeLessThanOrEqual(25);
    }
  });

  it('give Prepare the stage, artifacts URI, timeout, lock table and capacity', () => {
    expect(functions.prepare?.fakeEnvironment).toEqual({
      POWERTOOLS_SERVICE_NAME: 'serverless-dbt',
      STAGE: options.stage,
      ARTIFACTS_URI: expect.stringMatching(/^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]\/dbt$/),
      DEFAULT_TIMEOUT_SECONDS: String(params.defaultTimeoutSeconds),
      LOCK_TABLE: expect.any(String),
      JOB_LOCK_GROUPS: jobLockGroupsOf(params.jobs),
      JOB_SCHEDULES: jobSchedulesOf(params.jobs),
      FARGATE_SPOT: String(params.fargateSpot),
      NOTIFY_ON: (params.notifyOn as string[]).join(','),
    });
    expect(functions.prepare?.environment.LOCK_TABLE).toEqual({ Ref: 'LockTable' });
  });

  it('give ReleaseLock the lock table, the same as Prepare', () => {
    expect(functions.releaseLock?.fakeEnvironment).toEqual({
      POWERTOOLS_SERVICE_NAME: 'serverless-dbt',
      LOCK_TABLE: functions.prepare?.fakeEnvironment.LOCK_TABLE,
    });
    expect(functions.releaseLock?.environment.LOCK_TABLE).toEqual({ Ref: 'LockTable' });
  });

  it("give Evaluate the container's name, the task's size and architecture, the functions' memory, the verdicts that page and the state machine", () => {
    expect(functions.evaluate?.fakeEnvironment).toEqual({
      POWERTOOLS_SERVICE_NAME: 'serverless-dbt',
      DBT_CONTAINER_NAME: 'dbt',
      TASK_MEMORY_MIB: String(params.taskMemory),
      TASK_CPU: String(params.taskCpu),
      TASK_CPU_ARCHITECTURE: params.taskCpuArchitecture,
      LAMBDA_MEMORY_MB: '256',
      ALARM_ON:
        'DBT_FAILED,DBT_ERROR,NOTHING_SELECTED,CONFIG_ERROR,ARTIFACTS_LOST,OUT_OF_MEMORY,INFRA_RETRYABLE,INFRA_FAILED,TIMED_OUT',
      STATE_MACHINE_NAME: `serverless-dbt-${options.stage}-dbt-run`,
    });
  });

  it("give Notify the stage, the events to post, where the task's log is and the alarm topic", () => {
    expect(functions.notify?.fakeEnvironment).toEqual({
      POWERTOOLS_SERVICE_NAME: 'serverless-dbt',
      STAGE: options.stage,
      NOTIFY_ON: (params.notifyOn as string[]).join(','),
      LOG_GROUP: `/ecs/serverless-dbt-${options.stage}`,
      LOG_STREAM_PREFIX: 'dbt',
      DBT_CONTAINER_NAME: 'dbt',
      ALARM_TOPIC_ARN: `arn:aws:sns:eu-west-1:123456789012:serverless-dbt-${options.stage}-alarms`,
      STATE_MACHINE_NAME: `serverless-dbt-${options.stage}-dbt-run`,
    });
  });
});

describe("Notify's optional settings", () => {
  it(
    'are absent when not set and given when set',
    async () => {
      const template = await packageService(WITH_SLACK_AND_DOCS);
      const notify = lambdaFunctions(template).find((fn) => fn.name === 'notify');
      expect(notify?.environment).toMatchObject({
        SLACK_WEBHOOK_SECRET_ARN: SLACK_SECRET_ARN,
        DOCS_URL,
      });

      const without = lambdaFunctions(await packageService(DEV)).find((fn) => fn.name === 'notify');
      expect(without?.environment).not.toHaveProperty('SLACK_WEBHOOK_SECRET_ARN');
      expect(without?.environment).not.toHaveProperty('DOCS_URL');
    },
    PACKAGE_TIMEOUT_MS,
  );
});
