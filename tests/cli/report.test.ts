// The end of a run as the CLI prints it.
import { formatReport } from '../../cli/report.ts';
import type { RunOutcome } from '../../functions/shared/contracts.ts';

const failed: RunOutcome = {
  runId: 'cli-local-20261124T050000Z-ab12',
  job: 'nightly',
  verdict: 'DBT_FAILED',
  reason: 'dbt reported 1 error and 1 failing test.',
  hint: 'Open run_results.json.',
  exitCode: 1,
  counts: { success: 10, pass: 20, error: 1, fail: 1, warn: 0, skipped: 2 },
  artifactsUri: 'file:///repo/.serverless-dbt/runs/cli-local-20261124T050000Z-ab12/',
};

test('a failed run: verdict, reason, hint, non-zero counts, each failing node with its first line', () => {
  const text = formatReport({
    outcome: failed,
    summary: {
      nodes: [
        { uniqueId: 'model.shop.orders', status: 'error', message: '\nDatabase Error\n  line 2' },
        { uniqueId: 'test.shop.unique_orders_id', status: 'fail', message: 'Got 1 result' },
      ],
      freshness: {
        status: 'warn',
        sources: [{ uniqueId: 'source.shop.raw.orders', status: 'warn' }],
      },
    },
    artifacts: '/repo/.serverless-dbt/runs/x',
    docs: null,
  });

  expect(text.split('\n')).toEqual([
    'run cli-local-20261124T050000Z-ab12 (job nightly): FAILED: DBT_FAILED',
    '  dbt reported 1 error and 1 failing test.',
    '  hint: Open run_results.json.',
    '  counts: 10 success, 20 pass, 1 error, 1 fail, 2 skipped',
    '     error  model.shop.orders: Database Error',
    '      fail  test.shop.unique_orders_id: Got 1 result',
    '  freshness  warn  source.shop.raw.orders',
    'artifacts: /repo/.serverless-dbt/runs/x',
  ]);
});

test("skips dbt's header naming the node, to show the database's own message", () => {
  const text = formatReport({
    outcome: failed,
    summary: {
      nodes: [
        {
          uniqueId: 'model.shop.broken_cast',
          status: 'error',
          message:
            "Runtime Error in model broken_cast (models/broken_cast.sql)\n  Conversion Error: Could not convert string 'x' to INT32",
        },
        {
          uniqueId: 'model.shop.other',
          status: 'error',
          message: 'Runtime Error in model other (models/other.sql)',
        },
      ],
    },
  });

  expect(text).toContain(
    "model.shop.broken_cast: Conversion Error: Could not convert string 'x' to INT32",
  );
  expect(text).toContain('model.shop.other: Runtime Error in model other (models/other.sql)');
});

test('lists at most 20 nodes and says how many more there are; cuts long messages', () => {
  const nodes = Array.from({ length: 25 }, (_, index) => ({
    uniqueId: `model.shop.m${index}`,
    status: 'error',
    message: 'x'.repeat(500),
  }));
  const lines = formatReport({ outcome: failed, summary: { nodes } }).split('\n');

  expect(lines.filter((line) => line.includes('model.shop.m'))).toHaveLength(20);
  expect(lines).toContain('  …and 5 more in run_results.json');
  expect(Math.max(...lines.map((line) => line.length))).toBeLessThan(220);
});

test('a run where nothing ran says so, and shows the runner error', () => {
  const text = formatReport({
    outcome: { ...failed, verdict: 'DBT_ERROR', counts: null },
    summary: {
      counts: { success: 0, error: 0 },
      nodes: [],
      error: 'parse: Compilation Error in model x',
    },
  });

  expect(text).toContain('  counts: no nodes ran');
  expect(text).toContain('  error: parse: Compilation Error in model x');
});

test('nodes skipped downstream of a failure are one line that counts them, after the failures', () => {
  const skippedBy = (index: number) => ({
    uniqueId: `model.shop.mart_${index}`,
    status: 'skipped',
    message: 'skipped because an upstream node did not succeed',
    skippedBecauseOf: ['model.shop.stg_orders'],
  });
  const text = formatReport({
    outcome: failed,
    summary: {
      nodes: [
        { uniqueId: 'model.shop.stg_orders', status: 'error', message: 'Conversion Error' },
        ...Array.from({ length: 17 }, (_, index) => skippedBy(index)),
        { uniqueId: 'model.shop.retried', status: 'skipped', message: null },
      ],
    },
  });

  expect(text.split('\n').slice(4)).toEqual([
    '     error  model.shop.stg_orders: Conversion Error',
    '   skipped  17 skipped downstream of stg_orders',
    '   skipped  model.shop.retried',
  ]);
});

test("Evaluate's groups of skipped nodes (a local run's report) are shown as summary.json's are", () => {
  const text = formatReport({
    outcome: failed,
    summary: {
      nodes: [{ uniqueId: 'model.shop.stg_orders', status: 'error', message: 'Binder Error' }],
      skippedDownstream: [{ of: ['model.shop.stg_orders'], count: 22 }],
    },
  });

  expect(text.split('\n').slice(4)).toEqual([
    '     error  model.shop.stg_orders: Binder Error',
    '   skipped  22 skipped downstream of stg_orders',
  ]);
});

test('a run with slow models shows each with its time and its usual time', () => {
  const text = formatReport({
    outcome: {
      ...failed,
      verdict: 'SUCCEEDED',
      reason: 'dbt finished successfully (exit 0).',
      hint: null,
    },
    summary: {
      counts: { success: 12 },
      nodes: [],
      slowModels: [
        { uniqueId: 'model.shop.orders', seconds: 252, medianSeconds: 65, runsCompared: 10 },
        { uniqueId: 'model.shop.customers', seconds: 95, medianSeconds: 12.4, runsCompared: 3 },
      ],
    },
  });

  expect(text.split('\n').slice(3)).toEqual([
    '      slow  orders: 4m12s, usually 1m05s',
    '      slow  customers: 1m35s, usually 12s',
  ]);
});

test('a state-aware run says what it built and deferred, after the counts', () => {
  const text = formatReport({
    outcome: {
      ...failed,
      verdict: 'SUCCEEDED',
      reason: 'dbt finished successfully (exit 0).',
      hint: null,
    },
    summary: {
      counts: { success: 0 },
      nodes: [],
      stateAware: { reason: 'nothing changed since run run-41: no model built, 15 deferred' },
    },
  });

  expect(text.split('\n').slice(2)).toEqual([
    '  counts: no nodes ran',
    '  state-aware: nothing changed since run run-41: no model built, 15 deferred',
  ]);
});

test('a node with no message (null, empty or blank) is its status and id, with no dangling colon', () => {
  const text = formatReport({
    outcome: failed,
    summary: {
      nodes: [
        { uniqueId: 'model.shop.orders', status: 'error', message: null },
        { uniqueId: 'model.shop.customers', status: 'error', message: '' },
        { uniqueId: 'test.shop.unique_orders_id', status: 'fail', message: ' \n ' },
      ],
    },
  });
  expect(text.split('\n').slice(4)).toEqual([
    '     error  model.shop.orders',
    '     error  model.shop.customers',
    '      fail  test.shop.unique_orders_id',
  ]);
});
