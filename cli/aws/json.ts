// `--json` for the AWS commands: one JSON document on stdout, for scripts. The lines printed
// for people (tables, links, summaries) are left out; a followed run's progress (its states,
// its dbt log lines) goes to stderr, so a person still sees the run move while a script reads
// stdout whole. Notes and errors stay on stderr, errors one sentence with the same exit codes.
// Pure: no AWS SDK here.
import type { Report } from '../report.ts';
import type { CommandContext } from './context.ts';

export const JSON_OPTION = { json: { type: 'boolean' } } as const;

export const JSON_USAGE =
  '  --json                     one JSON document on stdout instead of the text, for scripts\n' +
  '                             (docs/cli.md shows its fields)';

/**
 * The context a command prints its lines for people with, and `emit` for its one JSON
 * document. With --json, those lines are dropped, or sent to stderr when `progress` is
 * `stderr` (a followed run's states and log); without --json, `emit` does nothing.
 */
export function jsonOutput<C extends CommandContext>(
  context: C,
  json: boolean | undefined,
  progress: 'stderr' | 'dropped' = 'dropped',
): { human: C; emit: (document: unknown) => void } {
  if (json !== true) return { human: context, emit: () => {} };
  return {
    human: { ...context, out: progress === 'stderr' ? context.err : () => {} },
    emit: (document) => context.out(JSON.stringify(document, null, 2)),
  };
}

/** An ISO time (UTC), or null: JSON has no undefined. */
export function isoOrNull(date: Date | undefined): string | null {
  return date === undefined ? null : date.toISOString();
}

/** A run's end as --json shows it: the outcome, summary.json's parts, artifacts and docs. */
export interface ReportJson {
  outcome: Report['outcome'];
  summary: NonNullable<Report['summary']> | null;
  artifacts: string | null;
  docs: string | null;
}

export function reportJson(report: Report): ReportJson {
  return {
    outcome: report.outcome,
    summary: report.summary ?? null,
    artifacts: report.artifacts ?? null,
    docs: report.docs ?? null,
  };
}
