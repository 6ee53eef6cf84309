import { prepareRun } from '../../../functions/prepare/prepare.ts';
import { mergeVars, scheduledVars } from '../../../functions/prepare/scheduled-vars.ts';
import { InvalidRunInput } from '../../../functions/shared/run-input.ts';
import { DEV_SETTINGS, jobLock, prepareEvent } from './events.ts';

const BERLIN_SIX = { cron: 'cron(0 6 * * ? *)', timezone: 'Europe/Berlin' };

describe('scheduledVars', () => {
  it("gives run_date in the job's zone and the interval from its previous fire time", () => {
    // 06:00 in Berlin is 05:00 UTC in winter.
    expect(scheduledVars('2026-11-24T05:00:00Z', BERLIN_SIX)).toStrictEqual({
      scheduled_time: '2026-11-24T05:00:00Z',
      run_date: '2026-11-24',
      data_interval_start: '2026-11-23T05:00:00Z',
      data_interval_end: '2026-11-24T05:00:00Z',
    });
  });

  it('spans 23 hours on the day the clocks go forward (Berlin, 29 March 2026)', () => {
    // Saturday 06:00 CET is 05:00 UTC; Sunday 06:00 CEST is 04:00 UTC.
    expect(scheduledVars('2026-03-29T04:00:00Z', BERLIN_SIX)).toMatchObject({
      run_date: '2026-03-29',
      data_interval_start: '2026-03-28T05:00:00Z',
      data_interval_end: '2026-03-29T04:00:00Z',
    });
  });

  it('spans 25 hours on the day the clocks go back (Berlin, 25 October 2026)', () => {
    expect(scheduledVars('2026-10-25T05:00:00Z', BERLIN_SIX)).toMatchObject({
      run_date: '2026-10-25',
      data_interval_start: '2026-10-24T04:00:00Z',
    });
  });

  it("dates a run by the job's zone, not UTC: 22:00 in New York is the next day in UTC", () => {
    const newYork = { cron: 'cron(0 22 ? * MON-FRI *)', timezone: 'America/New_York' };
    // Monday 23 November 2026, 22:00 EST = Tuesday 03:00 UTC; the run before is Friday's.
    expect(scheduledVars('2026-11-24T03:00:00Z', newYork)).toStrictEqual({
      scheduled_time: '2026-11-24T03:00:00Z',
      run_date: '2026-11-23',
      data_interval_start: '2026-11-21T03:00:00Z',
      data_interval_end: '2026-11-24T03:00:00Z',
    });
  });

  it('counts a rate() schedule back by its period', () => {
    expect(
      scheduledVars('2026-11-24T05:00:00Z', { cron: 'rate(6 hours)', timezone: 'UTC' }),
    ).toMatchObject({ data_interval_start: '2026-11-23T23:00:00Z' });
  });

  it('gives a job with no schedule an empty interval and its UTC date', () => {
    expect(scheduledVars('2026-11-24T23:30:00Z', undefined)).toStrictEqual({
      scheduled_time: '2026-11-24T23:30:00Z',
      run_date: '2026-11-24',
      data_interval_start: '2026-11-24T23:30:00Z',
      data_interval_end: '2026-11-24T23:30:00Z',
    });
  });

  it('refuses a date the calendar does not have, naming scheduledTime', () => {
    expect(() => scheduledVars('2026-02-30T05:00:00Z', BERLIN_SIX)).toThrow(
      new InvalidRunInput('scheduledTime', '2026-02-30T05:00:00Z is not a date in the calendar'),
    );
  });

  it('lets a var the input sets win over the scheduled one, name by name', () => {
    const scheduled = scheduledVars('2026-11-24T05:00:00Z', BERLIN_SIX);
    expect(mergeVars(scheduled, { run_date: '2020-01-01', region: 'eu' })).toStrictEqual({
      ...scheduled,
      run_date: '2020-01-01',
      region: 'eu',
    });
    expect(mergeVars(undefined, { region: 'eu' })).toStrictEqual({ region: 'eu' });
  });
});

describe('prepareRun with a scheduled time', () => {
  const settings = { ...DEV_SETTINGS, schedules: { nightly: BERLIN_SIX } };

  it("puts the scheduled time's vars in RUN_SPEC, under the input's own vars", () => {
    const { run } = prepareRun(
      prepareEvent({
        job: 'nightly',
        scheduledTime: '2026-03-29T04:00:00Z',
        vars: { data_interval_start: '2026-01-01T00:00:00Z', region: 'eu' },
      }),
      settings,
    );
    expect(JSON.parse(run.runSpec).vars).toStrictEqual({
      scheduled_time: '2026-03-29T04:00:00Z',
      run_date: '2026-03-29',
      data_interval_start: '2026-01-01T00:00:00Z',
      data_interval_end: '2026-03-29T04:00:00Z',
      region: 'eu',
    });
  });

  it('gives a run without a scheduled time no such vars', () => {
    const { run } = prepareRun(prepareEvent({ job: 'nightly' }), settings);
    expect(JSON.parse(run.runSpec)).not.toHaveProperty('vars');
  });

  it("locks a backfill run on its job and date, and a schedule's run on its job", () => {
    const input = { job: 'nightly', scheduledTime: '2026-03-29T04:00:00Z' };
    const backfill = prepareRun(prepareEvent(input, 'cli-backfill-nightly-2026-03-29'), settings);
    expect(backfill.run.lock?.key).toBe(`${jobLock('nightly')}#date#2026-03-29`);
    const scheduled = prepareRun(prepareEvent(input), settings);
    expect(scheduled.run.lock?.key).toBe(jobLock('nightly'));
  });

  it('refuses vars that outgrow their limit once the scheduled ones are added, naming vars', () => {
    const input = {
      job: 'nightly',
      scheduledTime: '2026-03-29T04:00:00Z',
      vars: { padding: 'x'.repeat(1950) },
    };
    expect(() => prepareRun(prepareEvent(input), settings)).toThrow(
      /^vars: must be at most 2048 bytes as compact JSON once the scheduled time's vars are added \(got \d+\)$/,
    );
  });
});
