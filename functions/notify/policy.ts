/**
 * Which events reach Slack (NOTIFY_ON). No AWS SDK.
 *  - `started` only with `start` (the state machine asks only when the run's notifyOnStart
 *    is set, but the setting of this function has the last word);
 *  - `finished` with verdict SUCCEEDED only with `success`;
 *  - every other finish (a failure, a skipped overlapping run, a run with no verdict at all)
 *    with `failure`.
 */
import type { NotifyEvent } from '../shared/contracts.ts';
import type { NotifyOn } from './settings.ts';

/** The NOTIFY_ON word an event falls under. */
export function notifyCategory(event: NotifyEvent): NotifyOn {
  if (event.event === 'started') return 'start';
  return event.state.evaluation?.verdict === 'SUCCEEDED' ? 'success' : 'failure';
}

export function shouldNotify(event: NotifyEvent, notifyOn: readonly NotifyOn[]): boolean {
  return notifyOn.includes(notifyCategory(event));
}
