// summary.json as the dbt container writes it (container/dbt_runner/summary.py).
import { RUN_ID } from './events.ts';

export interface SummaryNode {
  uniqueId: string;
  resourceType: string;
  status: string;
  message: string | null;
}

export function summaryNode(status: string, index: number, message?: string | null): SummaryNode {
  const uniqueId = `model.shop.${status.replace(' ', '_')}_${String(index).padStart(4, '0')}`;
  return {
    uniqueId,
    resourceType: 'model',
    status,
    message: message === undefined ? `${status} in ${uniqueId}` : message,
  };
}

export function summaryFile(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    runId: RUN_ID,
    job: 'nightly',
    exitCode: 1,
    command: 'build',
    dbtVersion: '1.10.4',
    startedAt: '2026-03-02T05:00:13.000Z',
    finishedAt: '2026-03-02T05:09:40.000Z',
    steps: [
      { name: 'deps', status: 'success', seconds: 0.4 },
      { name: 'build', status: 'failed', seconds: 540.2 },
    ],
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
    freshness: {
      status: 'pass',
      sources: [],
    },
    error: 'build: dbt reported failures',
    ...overrides,
  };
}
