/**
 * The Slack message for a run: Block Kit blocks and a plain fallback text, built only from
 * what the state machine passes (the prepared run and Evaluate's verdict), which never holds
 * a secret. No AWS SDK, no I/O.
 *
 * Slack's limits are kept by construction: at most 50 blocks, a header of at most 150
 * characters, sections of at most 3,000 characters, at most 10 fields of at most 2,000.
 * Of the nodes that did not succeed, the worst come first and at most MAX_LISTED_NODES are
 * listed; a last line counts the rest (and those Evaluate already left out of the state).
 * Nodes skipped because others failed are one line per failure: "17 skipped downstream of
 * stg_orders".
 *
 * Text that comes from dbt or the task (node ids and messages, reasons, stopped reasons) is
 * escaped for mrkdwn (&, <, >), so it can neither form links nor mention anyone.
 */
import type {
  Evaluation,
  NodeOutcome,
  NotifyEvent,
  PreparedRun,
  StatusCounts,
  Verdict,
} from '../shared/contracts.ts';
import { formatUsd, type RunCost } from '../shared/cost.ts';
import { type SkippedDownstream, skippedDownstreamText } from '../shared/skipped-downstream.ts';
import { modelName, type SlowModel, slowModelTiming } from '../shared/slow-models.ts';
import {
  artifactsConsoleUrl,
  executionConsoleUrl,
  logStreamConsoleUrl,
  regionOf,
} from './console-links.ts';
import { cut, escapeAndCut, escapeMrkdwn, link } from './mrkdwn.ts';

export interface TextObject {
  type: 'plain_text' | 'mrkdwn';
  text: string;
  emoji?: boolean;
}
export type SlackBlock =
  | { type: 'header'; text: TextObject & { type: 'plain_text' } }
  | { type: 'section'; text: TextObject; fields?: undefined }
  | { type: 'section'; fields: TextObject[]; text?: undefined }
  | { type: 'context'; elements: TextObject[] }
  | { type: 'divider' };

export interface SlackMessage {
  /** Shown in notifications and where blocks cannot be: plain words, mrkdwn-escaped. */
  text: string;
  blocks: SlackBlock[];
}

export interface MessageContext {
  stage: string;
  /** Fallback when the execution's ARN has no region (it always has one in AWS). */
  region?: string;
  /** The task's `awslogs-group`; without it there is no log link. */
  logGroup?: string;
  /** The task's `awslogs-stream-prefix`. */
  logStreamPrefix: string;
  containerName: string;
  docsUrl?: string;
  now: Date;
}

export const LIMITS = {
  blocks: 50,
  headerText: 150,
  sectionText: 3000,
  fields: 10,
  fieldText: 2000,
  fallbackText: 3000,
} as const;

/** Listed failing nodes at most; the rest are counted. */
export const MAX_LISTED_NODES = 50;
/** Characters of one node's message kept (dbt's own messages are cut to 500 already). */
const NODE_MESSAGE_CHARS = 300;
const NODE_ID_CHARS = 200;
/** Slow models listed at most; Evaluate keeps 20, the section's 3,000 characters fit them. */
const MAX_LISTED_SLOW_MODELS = 10;

interface VerdictLook {
  emoji: string;
  label: string;
}

const VERDICT_LOOK: Record<Verdict, VerdictLook> = {
  SUCCEEDED: { emoji: '✅', label: 'succeeded' },
  DBT_FAILED: { emoji: '❌', label: 'dbt reported failures' },
  DBT_ERROR: { emoji: '❌', label: 'dbt could not run' },
  NOTHING_SELECTED: { emoji: '🔍', label: 'the selection matched no node' },
  CONFIG_ERROR: { emoji: '⚙️', label: 'configuration error' },
  ARTIFACTS_LOST: { emoji: '⚠️', label: 'artifacts not stored' },
  OUT_OF_MEMORY: { emoji: '💥', label: 'out of memory' },
  INFRA_RETRYABLE: { emoji: '🏗️', label: 'infrastructure failure' },
  INFRA_FAILED: { emoji: '🏗️', label: 'infrastructure failure' },
  TIMED_OUT: { emoji: '⏱️', label: 'timed out' },
  CANCELLED: { emoji: '🛑', label: 'cancelled' },
  SKIPPED_OVERLAP: { emoji: '⏭️', label: 'skipped: another run is in progress' },
  INVALID_INPUT: { emoji: '🚫', label: 'invalid run input' },
};

const NO_VERDICT: VerdictLook = { emoji: '❓', label: 'finished without a verdict' };

/** Verdicts about the task or the platform rather than dbt's own results. */
export const INFRASTRUCTURE_VERDICTS: ReadonlySet<Verdict> = new Set<Verdict>([
  'INFRA_RETRYABLE',
  'INFRA_FAILED',
  'OUT_OF_MEMORY',
  'TIMED_OUT',
  'CANCELLED',
  'CONFIG_ERROR',
  'INVALID_INPUT',
  'SKIPPED_OVERLAP',
  'ARTIFACTS_LOST',
]);

/**
 * Verdicts whose run `serverless-dbt retry` can finish: dbt ran and stopped partway (failures,
 * the run's deadline, a stopped task), leaving the run_results.json that `dbt retry` starts
 * from. The others left no results (INVALID_INPUT, SKIPPED_OVERLAP, most INFRA_*), or need a
 * fix first that a retry would not bring (CONFIG_ERROR, DBT_ERROR, OUT_OF_MEMORY).
 */
export const RETRY_HELPS: ReadonlySet<Verdict> = new Set<Verdict>([
  'DBT_FAILED',
  'TIMED_OUT',
  'CANCELLED',
]);

/**
 * The command that retries the run, for a run in AWS (its artifacts in S3) whose verdict a
 * retry can help and whose summary counts the nodes dbt ran: without them the attempt left no
 * run_results.json, and `retry` would refuse it.
 */
export function retryCommandFor(
  evaluation: Evaluation | undefined,
  stage: string,
  runId: string,
  artifactsUri: string | null,
): string | undefined {
  if (evaluation === undefined || !RETRY_HELPS.has(evaluation.verdict)) return undefined;
  if (!artifactsUri?.startsWith('s3://')) return undefined;
  const counts: Record<string, number> =
    evaluation.summary?.counts ?? evaluation.output.counts ?? {};
  const ran = Object.values(counts).reduce((sum, count) => sum + count, 0);
  if (ran === 0) return undefined;
  return `bin/serverless-dbt retry --stage ${stage} ${runId}`;
}

const NODE_STATUS_RANK: Record<string, number> = { error: 0, fail: 1, runtime_error: 0, warn: 2 };
const NODE_STATUS_EMOJI: Record<string, string> = {
  error: '❌',
  runtime_error: '❌',
  fail: '❗',
  warn: '⚠️',
  skipped: '⏭️',
};

/** `1h 02m 03s`, `4m 05s`, `12s`. */
export function formatDuration(milliseconds: number): string {
  const total = Math.max(0, Math.round(milliseconds / 1000));
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = total % 60;
  const two = (value: number) => String(value).padStart(2, '0');
  if (hours > 0) return `${hours}h ${two(minutes)}m ${two(seconds)}s`;
  if (minutes > 0) return `${minutes}m ${two(seconds)}s`;
  return `${seconds}s`;
}

const COUNT_ORDER = ['success', 'pass', 'error', 'fail', 'warn', 'skipped'] as const;

export function formatCounts(counts: StatusCounts): string {
  const known = COUNT_ORDER.map((status) => `${counts[status] ?? 0} ${status}`);
  const others = Object.entries(counts)
    .filter(([status]) => !(COUNT_ORDER as readonly string[]).includes(status))
    .map(([status, count]) => `${count} ${status}`);
  return [...known, ...others].join(' · ');
}

/** `cost $0.0123`, with the attempts' split when there was more than one. */
export function costText(cost: RunCost): string {
  const split =
    cost.attempts.length > 1
      ? ` (${cost.attempts
          .map(
            (item) => `attempt ${item.attempt} on ${item.capacityProvider} ${formatUsd(item.usd)}`,
          )
          .join(', ')})`
      : '';
  return `cost ${formatUsd(cost.usd)}${split}`;
}

function commandOf(run: PreparedRun): string {
  const { spec } = run;
  const words: string[] = [`dbt ${spec.command}`];
  if (spec.macro) words.push(spec.macro);
  // Like vars, the macro's args stay out of alerts: they may carry what a channel must not.
  if (spec.args) words.push('--args …');
  if (spec.select) words.push(`--select ${spec.select}`);
  if (spec.exclude) words.push(`--exclude ${spec.exclude}`);
  if (spec.selector) words.push(`--selector ${spec.selector}`);
  if (spec.fullRefresh) words.push('--full-refresh');
  if (spec.failFast) words.push('--fail-fast');
  if (spec.warnError) words.push('--warn-error');
  if (spec.threads !== undefined) words.push(`--threads ${spec.threads}`);
  if (spec.retryOf) words.push(`(retry of ${spec.retryOf})`);
  return words.join(' ');
}

const field = (label: string, value: string): TextObject => ({
  type: 'mrkdwn',
  text: cut(`*${label}*\n${value}`, LIMITS.fieldText),
});

const mrkdwnSection = (text: string): SlackBlock => ({
  type: 'section',
  text: { type: 'mrkdwn', text: cut(text, LIMITS.sectionText) },
});

const header = (text: string): SlackBlock => ({
  type: 'header',
  text: { type: 'plain_text', text: cut(text, LIMITS.headerText), emoji: true },
});

const context = (text: string): SlackBlock => ({
  type: 'context',
  elements: [{ type: 'mrkdwn', text: cut(text, LIMITS.sectionText) }],
});

interface Identity {
  job: string;
  runId: string;
  executionArn: string;
  region: string | undefined;
}

function identityOf(event: NotifyEvent, ctx: MessageContext): Identity {
  const { run, evaluation } = event.state;
  const executionName = event.executionArn.split(':').pop() || event.executionArn;
  return {
    job: run?.job ?? evaluation?.output.job ?? 'unknown',
    runId: run?.runId ?? evaluation?.output.runId ?? executionName,
    executionArn: event.executionArn,
    region: regionOf(event.executionArn) ?? ctx.region,
  };
}

function linksLine(
  event: NotifyEvent,
  ctx: MessageContext,
  identity: Identity,
  evaluation: Evaluation | undefined,
): string | undefined {
  const { region } = identity;
  const links: string[] = [];
  if (region) links.push(link(executionConsoleUrl(identity.executionArn, region), 'Execution'));
  const taskId = evaluation?.taskId ?? event.state.task?.TaskArn?.split('/').pop() ?? null;
  if (region && ctx.logGroup && taskId) {
    const stream = `${ctx.logStreamPrefix}/${ctx.containerName}/${taskId}`;
    links.push(link(logStreamConsoleUrl(region, ctx.logGroup, stream), 'Task log'));
  }
  // The judged attempt's folder, where its run_results.json and docs are; else the run's.
  const artifactsUri = evaluation?.output.artifactsUri ?? event.state.run?.artifactsUri ?? null;
  if (region && artifactsUri && event.event === 'finished') {
    const url = artifactsConsoleUrl(artifactsUri, region);
    if (url) links.push(link(url, 'Artifacts'));
  }
  if (ctx.docsUrl) links.push(link(ctx.docsUrl, 'Docs'));
  return links.length > 0 ? links.join('  ·  ') : undefined;
}

function startedMessage(event: NotifyEvent, ctx: MessageContext): SlackMessage {
  const identity = identityOf(event, ctx);
  const { run } = event.state;
  const stage = run?.stage ?? ctx.stage;
  const blocks: SlackBlock[] = [header(`▶️ ${identity.job}: started`)];
  const fields = [field('Stage', escapeMrkdwn(stage))];
  if (run) {
    fields.push(field('Trigger', escapeMrkdwn(run.trigger)));
    fields.push(field('Command', `\`${escapeAndCut(commandOf(run), 1000)}\``));
    fields.push(field('Run', `\`${escapeMrkdwn(run.runId)}\``));
  }
  blocks.push({ type: 'section', fields });
  const links = linksLine(event, ctx, identity, undefined);
  if (links) blocks.push(context(links));
  const trigger = run ? `, ${run.trigger}` : '';
  return {
    text: cut(
      escapeMrkdwn(`▶️ dbt job ${identity.job} started (${stage}${trigger})`),
      LIMITS.fallbackText,
    ),
    blocks,
  };
}

function severity(node: NodeOutcome): number {
  return NODE_STATUS_RANK[node.status] ?? 3;
}

function nodeLine(node: NodeOutcome): string {
  const emoji = NODE_STATUS_EMOJI[node.status] ?? '•';
  const id = escapeAndCut(node.uniqueId.replace(/`/g, "'"), NODE_ID_CHARS);
  const status = escapeAndCut(node.status, 40);
  const message = node.message?.replace(/\s+/g, ' ').trim();
  // Cut by characters before escaping, so that an '&' counts once.
  const shown = message ? `: ${escapeMrkdwn(cut(message, NODE_MESSAGE_CHARS))}` : '';
  return `${emoji} \`${id}\` ${status}${shown}`;
}

/** One section: "🐢 `orders`: 4m12s, usually 1m05s", a line per model, slowest beyond usual first. */
function slowModelsText(models: SlowModel[]): string {
  const lines = models.slice(0, MAX_LISTED_SLOW_MODELS).map((model) => {
    const name = escapeAndCut(modelName(model.uniqueId).replace(/`/g, "'"), NODE_ID_CHARS);
    return `🐢 \`${name}\`: ${slowModelTiming(model)}`;
  });
  const more = models.length - lines.length;
  if (more > 0) lines.push(`…and ${more} more (see summary.json)`);
  const title = `*Slower than usual: ${models.length} ${models.length === 1 ? 'model' : 'models'}*`;
  return [title, ...lines].join('\n');
}

function skippedDownstreamLine(group: SkippedDownstream): string {
  const text = skippedDownstreamText({
    ...group,
    of: group.of.map((uniqueId) => uniqueId.replace(/`/g, "'")),
  });
  return `${NODE_STATUS_EMOJI.skipped} ${escapeAndCut(text, NODE_MESSAGE_CHARS)}`;
}

/** Sections of node lines, each within the section limit. */
function packLines(lines: string[], maxSections: number): { sections: string[]; packed: number } {
  const sections: string[] = [];
  let current = '';
  let packed = 0;
  for (const line of lines) {
    const next = current ? `${current}\n${line}` : line;
    if (next.length <= LIMITS.sectionText) {
      current = next;
      packed += 1;
      continue;
    }
    if (sections.length + 1 >= maxSections) break;
    sections.push(current);
    current = line;
    packed += 1;
  }
  if (current) sections.push(current);
  return { sections, packed };
}

function finishedMessage(event: NotifyEvent, ctx: MessageContext): SlackMessage {
  const identity = identityOf(event, ctx);
  const { run, evaluation } = event.state;
  const verdict = evaluation?.verdict;
  const look = (verdict && VERDICT_LOOK[verdict]) || NO_VERDICT;
  const stage = run?.stage ?? ctx.stage;
  const blocks: SlackBlock[] = [header(`${look.emoji} ${identity.job}: ${look.label}`)];

  // What happened, in words: for anything but a success, the reason and the hint.
  const said: string[] = [];
  if (!evaluation) {
    said.push('serverless-dbt has no verdict for this run; see the execution history.');
  } else if (verdict !== 'SUCCEEDED') {
    said.push(escapeAndCut(evaluation.reason, 1200));
    if (evaluation.summary?.error && evaluation.summary.error !== evaluation.reason) {
      said.push(`*dbt:* ${escapeAndCut(evaluation.summary.error, 600)}`);
    }
    if (evaluation.stoppedReason && INFRASTRUCTURE_VERDICTS.has(evaluation.verdict)) {
      said.push(`*Stopped:* ${escapeAndCut(evaluation.stoppedReason, 400)}`);
    }
    if (evaluation.hint) said.push(`*Hint:* ${escapeAndCut(evaluation.hint, 600)}`);
    const artifactsUri = evaluation.output.artifactsUri ?? run?.artifactsUri ?? null;
    const retry = retryCommandFor(evaluation, stage, identity.runId, artifactsUri);
    if (retry) said.push(`*Retry what failed:* \`${escapeAndCut(retry, 300)}\``);
  }
  if (said.length > 0) blocks.push(mrkdwnSection(said.join('\n')));

  const fields = [field('Stage', escapeMrkdwn(stage))];
  fields.push(field('Trigger', run ? escapeMrkdwn(run.trigger) : '—'));
  if (run) fields.push(field('Command', `\`${escapeAndCut(commandOf(run), 1000)}\``));
  const attempt = evaluation?.attempt || event.state.attempt;
  if (attempt) {
    const previous = event.state.previousAttempt;
    const note = previous ? ` (attempt ${previous.attempt}: ${previous.verdict})` : '';
    fields.push(field('Attempt', `${attempt}${note}`));
  }
  const startedAt = Date.parse(run?.startedAt ?? event.executionStartTime);
  if (Number.isFinite(startedAt)) {
    fields.push(field('Duration', formatDuration(ctx.now.getTime() - startedAt)));
  }
  fields.push(field('Run', `\`${escapeAndCut(identity.runId, 200)}\``));
  if (evaluation?.exitCode !== null && evaluation?.exitCode !== undefined) {
    fields.push(field('Exit code', String(evaluation.exitCode)));
  }
  if (evaluation?.stopCode) fields.push(field('Stop code', escapeAndCut(evaluation.stopCode, 200)));
  const freshness = evaluation?.summary?.freshness.status;
  if (freshness === 'warn' || freshness === 'error') {
    fields.push(field('Source freshness', escapeMrkdwn(freshness)));
  }
  blocks.push({ type: 'section', fields: fields.slice(0, LIMITS.fields) });

  const counts = evaluation?.summary?.counts ?? evaluation?.output.counts ?? null;
  const summaryLine = [
    ...(counts ? [formatCounts(counts)] : []),
    ...(evaluation?.cost ? [costText(evaluation.cost)] : []),
  ].join(' · ');
  if (summaryLine) blocks.push(context(escapeMrkdwn(summaryLine)));
  // What a state-aware run left alone, and why: the container's own sentence.
  const stateAware = evaluation?.summary?.stateAware;
  if (stateAware) {
    blocks.push(context(`🔁 ${escapeAndCut(`state-aware: ${stateAware.reason}`, 600)}`));
  }

  const slowModels = evaluation?.summary?.slowModels ?? [];
  if (slowModels.length > 0) blocks.push(mrkdwnSection(slowModelsText(slowModels)));

  const links = linksLine(event, ctx, identity, evaluation);
  const artifactsUri = evaluation?.output.artifactsUri ?? run?.artifactsUri ?? null;
  const nodes = evaluation?.summary?.nodes ?? [];
  const omitted = evaluation?.summary?.nodesOmitted ?? 0;
  const skippedDownstream = evaluation?.summary?.skippedDownstream ?? [];
  if (nodes.length > 0 || omitted > 0 || skippedDownstream.length > 0) {
    blocks.push({ type: 'divider' });
    // Each line and the nodes it stands for: a group of skipped nodes is one line for many.
    const ranked = nodes
      .map((node, index) => ({ node, index }))
      .sort((a, b) => severity(a.node) - severity(b.node) || a.index - b.index)
      .map(({ node }) => ({ node, line: nodeLine(node), stands: 1 }));
    const groupLines = skippedDownstream.map((group) => ({
      line: skippedDownstreamLine(group),
      stands: group.count,
    }));
    // The groups come after what failed and before the skipped nodes whose cause is not known.
    const firstSkipped = ranked.findIndex(({ node }) => node.status === 'skipped');
    const at = firstSkipped === -1 ? ranked.length : firstSkipped;
    const entries = [...ranked.slice(0, at), ...groupLines, ...ranked.slice(at)].slice(
      0,
      MAX_LISTED_NODES,
    );
    const total =
      nodes.length + omitted + skippedDownstream.reduce((sum, group) => sum + group.count, 0);
    const title = `*Did not succeed: ${total.toLocaleString('en-US')} ${total === 1 ? 'node' : 'nodes'}*`;
    // Blocks left for node sections: one for the "more" line, one for the links.
    const room = LIMITS.blocks - blocks.length - 1 - (links ? 1 : 0);
    const { sections, packed } = packLines([title, ...entries.map(({ line }) => line)], room);
    for (const text of sections) blocks.push(mrkdwnSection(text));
    const shown = entries
      .slice(0, Math.max(0, packed - 1))
      .reduce((sum, entry) => sum + entry.stands, 0);
    const more = total - shown;
    if (more > 0) {
      const where = artifactsUri ? ` in ${escapeMrkdwn(artifactsUri)}` : '';
      blocks.push(
        context(`…and ${more.toLocaleString('en-US')} more (see run_results.json${where})`),
      );
    }
  }
  if (links) blocks.push(context(links));

  const reason = evaluation && verdict !== 'SUCCEEDED' ? `: ${evaluation.reason}` : '';
  return {
    text: escapeAndCut(
      `${look.emoji} dbt job ${identity.job} ${look.label} (${stage})${reason}`,
      LIMITS.fallbackText,
    ),
    blocks,
  };
}

export function buildMessage(event: NotifyEvent, ctx: MessageContext): SlackMessage {
  return event.event === 'started' ? startedMessage(event, ctx) : finishedMessage(event, ctx);
}
