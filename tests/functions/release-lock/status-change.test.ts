import {
  locksToRelease,
  mayHoldALock,
  RELEASING_STATUSES,
  statusChangeOf,
  UnreadableStatusChange,
} from '../../../functions/release-lock/status-change.ts';
import { executionArnOf } from '../prepare/events.ts';
import { statusChangeEvent } from './events.ts';

describe('statusChangeOf', () => {
  it('reads the execution from the event, not from its input', () => {
    expect(statusChangeOf(statusChangeEvent('run-1', 'ABORTED'))).toStrictEqual({
      executionName: 'run-1',
      executionArn: executionArnOf('run-1'),
      status: 'ABORTED',
    });
  });

  it('reads an event whose input Step Functions left out for its size', () => {
    const event = statusChangeEvent('run-big', 'TIMED_OUT', { input: null });
    expect(event.detail.inputDetails.included).toBe(false);
    expect(statusChangeOf(event).executionName).toBe('run-big');
  });

  it.each([
    ['another source', { source: 'aws.ecs' }, /^source: /],
    ['another detail type', { 'detail-type': 'ECS Task State Change' }, /^detail-type: /],
    ['no detail', { detail: undefined }, /^detail: /],
  ])('refuses %s with UnreadableStatusChange naming the field', (_label, change, message) => {
    const event = { ...statusChangeEvent('run-1', 'ABORTED'), ...change };
    expect(() => statusChangeOf(event)).toThrow(UnreadableStatusChange);
    expect(() => statusChangeOf(event)).toThrow(message);
  });

  it('refuses an event with no execution name, naming detail.name', () => {
    const event = statusChangeEvent('run-1', 'ABORTED');
    const { name: _name, ...detail } = event.detail;
    let error: unknown;
    try {
      statusChangeOf({ ...event, detail });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(UnreadableStatusChange);
    expect((error as Error).name).toBe('UnreadableStatusChange');
    expect((error as Error).message).toMatch(/^detail\.name: /);
  });

  it('refuses what is not an object at all', () => {
    expect(() => statusChangeOf(null)).toThrow(UnreadableStatusChange);
    expect(() => statusChangeOf('ABORTED')).toThrow(UnreadableStatusChange);
  });
});

describe('mayHoldALock', () => {
  it('is true for the ends that can skip ReleaseLock: aborted, timed out, failed', () => {
    expect([...RELEASING_STATUSES]).toEqual(['ABORTED', 'TIMED_OUT', 'FAILED']);
    for (const status of RELEASING_STATUSES)
      expect([status, mayHoldALock(status)]).toEqual([status, true]);
  });

  it('is false for a running or succeeded execution', () => {
    expect(mayHoldALock('RUNNING')).toBe(false);
    expect(mayHoldALock('SUCCEEDED')).toBe(false);
    expect(mayHoldALock('PENDING_REDRIVE')).toBe(false);
  });
});

describe('locksToRelease', () => {
  it("frees the execution's own locks, each once", () => {
    const owned = [
      { key: 'm#job#nightly', owner: 'run-1' },
      { key: 'm#job#nightly', owner: 'run-1' },
      { key: 'm#group#warehouse', owner: 'run-1' },
    ];
    expect(locksToRelease(owned, 'run-1')).toEqual(['m#job#nightly', 'm#group#warehouse']);
  });

  it('never picks a lock another execution owns, even if the index lists it', () => {
    const owned = [{ key: 'm#job#nightly', owner: 'run-2' }];
    expect(locksToRelease(owned, 'run-1')).toEqual([]);
  });

  it('picks nothing when the execution owns nothing', () => {
    expect(locksToRelease([], 'run-1')).toEqual([]);
  });
});
