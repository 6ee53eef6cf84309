/**
 * Nodes skipped because something upstream failed, collapsed into one line per failure:
 * "17 skipped downstream of stg_orders". summary.json names, for each skipped node, the failed
 * nodes that skipped it (`skippedBecauseOf`, docs/design.md); Evaluate, Notify and the CLI
 * list the failures and count what they took down with them. Pure: no I/O.
 */

/** A node of summary.json, as far as the collapse reads it. */
export interface SkippableNode {
  uniqueId: string;
  status: string;
  skippedBecauseOf?: string[] | undefined;
}

/** `count` nodes skipped because the nodes `of` failed. */
export interface SkippedDownstream {
  of: string[];
  count: number;
}

/**
 * The nodes still listed one by one (failures, and skipped nodes whose cause is not known), in
 * their order, and the groups of skipped nodes by the failures that skipped them, largest first.
 */
export function collapseSkipped<T extends SkippableNode>(
  nodes: readonly T[],
): { listed: T[]; skippedDownstream: SkippedDownstream[] } {
  const listed: T[] = [];
  const groups = new Map<string, SkippedDownstream>();
  for (const node of nodes) {
    const of = node.status === 'skipped' ? node.skippedBecauseOf : undefined;
    if (!of || of.length === 0) {
      listed.push(node);
      continue;
    }
    const key = of.join('\n');
    const group = groups.get(key);
    if (group) group.count += 1;
    else groups.set(key, { of: [...of], count: 1 });
  }
  const skippedDownstream = [...groups.values()].sort(
    (a, b) => b.count - a.count || a.of.join('\n').localeCompare(b.of.join('\n')),
  );
  return { listed, skippedDownstream };
}

// A generic test's id ends with a hash of its arguments, which says nothing to a reader.
const TEST_HASH_RE = /\.[0-9a-f]{10}$/;

/** `model.shop.stg_orders` → `stg_orders`: the unique id without its type and package. */
export function nodeName(uniqueId: string): string {
  const parts = uniqueId.split('.');
  if (parts.length < 3) return uniqueId;
  const name = parts.slice(2).join('.');
  return parts[0] === 'test' ? name.replace(TEST_HASH_RE, '') : name;
}

/** `17 skipped downstream of stg_orders`, `2 skipped downstream of stg_orders and stg_items`. */
export function skippedDownstreamText(group: SkippedDownstream): string {
  const names = group.of.map(nodeName);
  const last = names.pop() ?? '';
  const of = names.length > 0 ? `${names.join(', ')} and ${last}` : last;
  return `${group.count.toLocaleString('en-US')} skipped downstream of ${of}`;
}
