// Finding runs with `history`: which runs the filters keep (--job, --verdict, --since), and
// what each job's listed runs say (its last success, how many succeeded). Pure: no AWS SDK.
import { VERDICTS } from '../../functions/shared/contracts.ts';
import { UsageError } from '../errors.ts';
import type { HistoryRow } from './format.ts';

export interface HistoryFilter {
  job?: string | undefined;
  /** The verdicts kept; undefined: any. */
  verdicts?: ReadonlySet<string> | undefined;
  /** Runs started at or after it; undefined: any time. */
  since?: Date | undefined;
}

/** `DBT_FAILED,DBT_ERROR`: the verdicts named, each one of the contract's. */
export function parseVerdicts(text: string | undefined): Set<string> | undefined {
  if (text === undefined) return undefined;
  const names = text.split(',').map((name) => name.trim().toUpperCase());
  const unknown = names.filter((name) => !(VERDICTS as readonly string[]).includes(name));
  if (names.length === 0 || unknown.length > 0) {
    throw new UsageError(
      `--verdict must be one or more of ${VERDICTS.join(', ')}, comma-separated (got '${text}')`,
    );
  }
  return new Set(names);
}

const DURATION_RE = /^(\d+)([mhdw])$/;
const UNIT_MS = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;
// A date, or a date and time to the minute or second; an offset or Z is optional (UTC).
const ISO_RE = /^\d{4}-\d\d-\d\d(?:[T ]\d\d:\d\d(?::\d\d(?:\.\d+)?)?(?:Z|[+-]\d\d:?\d\d)?)?$/;

/**
 * `--since`: a duration back from now (`90m`, `24h`, `7d`, `2w`) or an ISO date or time
 * (`2026-12-01`, `2026-12-01T03:00`), UTC unless it names an offset.
 */
export function parseSince(text: string | undefined, now: Date): Date | undefined {
  if (text === undefined) return undefined;
  const trimmed = text.trim();
  const duration = DURATION_RE.exec(trimmed);
  if (duration !== null) {
    const count = Number(duration[1]);
    const unit = duration[2] as keyof typeof UNIT_MS;
    return new Date(now.getTime() - count * UNIT_MS[unit]);
  }
  if (ISO_RE.test(trimmed)) {
    const iso = trimmed.replace(' ', 'T');
    const zoned = /T.*(?:Z|[+-]\d\d:?\d\d)$/.test(iso) || !iso.includes('T') ? iso : `${iso}Z`;
    const date = new Date(zoned);
    if (!Number.isNaN(date.getTime())) return date;
  }
  throw new UsageError(
    `--since must be a duration such as 24h or 7d (m, h, d, w) or an ISO date or time such as 2026-12-01 or 2026-12-01T03:00 (UTC) (got '${text}')`,
  );
}

/** Whether a run's row passes the filters (--since is checked on the listing, see history.ts). */
export function rowMatches(row: Pick<HistoryRow, 'job' | 'verdict'>, filter: HistoryFilter) {
  return (
    (filter.job === undefined || row.job === filter.job) &&
    (filter.verdicts === undefined || filter.verdicts.has(row.verdict))
  );
}

/** Whether a run started before `since`: it and every run listed after it are too old. */
export function startedBefore(startDate: Date | undefined, since: Date | undefined): boolean {
  return since !== undefined && startDate !== undefined && startDate < since;
}

/** What one job's listed runs say. */
export interface JobStats {
  job: string;
  /** Listed runs that have ended (the rate's denominator). */
  ended: number;
  succeeded: number;
  /** Listed runs still running: not counted in the rate. */
  running: number;
  /** Percent of the ended runs that succeeded; null when none has ended. */
  successRate: number | null;
  /** The newest listed success: its run id and when it ended. */
  lastSuccess: { runId: string; endedAt: Date | undefined } | null;
}

/** Per job, in the order each job first appears in `rows` (newest first). */
export function jobStats(
  rows: ReadonlyArray<Pick<HistoryRow, 'job' | 'status' | 'runId' | 'startDate' | 'stopDate'>>,
): JobStats[] {
  const byJob = new Map<string, JobStats>();
  for (const row of rows) {
    let stats = byJob.get(row.job);
    if (stats === undefined) {
      stats = {
        job: row.job,
        ended: 0,
        succeeded: 0,
        running: 0,
        successRate: null,
        lastSuccess: null,
      };
      byJob.set(row.job, stats);
    }
    if (row.status === 'RUNNING' || row.status === 'PENDING_REDRIVE') {
      stats.running += 1;
      continue;
    }
    stats.ended += 1;
    if (row.status !== 'SUCCEEDED') continue;
    stats.succeeded += 1;
    const endedAt = row.stopDate ?? row.startDate;
    const last = stats.lastSuccess;
    if (last === null || (endedAt !== undefined && (last.endedAt ?? 0) < endedAt)) {
      stats.lastSuccess = { runId: row.runId, endedAt };
    }
  }
  for (const stats of byJob.values()) {
    stats.successRate = stats.ended === 0 ? null : (100 * stats.succeeded) / stats.ended;
  }
  return [...byJob.values()];
}

/** `nightly-build: 18 of 20 succeeded (90 %), last success cli-... 2026-12-01 03:31 UTC` */
export function formatJobStats(stats: JobStats): string {
  const running = stats.running === 0 ? '' : ` (${stats.running} still running)`;
  if (stats.ended === 0) return `${stats.job}: no listed run has ended yet${running}`;
  const rate = Math.round(stats.successRate ?? 0);
  const last =
    stats.lastSuccess === null
      ? 'no success among them'
      : `last success ${stats.lastSuccess.runId} ${minuteOf(stats.lastSuccess.endedAt)}`;
  return `${stats.job}: ${stats.succeeded} of ${stats.ended} succeeded (${rate} %)${running}, ${last}`;
}

function minuteOf(date: Date | undefined): string {
  return date === undefined
    ? '(time unknown)'
    : `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}
