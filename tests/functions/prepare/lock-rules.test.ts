import {
  ATTEMPT_MARGIN_SECONDS,
  epochSeconds,
  type LockHolder,
  lockExpiresAt,
  lockKeyOf,
  mayAcquire,
  RUN_MARGIN_SECONDS,
  RunAlreadyInProgress,
} from '../../../functions/prepare/lock-rules.ts';
import { MAX_ATTEMPTS } from '../../../functions/shared/contracts.ts';

const NOW = epochSeconds(new Date('2026-03-02T05:00:00Z'));
const holder = (owner: string, expiresAt: number): LockHolder => ({ owner, expiresAt });

describe('lockExpiresAt', () => {
  it('outlasts both attempts of a run at their full limit, plus the states around them', () => {
    const timeoutSeconds = 3600;
    const expiresAt = lockExpiresAt(NOW, timeoutSeconds);
    expect(expiresAt).toBe(
      NOW + MAX_ATTEMPTS * (timeoutSeconds + ATTEMPT_MARGIN_SECONDS) + RUN_MARGIN_SECONDS,
    );
    // A Spot interruption at the very end of attempt 1, then attempt 2 using its whole limit.
    expect(expiresAt).toBeGreaterThan(NOW + 2 * timeoutSeconds);
  });

  it('blocks a run that never released its lock for less than a day past its longest run', () => {
    expect(lockExpiresAt(NOW, 86_400) - NOW).toBeLessThan(2 * 86_400 + 3600);
    expect(lockExpiresAt(NOW, 60) - NOW).toBeLessThan(3600);
  });

  it('grows with the run’s own limit', () => {
    expect(lockExpiresAt(NOW, 7200)).toBeGreaterThan(lockExpiresAt(NOW, 3600));
  });
});

describe('mayAcquire', () => {
  it.each([
    ['a free lock', undefined, true],
    ['a lock held by another run until later', holder('other', NOW + 1), false],
    ['a lock held by another run until this very second', holder('other', NOW), false],
    ['a lock of another run that lapsed', holder('other', NOW - 1), true],
    ['a lock of another run with no expiry', holder('other', Number.NaN), true],
    ['its own lock, still valid (Prepare retried)', holder('me', NOW + 3600), true],
    ['its own lapsed lock', holder('me', NOW - 3600), true],
  ])('a run may take %s: %p', (_what, current, expected) => {
    expect(mayAcquire(current, 'me', NOW)).toBe(expected);
  });
});

describe('RunAlreadyInProgress', () => {
  it('has the name Step Functions matches, and names the holder and its expiry', () => {
    const error = new RunAlreadyInProgress('serverless-dbt-dev-dbt-run', {
      owner: 'airflow-nightly-2026-03-02',
      job: 'nightly',
      expiresAt: NOW,
    });
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('RunAlreadyInProgress');
    expect(error.message).toBe(
      "execution airflow-nightly-2026-03-02 (job nightly) holds the overlap lock 'serverless-dbt-dev-dbt-run' until 2026-03-02T05:00:00.000Z; this run did not start",
    );
    expect(error.holder.owner).toBe('airflow-nightly-2026-03-02');
  });

  it('still reads well for a holder it knows little about', () => {
    const error = new RunAlreadyInProgress('k', { owner: 'unknown', expiresAt: Number.NaN });
    expect(error.message).toBe(
      "execution unknown holds the overlap lock 'k' with no expiry; this run did not start",
    );
  });
});

describe('lockKeyOf', () => {
  const layout = {
    stateMachine: 'serverless-dbt-live-dbt-run',
    groups: { 'nightly-build': 'warehouse', 'weekly-full-refresh': 'warehouse' },
  };

  it('gives each job its own lock by default, so two jobs run side by side', () => {
    expect(lockKeyOf(layout, 'hourly-freshness')).toBe(
      'serverless-dbt-live-dbt-run#job#hourly-freshness',
    );
    expect(lockKeyOf(layout, 'manual')).toBe('serverless-dbt-live-dbt-run#job#manual');
    expect(lockKeyOf(layout, 'hourly-freshness')).not.toBe(lockKeyOf(layout, 'manual'));
  });

  it("gives the jobs of a lock group the group's one lock", () => {
    expect(lockKeyOf(layout, 'nightly-build')).toBe('serverless-dbt-live-dbt-run#group#warehouse');
    expect(lockKeyOf(layout, 'weekly-full-refresh')).toBe(lockKeyOf(layout, 'nightly-build'));
  });

  it('never takes a group from the object prototype for a job named like one of its fields', () => {
    expect(lockKeyOf(layout, 'constructor')).toBe('serverless-dbt-live-dbt-run#job#constructor');
    expect(lockKeyOf(layout, '__proto__')).toBe('serverless-dbt-live-dbt-run#job#__proto__');
  });

  it('keeps a job and a group of the same name apart', () => {
    const sameName = { stateMachine: 'm', groups: { nightly: 'warehouse' } };
    expect(lockKeyOf(sameName, 'warehouse')).toBe('m#job#warehouse');
    expect(lockKeyOf(sameName, 'nightly')).toBe('m#group#warehouse');
  });
});
