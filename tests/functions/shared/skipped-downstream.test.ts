// Nodes skipped because others failed, counted per failure.
import {
  collapseSkipped,
  nodeName,
  skippedDownstreamText,
} from '../../../functions/shared/skipped-downstream.ts';

const failed = { uniqueId: 'model.shop.stg_orders', status: 'error' };
const skippedBy = (index: number, ...of: string[]) => ({
  uniqueId: `model.shop.mart_${index}`,
  status: 'skipped',
  skippedBecauseOf: of,
});

describe('collapseSkipped', () => {
  it('counts the nodes skipped by the same failures in one group and lists the rest as they were', () => {
    const unknownCause = { uniqueId: 'model.shop.retried', status: 'skipped' };
    const nodes = [
      failed,
      ...Array.from({ length: 17 }, (_, index) => skippedBy(index, 'model.shop.stg_orders')),
      skippedBy(17, 'model.shop.stg_customers', 'model.shop.stg_orders'),
      unknownCause,
    ];

    expect(collapseSkipped(nodes)).toStrictEqual({
      listed: [failed, unknownCause],
      skippedDownstream: [
        { of: ['model.shop.stg_orders'], count: 17 },
        { of: ['model.shop.stg_customers', 'model.shop.stg_orders'], count: 1 },
      ],
    });
  });

  it('never collapses a node that did not skip, whatever it carries', () => {
    const odd = { ...failed, skippedBecauseOf: ['model.shop.other'] };
    expect(collapseSkipped([odd]).listed).toStrictEqual([odd]);
  });
});

describe('skippedDownstreamText', () => {
  it('names the failures by their short names', () => {
    expect(skippedDownstreamText({ of: ['model.shop.stg_orders'], count: 17 })).toBe(
      '17 skipped downstream of stg_orders',
    );
    expect(
      skippedDownstreamText({
        of: ['model.shop.a', 'test.shop.not_null_b_id.81cfe2fe64', 'model.shop.c'],
        count: 1200,
      }),
    ).toBe('1,200 skipped downstream of a, not_null_b_id and c');
  });

  it('keeps what follows the package in a name, and leaves an id it cannot read as it is', () => {
    expect(nodeName('unit_test.shop.orders.sums_items')).toBe('orders.sums_items');
    expect(nodeName('source.shop.raw.orders')).toBe('raw.orders');
    expect(nodeName('odd')).toBe('odd');
  });
});
