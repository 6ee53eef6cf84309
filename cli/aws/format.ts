// The text the AWS commands print: the history table and its cells. Pure: no AWS SDK here.

/** One execution as `history` lists it. */
export interface HistoryRow {
  startDate: Date | undefined;
  stopDate: Date | undefined;
  runId: string;
  job: string;
  status: string;
  verdict: string;
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

const HEADERS = ['STARTED (UTC)', 'RUN ID', 'JOB', 'STATUS', 'VERDICT', 'DURATION', 'CONSOLE'];

/** Aligned columns, one line per row, the console link last (it is long). */
export function formatHistory(rows: HistoryRow[], now: Date): string {
  const cells = rows.map((row) => [
    utcTime(row.startDate),
    row.runId,
    row.job,
    row.status,
    row.verdict,
    durationOf(row, now),
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
