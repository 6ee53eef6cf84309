/**
 * summary.json (docs/design.md, "summary.json"), read without trusting it and cut to
 * fit the state: Step Functions passes at most 256 KiB between states, and a run with
 * thousands of failing tests must still be judged, alerted and shown. No AWS SDK, no I/O.
 */
import * as z from 'zod';
import type { Evaluation, NodeOutcome, StatusCounts } from '../shared/contracts.ts';
import { collapseSkipped } from '../shared/skipped-downstream.ts';

export type EvaluationSummary = NonNullable<Evaluation['summary']>;

/** Nodes kept in the evaluation; the rest are only counted (`nodesOmitted`). */
export const MAX_NODES = 50;
/** Groups of nodes skipped downstream of failures kept in the evaluation; the rest are counted. */
export const MAX_GROUPS = 20;
/** Failures named per group: a node skipped by more is rare, and the alert names a few. */
export const MAX_GROUP_FAILURES = 5;
/** A failure's unique id in a group, as the alert shows one: the groups stay small in the state. */
const GROUP_ID_CHARS = 200;
/** Slow models kept in the evaluation; the container lists the slowest beyond usual first. */
export const MAX_SLOW_MODELS = 20;
/** Freshness sources kept in the evaluation. */
export const MAX_SOURCES = 50;
/** A node's message, as the container cuts it too. */
export const MESSAGE_CHARS = 500;
/** The summary's `error`: one line for an alert. */
export const ERROR_CHARS = 300;
/** A status word (success, runtime error...). */
const STATUS_CHARS = 40;
/** Counts of statuses beyond the six every summary has. */
const MAX_EXTRA_COUNTS = 20;

const COUNTED = ['success', 'pass', 'error', 'fail', 'warn', 'skipped'] as const;
/** Worst first, as the container sorts them: what broke comes before what was skipped. */
const STATUS_RANK = ['error', 'runtime error', 'fail', 'partial success', 'warn', 'skipped'];
const FAILED_STATUSES = new Set(['error', 'runtime error', 'fail']);

const nodeSchema = z.looseObject({
  uniqueId: z.string(),
  resourceType: z.string().optional(),
  status: z.string(),
  message: z.string().nullable().optional(),
  /** On a skipped node: the failed nodes upstream that skipped it. Unreadable, it is not known. */
  skippedBecauseOf: z.array(z.string()).optional().catch(undefined),
});

const slowModelSchema = z.looseObject({
  uniqueId: z.string(),
  seconds: z.number().nonnegative(),
  medianSeconds: z.number().nonnegative(),
  runsCompared: z.int().nonnegative(),
});

const stateAwareSchema = z.looseObject({
  comparedWith: z.string().nullable(),
  models: z.int().nonnegative(),
  built: z.int().nonnegative(),
  deferred: z.int().nonnegative(),
  reason: z.string(),
});

const summarySchema = z.looseObject({
  runId: z.string().optional(),
  exitCode: z.int().nullable().optional(),
  counts: z.record(z.string(), z.number()),
  nodes: z.array(nodeSchema),
  freshness: z
    .looseObject({
      status: z.string(),
      sources: z
        .array(
          z.looseObject({
            uniqueId: z.string().nullable().optional(),
            status: z.string(),
          }),
        )
        .default([]),
    })
    .optional(),
  error: z.string().nullable().optional(),
  /** Present when the run was stopped (SIGTERM or its deadline): the nodes running then. */
  runningNodes: z.array(z.string()).optional(),
  /** Present when the run was compared with the job's history. Unreadable, it is not known. */
  slowModels: z.array(slowModelSchema).optional().catch(undefined),
  /** Present for a state-aware run. Unreadable, it is not known. */
  stateAware: stateAwareSchema.optional().catch(undefined),
});

export type SummaryFile = z.infer<typeof summarySchema>;

/** What this attempt's summary must say: an earlier attempt's is not this one's. */
export interface SummaryExpectation {
  /** The dbt container's exit code; the container writes the same one into summary.json. */
  exitCode: number | null;
}

export type ParsedSummary =
  | { summary: EvaluationSummary; problem?: undefined }
  | { summary: null; problem: string };

/** summary.json's text, checked and cut; a problem instead when it cannot be used. */
export function parseSummary(text: string, expected: SummaryExpectation): ParsedSummary {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return { summary: null, problem: `not JSON (${(error as Error).message.slice(0, 200)})` };
  }
  const result = summarySchema.safeParse(json);
  if (!result.success) {
    const issue = result.error.issues[0];
    const where = issue?.path.join('.') || 'the document';
    return { summary: null, problem: `${where}: ${issue?.message ?? 'invalid'}` };
  }
  const file = result.data;
  // No check of `runId`: the file sits in the attempt's own folder (runs/<runId>/attempt-<N>/).
  // The exit code is checked all the same: a task started by hand for the same run and attempt
  // would write there too.
  if (
    typeof file.exitCode === 'number' &&
    expected.exitCode !== null &&
    file.exitCode !== expected.exitCode
  ) {
    return {
      summary: null,
      problem: `it records exit ${file.exitCode} but the dbt container exited ${expected.exitCode} (another task's summary?)`,
    };
  }
  return { summary: trimSummary(file) };
}

/**
 * The summary as the evaluation keeps it: nodes skipped because others failed counted per
 * failure (at most MAX_GROUPS groups, of at most MAX_GROUP_FAILURES failures each), the
 * other nodes listed, at most MAX_NODES, worst first.
 */
export function trimSummary(file: SummaryFile): EvaluationSummary {
  // Collapsed before the nodes are cut: the counts are of every skipped node, not of those kept.
  const { listed, skippedDownstream } = collapseSkipped(file.nodes);
  const groups = skippedDownstream.slice(0, MAX_GROUPS);
  const groupsOmitted = skippedDownstream
    .slice(MAX_GROUPS)
    .reduce((total, group) => total + group.count, 0);
  const ranked = listed
    .map((node, index) => ({ node, index, rank: rankOf(node.status) }))
    .sort((a, b) => a.rank - b.rank || a.index - b.index)
    .map(({ node }) => node);
  const nodes: NodeOutcome[] = ranked.slice(0, MAX_NODES).map((node) => ({
    uniqueId: cutText(node.uniqueId, MESSAGE_CHARS),
    resourceType: node.resourceType ?? node.uniqueId.split('.', 1)[0] ?? '',
    status: cutText(node.status, STATUS_CHARS),
    message: typeof node.message === 'string' ? cutText(node.message, MESSAGE_CHARS) : null,
  }));
  const freshness = file.freshness ?? { status: 'skipped', sources: [] };
  return {
    counts: countsOf(file.counts),
    nodes,
    nodesOmitted: ranked.length - nodes.length + groupsOmitted,
    freshness: {
      status: cutText(freshness.status, STATUS_CHARS),
      sources: freshness.sources.slice(0, MAX_SOURCES).map((source) => ({
        uniqueId: cutText(source.uniqueId ?? 'unknown source', MESSAGE_CHARS),
        status: cutText(source.status, STATUS_CHARS),
      })),
    },
    error: errorOf(ranked, file.error),
    ...(groups.length === 0
      ? {}
      : {
          skippedDownstream: groups.map((group) => ({
            of: group.of
              .slice(0, MAX_GROUP_FAILURES)
              .map((uniqueId) => cutText(uniqueId, GROUP_ID_CHARS)),
            count: group.count,
          })),
        }),
    ...(file.slowModels === undefined
      ? {}
      : {
          slowModels: file.slowModels.slice(0, MAX_SLOW_MODELS).map((model) => ({
            uniqueId: cutText(model.uniqueId, GROUP_ID_CHARS),
            seconds: model.seconds,
            medianSeconds: model.medianSeconds,
            runsCompared: model.runsCompared,
          })),
        }),
    ...(file.stateAware === undefined
      ? {}
      : {
          stateAware: {
            comparedWith:
              file.stateAware.comparedWith === null
                ? null
                : cutText(file.stateAware.comparedWith, GROUP_ID_CHARS),
            models: file.stateAware.models,
            built: file.stateAware.built,
            deferred: file.stateAware.deferred,
            reason: cutText(file.stateAware.reason, ERROR_CHARS),
          },
        }),
    ...(file.runningNodes === undefined
      ? {}
      : {
          runningNodes: file.runningNodes
            .slice(0, MAX_NODES)
            .map((uniqueId) => cutText(uniqueId, MESSAGE_CHARS)),
        }),
  };
}

/**
 * One line for an alert: the first node that errored or failed, with its message; else the
 * runner's own error (a parse error or missing credentials fail before any node runs).
 */
function errorOf(ranked: SummaryFile['nodes'], runnerError: string | null | undefined) {
  const first = ranked.find((node) => FAILED_STATUSES.has(node.status));
  if (first !== undefined) {
    const text = first.message ? `${first.uniqueId}: ${first.message}` : first.uniqueId;
    return cutText(text, ERROR_CHARS);
  }
  return runnerError ? cutText(runnerError, ERROR_CHARS) : null;
}

function rankOf(status: string): number {
  const rank = STATUS_RANK.indexOf(status);
  return rank === -1 ? STATUS_RANK.length : rank;
}

/** The six counted statuses, 0 when missing, and a few others dbt may report. */
function countsOf(counts: Record<string, number>): StatusCounts {
  const counted: readonly string[] = COUNTED;
  const extra = Object.entries(counts)
    .filter(([status]) => !counted.includes(status) && status.length <= STATUS_CHARS)
    .slice(0, MAX_EXTRA_COUNTS);
  const filled: Record<string, number> = Object.fromEntries(extra);
  for (const status of COUNTED) filled[status] = counts[status] ?? 0;
  return filled as StatusCounts;
}

function cutText(text: string, max: number): string {
  const chars = Array.from(text.trim());
  return chars.length <= max ? chars.join('') : `${chars.slice(0, max - 1).join('')}…`;
}

// --- where summary.json is -------------------------------------------------------------------

export type SummaryLocation =
  | { kind: 's3'; bucket: string; key: string; uri: string }
  | { kind: 'file'; url: string; uri: string };

/** `<artifactsUri>summary.json` as an S3 object or a local file; undefined for anything else. */
export function summaryLocation(artifactsUri: string): SummaryLocation | undefined {
  const folder = artifactsUri.endsWith('/') ? artifactsUri : `${artifactsUri}/`;
  const uri = `${folder}summary.json`;
  const s3 = /^s3:\/\/([^/]+)\/(.*)$/.exec(uri);
  if (s3?.[1] && s3[2]) return { kind: 's3', bucket: s3[1], key: s3[2], uri };
  if (uri.startsWith('file:///')) return { kind: 'file', url: uri, uri };
  return undefined;
}
