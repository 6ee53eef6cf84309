// summary.json checked and cut to fit the state, and how it sharpens a verdict's reason.
import { judge } from '../../../functions/evaluate/classify.ts';
import { buildEvaluation } from '../../../functions/evaluate/evaluate.ts';
import {
  MAX_NODES,
  parseSummary,
  type SummaryExpectation,
  summaryLocation,
} from '../../../functions/evaluate/summary.ts';
import { evaluateEvent, SETTINGS, taskState } from './events.ts';
import { summaryFile, summaryNode } from './summaries.ts';
import { stoppedTask } from './tasks.ts';

const EXPECTED = { exitCode: 1 };

function parsed(file: unknown, expected: SummaryExpectation = EXPECTED) {
  const result = parseSummary(JSON.stringify(file), expected);
  if (result.summary === null) throw new Error(`rejected: ${result.problem}`);
  return result.summary;
}

describe('parseSummary', () => {
  it('counts the nodes skipped downstream of a failure per failure, from all of them, before cutting', () => {
    const failure = summaryNode('error', 0);
    const skipped = Array.from({ length: 300 }, (_, index) => ({
      ...summaryNode('skipped', index),
      skippedBecauseOf: [failure.uniqueId],
    }));
    const unknownCause = summaryNode('skipped', 999);
    const kept = parsed(summaryFile({ nodes: [...skipped, unknownCause, failure] }));

    expect(kept.nodes.map((node) => node.uniqueId)).toStrictEqual([
      failure.uniqueId,
      unknownCause.uniqueId,
    ]);
    expect(kept.skippedDownstream).toStrictEqual([{ of: [failure.uniqueId], count: 300 }]);
    expect(kept.nodesOmitted).toBe(0);
  });

  it('keeps at most 20 groups of at most 5 failures, and counts the nodes of the rest as omitted', () => {
    const longId = `model.shop.${'x'.repeat(600)}`;
    const nodes = Array.from({ length: 25 }, (_, group) =>
      Array.from({ length: group + 1 }, (_, index) => ({
        ...summaryNode('skipped', group * 100 + index),
        skippedBecauseOf: [
          `model.shop.failed_${String(group).padStart(2, '0')}`,
          longId,
          'a',
          'b',
          'c',
          'd',
        ],
      })),
    ).flat();
    const kept = parsed(summaryFile({ nodes }));

    expect(kept.skippedDownstream).toHaveLength(20);
    expect(kept.skippedDownstream?.[0]?.count).toBe(25);
    expect(kept.skippedDownstream?.[0]?.of).toHaveLength(5);
    expect(kept.skippedDownstream?.[0]?.of[1]).toHaveLength(200);
    // Groups of 1 to 5 nodes did not fit.
    expect(kept.nodesOmitted).toBe(15);
  });

  it('leaves skippedDownstream out when no node names what skipped it, and ignores a malformed one', () => {
    const odd = { ...summaryNode('skipped', 1), skippedBecauseOf: 'model.shop.x' };
    const kept = parsed(summaryFile({ nodes: [summaryNode('error', 0), odd] }));
    expect(kept).not.toHaveProperty('skippedDownstream');
    expect(kept.nodes).toHaveLength(2);
  });

  it('keeps counts, nodes, freshness and the first failure of a summary the container wrote', () => {
    expect(parsed(summaryFile())).toStrictEqual({
      counts: { success: 12, pass: 30, error: 1, fail: 2, warn: 0, skipped: 1 },
      nodes: [
        {
          uniqueId: 'model.shop.orders',
          resourceType: 'model',
          status: 'error',
          message: 'Database Error in model orders: column "amount" does not exist',
        },
        {
          uniqueId: 'test.shop.not_null_orders_id.1a2b',
          resourceType: 'test',
          status: 'fail',
          message: 'Got 3 results, configured to fail if != 0',
        },
        {
          uniqueId: 'test.shop.unique_orders_id.3c4d',
          resourceType: 'test',
          status: 'fail',
          message: 'Got 1 result, configured to fail if != 0',
        },
        {
          uniqueId: 'model.shop.order_totals',
          resourceType: 'model',
          status: 'skipped',
          message: 'skipped because an upstream node did not succeed',
        },
      ],
      nodesOmitted: 0,
      freshness: { status: 'pass', sources: [] },
      error: 'model.shop.orders: Database Error in model orders: column "amount" does not exist',
    });
  });

  it('keeps the nodes a stopped run was running, and leaves the field out for any other run', () => {
    const stopped = parsed(
      summaryFile({ exitCode: 6, runningNodes: ['model.shop.orders', 'model.shop.customers'] }),
      { exitCode: 6 },
    );
    expect(stopped.runningNodes).toEqual(['model.shop.orders', 'model.shop.customers']);
    expect(Object.keys(parsed(summaryFile()))).not.toContain('runningNodes');
  });

  it('keeps the slow models, at most 20, and leaves the field out when the run was not compared', () => {
    const slowModel = (index: number) => ({
      uniqueId: `model.shop.m${index}`,
      seconds: 252,
      medianSeconds: 65,
      runsCompared: 10,
    });
    expect(parsed(summaryFile({ slowModels: [slowModel(0)] })).slowModels).toStrictEqual([
      slowModel(0),
    ]);
    const many = Array.from({ length: 30 }, (_, index) => slowModel(index));
    expect(parsed(summaryFile({ slowModels: many })).slowModels).toStrictEqual(many.slice(0, 20));
    expect(parsed(summaryFile({ slowModels: [] })).slowModels).toStrictEqual([]);
    expect(Object.keys(parsed(summaryFile()))).not.toContain('slowModels');
  });

  it("keeps a state-aware run's comparison, and leaves the field out for any other run", () => {
    const stateAware = {
      comparedWith: 'run-41',
      models: 15,
      built: 2,
      deferred: 13,
      fresherSources: ['source.shop.raw.orders'],
      reason: '2 of 15 models changed or read newer source data since run run-41; 13 deferred',
    };
    expect(parsed(summaryFile({ stateAware })).stateAware).toStrictEqual({
      comparedWith: 'run-41',
      models: 15,
      built: 2,
      deferred: 13,
      reason: stateAware.reason,
    });
    expect(Object.keys(parsed(summaryFile()))).not.toContain('stateAware');
    expect(parsed(summaryFile({ stateAware: { reason: 42 } })).stateAware).toBeUndefined();
  });

  it('judges a run whose slow models cannot be read as if it had none', () => {
    const kept = parsed(
      summaryFile({ slowModels: [{ uniqueId: 'model.shop.orders', seconds: 'long' }] }),
    );
    expect(kept.slowModels).toBeUndefined();
    expect(kept.counts.success).toBeGreaterThanOrEqual(0);
  });

  it('keeps at most 50 running nodes and refuses running nodes that are not ids', () => {
    const many = Array.from({ length: 80 }, (_, i) => `model.shop.m${i}`);
    expect(parsed(summaryFile({ runningNodes: many })).runningNodes).toHaveLength(MAX_NODES);
    const result = parseSummary(JSON.stringify(summaryFile({ runningNodes: [42] })), EXPECTED);
    expect(result.problem).toMatch(/^runningNodes\.0: /);
  });

  it('keeps 50 of 2,000 failing nodes, worst first, counts the rest and cuts messages to 500', () => {
    const nodes = [
      ...Array.from({ length: 700 }, (_, i) => summaryNode('skipped', i)),
      ...Array.from({ length: 600 }, (_, i) => summaryNode('warn', i)),
      ...Array.from({ length: 670 }, (_, i) => summaryNode('fail', i, `F${'x'.repeat(2000)}`)),
      ...Array.from({ length: 30 }, (_, i) => summaryNode('error', i, `E${'y'.repeat(900)}`)),
    ];
    expect(nodes).toHaveLength(2000);
    const summary = parsed(summaryFile({ nodes }));
    expect(summary.nodes).toHaveLength(MAX_NODES);
    expect(summary.nodesOmitted).toBe(1950);
    expect(summary.nodes.slice(0, 30).every((node) => node.status === 'error')).toBe(true);
    expect(summary.nodes.slice(30).every((node) => node.status === 'fail')).toBe(true);
    // Stable within a status: the container's own order (by unique id) is kept.
    expect(summary.nodes[0]?.uniqueId).toBe('model.shop.error_0000');
    expect(summary.nodes[30]?.uniqueId).toBe('model.shop.fail_0000');
    for (const node of summary.nodes) {
      expect(Array.from(node.message ?? '').length).toBeLessThanOrEqual(500);
      expect(node.message).toMatch(/…$/);
    }
    expect(summary.error).toMatch(/^model\.shop\.error_0000: Ey+…$/);
    expect(Array.from(summary.error ?? '')).toHaveLength(300);
    // Small enough for the state (Step Functions allows 256 KiB in all).
    expect(JSON.stringify(summary).length).toBeLessThan(40_000);
  });

  it('orders error, runtime error, fail, partial success, warn, skipped, then anything else', () => {
    const statuses = [
      'other',
      'skipped',
      'warn',
      'partial success',
      'fail',
      'runtime error',
      'error',
    ];
    const summary = parsed(
      summaryFile({ nodes: statuses.map((status, i) => summaryNode(status, i)) }),
    );
    expect(summary.nodes.map((node) => node.status)).toEqual([...statuses].reverse());
  });

  it('keeps warnings ahead of skipped nodes when no node failed, and then has no error line but the runner’s', () => {
    const nodes = [summaryNode('skipped', 1), summaryNode('warn', 2)];
    const summary = parsed(summaryFile({ nodes, error: null }));
    expect(summary.nodes.map((node) => node.status)).toEqual(['warn', 'skipped']);
    expect(summary.error).toBeNull();
    expect(parsed(summaryFile({ nodes, error: 'parse: Compilation Error' })).error).toBe(
      'parse: Compilation Error',
    );
  });

  it('fills missing counts with 0 and keeps extra statuses', () => {
    const summary = parsed(summaryFile({ counts: { success: 3, 'runtime error': 1 } }));
    expect(summary.counts).toStrictEqual({
      success: 3,
      'runtime error': 1,
      pass: 0,
      error: 0,
      fail: 0,
      warn: 0,
      skipped: 0,
    });
  });

  it('reads freshness, naming a source without an id, and defaults to skipped without it', () => {
    const freshness = {
      status: 'error',
      sources: [
        {
          uniqueId: 'source.shop.raw.orders',
          status: 'error',
          maxLoadedAt: '2026-03-01T00:00:00Z',
        },
        { uniqueId: null, status: 'warn', maxLoadedAt: null },
      ],
    };
    expect(parsed(summaryFile({ freshness })).freshness).toStrictEqual({
      status: 'error',
      sources: [
        { uniqueId: 'source.shop.raw.orders', status: 'error' },
        { uniqueId: 'unknown source', status: 'warn' },
      ],
    });
    const { freshness: _gone, ...without } = summaryFile();
    expect(parsed(without).freshness).toStrictEqual({ status: 'skipped', sources: [] });
  });

  it('derives a missing resource type from the unique id and keeps a null message', () => {
    const nodes = [{ uniqueId: 'snapshot.shop.orders_snap', status: 'error', message: null }];
    expect(parsed(summaryFile({ nodes })).nodes).toStrictEqual([
      {
        uniqueId: 'snapshot.shop.orders_snap',
        resourceType: 'snapshot',
        status: 'error',
        message: null,
      },
    ]);
    expect(parsed(summaryFile({ nodes })).error).toBe('snapshot.shop.orders_snap');
  });

  it.each<[string, string, RegExp]>([
    ['text that is not JSON', '{"runId": "x", ', /^not JSON/],
    ['JSON that is not an object', '[1, 2]', /the document/],
    ['a summary without counts', JSON.stringify(summaryFile({ counts: undefined })), /^counts/],
    [
      'a node without a status',
      JSON.stringify(summaryFile({ nodes: [{ uniqueId: 'model.a.b' }] })),
      /^nodes\.0\.status/,
    ],
    [
      'an earlier attempt’s summary (another exit code)',
      JSON.stringify(summaryFile({ exitCode: 0 })),
      /exit 0 but the dbt container exited 1/,
    ],
  ])('rejects %s, saying why', (_name, text, problem) => {
    const result = parseSummary(text, EXPECTED);
    expect(result.summary).toBeNull();
    expect(result.problem).toMatch(problem);
  });

  it('accepts a summary without an exit code, or with a run id other than the folder’s', () => {
    const { exitCode: _code, ...bare } = summaryFile();
    expect(parsed(bare).counts.fail).toBe(2);
    expect(parsed(summaryFile({ runId: 'set-by-a-test' })).counts.fail).toBe(2);
  });

  it('accepts any exit code when the dbt container reported none', () => {
    expect(parsed(summaryFile({ exitCode: 7 }), { exitCode: null }).counts.fail).toBe(2);
  });
});

describe('summaryLocation', () => {
  it.each([
    [
      's3://serverless-dbt-dev-artifacts/dbt/runs/r1/',
      { kind: 's3', bucket: 'serverless-dbt-dev-artifacts', key: 'dbt/runs/r1/summary.json' },
    ],
    ['s3://bucket/runs/r1', { kind: 's3', bucket: 'bucket', key: 'runs/r1/summary.json' }],
    [
      'file:///home/me/project/.serverless-dbt/runs/r1/',
      { kind: 'file', url: 'file:///home/me/project/.serverless-dbt/runs/r1/summary.json' },
    ],
  ])('finds summary.json under %s', (artifactsUri, expected) => {
    expect(summaryLocation(artifactsUri)).toMatchObject(expected);
  });

  it.each(['https://example.com/runs/r1/', 's3://', '/tmp/runs/r1/', ''])(
    'finds nothing under %j',
    (artifactsUri) => {
      expect(summaryLocation(artifactsUri)).toBeUndefined();
    },
  );
});

describe('a reason with the summary', () => {
  const evaluateWith = (exitCode: number, file: Record<string, unknown>) => {
    const state = taskState(stoppedTask({ exitCode }));
    const summary = parsed(file, { exitCode });
    return buildEvaluation(evaluateEvent(state), SETTINGS, judge(state, SETTINGS), summary);
  };

  it('counts what failed, and names the first failure, for DBT_FAILED', () => {
    const evaluation = evaluateWith(1, summaryFile());
    expect(evaluation.reason).toBe(
      'dbt reported failures (exit 1): 1 error, 2 failing tests, 1 skipped node; first: model.shop.orders: Database Error in model orders: column "amount" does not exist.',
    );
    expect(evaluation.output.counts).toStrictEqual(evaluation.summary?.counts);
  });

  it('mentions stale sources for DBT_FAILED', () => {
    const evaluation = evaluateWith(
      1,
      summaryFile({
        nodes: [],
        counts: { success: 3 },
        freshness: { status: 'error', sources: [{ uniqueId: 'source.a.b', status: 'error' }] },
        error: 'freshness: stale sources',
      }),
    );
    expect(evaluation.reason).toBe(
      'dbt reported failures (exit 1): stale sources; first: freshness: stale sources.',
    );
  });

  it('quotes the runner’s error for DBT_ERROR', () => {
    const evaluation = evaluateWith(
      2,
      summaryFile({
        exitCode: 2,
        nodes: [],
        error: "parse: Compilation Error in model orders: unexpected '}'",
      }),
    );
    expect(evaluation.reason).toBe(
      "dbt could not run (exit 2): parse: Compilation Error in model orders: unexpected '}'.",
    );
  });

  it('quotes the runner’s error for CONFIG_ERROR (exit 3)', () => {
    const evaluation = evaluateWith(
      3,
      summaryFile({
        exitCode: 3,
        nodes: [],
        counts: {},
        error: 'credentials: DBT_REDSHIFT_PASSWORD is not set',
      }),
    );
    expect(evaluation.reason).toBe(
      'The dbt container is misconfigured (exit 3): credentials: DBT_REDSHIFT_PASSWORD is not set.',
    );
  });

  it('leaves a success’s reason as it is', () => {
    const evaluation = evaluateWith(0, summaryFile({ exitCode: 0, nodes: [], error: null }));
    expect(evaluation.reason).toBe('dbt finished successfully (exit 0).');
    expect(evaluation.output.counts?.success).toBe(12);
  });
});
