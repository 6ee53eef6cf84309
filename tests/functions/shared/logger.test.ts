import { executionNameOf } from '../../../functions/shared/logger.ts';

describe('executionNameOf', () => {
  it('takes the execution name the state machine passes', () => {
    expect(executionNameOf({ executionName: 'daily-2026-11-24' })).toBe('daily-2026-11-24');
  });

  it('takes the name from the end of an execution ARN', () => {
    const executionArn =
      'arn:aws:states:eu-west-1:123456789012:execution:serverless-dbt-dev:manual-42';

    expect(executionNameOf({ executionArn })).toBe('manual-42');
  });

  it('has no name for events without one', () => {
    expect(executionNameOf({})).toBeUndefined();
    expect(executionNameOf(null)).toBeUndefined();
    expect(executionNameOf('text')).toBeUndefined();
  });
});
