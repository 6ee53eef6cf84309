// A slow model as the alert and the CLI show it: "orders: 4m12s, usually 1m05s".
import {
  compactDuration,
  modelName,
  slowModelText,
} from '../../../functions/shared/slow-models.ts';

describe('slowModelText', () => {
  it('shows the model by name with its time and its usual time', () => {
    expect(
      slowModelText({
        uniqueId: 'model.shop.orders',
        seconds: 252,
        medianSeconds: 65,
        runsCompared: 10,
      }),
    ).toBe('orders: 4m12s, usually 1m05s');
  });

  it('keeps a versioned model’s version and any other id whole', () => {
    expect(modelName('model.shop.orders.v2')).toBe('orders.v2');
    expect(modelName('snapshot.shop.orders_snapshot')).toBe('snapshot.shop.orders_snapshot');
  });

  it.each([
    [0.42, '0.4s'],
    [9.96, '10s'],
    [45, '45s'],
    [60, '1m00s'],
    [3725, '1h02m05s'],
    [-1, '?'],
    [Number.NaN, '?'],
  ])('writes %p seconds as %p', (seconds, text) => {
    expect(compactDuration(seconds)).toBe(text);
  });
});
