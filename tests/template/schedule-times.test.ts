// infra/schedule-times.cjs: when an EventBridge Scheduler expression runs in its time zone,
// with the platform's own time zone data. The dates below are the zones' published rules
// (EU: last Sunday of March; US: second Sunday of March; New South Wales: first Sunday of
// October; Chile: first Sunday of September at midnight; Lord Howe Island: half an hour).
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { REPO_ROOT } from '../support/packaged.ts';

interface SkippedDay {
  date: string;
  skipped: string[];
  kept: number;
  gapFrom: string;
  gapTo: string;
}

const scheduleTimes = createRequire(import.meta.url)(
  join(REPO_ROOT, 'infra', 'schedule-times.cjs'),
) as {
  ScheduleSyntaxError: new (message: string) => Error;
  parseSchedule: (expression: string) => { kind: string; seconds?: number };
  skippedDays: (expression: string, zone: string, from: Date, to: Date) => SkippedDay[];
  longestGapSeconds: (expression: string, zone: string, from: Date, to: Date) => number;
  describeDuration: (seconds: number) => string;
  firesOn: (expression: string, zone: string, date: string) => number[] | undefined;
  previousFireTime: (expression: string, zone: string, instant: number) => number | undefined;
  localDateOf: (zone: string, instant: number) => string;
};

const FROM = new Date('2026-12-01T00:00:00Z');
const TO = new Date('2027-12-01T00:00:00Z');
const HOUR = 3600;
const skipped = (cron: string, zone: string) => scheduleTimes.skippedDays(cron, zone, FROM, TO);
const longestGap = (cron: string, zone: string) =>
  scheduleTimes.longestGapSeconds(cron, zone, FROM, TO);

describe('the daylight saving gap of a cron', () => {
  it.each([
    ['Europe/Berlin', 'cron(30 2 * * ? *)', '2027-03-28', '02:30', '02:00', '03:00'],
    ['America/New_York', 'cron(30 2 * * ? *)', '2027-03-14', '02:30', '02:00', '03:00'],
    ['Australia/Sydney', 'cron(30 2 * * ? *)', '2027-10-03', '02:30', '02:00', '03:00'],
    ['America/Santiago', 'cron(30 0 * * ? *)', '2027-09-05', '00:30', '00:00', '01:00'],
    ['Australia/Lord_Howe', 'cron(15 2 * * ? *)', '2027-10-03', '02:15', '02:00', '02:30'],
  ])('in %s skips the daily %s on %s, the whole day', (zone, cron, date, time, from, to) => {
    expect(skipped(cron, zone)).toEqual([
      { date, skipped: [time], kept: 0, gapFrom: from, gapTo: to },
    ]);
  });

  it('in UTC skips nothing', () => {
    expect(skipped('cron(30 2 * * ? *)', 'UTC')).toEqual([]);
    expect(skipped('cron(* * * * ? *)', 'UTC')).toEqual([]);
  });

  it('skips nothing for a time outside the gap, nor on the day the clocks go back', () => {
    expect(skipped('cron(30 3 * * ? *)', 'Europe/Berlin')).toEqual([]);
    expect(skipped('cron(30 1 * * ? *)', 'America/New_York')).toEqual([]);
  });

  it('skips one run of an hourly job and keeps the other 23 that day', () => {
    expect(skipped('cron(15 * * * ? *)', 'Europe/Berlin')).toEqual([
      { date: '2027-03-28', skipped: ['02:15'], kept: 23, gapFrom: '02:00', gapTo: '03:00' },
    ]);
  });

  it('skips a weekly Sunday 02:30 in Berlin on the one Sunday the clocks go forward', () => {
    expect(skipped('cron(30 2 ? * SUN *)', 'Europe/Berlin').map((day) => day.date)).toEqual([
      '2027-03-28',
    ]);
  });

  it('has nothing to skip for rate(), which counts fixed hours, nor for at()', () => {
    expect(skipped('rate(1 hour)', 'Europe/Berlin')).toEqual([]);
    expect(skipped('at(2027-03-28T02:30:00)', 'Europe/Berlin')).toEqual([]);
  });
});

describe('the longest gap between two runs', () => {
  it('is 24 h for a daily UTC job', () => {
    expect(longestGap('cron(30 2 * * ? *)', 'UTC')).toBe(24 * HOUR);
  });

  it('is 25 h for a daily Berlin job, across the night the clocks go back', () => {
    expect(longestGap('cron(30 3 * * ? *)', 'Europe/Berlin')).toBe(25 * HOUR);
  });

  it('is 47 h for a daily job whose time the spring-forward day skips', () => {
    expect(longestGap('cron(30 2 * * ? *)', 'Europe/Berlin')).toBe(47 * HOUR);
    expect(longestGap('cron(30 2 * * ? *)', 'America/New_York')).toBe(47 * HOUR);
    expect(longestGap('cron(15 2 * * ? *)', 'Australia/Lord_Howe')).toBe(47.5 * HOUR);
  });

  it('is 2 h for an hourly Berlin job: the repeated hour runs once, at either of its times', () => {
    expect(longestGap('cron(15 * * * ? *)', 'Europe/Berlin')).toBe(2 * HOUR);
    expect(longestGap('cron(15 * * * ? *)', 'UTC')).toBe(HOUR);
  });

  it('spans the weekend for a weekday job, and counts the extra hour of the fall-back weekend', () => {
    expect(longestGap('cron(0 6 ? * MON-FRI *)', 'UTC')).toBe(72 * HOUR);
    // 2027-10-31, the night the clocks go back, is a Sunday.
    expect(longestGap('cron(0 6 ? * MON-FRI *)', 'Europe/Berlin')).toBe(73 * HOUR);
  });

  it('is the rate of a rate() job, which Scheduler does not shift', () => {
    expect(longestGap('rate(15 minutes)', 'Europe/Berlin')).toBe(900);
    expect(longestGap('rate(1 day)', 'Europe/Berlin')).toBe(24 * HOUR);
  });

  it('is endless for at(), and the rest of the span for a cron whose runs end', () => {
    expect(longestGap('at(2027-01-01T00:00:00)', 'UTC')).toBe(Number.POSITIVE_INFINITY);
    // Its last run is on 2027-01-01; the span ends on 2027-12-01.
    expect(longestGap('cron(0 0 1 1 ? 2027)', 'UTC')).toBe(
      (TO.getTime() - Date.UTC(2027, 0, 1)) / 1000,
    );
  });
});

describe("AWS's cron syntax", () => {
  const datesOf = (cron: string) =>
    skipped(cron, 'Europe/Berlin').map((day) => `${day.date} ${day.skipped.join(',')}`);

  it.each([
    // 2027-03-28 is the last Sunday of March, its fourth Sunday, and a Sunday (1 or SUN).
    ['cron(30 2 ? MAR 1L *)', ['2027-03-28 02:30']],
    ['cron(30 2 ? 3 SUN#4 *)', ['2027-03-28 02:30']],
    ['cron(30 2 ? 3 1#5 *)', []],
    ['cron(30 2 28 MAR ? 2027)', ['2027-03-28 02:30']],
    ['cron(30 2 28 MAR ? 2028)', []],
    ['cron(0/20 2 ? * SUN *)', ['2027-03-28 02:00,02:20,02:40']],
    ['cron(10-50/20 1-3 ? * 1 *)', ['2027-03-28 02:10,02:30,02:50']],
    ['cron(30 2 L * ? *)', []],
  ])('reads %s', (cron, dates) => {
    expect(datesOf(cron)).toEqual(dates);
  });

  it.each([
    // January 2027 ends on a Sunday, so its last weekday is Friday the 29th; February's 28th
    // is a Sunday, so Friday the 26th; February 6th is a Saturday, so the weekday nearest is
    // Friday the 5th.
    ['L', '2027-01-31', '2027-02-28'],
    ['LW', '2027-01-29', '2027-02-26'],
    ['6W', '2027-01-06', '2027-02-05'],
  ])('reads %s in the day of the month: runs on %s, then on %s', (day, first, second) => {
    // From an hour before the first run to the second: the gap is the one between them.
    const from = new Date(Date.parse(first) - HOUR * 1000);
    const to = new Date(second);
    expect(scheduleTimes.longestGapSeconds(`cron(0 0 ${day} * ? 2027)`, 'UTC', from, to)).toBe(
      (Date.parse(second) - Date.parse(first)) / 1000,
    );
  });

  it.each([
    ['cron(0 2 * * * *)', /one of day-of-month and day-of-week must be \?/],
    ['cron(0 2 ? * ? *)', /one of day-of-month and day-of-week must be \?/],
    ['cron(0 24 * * ? *)', /hours '24' is not from 0 to 23/],
    ['cron(60 2 * * ? *)', /minutes '60' is not from 0 to 59/],
    ['cron(0 2 * FOO ? *)', /month 'FOO' is not from 1 to 12/],
    ['cron(0 2 ? * 8 *)', /day-of-week '8' is not from 1 to 7/],
    ['cron(0 5-2 * * ? *)', /hours '5-2' runs backwards/],
    ['cron(0 2 * * ?)', /must be cron\(minutes hours day-of-month month day-of-week year\)/],
  ])('refuses %s, saying why', (cron, message) => {
    expect(() => scheduleTimes.parseSchedule(cron)).toThrow(message);
    expect(() => scheduleTimes.parseSchedule(cron)).toThrow(scheduleTimes.ScheduleSyntaxError);
  });

  it('reads rate() in minutes, hours and days', () => {
    expect(scheduleTimes.parseSchedule('rate(1 minute)')).toEqual({ kind: 'rate', seconds: 60 });
    expect(scheduleTimes.parseSchedule('rate(2 hours)')).toEqual({ kind: 'rate', seconds: 7200 });
    expect(scheduleTimes.parseSchedule('rate(3 days)')).toEqual({
      kind: 'rate',
      seconds: 259_200,
    });
  });
});

test.each([
  [45 * 60, '45 min'],
  [2 * HOUR + 35 * 60, '2 h 35 min'],
  [31 * HOUR, '31 h'],
  [7 * 24 * HOUR + 10 * HOUR, '7 d 10 h'],
  [14 * 24 * HOUR, '14 d'],
])('says %i seconds as %s', (seconds, said) => {
  expect(scheduleTimes.describeDuration(seconds)).toBe(said);
});

describe('the fire times of one date, and the one before a time (scheduled runs and backfill)', () => {
  const iso = (instants: number[] | undefined) =>
    instants?.map((instant) => new Date(instant).toISOString());

  it('gives none for a time in the gap when the clocks go forward, and the first of a time that exists twice', () => {
    expect(iso(scheduleTimes.firesOn('cron(30 2 * * ? *)', 'Europe/Berlin', '2026-03-29'))).toEqual(
      [],
    );
    // 02:30 exists twice on 25 October: CEST (00:30Z) first, then CET (01:30Z).
    expect(iso(scheduleTimes.firesOn('cron(30 2 * * ? *)', 'Europe/Berlin', '2026-10-25'))).toEqual(
      ['2026-10-25T00:30:00.000Z'],
    );
  });

  it('gives every time of a date in order, and no date-bound time for rate() or at()', () => {
    expect(iso(scheduleTimes.firesOn('cron(0 6,18 * * ? *)', 'UTC', '2026-11-24'))).toEqual([
      '2026-11-24T06:00:00.000Z',
      '2026-11-24T18:00:00.000Z',
    ]);
    expect(scheduleTimes.firesOn('rate(1 day)', 'UTC', '2026-11-24')).toBeUndefined();
    expect(scheduleTimes.firesOn('at(2026-11-24T06:00:00)', 'UTC', '2026-11-24')).toBeUndefined();
  });

  it('finds the previous fire time over days the cron does not run, and none for at()', () => {
    // Monday 06:00 UTC: the run before is Friday's.
    const monday = Date.parse('2026-11-30T06:00:00Z');
    const friday = scheduleTimes.previousFireTime('cron(0 6 ? * MON-FRI *)', 'UTC', monday);
    expect(new Date(friday ?? 0).toISOString()).toBe('2026-11-27T06:00:00.000Z');
    expect(
      scheduleTimes.previousFireTime('at(2026-11-24T06:00:00)', 'UTC', monday),
    ).toBeUndefined();
    // A cron whose only year has passed: nothing within the two years looked back.
    expect(scheduleTimes.previousFireTime('cron(0 6 1 1 ? 2020)', 'UTC', monday)).toBeUndefined();
  });

  it("dates an instant by the zone's wall clock", () => {
    const instant = Date.parse('2026-11-24T03:00:00Z');
    expect(scheduleTimes.localDateOf('America/New_York', instant)).toBe('2026-11-23');
    expect(scheduleTimes.localDateOf('Asia/Tokyo', instant)).toBe('2026-11-24');
  });
});
