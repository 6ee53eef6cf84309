// What a pull request's check shows of a Slim CI run (docs/slim-ci.md): the job's step summary
// (markdown, GitHub shows it on the check's page) and one annotation per node that did not
// pass, on the file that defines it, so that the failure shows up in the pull request's diff.
// Pure: the caller reads the run's manifest and writes where GitHub Actions expects.
import { relative } from 'node:path';
import type { NodeOutcome } from '../../functions/shared/contracts.ts';
import { DBT_ERROR_HEADER_RE } from '../report.ts';

/** GitHub shows at most 10 error annotations of a step; the rest would be dropped silently. */
export const MAX_ANNOTATIONS = 10;

/** The parts of a run's manifest.json the check needs. */
export interface ManifestForCheck {
  nodes?: Record<string, { original_file_path?: string; schema?: string; resource_type?: string }>;
  sources?: Record<string, { original_file_path?: string }>;
  /** dbt keeps unit tests apart from the other nodes. */
  unit_tests?: Record<string, { original_file_path?: string }>;
}

/** The schema the pull request's models went to, as dbt resolved it (`<base>_pr_<N>`). */
export function schemaOf(manifest: ManifestForCheck | null): string | null {
  for (const node of Object.values(manifest?.nodes ?? {})) {
    if (node.resource_type === 'model' && node.schema) return node.schema;
  }
  return null;
}

/**
 * A node's file as a path from the repository's root (where GitHub anchors annotations), or
 * null when the manifest does not know it.
 */
export function nodeFile(
  manifest: ManifestForCheck | null,
  uniqueId: string,
  projectDir: string,
  repoRoot: string,
): string | null {
  const inProject =
    manifest?.nodes?.[uniqueId]?.original_file_path ??
    manifest?.sources?.[uniqueId]?.original_file_path ??
    manifest?.unit_tests?.[uniqueId]?.original_file_path;
  if (!inProject) return null;
  const path = relative(repoRoot, `${projectDir}/${inProject}`);
  return path.startsWith('..') ? null : path;
}

// Workflow commands: a value ends at a newline, and a property also at ',' or ':'.
// https://docs.github.com/actions/reference/workflow-commands-for-github-actions
const escapeData = (text: string) =>
  text.replaceAll('%', '%25').replaceAll('\r', '%0D').replaceAll('\n', '%0A');
const escapeProperty = (text: string) =>
  escapeData(text).replaceAll(':', '%3A').replaceAll(',', '%2C');

const FAILED = new Set(['error', 'fail', 'runtime error']);
const WARNED = new Set(['warn']);

/**
 * `::error file=…,title=…::message` for each node that failed (and `::warning` for warnings);
 * the caller prints the first MAX_ANNOTATIONS.
 */
export function annotations(
  nodes: readonly Pick<NodeOutcome, 'uniqueId' | 'status' | 'message'>[],
  fileOf: (uniqueId: string) => string | null,
): string[] {
  const lines: string[] = [];
  for (const node of nodes) {
    const level = FAILED.has(node.status) ? 'error' : WARNED.has(node.status) ? 'warning' : null;
    if (level === null) continue;
    const file = fileOf(node.uniqueId);
    const properties = [
      ...(file === null ? [] : [`file=${escapeProperty(file)}`]),
      `title=${escapeProperty(`${node.uniqueId}: ${node.status}`)}`,
    ].join(',');
    // The title names the node already; dbt's header line would say it again.
    const messageLines = (node.message ?? '').split('\n');
    while (messageLines.length > 1 && DBT_ERROR_HEADER_RE.test((messageLines[0] ?? '').trim())) {
      messageLines.shift();
    }
    const message = messageLines.join('\n').trim() || `dbt reported ${node.status}`;
    lines.push(`::${level} ${properties}::${escapeData(message)}`);
  }
  return lines;
}

/** A fence longer than any run of backticks in the text, so no message can close it early. */
function fenced(text: string): string {
  const longest = Math.max(2, ...[...text.matchAll(/`+/g)].map((match) => match[0].length));
  const fence = '`'.repeat(longest + 1);
  return `${fence}text\n${text}\n${fence}`;
}

export interface StepSummary {
  pullRequest: number;
  /** What the run did: `build` of what changed, or `drop` of the schema. */
  action: 'build' | 'drop';
  verdict: string;
  /** The state-aware sentence (summary.json's stateAware.reason), for a build. */
  stateAware?: string | null;
  schema?: string | null;
  /** Where the state compared with came from (s3://…/latest/). */
  stateUri?: string | null;
  /** formatReport's text: the verdict, counts, nodes, artifacts. */
  report: string;
  /** Annotations left out past MAX_ANNOTATIONS. */
  annotationsOmitted?: number;
}

export function stepSummary(summary: StepSummary): string {
  const outcome = summary.verdict === 'SUCCEEDED' ? 'succeeded' : `failed: ${summary.verdict}`;
  const what =
    summary.action === 'build'
      ? `dbt build of what pull request #${summary.pullRequest} changed`
      : `the schema of pull request #${summary.pullRequest} dropped`;
  const lines = [`### Slim CI: ${what}: ${outcome}`, ''];
  if (summary.stateAware) lines.push(`- ${summary.stateAware}`);
  if (summary.stateUri) lines.push(`- compared with and deferred to \`${summary.stateUri}\``);
  if (summary.schema) lines.push(`- built into schema \`${summary.schema}\``);
  if ((summary.annotationsOmitted ?? 0) > 0) {
    lines.push(
      `- ${summary.annotationsOmitted} more nodes did not pass than the ${MAX_ANNOTATIONS} annotated in the diff; all are listed below`,
    );
  }
  if (lines.length > 2) lines.push('');
  lines.push(fenced(summary.report), '');
  return lines.join('\n');
}
