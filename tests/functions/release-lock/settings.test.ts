import { readReleaseLockConfig } from '../../../functions/release-lock/settings.ts';
import { ConfigurationError } from '../../../functions/shared/config.ts';

describe('readReleaseLockConfig', () => {
  it('reads the lock table', () => {
    expect(readReleaseLockConfig({ LOCK_TABLE: 'serverless-dbt-dev-locks' })).toStrictEqual({
      LOCK_TABLE: 'serverless-dbt-dev-locks',
    });
  });

  it.each([
    [{}, 'LOCK_TABLE: not set'],
    [{ LOCK_TABLE: '' }, 'LOCK_TABLE: must not be empty'],
  ])('names LOCK_TABLE when it is wrong: %p', (environment, message) => {
    expect(() => readReleaseLockConfig(environment)).toThrow(ConfigurationError);
    expect(() => readReleaseLockConfig(environment)).toThrow(message);
  });
});
