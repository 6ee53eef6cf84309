// history's filters and per-job stats, the pure parts (cli/aws/history-filter.ts), and the
// --json helpers (cli/aws/json.ts).
import type { HistoryRow } from '../../../cli/aws/format.ts';
import {
  formatJobStats,
  jobStats,
  parseSince,
  parseVerdicts,
  rowMatches,
  startedBefore,
} from '../../../cli/aws/history-filter.ts';
import { jsonOutput } from '../../../cli/aws/json.ts';
import { UsageError } from '../../../cli/errors.ts';

const NOW = new Date('2026-12-02T04:00:00Z');

describe('parseSince', () => {
  test('a duration counts back from now in minutes, hours, days or weeks', () => {
    expect(parseSince('90m', NOW)).toEqual(new Date('2026-12-02T02:30:00Z'));
    expect(parseSince('24h', NOW)).toEqual(new Date('2026-12-01T04:00:00Z'));
    expect(parseSince('7d', NOW)).toEqual(new Date('2026-11-25T04:00:00Z'));
    expect(parseSince('2w', NOW)).toEqual(new Date('2026-11-18T04:00:00Z'));
  });

  test('an ISO date or time without an offset is UTC; one with an offset keeps it', () => {
    expect(parseSince('2026-12-01', NOW)).toEqual(new Date('2026-12-01T00:00:00Z'));
    expect(parseSince('2026-12-01T03:30', NOW)).toEqual(new Date('2026-12-01T03:30:00Z'));
    expect(parseSince('2026-12-01 03:30:15', NOW)).toEqual(new Date('2026-12-01T03:30:15Z'));
    expect(parseSince('2026-12-01T03:30:15.250Z', NOW)).toEqual(
      new Date('2026-12-01T03:30:15.250Z'),
    );
    expect(parseSince('2026-12-01T03:30+01:00', NOW)).toEqual(new Date('2026-12-01T02:30:00Z'));
  });

  test('no --since is no limit', () => {
    expect(parseSince(undefined, NOW)).toBeUndefined();
  });

  test.each(['yesterday', '24', '7 d', '2026-13-01', '2026-12-01T25:00', '3y'])(
    "'%s' is a usage error naming --since and the forms it takes",
    (text) => {
      expect(() => parseSince(text, NOW)).toThrow(UsageError);
      expect(() => parseSince(text, NOW)).toThrow(
        /^--since must be a duration such as 24h or 7d .* \(got '.*'\)$/,
      );
    },
  );
});

describe('parseVerdicts', () => {
  test('takes one or more of the contract verdicts, comma-separated, in any case', () => {
    expect(parseVerdicts('DBT_FAILED')).toEqual(new Set(['DBT_FAILED']));
    expect(parseVerdicts('dbt_failed, DBT_ERROR')).toEqual(new Set(['DBT_FAILED', 'DBT_ERROR']));
    expect(parseVerdicts(undefined)).toBeUndefined();
  });

  test('an unknown verdict is a usage error listing the allowed ones', () => {
    expect(() => parseVerdicts('FAILED')).toThrow(UsageError);
    expect(() => parseVerdicts('DBT_FAILED,INFRA_*')).toThrow(
      "--verdict must be one or more of SUCCEEDED, DBT_FAILED, DBT_ERROR, NOTHING_SELECTED, CONFIG_ERROR, ARTIFACTS_LOST, OUT_OF_MEMORY, INFRA_RETRYABLE, INFRA_FAILED, TIMED_OUT, CANCELLED, SKIPPED_OVERLAP, INVALID_INPUT, comma-separated (got 'DBT_FAILED,INFRA_*')",
    );
  });
});

describe('rowMatches and startedBefore', () => {
  test('keeps the rows of the job and verdicts asked for', () => {
    const row = { job: 'nightly', verdict: 'DBT_FAILED' };
    expect(rowMatches(row, {})).toBe(true);
    expect(rowMatches(row, { job: 'nightly' })).toBe(true);
    expect(rowMatches(row, { job: 'hourly' })).toBe(false);
    expect(rowMatches(row, { verdicts: new Set(['DBT_FAILED', 'DBT_ERROR']) })).toBe(true);
    expect(rowMatches(row, { job: 'nightly', verdicts: new Set(['SUCCEEDED']) })).toBe(false);
  });

  test('a run started before --since is too old; without --since none is', () => {
    const since = new Date('2026-12-01T00:00:00Z');
    expect(startedBefore(new Date('2026-11-30T23:59:59Z'), since)).toBe(true);
    expect(startedBefore(since, since)).toBe(false);
    expect(startedBefore(new Date('2026-11-30T00:00:00Z'), undefined)).toBe(false);
  });
});

const row = (
  job: string,
  status: string,
  runId: string,
  stop: string | undefined,
): Pick<HistoryRow, 'job' | 'status' | 'runId' | 'startDate' | 'stopDate'> => ({
  job,
  status,
  runId,
  startDate: new Date('2026-11-01T00:00:00Z'),
  stopDate: stop === undefined ? undefined : new Date(stop),
});

describe('jobStats and formatJobStats', () => {
  test('per job: ended runs, successes, the rate over the ended ones and the newest success', () => {
    const stats = jobStats([
      row('nightly-build', 'RUNNING', 'r5', undefined),
      row('nightly-build', 'FAILED', 'r4', '2026-12-01T04:00:00Z'),
      row('hourly', 'SUCCEEDED', 'h1', '2026-12-01T03:45:00Z'),
      row('nightly-build', 'SUCCEEDED', 'r3', '2026-12-01T03:31:20Z'),
      row('nightly-build', 'SUCCEEDED', 'r2', '2026-11-30T03:31:00Z'),
      row('nightly-build', 'ABORTED', 'r1', '2026-11-29T03:31:00Z'),
    ]);
    expect(stats.map((entry) => entry.job)).toEqual(['nightly-build', 'hourly']);
    expect(stats[0]).toEqual({
      job: 'nightly-build',
      ended: 4,
      succeeded: 2,
      running: 1,
      successRate: 50,
      lastSuccess: { runId: 'r3', endedAt: new Date('2026-12-01T03:31:20Z') },
    });
    expect(stats.map(formatJobStats)).toEqual([
      'nightly-build: 2 of 4 succeeded (50 %) (1 still running), last success r3 2026-12-01 03:31 UTC',
      'hourly: 1 of 1 succeeded (100 %), last success h1 2026-12-01 03:45 UTC',
    ]);
  });

  test('a job without a success, and one whose runs are all still running, say so', () => {
    const stats = jobStats([
      row('broken', 'FAILED', 'b2', '2026-12-01T00:00:00Z'),
      row('broken', 'FAILED', 'b1', '2026-11-30T00:00:00Z'),
      row('broken', 'SUCCEEDED', 'b0', '2026-11-29T00:00:00Z'),
      row('slow', 'RUNNING', 's1', undefined),
    ]);
    expect(stats.map(formatJobStats)).toEqual([
      'broken: 1 of 3 succeeded (33 %), last success b0 2026-11-29 00:00 UTC',
      'slow: no listed run has ended yet (1 still running)',
    ]);
    expect(
      jobStats([row('broken', 'FAILED', 'b2', '2026-12-01T00:00:00Z')]).map(formatJobStats),
    ).toEqual(['broken: 0 of 1 succeeded (0 %), no success among them']);
  });
});

describe('jsonOutput', () => {
  const capture = () => {
    const stdout: string[] = [];
    const stderr: string[] = [];
    const context = {
      env: {},
      out: (text: string) => stdout.push(text),
      err: (text: string) => stderr.push(text),
      now: () => NOW,
      sleep: async () => {},
    };
    return { stdout, stderr, context };
  };

  test('with --json, the lines for people are dropped and the document alone is on stdout', () => {
    const { stdout, stderr, context } = capture();
    const { human, emit } = jsonOutput(context, true);
    human.out('started run r1');
    human.err('a note');
    emit({ runId: 'r1', cost: undefined });
    expect(stderr).toEqual(['a note']);
    expect(stdout).toHaveLength(1);
    expect(JSON.parse(stdout[0] ?? '')).toEqual({ runId: 'r1' });
  });

  test("a followed run's progress goes to stderr; without --json nothing changes and emit prints nothing", () => {
    const followed = capture();
    jsonOutput(followed.context, true, 'stderr').human.out('==> entered RunDbt');
    expect(followed.stderr).toEqual(['==> entered RunDbt']);
    expect(followed.stdout).toEqual([]);

    const plain = capture();
    const { human, emit } = jsonOutput(plain.context, undefined);
    human.out('a line');
    emit({ ignored: true });
    expect(plain.stdout).toEqual(['a line']);
  });
});
