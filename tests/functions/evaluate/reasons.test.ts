// The wording of Evaluate's verdicts: how a reason quotes what ECS, Step Functions or Prepare
// said. Which wording a run gets is classify.test.ts's concern.
import {
  cancelled,
  cut,
  DBT_EXITS,
  invalidInput,
  noDbtContainer,
  prepareFailed,
  QUOTE_CHARS,
  runDbtCauseUnreadable,
  runDbtFailed,
  startFailed,
  timedOut,
} from '../../../functions/evaluate/reasons.ts';

describe('cut', () => {
  it('removes control characters, collapses whitespace and ends a cut text with …', () => {
    expect(cut('a\u0000b\n\n c', 10)).toBe('a b c');
    expect(cut('abcdefghij', 5)).toBe('abcd…');
    expect(cut('😀'.repeat(10), 3)).toBe('😀😀…');
  });
});

describe('a reason', () => {
  it('ends with exactly one full stop, whether or not the quoted text has one', () => {
    expect(cancelled('Task stopped by user').reason).toMatch(/\): Task stopped by user\.$/);
    expect(cancelled('Task stopped by user.').reason).toMatch(/\): Task stopped by user\.$/);
    expect(cancelled('Stopped!').reason).toMatch(/\): Stopped!$/);
    expect(cancelled(null).reason).toMatch(/\(UserInitiated\)\.$/);
  });

  it(`quotes at most ${QUOTE_CHARS} characters of what it cites, on one line`, () => {
    const { reason } = startFailed(`CannotPullContainerError:\n${'x'.repeat(1000)}`);
    const quoted = reason.slice('The task failed to start: '.length);
    expect(Array.from(quoted)).toHaveLength(QUOTE_CHARS);
    expect(quoted).toMatch(/^CannotPullContainerError: x+…$/);
  });

  it('says when ECS gave no reason', () => {
    expect(startFailed('').reason).toBe('The task failed to start: ECS gave no reason.');
  });

  it('tells a cause that could not be read from Prepare giving no details', () => {
    expect(invalidInput(undefined).reason).toBe(
      'The run input is invalid: Prepare gave no details.',
    );
    expect(prepareFailed('', undefined).reason).toBe(
      "Prepare failed with an unnamed error, so no task was started: the error's cause could not be read.",
    );
    expect(runDbtFailed('ECS.X', undefined).reason).toBe(
      "RunDbt failed with ECS.X: the error's cause could not be read.",
    );
    expect(runDbtCauseUnreadable('States.Runtime').reason).toBe(
      "RunDbt failed with States.Runtime, and the error's cause could not be read.",
    );
  });

  it('names the containers a task has, or that it lists none', () => {
    expect(noDbtContainer('dbt', ['app', undefined]).reason).toMatch(/\(it has app, \?\)/);
    expect(noDbtContainer('dbt', []).reason).toMatch(/\(it lists none\)/);
  });
});

describe('a hint', () => {
  it('quotes the time limit only when the run has one', () => {
    expect(timedOut(600).hint).toMatch(/^Raise timeoutSeconds \(now 600 s\) in/);
    expect(timedOut(undefined).hint).toMatch(/^Raise timeoutSeconds in/);
  });

  it('is given for every dbt exit but success', () => {
    expect(DBT_EXITS[0].hint).toBeNull();
    for (const code of [1, 2, 3, 4] as const) expect(DBT_EXITS[code].hint).toMatch(/\.$/);
  });
});
