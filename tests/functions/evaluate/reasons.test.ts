// The wording of Evaluate's verdicts: how a reason quotes what ECS, Step Functions or Prepare
// said. Which wording a run gets is classify.test.ts's concern.
import {
  type ConfigCause,
  cancelled,
  configErrorHint,
  cut,
  DBT_EXITS,
  dbtErrorHint,
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

describe('the hint for the dbt runner’s own error', () => {
  const kinds = [
    'noProject',
    'noProfile',
    'noTarget',
    'profileInvalid',
    'login',
    'unreachable',
    'connection',
    'credentialsSource',
    'runInput',
    'other',
  ] as const;

  it.each(kinds)('for %s, is one or more sentences in each place', (kind) => {
    for (const place of ['local', 'aws'] as const) {
      expect(configErrorHint({ kind }, place)).toMatch(/^[A-Z].*\.$/);
    }
  });

  it('tells a laptop to use its shell and command line, a task in AWS its stage and secret', () => {
    const local = kinds.map((kind) => configErrorHint({ kind }, 'local')).join(' ');
    expect(local).not.toMatch(/task definition|warehouse secret|deploy|image/i);
    expect(configErrorHint({ kind: 'noTarget' }, 'local')).toMatch(/--target/);
    expect(configErrorHint({ kind: 'noTarget' }, 'aws')).toMatch(/dbtTarget/);
    expect(configErrorHint({ kind: 'login' }, 'local')).toMatch(/DBT_ENV_SECRET_PASSWORD.*shell/);
    expect(configErrorHint({ kind: 'login' }, 'aws')).toMatch(/warehouse secret/);
    expect(configErrorHint({ kind: 'unreachable' }, 'aws')).toMatch(/security group/);
  });

  it('for a missing variable, says to export it locally and which secret key to add in AWS', () => {
    const password: ConfigCause = { kind: 'envVar', names: ['DBT_ENV_SECRET_PASSWORD'] };
    expect(configErrorHint(password, 'local')).toBe(
      'Export DBT_ENV_SECRET_PASSWORD in the shell that runs `serverless-dbt local`, or give its env_var() in profiles.yml a default.',
    );
    expect(configErrorHint(password, 'aws')).toBe(
      "Add the key password to the warehouse secret (a key becomes DBT_WAREHOUSE_<KEY>, or DBT_ENV_SECRET_<KEY> when it names a secret); with credentialsSource env, list it in the stage's warehouseSecretKeys too, then deploy.",
    );
    // A variable the secret does not bring is the task's environment.
    const both: ConfigCause = {
      kind: 'envVar',
      names: ['DBT_ENV_SECRET_PRIVATE_KEY', 'DBT_WAREHOUSE_HOST', 'DBT_SCHEMA'],
    };
    expect(configErrorHint(both, 'aws')).toMatch(
      /^Add the key private_key, host to the warehouse secret .* Set DBT_SCHEMA in the dbt task's environment/,
    );
  });

  it('for DBT_ERROR, points a laptop at the artifacts folder and AWS at reproducing it locally', () => {
    expect(dbtErrorHint('local')).toMatch(/artifacts folder/);
    expect(dbtErrorHint('local')).not.toMatch(/on a laptop/);
    expect(dbtErrorHint('aws')).toBe(DBT_EXITS[2].hint);
  });
});
