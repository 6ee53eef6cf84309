// The text the AWS commands print: the history table and its cells. Pure: no AWS SDK here.
import { formatUsd } from '../../functions/shared/cost.ts';

/** One execution as `history` lists it. */
export interface HistoryRow {
  startDate: Date | undefined;
  stopDate: Date | undefined;
  runId: string;
  job: string;
  status: string;
  verdict: string;
  /** What the run cost at list prices; undefined when its outcome does not say. */
  costUsd?: number | undefined;
  link: string;
}

/** `2026-11-24 22:03:07` (UTC). */
export function utcTime(date: Date | undefined): string {
  if (date === undefined) return '-';
  return `${date.toISOString().slice(0, 19).replace('T', ' ')}`;
}

/** `45s`, `12m 03s`, `2h 05m`. */
export function formatDuration(milliseconds: number): string {
  const seconds = Math.max(0, Math.round(milliseconds / 1000));
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m ${String(seconds % 60).padStart(2, '0')}s`;
  return `${Math.floor(minutes / 60)}h ${String(minutes % 60).padStart(2, '0')}m`;
}

/** How long the run took, or has been running (`12m 03s…`). */
export function durationOf(row: Pick<HistoryRow, 'startDate' | 'stopDate'>, now: Date): string {
  if (row.startDate === undefined) return '-';
  if (row.stopDate === undefined) {
    return `${formatDuration(now.getTime() - row.startDate.getTime())}…`;
  }
  return formatDuration(row.stopDate.getTime() - row.startDate.getTime());
}

const HEADERS = [
  'STARTED (UTC)',
  'RUN ID',
  'JOB',
  'STATUS',
  'VERDICT',
  'DURATION',
  'COST',
  'CONSOLE',
];

/** Aligned columns, one line per row, the console link last (it is long). */
export function formatHistory(rows: HistoryRow[], now: Date): string {
  const cells = rows.map((row) => [
    utcTime(row.startDate),
    row.runId,
    row.job,
    row.status,
    row.verdict,
    durationOf(row, now),
    row.costUsd === undefined ? '-' : formatUsd(row.costUsd),
    row.link,
  ]);
  const table = [HEADERS, ...cells];
  const widths = HEADERS.map((_, column) =>
    Math.max(...table.map((line) => (line[column] ?? '').length)),
  );
  return table
    .map((line) =>
      line
        .map((cell, column) =>
          column === line.length - 1 ? cell : cell.padEnd(widths[column] ?? 0),
        )
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

const DAYS_PER_MONTH = 365 / 12;
const MS_PER_DAY = 24 * 60 * 60 * 1000;

/** What a job costs a month, projected from its listed runs. */
export interface MonthlyProjection {
  /** Runs with a known cost. */
  costedRuns: number;
  averageUsd: number | undefined;
  /** Runs a month at the pace the listed runs started; undefined with fewer than two. */
  runsPerMonth: number | undefined;
  monthlyUsd: number | undefined;
}

/**
 * The job's monthly cost: the average cost of its listed runs times the runs a month at the
 * pace they started (runs observed per day, from the first listed start to the last). A
 * schedule's cron is not read: manual runs and retries cost too, and count as observed.
 */
export function monthlyProjection(
  rows: ReadonlyArray<Pick<HistoryRow, 'startDate' | 'costUsd'>>,
): MonthlyProjection {
  const costs = rows.flatMap((row) => (row.costUsd === undefined ? [] : [row.costUsd]));
  const averageUsd =
    costs.length === 0 ? undefined : costs.reduce((sum, usd) => sum + usd, 0) / costs.length;
  const starts = rows.flatMap((row) =>
    row.startDate === undefined ? [] : [row.startDate.getTime()],
  );
  const spanDays = starts.length < 2 ? 0 : (Math.max(...starts) - Math.min(...starts)) / MS_PER_DAY;
  // n starts span n - 1 intervals.
  const runsPerMonth = spanDays > 0 ? ((starts.length - 1) / spanDays) * DAYS_PER_MONTH : undefined;
  const monthlyUsd =
    averageUsd === undefined || runsPerMonth === undefined ? undefined : averageUsd * runsPerMonth;
  return { costedRuns: costs.length, averageUsd, runsPerMonth, monthlyUsd };
}

/** `nightly: $0.0123 a run on average (4 runs with a cost), 30.4 runs a month as started: about $0.37 a month` */
export function formatProjection(job: string, projection: MonthlyProjection): string {
  if (projection.averageUsd === undefined) return `${job}: no listed run says what it cost`;
  const average = `${formatUsd(projection.averageUsd)} a run on average (${projection.costedRuns} run${projection.costedRuns === 1 ? '' : 's'} with a cost)`;
  if (projection.runsPerMonth === undefined || projection.monthlyUsd === undefined) {
    return `${job}: ${average}; one run is too few to project a month`;
  }
  return `${job}: ${average}, ${projection.runsPerMonth.toFixed(1)} runs a month as started: about ${formatUsd(projection.monthlyUsd)} a month`;
}
