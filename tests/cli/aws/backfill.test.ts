// How `serverless-dbt backfill` schedules its dates (runPlan), with runs the test ends itself:
// how many are in flight, what a failure and an interruption stop. No AWS here.
import { runPlan } from '../../../cli/aws/backfill.ts';
import type { PlannedDate } from '../../../cli/aws/backfill-plan.ts';

const planOf = (...dates: string[]): PlannedDate[] =>
  dates.map((date) => ({ date, scheduledTime: `${date}T05:00:00Z`, input: {} }));

/** Runs that end when the test says, recording which are in flight. */
function controlledRuns() {
  const inFlight = new Set<string>();
  const ends = new Map<string, (verdict: string) => void>();
  let most = 0;
  const runDate = (item: { date: string }) =>
    new Promise<{ date: string; verdict: string; note: string; failed: boolean }>((resolve) => {
      inFlight.add(item.date);
      most = Math.max(most, inFlight.size);
      ends.set(item.date, (verdict) => {
        inFlight.delete(item.date);
        resolve({ date: item.date, verdict, note: '', failed: verdict !== 'SUCCEEDED' });
      });
    });
  const settle = () => new Promise((resolve) => setImmediate(resolve));
  const end = async (date: string, verdict = 'SUCCEEDED') => {
    await settle();
    const finish = ends.get(date);
    if (finish === undefined) throw new Error(`${date} has not started`);
    finish(verdict);
    await settle();
  };
  return { inFlight, runDate, end, most: () => most, settle };
}

describe('runPlan', () => {
  it.each([1, 2, 3])(
    'keeps %i date(s) in flight, never more, until the last',
    async (concurrency) => {
      const runs = controlledRuns();
      const plan = planOf('2026-11-01', '2026-11-02', '2026-11-03', '2026-11-04');
      const done = runPlan({
        plan,
        concurrency,
        keepGoing: false,
        signal: new AbortController().signal,
        runDate: runs.runDate,
        report: () => {},
      });
      await runs.settle();
      expect(runs.inFlight.size).toBe(concurrency);
      for (const { date } of plan) await runs.end(date);
      const results = await done;
      expect(runs.most()).toBe(concurrency);
      expect(results.map((result) => result.verdict)).toEqual(Array(4).fill('SUCCEEDED'));
    },
  );

  it('after a failure starts nothing new, reports the running date, then the rest as not started', async () => {
    const runs = controlledRuns();
    const reported: string[] = [];
    const done = runPlan({
      plan: planOf('2026-11-01', '2026-11-02', '2026-11-03', '2026-11-04'),
      concurrency: 2,
      keepGoing: false,
      signal: new AbortController().signal,
      runDate: runs.runDate,
      report: (result) => reported.push(`${result.date} ${result.verdict}`),
    });
    await runs.end('2026-11-01', 'DBT_FAILED');
    expect([...runs.inFlight]).toEqual(['2026-11-02']);
    await runs.end('2026-11-02');
    await done;
    expect(reported).toEqual([
      '2026-11-01 DBT_FAILED',
      '2026-11-02 SUCCEEDED',
      '2026-11-03 NOT_STARTED',
      '2026-11-04 NOT_STARTED',
    ]);
  });

  it('once interrupted starts nothing new and waits for the running date', async () => {
    const runs = controlledRuns();
    const controller = new AbortController();
    const done = runPlan({
      plan: planOf('2026-11-01', '2026-11-02'),
      concurrency: 1,
      keepGoing: true,
      signal: controller.signal,
      runDate: runs.runDate,
      report: () => {},
    });
    await runs.settle();
    controller.abort();
    await runs.end('2026-11-01');
    const results = await done;
    expect(results.map((result) => [result.date, result.verdict, result.note])).toEqual([
      ['2026-11-01', 'SUCCEEDED', ''],
      ['2026-11-02', 'NOT_STARTED', 'not started: interrupted'],
    ]);
  });
});
