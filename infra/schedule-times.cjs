// @ts-check
'use strict';
// When an EventBridge Scheduler expression runs, in its time zone: the times of a cron(...)
// (AWS's six fields: minutes hours day-of-month month day-of-week year), the fixed interval of
// a rate(...), and the single time of an at(...). settings.cjs uses it to refuse a cron whose
// local time does not exist on a daylight saving day, config.cjs to size each job's "no
// successful run" alarm. Local time comes from the platform's Intl time zone data (Node's
// full ICU), never from a table of our own. No network, no AWS SDK.
//
// What EventBridge Scheduler does on daylight saving days (Scheduler User Guide, "Daylight
// saving time"): a cron time that does not exist (spring forward) is skipped; a time that
// exists twice (fall back) runs once.

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;
// How far ahead a schedule is laid out: each daylight saving change twice, and long enough
// for any weekday pattern to repeat.
const HORIZON_DAYS = 731;

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
// AWS numbers the days of the week from 1 = Sunday.
const WEEKDAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];
const RATE_UNIT_SECONDS = { minute: 60, hour: 3600, day: 86400 };

/** An expression EventBridge Scheduler would not run as written; the message says why. */
class ScheduleSyntaxError extends Error {
  /** @param {string} message */
  constructor(message) {
    super(message);
    this.name = 'ScheduleSyntaxError';
  }
}

/**
 * The day-of-month field: `?`, a set of days, or one of AWS's special days.
 * @typedef {{ any: true } | { days: Set<number> } | { last: true, weekday: boolean }
 *   | { nearestWeekday: number }} DayOfMonth
 *
 * The day-of-week field (1 = Sunday): `?`, a set of days, the last given day of the month
 * (`6L`), or the nth given day of the month (`3#2`).
 * @typedef {{ any: true } | { days: Set<number> } | { lastOf: number } | { nth: number, of: number }} DayOfWeek
 *
 * @typedef {{
 *   minutes: number[],
 *   hours: number[],
 *   dayOfMonth: DayOfMonth,
 *   months: Set<number>,
 *   dayOfWeek: DayOfWeek,
 *   years: Set<number>,
 * }} Cron
 *
 * @typedef {{ kind: 'cron', cron: Cron }
 *   | { kind: 'rate', seconds: number }
 *   | { kind: 'at', local: string }} Schedule
 *
 * A local date and time, as the numbers the wall clock shows.
 * @typedef {{ year: number, month: number, day: number, hour: number, minute: number }} LocalTime
 *
 * One scheduled local time and the instants (epoch ms) it names: none in a spring-forward gap,
 * two in a fall-back overlap, else one.
 * @typedef {{ local: LocalTime, instants: number[] }} Occurrence
 */

/**
 * @param {string} text
 * @param {string} field
 * @param {number} min
 * @param {number} max
 * @param {string[]} [names] names for min, min+1, ... (JAN, SUN)
 * @returns {number}
 */
function fieldNumber(text, field, min, max, names) {
  const index = names?.indexOf(text.toUpperCase()) ?? -1;
  const number = index >= 0 ? min + index : /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isInteger(number) || number < min || number > max) {
    throw new ScheduleSyntaxError(`${field} '${text}' is not from ${min} to ${max}`);
  }
  return number;
}

/**
 * A field of numbers: `*`, `a`, `a-b`, `a/step`, `*\/step`, `a-b/step`, and lists of these.
 * @param {string} text
 * @param {string} field
 * @param {number} min
 * @param {number} max
 * @param {string[]} [names]
 * @returns {number[]} sorted, each once
 */
function numberSet(text, field, min, max, names) {
  /** @type {Set<number>} */
  const values = new Set();
  for (const part of text.split(',')) {
    const match = /^([^/-]+)(?:-([^/]+))?(?:\/(\d+))?$/.exec(part);
    if (match === null) throw new ScheduleSyntaxError(`${field} '${part}' is not understood`);
    const [, start = '', end, stepText] = match;
    const step = stepText === undefined ? 1 : Number(stepText);
    if (step < 1) throw new ScheduleSyntaxError(`${field} '${part}' has a step of 0`);
    const from = start === '*' ? min : fieldNumber(start, field, min, max, names);
    const to =
      end !== undefined
        ? fieldNumber(end, field, min, max, names)
        : start === '*' || stepText !== undefined
          ? max
          : from;
    if (to < from) throw new ScheduleSyntaxError(`${field} '${part}' runs backwards`);
    for (let value = from; value <= to; value += step) values.add(value);
  }
  return [...values].sort((a, b) => a - b);
}

/**
 * @param {string} text
 * @returns {DayOfMonth}
 */
function dayOfMonth(text) {
  if (text === '?') return { any: true };
  if (text === 'L' || text === 'LW') return { last: true, weekday: text === 'LW' };
  const nearest = /^(\d+)W$/.exec(text);
  if (nearest !== null)
    return { nearestWeekday: fieldNumber(nearest[1] ?? '', 'day-of-month', 1, 31) };
  return { days: new Set(numberSet(text, 'day-of-month', 1, 31)) };
}

/**
 * @param {string} text
 * @returns {DayOfWeek}
 */
function dayOfWeek(text) {
  if (text === '?') return { any: true };
  // `L` alone is the last day of the week, Saturday.
  if (text.toUpperCase() === 'L') return { days: new Set([7]) };
  const last = /^(\w+)L$/i.exec(text);
  if (last !== null) return { lastOf: fieldNumber(last[1] ?? '', 'day-of-week', 1, 7, WEEKDAYS) };
  const nth = /^(\w+)#(\d)$/.exec(text);
  if (nth !== null) {
    return {
      of: fieldNumber(nth[1] ?? '', 'day-of-week', 1, 7, WEEKDAYS),
      nth: fieldNumber(nth[2] ?? '', 'the week in day-of-week', 1, 5),
    };
  }
  return { days: new Set(numberSet(text, 'day-of-week', 1, 7, WEEKDAYS)) };
}

/**
 * Parse an EventBridge Scheduler expression.
 * @param {string} expression cron(...), rate(...) or at(...)
 * @returns {Schedule}
 * @throws {ScheduleSyntaxError}
 */
function parseSchedule(expression) {
  const rate = /^rate\((\d+) (minute|hour|day)s?\)$/.exec(expression);
  if (rate !== null) {
    const value = Number(rate[1]);
    if (value < 1) throw new ScheduleSyntaxError('a rate must be at least 1');
    const unit = /** @type {keyof typeof RATE_UNIT_SECONDS} */ (rate[2]);
    return { kind: 'rate', seconds: value * RATE_UNIT_SECONDS[unit] };
  }
  const at = /^at\((\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)\)$/.exec(expression);
  if (at !== null) return { kind: 'at', local: at[1] ?? '' };
  const cron = /^cron\((.*)\)$/.exec(expression);
  const fields = cron?.[1]?.trim().split(/\s+/) ?? [];
  if (fields.length !== 6) {
    throw new ScheduleSyntaxError(
      'must be cron(minutes hours day-of-month month day-of-week year), rate(...) or at(...)',
    );
  }
  const [minutes = '', hours = '', dom = '', month = '', dow = '', year = ''] = fields;
  if ((dom === '?') === (dow === '?')) {
    throw new ScheduleSyntaxError(
      'one of day-of-month and day-of-week must be ?, and only one (cron(0 6 * * ? *), cron(0 6 ? * MON *))',
    );
  }
  return {
    kind: 'cron',
    cron: {
      minutes: numberSet(minutes, 'minutes', 0, 59),
      hours: numberSet(hours, 'hours', 0, 23),
      dayOfMonth: dayOfMonth(dom),
      months: new Set(numberSet(month, 'month', 1, 12, MONTHS)),
      dayOfWeek: dayOfWeek(dow),
      years: new Set(numberSet(year, 'year', 1970, 2199)),
    },
  };
}

/** @param {number} year @param {number} month 1-12 */
const daysInMonth = (year, month) => new Date(Date.UTC(year, month, 0)).getUTCDate();
/** AWS's day of the week, 1 = Sunday. @param {number} year @param {number} month @param {number} day */
const weekdayOf = (year, month, day) => new Date(Date.UTC(year, month - 1, day)).getUTCDay() + 1;

/**
 * The weekday (Monday to Friday) nearest to `day` within its month, as AWS's `W`.
 * @param {number} year @param {number} month @param {number} day
 */
function nearestWeekday(year, month, day) {
  const last = daysInMonth(year, month);
  const weekday = weekdayOf(year, month, day);
  if (weekday === 7) return day === 1 ? 3 : day - 1;
  if (weekday === 1) return day === last ? day - 2 : day + 1;
  return day;
}

/**
 * Whether the cron runs on a local date.
 * @param {Cron} cron
 * @param {number} year @param {number} month @param {number} day
 */
function runsOn(cron, year, month, day) {
  if (!cron.years.has(year) || !cron.months.has(month)) return false;
  const last = daysInMonth(year, month);
  const dom = cron.dayOfMonth;
  if ('days' in dom) return dom.days.has(day);
  if ('last' in dom) return day === (dom.weekday ? nearestWeekday(year, month, last) : last);
  if ('nearestWeekday' in dom) {
    return dom.nearestWeekday <= last && day === nearestWeekday(year, month, dom.nearestWeekday);
  }
  const dow = cron.dayOfWeek;
  const weekday = weekdayOf(year, month, day);
  if ('days' in dow) return dow.days.has(weekday);
  if ('lastOf' in dow) return weekday === dow.lastOf && day + 7 > last;
  if ('nth' in dow) return weekday === dow.of && Math.ceil(day / 7) === dow.nth;
  return true;
}

/** @type {Map<string, Intl.DateTimeFormat>} */
const formats = new Map();

/**
 * The zone's offset from UTC at an instant, in ms (Berlin in winter: +3,600,000).
 * @param {string} timeZone
 * @param {number} instant epoch ms
 */
function offsetAt(timeZone, instant) {
  let format = formats.get(timeZone);
  if (format === undefined) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formats.set(timeZone, format);
  }
  /** @type {Record<string, number>} */
  const parts = {};
  for (const part of format.formatToParts(instant)) parts[part.type] = Number(part.value);
  const wall = Date.UTC(
    parts.year ?? 0,
    (parts.month ?? 1) - 1,
    parts.day ?? 1,
    parts.hour ?? 0,
    parts.minute ?? 0,
    parts.second ?? 0,
  );
  return wall - (instant - (instant % 1000));
}

/**
 * How local wall-clock times map to instants around one local date: one offset, or the
 * instant where the offset changes and the offsets before and after. Real zones change
 * their offset at most once within a few days.
 * @typedef {{ before: number, after: number, change: number }} DayOffsets
 *
 * @param {string} timeZone
 * @param {number} wallMidnight the local date's midnight as if it were UTC, epoch ms
 * @returns {DayOffsets}
 */
function dayOffsets(timeZone, wallMidnight) {
  let low = wallMidnight - 2 * DAY_MS;
  let high = wallMidnight + 3 * DAY_MS;
  const before = offsetAt(timeZone, low);
  const after = offsetAt(timeZone, high);
  if (before === after) return { before, after, change: high };
  // The first minute with the new offset.
  while (high - low > MINUTE_MS) {
    const middle = low + Math.floor((high - low) / 2 / MINUTE_MS) * MINUTE_MS;
    if (offsetAt(timeZone, middle) === before) low = middle;
    else high = middle;
  }
  return { before, after, change: high };
}

/**
 * The instants a local wall-clock time names: none (a gap), one, or two (an overlap).
 * @param {DayOffsets} offsets
 * @param {number} wall the local time as if it were UTC, epoch ms
 * @returns {number[]}
 */
function instantsOf(offsets, wall) {
  /** @type {number[]} */
  const instants = [];
  const early = wall - offsets.before;
  if (early < offsets.change) instants.push(early);
  const late = wall - offsets.after;
  if (late >= offsets.change && late !== early) instants.push(late);
  return instants;
}

/**
 * Each scheduled local time of a cron from one local date to another (inclusive), in order.
 * @param {Cron} cron
 * @param {string} timeZone
 * @param {number} fromDay a local date as its midnight in UTC, epoch ms
 * @param {number} toDay
 * @returns {Generator<Occurrence>}
 */
function* occurrences(cron, timeZone, fromDay, toDay) {
  for (let midnight = fromDay; midnight <= toDay; midnight += DAY_MS) {
    const date = new Date(midnight);
    const year = date.getUTCFullYear();
    const month = date.getUTCMonth() + 1;
    const day = date.getUTCDate();
    if (!runsOn(cron, year, month, day)) continue;
    const offsets = dayOffsets(timeZone, midnight);
    for (const hour of cron.hours) {
      for (const minute of cron.minutes) {
        const wall = midnight + (hour * 60 + minute) * MINUTE_MS;
        yield { local: { year, month, day, hour, minute }, instants: instantsOf(offsets, wall) };
      }
    }
  }
}

/**
 * The local date an instant falls on, as its midnight in UTC.
 * @param {string} timeZone
 * @param {number} instant
 */
function localDay(timeZone, instant) {
  const wall = instant + offsetAt(timeZone, instant);
  return wall - (((wall % DAY_MS) + DAY_MS) % DAY_MS);
}

/** @param {number} value */
const two = (value) => String(value).padStart(2, '0');
/** @param {LocalTime} local */
const dateOf = (local) => `${local.year}-${two(local.month)}-${two(local.day)}`;
/** @param {LocalTime} local */
const clockOf = (local) => `${two(local.hour)}:${two(local.minute)}`;

/**
 * A local date on which some of the cron's times do not exist (spring forward), which
 * EventBridge Scheduler therefore skips.
 * @typedef {{
 *   date: string,
 *   skipped: string[],
 *   kept: number,
 *   gapFrom: string,
 *   gapTo: string,
 * }} SkippedDay
 */

/**
 * The local dates from `from` to `to` on which the cron's local times fall into a daylight
 * saving gap: which times are skipped, how many of that date's runs are kept, and the gap
 * (e.g. 02:00 to 03:00). Empty for rate(), which counts fixed hours, and for at().
 * @param {string} expression
 * @param {string} timeZone
 * @param {Date} from
 * @param {Date} to
 * @returns {SkippedDay[]}
 */
function skippedDays(expression, timeZone, from, to) {
  const schedule = parseSchedule(expression);
  if (schedule.kind !== 'cron') return [];
  /** @type {Map<string, SkippedDay>} */
  const days = new Map();
  const fromDay = localDay(timeZone, from.getTime());
  const toDay = localDay(timeZone, to.getTime());
  for (const { local, instants } of occurrences(schedule.cron, timeZone, fromDay, toDay)) {
    const date = dateOf(local);
    let found = days.get(date);
    if (found === undefined) {
      found = { date, skipped: [], kept: 0, gapFrom: '', gapTo: '' };
      days.set(date, found);
    }
    if (instants.length > 0) {
      found.kept += 1;
      continue;
    }
    found.skipped.push(clockOf(local));
    const midnight = Date.UTC(local.year, local.month - 1, local.day);
    const offsets = dayOffsets(timeZone, midnight);
    const gapFrom = offsets.change + offsets.before - midnight;
    const gapTo = offsets.change + offsets.after - midnight;
    /** @param {number} wall */
    const clock = (wall) => `${two(Math.floor(wall / 3_600_000))}:${two((wall / MINUTE_MS) % 60)}`;
    found.gapFrom = clock(gapFrom);
    found.gapTo = clock(gapTo);
  }
  return [...days.values()].filter((day) => day.skipped.length > 0);
}

/**
 * The longest time between two consecutive runs from `from` to `to`, in seconds, with what
 * daylight saving does to it: a skipped time widens its gap, and a time that exists twice
 * counts as whichever of its two instants makes the gap longer. The stretch before the first
 * run and after the last counts too, so a cron whose runs end (a past year) has a gap as
 * long as the span. Infinity for at(), which runs once.
 * @param {string} expression
 * @param {string} timeZone
 * @param {Date} from
 * @param {Date} to
 */
function longestGapSeconds(expression, timeZone, from, to) {
  const schedule = parseSchedule(expression);
  if (schedule.kind === 'rate') return schedule.seconds;
  if (schedule.kind === 'at') return Number.POSITIVE_INFINITY;
  const start = from.getTime();
  const end = to.getTime();
  let longest = 0;
  let previousEarliest = start;
  for (const { instants } of occurrences(
    schedule.cron,
    timeZone,
    localDay(timeZone, start),
    localDay(timeZone, end),
  )) {
    const earliest = instants[0];
    const latest = instants[instants.length - 1];
    if (earliest === undefined || latest === undefined || latest < start || earliest > end) {
      continue;
    }
    longest = Math.max(longest, latest - previousEarliest);
    previousEarliest = earliest;
  }
  longest = Math.max(longest, end - previousEarliest);
  return longest / 1000;
}

/**
 * The stretch the checks lay a schedule out over: from now, two years.
 * @param {Date} now
 * @returns {{ from: Date, to: Date }}
 */
function horizon(now) {
  return { from: now, to: new Date(now.getTime() + HORIZON_DAYS * DAY_MS) };
}

/**
 * A duration as people say it: `45 min`, `2 h 35 min`, `31 h`, `7 d 8 h`.
 * @param {number} seconds
 */
function describeDuration(seconds) {
  const minutes = Math.ceil(seconds / 60);
  const days = Math.floor(minutes / 1440);
  const hours = Math.floor((minutes % 1440) / 60);
  const rest = minutes % 60;
  if (days >= 2) return hours === 0 ? `${days} d` : `${days} d ${hours} h`;
  const allHours = Math.floor(minutes / 60);
  if (allHours === 0) return `${rest} min`;
  return rest === 0 ? `${allHours} h` : `${allHours} h ${rest} min`;
}

/**
 * The local date (`YYYY-MM-DD`) an instant falls on in a zone.
 * @param {string} timeZone
 * @param {number} instant epoch ms
 */
function localDateOf(timeZone, instant) {
  return new Date(localDay(timeZone, instant)).toISOString().slice(0, 10);
}

/**
 * The instants (epoch ms, in order) a cron fires on one local date. A time in a spring-forward
 * gap gives none, as EventBridge Scheduler skips it; a time that exists twice (fall back)
 * counts once, at its first instant. Undefined for rate() and at(), which no date anchors.
 * @param {string} expression
 * @param {string} timeZone
 * @param {string} date `YYYY-MM-DD`
 * @returns {number[] | undefined}
 */
function firesOn(expression, timeZone, date) {
  const schedule = parseSchedule(expression);
  if (schedule.kind !== 'cron') return undefined;
  const midnight = Date.parse(`${date}T00:00:00Z`);
  /** @type {number[]} */
  const instants = [];
  for (const { instants: named } of occurrences(schedule.cron, timeZone, midnight, midnight)) {
    const first = named[0];
    if (first !== undefined) instants.push(first);
  }
  return instants.sort((a, b) => a - b);
}

/**
 * The schedule's last fire time before `instant` (epoch ms), looking back at most two years;
 * undefined for at() and for a cron that did not fire in that span. rate() counts back its
 * period, as its runs are that far apart.
 * @param {string} expression
 * @param {string} timeZone
 * @param {number} instant
 * @returns {number | undefined}
 */
function previousFireTime(expression, timeZone, instant) {
  const schedule = parseSchedule(expression);
  if (schedule.kind === 'rate') return instant - schedule.seconds * 1000;
  if (schedule.kind === 'at') return undefined;
  const lastDay = localDay(timeZone, instant);
  for (let day = lastDay; day > lastDay - HORIZON_DAYS * DAY_MS; day -= DAY_MS) {
    let latest;
    for (const { instants } of occurrences(schedule.cron, timeZone, day, day)) {
      const first = instants[0];
      if (first !== undefined && first < instant && (latest === undefined || first > latest)) {
        latest = first;
      }
    }
    if (latest !== undefined) return latest;
  }
  return undefined;
}

module.exports = {
  ScheduleSyntaxError,
  parseSchedule,
  skippedDays,
  localDateOf,
  firesOn,
  previousFireTime,
  longestGapSeconds,
  describeDuration,
  horizon,
};
