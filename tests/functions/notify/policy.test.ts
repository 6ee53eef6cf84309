import { notifyCategory, shouldNotify } from '../../../functions/notify/policy.ts';
import type { NotifyOn } from '../../../functions/notify/settings.ts';
import type { NotifyEvent, Verdict } from '../../../functions/shared/contracts.ts';
import { evaluation, finished, started } from './events.ts';

const finishedWith = (verdict: Verdict): NotifyEvent => finished(evaluation(verdict));

describe('shouldNotify', () => {
  it.each<[string, NotifyEvent, NotifyOn[], boolean]>([
    ['a start, with start', started(), ['start'], true],
    ['a start, with failure only (the default)', started(), ['failure'], false],
    ['a start, with success and failure', started(), ['success', 'failure'], false],
    ['a success, with success', finishedWith('SUCCEEDED'), ['success'], true],
    ['a success, with failure only (the default)', finishedWith('SUCCEEDED'), ['failure'], false],
    ['a dbt failure, with failure', finishedWith('DBT_FAILED'), ['failure'], true],
    [
      'a dbt failure, with start and success',
      finishedWith('DBT_FAILED'),
      ['start', 'success'],
      false,
    ],
    ['an out-of-memory run, with failure', finishedWith('OUT_OF_MEMORY'), ['failure'], true],
    ['a skipped overlapping run, with failure', finishedWith('SKIPPED_OVERLAP'), ['failure'], true],
    [
      'a skipped overlapping run, with success',
      finishedWith('SKIPPED_OVERLAP'),
      ['success'],
      false,
    ],
    ['invalid input, with failure', finishedWith('INVALID_INPUT'), ['failure'], true],
    ['a run without a verdict, with failure', finished(undefined), ['failure'], true],
    ['anything, with nothing (NOTIFY_ON empty)', finishedWith('DBT_ERROR'), [], false],
  ])('%s → %s', (_, event, notifyOn, expected) => {
    expect(shouldNotify(event, notifyOn)).toBe(expected);
  });

  it('puts every verdict but SUCCEEDED under failure', () => {
    for (const verdict of [
      'DBT_ERROR',
      'CONFIG_ERROR',
      'ARTIFACTS_LOST',
      'INFRA_RETRYABLE',
      'INFRA_FAILED',
      'TIMED_OUT',
      'CANCELLED',
    ] as const) {
      expect(notifyCategory(finishedWith(verdict))).toBe('failure');
    }
  });
});
