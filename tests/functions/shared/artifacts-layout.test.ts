import { attemptArtifactsUri, attemptNamedIn } from '../../../functions/shared/artifacts-layout.ts';

describe('the artifacts layout', () => {
  it.each([
    ['s3://b/dbt/runs/r1/', 2, 's3://b/dbt/runs/r1/attempt-2/'],
    ['s3://b/dbt/runs/r1', 1, 's3://b/dbt/runs/r1/attempt-1/'],
    [
      'file:///home/me/.serverless-dbt/runs/r1/',
      1,
      'file:///home/me/.serverless-dbt/runs/r1/attempt-1/',
    ],
  ])("puts attempt %s #%i in the run's folder", (run, attempt, expected) => {
    expect(attemptArtifactsUri(run, attempt)).toBe(expected);
  });

  it('reads the attempt a last-attempt.json names', () => {
    expect(attemptNamedIn('{"runId": "r1", "attempt": 2, "folder": "attempt-2/"}')).toBe(2);
  });

  it.each(['', 'not json', 'null', '[]', '{"attempt": 0}', '{"attempt": "2"}', '{"attempt": 1.5}'])(
    'reads no attempt from %j',
    (text) => {
      expect(attemptNamedIn(text)).toBeUndefined();
    },
  );
});
