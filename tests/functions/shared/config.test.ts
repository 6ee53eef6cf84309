import * as z from 'zod';
import { ConfigurationError, commaList, readConfig } from '../../../functions/shared/config.ts';

const shape = {
  STAGE: z.enum(['dev', 'live']),
  LOCK_TABLE: z.string().min(1),
  NOTIFY_ON: commaList(['start', 'success', 'failure']).default(['failure']),
};

describe('readConfig', () => {
  it('returns the typed settings', () => {
    const config = readConfig(shape, {
      STAGE: 'dev',
      LOCK_TABLE: 'locks',
      NOTIFY_ON: 'start, failure',
    });

    expect(config).toEqual({ STAGE: 'dev', LOCK_TABLE: 'locks', NOTIFY_ON: ['start', 'failure'] });
  });

  it('names a missing setting', () => {
    expect(() => readConfig(shape, { STAGE: 'dev' })).toThrow(
      new ConfigurationError('LOCK_TABLE: not set'),
    );
  });

  it('names a malformed setting and says why', () => {
    const attempt = () => readConfig(shape, { STAGE: 'prod', LOCK_TABLE: 'locks' });

    expect(attempt).toThrow(ConfigurationError);
    expect(attempt).toThrow(/^STAGE: /);
  });

  it('refuses an unknown word in a list setting, naming the setting', () => {
    expect(() =>
      readConfig(shape, { STAGE: 'live', LOCK_TABLE: 'l', NOTIFY_ON: 'start,sometimes' }),
    ).toThrow(/^NOTIFY_ON: /);
  });

  it('has an error name that says what it is', () => {
    expect(new ConfigurationError('x').name).toBe('ConfigurationError');
  });
});
