/**
 * Where a run's artifacts are under ARTIFACTS_URI (docs/design.md, "Artifacts"), as the
 * container stores them (container/dbt_runner/layout.py):
 *
 *   runs/<runId>/attempt-<N>/         each attempt's files; summary.json is written last
 *   runs/<runId>/last-attempt.json    { runId, attempt, folder }: the attempt that stored last
 *   latest/                           the last successful run's docs and artifacts
 *
 * Pure: no SDK, no I/O.
 */

/** The file in a run's folder that names its last attempt. */
export const LAST_ATTEMPT_FILE = 'last-attempt.json';

/** One attempt's folder, from the run's folder (`…/runs/<runId>/`), ending in a slash. */
export function attemptArtifactsUri(runArtifactsUri: string, attempt: number): string {
  return `${runArtifactsUri.replace(/\/+$/, '')}/attempt-${attempt}/`;
}

/** The attempt a last-attempt.json names, or undefined when it is not one. */
export function attemptNamedIn(text: string): number | undefined {
  let record: unknown;
  try {
    record = JSON.parse(text);
  } catch {
    return undefined;
  }
  const attempt =
    typeof record === 'object' && record !== null
      ? (record as { attempt?: unknown }).attempt
      : undefined;
  return typeof attempt === 'number' && Number.isInteger(attempt) && attempt >= 1
    ? attempt
    : undefined;
}
