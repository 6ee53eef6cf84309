import { readFileSync } from 'node:fs';
import {
  capacityStrategy,
  prepareRun,
  runIdOf,
  STARTED_BY_MAX_CHARS,
  startedByOf,
  triggerOf,
} from '../../../functions/prepare/prepare.ts';
import { scheduledVars } from '../../../functions/prepare/scheduled-vars.ts';
import { ConfigurationError } from '../../../functions/shared/config.ts';
import {
  InvalidRunInput,
  jsonBytes,
  MAX_INPUT_BYTES,
  parseRunInput,
} from '../../../functions/shared/run-input.ts';
import {
  DEV_SETTINGS,
  GENERATED_NAME,
  inputOfExactlyTheLimit,
  jobLock,
  prepareEvent,
  runSpecOf,
  STATE_MACHINE,
} from './events.ts';

interface Vectors {
  valid: Array<{ name: string; input: unknown; filled: Record<string, unknown> }>;
  invalid: Array<{ name: string; input: unknown; field: string }>;
}
const vectors: Vectors = JSON.parse(
  readFileSync(new URL('../../fixtures/run-input-cases.json', import.meta.url), 'utf8'),
);

/** The error prepareRun throws (fails the test when it returns). */
function refusal(run: () => unknown): Error {
  try {
    run();
  } catch (error) {
    if (error instanceof Error) return error;
    throw error;
  }
  throw new Error('prepareRun accepted it');
}

describe('prepareRun', () => {
  it('turns {} from the console into the default job with every field of the state set', () => {
    const state = prepareRun(prepareEvent({}), DEV_SETTINGS);
    const spec = {
      job: 'manual',
      command: 'build',
      fullRefresh: false,
      freshness: 'warn',
      docs: true,
      failFast: false,
      warnError: false,
      allowEmpty: false,
      timeoutSeconds: 3600,
    };
    expect(state).toStrictEqual({
      run: {
        runId: GENERATED_NAME,
        job: 'manual',
        stage: 'dev',
        trigger: 'console',
        spec,
        timeoutSeconds: 3600,
        startedAt: '2026-03-02T05:00:00.123Z',
        startedBy: GENERATED_NAME,
        artifactsUri: `s3://serverless-dbt-dev-artifacts/dbt/runs/${GENERATED_NAME}/`,
        notifyOnStart: false,
        lock: { table: 'serverless-dbt-dev-locks', key: jobLock('manual') },
        runSpec: JSON.stringify(spec),
      },
      capacity: [{ CapacityProvider: 'FARGATE', Weight: 1 }],
      attempt: 1,
    });
  });

  it('passes every field of the run input through to the spec', () => {
    const input = {
      job: 'nightly_marts',
      command: 'run',
      select: 'tag:nightly +orders',
      exclude: 'path:models/staging',
      fullRefresh: true,
      vars: { start_date: '2026-01-01', limit: 5, nested: { list: [1, 'two', null] } },
      freshness: 'fail',
      docs: false,
      timeoutSeconds: 5400,
      threads: 6,
      failFast: true,
      warnError: true,
      allowEmpty: true,
    };
    const { run } = prepareRun(prepareEvent(input, 'cli-nightly-20260302'), DEV_SETTINGS);
    expect(run.spec).toStrictEqual(input);
    expect(run.job).toBe('nightly_marts');
    expect(run.timeoutSeconds).toBe(5400);
  });

  it('passes retryOf through with command retry', () => {
    const input = { job: 'nightly', command: 'retry', retryOf: 'airflow-nightly-2026-03-01' };
    const { run } = prepareRun(prepareEvent(input, 'airflow-nightly-2026-03-02'), DEV_SETTINGS);
    expect(run.spec).toMatchObject(input);
  });

  it('fills each shared valid vector as parseRunInput does, plus the timeout it runs with', () => {
    for (const vector of vectors.valid) {
      const { run } = prepareRun(prepareEvent(vector.input), DEV_SETTINGS);
      const scheduledTime = vector.filled.scheduledTime;
      // A scheduled time adds its vars (scheduled-vars.test.ts); DEV_SETTINGS has no schedules.
      const timeVars =
        typeof scheduledTime === 'string' ? { vars: scheduledVars(scheduledTime, undefined) } : {};
      expect([vector.name, run.spec]).toStrictEqual([
        vector.name,
        { ...vector.filled, ...timeVars, timeoutSeconds: vector.filled.timeoutSeconds ?? 3600 },
      ]);
    }
  });

  it("gives RunDbt the container's RUN_SPEC: the filled spec as compact JSON", () => {
    const input = { job: 'orders', select: 'tag:daily', vars: { region: 'eu', days: 3 } };
    const state = prepareRun(prepareEvent(input), DEV_SETTINGS);
    const runSpec = runSpecOf(state);
    expect(JSON.parse(runSpec)).toStrictEqual(state.run.spec);
    expect(runSpec).toBe(JSON.stringify(JSON.parse(runSpec)));
    expect(state.run.runId).toBe(GENERATED_NAME);
  });

  it('keeps a vars key such as "__proto__" as data through RUN_SPEC', () => {
    const input = JSON.parse('{"vars": {"__proto__": {"polluted": true}}}');
    const state = prepareRun(prepareEvent(input), DEV_SETTINGS);
    const spec = JSON.parse(runSpecOf(state));
    expect(Object.keys(spec.vars)).toEqual(['__proto__']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it("runs with the stage's default timeout unless the input gives one", () => {
    const settings = { ...DEV_SETTINGS, defaultTimeoutSeconds: 1800 };
    const byDefault = prepareRun(prepareEvent({}), settings).run;
    expect([byDefault.timeoutSeconds, byDefault.spec.timeoutSeconds]).toEqual([1800, 1800]);
    const given = prepareRun(prepareEvent({ timeoutSeconds: 60 }), settings).run;
    expect([given.timeoutSeconds, given.spec.timeoutSeconds]).toEqual([60, 60]);
    const longest = prepareRun(prepareEvent({ timeoutSeconds: 86_400 }), settings).run;
    expect(longest.timeoutSeconds).toBe(86_400);
  });

  it('asks for Fargate Spot only when the stage turns Spot on, on-demand Fargate otherwise', () => {
    const spot = prepareRun(prepareEvent({}), { ...DEV_SETTINGS, fargateSpot: true });
    expect(spot.capacity).toStrictEqual([{ CapacityProvider: 'FARGATE_SPOT', Weight: 1 }]);
    const onDemand = prepareRun(prepareEvent({}), { ...DEV_SETTINGS, fargateSpot: false });
    expect(onDemand.capacity).toStrictEqual([{ CapacityProvider: 'FARGATE', Weight: 1 }]);
    // The strategy RetryOnDemand (dbt-run.asl.yml) switches to is the on-demand one.
    expect(capacityStrategy(false)).toStrictEqual([{ CapacityProvider: 'FARGATE', Weight: 1 }]);
  });

  it('starts every run at attempt 1', () => {
    expect(prepareRun(prepareEvent({}), DEV_SETTINGS).attempt).toBe(1);
  });

  it('announces the start only when the stage notifies on start', () => {
    expect(prepareRun(prepareEvent({}), DEV_SETTINGS).run.notifyOnStart).toBe(false);
    const settings = { ...DEV_SETTINGS, notifyOnStart: true };
    expect(prepareRun(prepareEvent({}), settings).run.notifyOnStart).toBe(true);
  });

  it('puts the run in its own folder under the artifacts URI, whatever its trailing slash', () => {
    for (const artifactsUri of ['s3://bucket/dbt', 's3://bucket/dbt/', 's3://bucket']) {
      const { run } = prepareRun(prepareEvent({}, 'cli-x'), { ...DEV_SETTINGS, artifactsUri });
      expect(run.artifactsUri).toBe(`${artifactsUri.replace(/\/$/, '')}/runs/cli-x/`);
    }
    const local = { ...DEV_SETTINGS, artifactsUri: 'file:///home/me/shop/.serverless-dbt' };
    expect(prepareRun(prepareEvent({}, 'cli-x'), local).run.artifactsUri).toBe(
      'file:///home/me/shop/.serverless-dbt/runs/cli-x/',
    );
  });

  it('names the lock when the stage has one, and none when overlap is allowed', () => {
    expect(prepareRun(prepareEvent({}), DEV_SETTINGS).run.lock).toStrictEqual({
      table: 'serverless-dbt-dev-locks',
      key: jobLock('manual'),
    });
    const run = prepareRun(prepareEvent({}), { ...DEV_SETTINGS, lock: undefined }).run;
    expect('lock' in run).toBe(false);
  });

  it("takes the job's own lock, or its group's when a lock group lists the job", () => {
    const grouped = {
      ...DEV_SETTINGS,
      lock: {
        table: 'serverless-dbt-dev-locks',
        stateMachine: STATE_MACHINE,
        groups: { 'nightly-build': 'warehouse', 'weekly-full-refresh': 'warehouse' },
      },
    };
    const lockOf = (input: unknown, name?: string) =>
      prepareRun(prepareEvent(input, name), grouped).run.lock?.key;
    expect(lockOf({ job: 'hourly-freshness' })).toBe(jobLock('hourly-freshness'));
    expect(lockOf({ job: 'nightly-build' })).toBe(`${STATE_MACHINE}#group#warehouse`);
    expect(lockOf({ job: 'weekly-full-refresh' })).toBe(`${STATE_MACHINE}#group#warehouse`);
    // Whoever starts it: a CLI or Airflow run of a grouped job waits for its group too.
    expect(lockOf({ job: 'nightly-build' }, 'airflow-nightly-1')).toBe(
      `${STATE_MACHINE}#group#warehouse`,
    );
    expect(lockOf({})).toBe(jobLock('manual'));
  });

  describe('bad input', () => {
    it.each(vectors.invalid.map((c) => [c.name, c] as const))(
      'fails with InvalidRunInput naming the field: %s',
      (_name, vector) => {
        const error = refusal(() => prepareRun(prepareEvent(vector.input), DEV_SETTINGS));
        expect(error).toBeInstanceOf(InvalidRunInput);
        expect(error.name).toBe('InvalidRunInput');
        expect((error as InvalidRunInput).field).toBe(vector.field);
      },
    );

    it('reports the input before a bad execution name', () => {
      const error = refusal(() =>
        prepareRun(prepareEvent({ command: 'debug' }, 'bad name'), DEV_SETTINGS),
      );
      expect(error.name).toBe('InvalidRunInput');
      expect(error.message).toMatch(/^command: /);
    });

    it('refuses an input over the limit by its size first, even when a field is bad too', () => {
      const input = { command: 'drop', vars: { pad: 'x'.repeat(200 * 1024) } };
      const error = refusal(() => prepareRun(prepareEvent(input), DEV_SETTINGS));
      expect(error).toBeInstanceOf(InvalidRunInput);
      expect((error as InvalidRunInput).field).toBe('input');
      expect(error.message).toBe(
        `input: must be at most ${MAX_INPUT_BYTES} bytes as compact JSON (got ${jsonBytes(input)})`,
      );
    });

    it('refuses an input that fits the limit but outgrows it once defaults are filled', () => {
      const input = inputOfExactlyTheLimit();
      expect(jsonBytes(input)).toBe(MAX_INPUT_BYTES);
      expect(() => parseRunInput(input)).not.toThrow();
      const error = refusal(() => prepareRun(prepareEvent(input), DEV_SETTINGS));
      expect(error).toBeInstanceOf(InvalidRunInput);
      expect((error as InvalidRunInput).field).toBe('input');
      expect(error.message).toMatch(/once defaults are filled/);
    });
  });
});

describe('run ids', () => {
  it.each([
    ['a console or schedule name (a UUID)', GENERATED_NAME],
    ['two UUIDs joined by _', `${GENERATED_NAME}_${GENERATED_NAME}`],
    ['a CLI name', 'cli-nightly-20260302T050000Z'],
    ['one character', 'x'],
    ['80 characters', 'a'.repeat(80)],
  ])('accepts %s', (_what, name) => {
    expect(runIdOf(name)).toBe(name);
  });

  it.each([
    ['81 characters', 'a'.repeat(81)],
    ['an empty name', ''],
    ['a dot, which Step Functions allows', 'nightly.2026-03-02'],
    ['"..", a parent folder', '..'],
    ['a non-ASCII letter', 'nächtlich'],
    ['a plus sign', 'run+1'],
    ['parentheses', 'run(1)'],
  ])('refuses %s with a ConfigurationError on executionName', (_what, name) => {
    const error = refusal(() => prepareRun(prepareEvent({}, name), DEV_SETTINGS));
    expect(error).toBeInstanceOf(ConfigurationError);
    expect(error.name).toBe('ConfigurationError');
    expect(error.message).toMatch(/^executionName: /);
  });
});

describe('triggers', () => {
  it.each([
    ['airflow-nightly-2026-03-02', 'nightly', 'airflow'],
    ['airflow-manual', 'manual', 'airflow'],
    ['cli-orders-1', 'orders', 'cli'],
    ['cli-manual', 'manual', 'cli'],
    [GENERATED_NAME, 'manual', 'console'],
    [GENERATED_NAME, 'nightly', 'schedule'],
    ['Airflow-nightly', 'nightly', 'schedule'],
    ['cli_nightly', 'manual', 'console'],
  ] as const)('%s with job %s was started by %s', (name, job, trigger) => {
    expect(triggerOf(name, job)).toBe(trigger);
    expect(prepareRun(prepareEvent({ job }, name), DEV_SETTINGS).run.trigger).toBe(trigger);
  });
});

describe('startedBy', () => {
  const ECS_STARTED_BY = /^[A-Za-z0-9/_-]{1,36}$/;

  it('is the run id when it fits ECS, as every generated name does', () => {
    expect(startedByOf(GENERATED_NAME)).toBe(GENERATED_NAME);
    expect(startedByOf('cli-x')).toBe('cli-x');
  });

  it('keeps a long run id recognisable, within 36 characters, and apart from its neighbours', () => {
    const a = `airflow-nightly_marts-${'2026-03-02T05:00:00'.replace(/:/g, '')}-try-1`;
    const b = a.replace(/1$/, '2');
    expect(a.length).toBeGreaterThan(STARTED_BY_MAX_CHARS);
    for (const name of [a, b, 'z'.repeat(80)]) {
      expect(startedByOf(name)).toMatch(ECS_STARTED_BY);
    }
    expect(startedByOf(a)).not.toBe(startedByOf(b));
    expect(startedByOf(a).startsWith('airflow-nightly_marts-')).toBe(true);
    expect(prepareRun(prepareEvent({}, a), DEV_SETTINGS).run.startedBy).toBe(startedByOf(a));
  });
});
