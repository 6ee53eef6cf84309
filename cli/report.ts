// The end of a run as the CLI prints it, for `local` and `start --wait` alike: the verdict
// and reason, the counts, the nodes that did not succeed, and where the artifacts and the
// docs page are. Plain text, no colour codes (it ends up in CI logs).
import type { RunOutcome } from '../functions/shared/contracts.ts';
import {
  collapseSkipped,
  type SkippedDownstream,
  skippedDownstreamText,
} from '../functions/shared/skipped-downstream.ts';
import { type SlowModel, slowModelText } from '../functions/shared/slow-models.ts';

/** The parts of summary.json (docs/design.md) the report shows. */
export interface SummaryForReport {
  counts?: Record<string, number>;
  nodes?: Array<{
    uniqueId: string;
    status: string;
    message: string | null;
    skippedBecauseOf?: string[];
  }>;
  /** Evaluate's groups of nodes skipped downstream of a failure (summary.json has them per node). */
  skippedDownstream?: SkippedDownstream[];
  freshness?: { status: string; sources: Array<{ uniqueId: string; status: string }> };
  error?: string | null;
  /** Models slower than usual against the job's earlier successful runs. */
  slowModels?: SlowModel[];
  /** A state-aware run's comparison: its `reason` says what was built and deferred, and why. */
  stateAware?: { reason: string };
}

export interface Report {
  outcome: RunOutcome;
  summary?: SummaryForReport | null;
  /** Where the artifacts are, as the user can open them (a folder, or an s3:// URI). */
  artifacts?: string | null;
  /** The docs page: a file path, or a presigned link. */
  docs?: string | null;
}

const LISTED_NODES = 20;
const MESSAGE_CHARACTERS = 160;

// dbt opens a node's error with a header naming the node, which the report already shows:
// `Runtime Error in model orders (models/marts/orders.sql)`.
export const DBT_ERROR_HEADER_RE = /^\w[\w ]* Error in \w+ \S+ \(.*\)$/;

/** The first telling line of a message: dbt's header is skipped when more follows. */
function firstLine(text: string | null | undefined): string {
  const lines = (text ?? '').split('\n').filter((candidate) => candidate.trim() !== '');
  const telling = lines.find((candidate) => !DBT_ERROR_HEADER_RE.test(candidate.trim()));
  const line = telling ?? lines[0] ?? '';
  const trimmed = line.trim();
  return trimmed.length > MESSAGE_CHARACTERS
    ? `${trimmed.slice(0, MESSAGE_CHARACTERS - 1)}…`
    : trimmed;
}

function nodeLine(node: { uniqueId: string; status: string; message: string | null }): string {
  const message = firstLine(node.message);
  const line = `  ${node.status.padStart(8)}  ${node.uniqueId}`;
  return message === '' ? line : `${line}: ${message}`;
}

export function formatReport(report: Report): string {
  const { outcome, summary } = report;
  const lines: string[] = [];
  const status = outcome.verdict === 'SUCCEEDED' ? 'succeeded' : 'FAILED';
  lines.push(`run ${outcome.runId} (job ${outcome.job}): ${status}: ${outcome.verdict}`);
  lines.push(`  ${outcome.reason}`);
  if (outcome.hint) lines.push(`  hint: ${outcome.hint}`);
  const counts = summary?.counts ?? outcome.counts;
  if (counts) {
    const shown = Object.entries(counts)
      .filter(([, count]) => count > 0)
      .map(([name, count]) => `${count} ${name}`);
    lines.push(`  counts: ${shown.length > 0 ? shown.join(', ') : 'no nodes ran'}`);
  }
  if (summary?.stateAware) lines.push(`  state-aware: ${summary.stateAware.reason}`);
  // Nodes skipped because others failed: one line per failure rather than one per node.
  const { listed: nodes, skippedDownstream: collapsed } = collapseSkipped(summary?.nodes ?? []);
  const skippedDownstream = [...(summary?.skippedDownstream ?? []), ...collapsed];
  const failed = nodes.filter((node) => node.status !== 'skipped');
  const entries = [
    ...failed.map((node) => ({ line: nodeLine(node), stands: 1 })),
    ...skippedDownstream.map((group) => ({
      line: `  ${'skipped'.padStart(8)}  ${skippedDownstreamText(group)}`,
      stands: group.count,
    })),
    ...nodes
      .filter((node) => node.status === 'skipped')
      .map((node) => ({ line: nodeLine(node), stands: 1 })),
  ];
  const shown = entries.slice(0, LISTED_NODES);
  lines.push(...shown.map(({ line }) => line));
  const total = entries.reduce((sum, { stands }) => sum + stands, 0);
  const more = total - shown.reduce((sum, { stands }) => sum + stands, 0);
  if (more > 0) lines.push(`  …and ${more} more in run_results.json`);
  for (const source of summary?.freshness?.sources ?? []) {
    if (source.status !== 'pass') {
      lines.push(`  freshness ${source.status.padStart(5)}  ${source.uniqueId}`);
    }
  }
  if (nodes.length === 0 && summary?.error) lines.push(`  error: ${firstLine(summary.error)}`);
  const slowModels = summary?.slowModels ?? [];
  for (const model of slowModels.slice(0, LISTED_NODES)) {
    lines.push(`  ${'slow'.padStart(8)}  ${slowModelText(model)}`);
  }
  if (slowModels.length > LISTED_NODES) {
    lines.push(`  …and ${slowModels.length - LISTED_NODES} more slow models in summary.json`);
  }
  if (report.artifacts) lines.push(`artifacts: ${report.artifacts}`);
  if (report.docs) lines.push(`docs:      ${report.docs}`);
  return lines.join('\n');
}
