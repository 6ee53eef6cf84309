// What `cancel` and `retry` decide without AWS: how a run ended, the cause a cancel records,
// and the input of a retry, derived from the run input's contract.
import {
  CANCEL_ERROR,
  cancelCause,
  cancelReasonOf,
  howItEnded,
  MAX_REASON_CHARS,
  NOT_CARRIED_BY_RETRY,
  RETRY_NEEDS,
  releaseLockFunctionOf,
  retryInputOf,
} from '../../../cli/aws/cancel-retry.ts';
import { parseRunInput } from '../../../functions/shared/run-input.ts';
import { RUN_INPUT_FIELDS } from '../../../functions/shared/run-input-contract.ts';

describe('how a run ended', () => {
  test('names the verdict of a failed run and says a stopped run was cancelled', () => {
    expect(howItEnded({ status: 'SUCCEEDED' })).toBe('succeeded');
    expect(howItEnded({ status: 'FAILED', error: 'INVALID_INPUT' })).toBe(
      'failed with INVALID_INPUT',
    );
    expect(howItEnded({ status: 'ABORTED' })).toBe('was cancelled (stopped: ABORTED)');
    expect(howItEnded({ status: 'TIMED_OUT' })).toBe(
      "was stopped at the execution's own time limit (TIMED_OUT)",
    );
  });
});

describe('the cause a cancel records', () => {
  test('says serverless-dbt cancel stopped the run, who ran it and why, each only when known', () => {
    expect(cancelCause('alice', 'wrong selection')).toBe(
      'cancelled with serverless-dbt cancel by alice: wrong selection',
    );
    expect(cancelCause(undefined, 'wrong selection')).toBe(
      'cancelled with serverless-dbt cancel: wrong selection',
    );
    expect(cancelCause('alice', undefined)).toBe('cancelled with serverless-dbt cancel by alice');
    expect(cancelCause('', undefined)).toBe('cancelled with serverless-dbt cancel');
  });

  test('gives the execution the error CANCELLED, the verdict the run is reported with', () => {
    expect(CANCEL_ERROR).toBe('CANCELLED');
  });

  test('keeps the reason on one line and refuses a blank or too long one', () => {
    expect(cancelReasonOf(undefined)).toEqual({});
    expect(cancelReasonOf('  wrong\n\tselection ')).toEqual({ reason: 'wrong selection' });
    expect(cancelReasonOf(' \n ')).toEqual({ problem: '--reason must not be blank' });
    expect(cancelReasonOf('x'.repeat(MAX_REASON_CHARS))).toEqual({
      reason: 'x'.repeat(MAX_REASON_CHARS),
    });
    expect(cancelReasonOf('x'.repeat(MAX_REASON_CHARS + 1))).toEqual({
      problem: `--reason must be at most ${MAX_REASON_CHARS} characters (got ${MAX_REASON_CHARS + 1})`,
    });
  });

  test("names the stage's release-lock function as serverless.yml names it", () => {
    expect(releaseLockFunctionOf('live')).toBe('serverless-dbt-live-release-lock');
  });
});

describe('the input of a retry', () => {
  test('leaves out exactly the fields the contract refuses with command retry, and command and retryOf', () => {
    expect([...NOT_CARRIED_BY_RETRY].sort()).toEqual(
      [
        'allowEmpty',
        'args',
        'command',
        'exclude',
        'fullRefresh',
        'macro',
        'only',
        'retryOf',
        'select',
        'selector',
      ].sort(),
    );
  });

  test("keeps the job and how the run ran (vars, scheduled time, threads, limits), drops its selection, and passes the contract's check", () => {
    const original = {
      job: 'nightly',
      command: 'build',
      select: 'tag:daily',
      exclude: 'orders',
      fullRefresh: true,
      vars: { region: 'eu', nested: { a: [1, 2] } },
      freshness: 'warn',
      docs: false,
      timeoutSeconds: 7200,
      scheduledTime: '2026-11-24T05:00:00Z',
      threads: 8,
      failFast: true,
      warnError: true,
      allowEmpty: true,
      only: 'changed',
    };
    const input = retryInputOf(JSON.stringify(original), 'nightly-run-1');
    expect(input).toEqual({
      job: 'nightly',
      command: 'retry',
      retryOf: 'nightly-run-1',
      vars: { region: 'eu', nested: { a: [1, 2] } },
      freshness: 'warn',
      docs: false,
      timeoutSeconds: 7200,
      scheduledTime: '2026-11-24T05:00:00Z',
      threads: 8,
      failFast: true,
      warnError: true,
    });
    expect(() => parseRunInput(input)).not.toThrow();
  });

  test('a retry of every field the contract has is accepted by the contract', () => {
    // Each field a retry carries, alone next to command retry: the contract takes it.
    for (const field of RUN_INPUT_FIELDS) {
      if (NOT_CARRIED_BY_RETRY.includes(field) || field === 'job') continue;
      const sample: Record<string, unknown> = {
        vars: { a: 1 },
        freshness: 'skip',
        docs: true,
        timeoutSeconds: 600,
        scheduledTime: '2026-11-24T05:00:00Z',
        threads: 2,
        failFast: true,
        warnError: true,
      };
      expect(Object.keys(sample)).toContain(field);
      const input = retryInputOf(JSON.stringify({ [field]: sample[field] }), 'run-1');
      expect(() => parseRunInput(input)).not.toThrow();
    }
  });

  test("gives a run without a job the contract's default job, and retries a retry from the retry", () => {
    expect(retryInputOf('{}', 'console-run-1')).toEqual({
      job: 'manual',
      command: 'retry',
      retryOf: 'console-run-1',
    });
    expect(retryInputOf('{"job":"x","command":"retry","retryOf":"first"}', 'second')).toEqual({
      job: 'x',
      command: 'retry',
      retryOf: 'second',
    });
  });

  test('is undefined when the run input is not a JSON object', () => {
    expect(retryInputOf('[1]', 'run-1')).toBeUndefined();
    expect(retryInputOf('not json', 'run-1')).toBeUndefined();
    expect(retryInputOf(undefined, 'run-1')).toBeUndefined();
  });

  test("needs the run's run_results.json and manifest.json, as the container's retryOf reads them", () => {
    expect(RETRY_NEEDS).toEqual(['run_results.json', 'manifest.json']);
  });
});
