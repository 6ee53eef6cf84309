// One model's trend across a job's successful runs, from each run's run_results.json.
import { isModel, modelHistoryOf, modelInRunResults } from '../../../cli/aws/model-history.ts';

describe('a model in run_results.json', () => {
  const text = JSON.stringify({
    results: [
      { unique_id: 'model.shop.stg_orders', status: 'success', execution_time: 1.5 },
      { unique_id: 'model.shop.orders', status: 'error', execution_time: 3.25 },
      { unique_id: 'test.shop.orders', status: 'pass', execution_time: 9 },
    ],
  });

  test('is found by name or unique id, with its time and status', () => {
    expect(modelInRunResults(text, 'orders')).toEqual({ seconds: 3.25, status: 'error' });
    expect(modelInRunResults(text, 'model.shop.stg_orders')).toEqual({
      seconds: 1.5,
      status: 'success',
    });
  });

  test('is not run when the run did not build it, and unreadable when the file is not results', () => {
    expect(modelInRunResults(text, 'customers')).toEqual({ seconds: null, status: 'not run' });
    expect(modelInRunResults('{', 'orders')).toEqual({ seconds: null, status: 'unreadable' });
    expect(modelInRunResults('{"results": 1}', 'orders')).toEqual({
      seconds: null,
      status: 'unreadable',
    });
  });

  test('a name matches models only, never a test or seed of the same name', () => {
    expect(isModel('model.shop.orders', 'orders')).toBe(true);
    expect(isModel('model.shop.orders.v2', 'orders.v2')).toBe(true);
    expect(isModel('seed.shop.orders', 'orders')).toBe(false);
    expect(isModel('seed.shop.orders', 'seed.shop.orders')).toBe(true);
  });
});

describe('the trend', () => {
  const run = (job: string, day: number, seconds: number | null, status = 'success') => ({
    job,
    runId: `${job}-${day}`,
    finishedAt: `2026-11-0${day}T05:00:00Z`,
    seconds,
    status,
  });

  test('lists the runs newest first; each job’s median is of the runs that built the model', () => {
    const history = modelHistoryOf('orders', [
      run('nightly', 1, 10),
      run('nightly', 3, 40),
      run('nightly', 2, 20),
      run('nightly', 4, null, 'not run'),
      run('nightly', 5, 500, 'error'),
      run('hourly', 2, 1),
    ]);
    expect(history.runs.map((item) => item.runId)).toEqual([
      'nightly-5',
      'nightly-4',
      'nightly-3',
      'hourly-2',
      'nightly-2',
      'nightly-1',
    ]);
    expect(history.jobs).toEqual([
      { job: 'hourly', medianSeconds: 1, runsCompared: 1 },
      { job: 'nightly', medianSeconds: 20, runsCompared: 3 },
    ]);
    expect(modelHistoryOf('orders', [run('nightly', 1, 10), run('nightly', 2, 30)]).jobs).toEqual([
      { job: 'nightly', medianSeconds: 20, runsCompared: 2 },
    ]);
  });
});
