// The command line of `serverless-dbt ci`: the pull request's number, where the state comes
// from, and which of the stage's settings reach the container. The runs themselves:
// command.integration.test.ts.

import {
  latestStateOf,
  pullRequestNumber,
  stageDbtEnvironment,
  stateUriOf,
} from '../../../cli/ci/command.ts';
import { UsageError } from '../../../cli/errors.ts';
import type { CloudFormationTemplate } from '../../../cli/local/template-resolver.ts';

describe('pullRequestNumber', () => {
  test('takes GitHub pull request numbers', () => {
    expect(pullRequestNumber('42')).toBe(42);
    expect(pullRequestNumber('1234567890')).toBe(1234567890);
  });

  test.each([['0'], ['042'], ['-1'], ['12345678901'], ['4 2'], ['42; drop schema main']])(
    'refuses %j, naming --pr, before anything runs',
    (value) => {
      expect(() => pullRequestNumber(value)).toThrow(UsageError);
      expect(() => pullRequestNumber(value)).toThrow(/^--pr '.*' is not a pull request number/);
    },
  );

  test('requires --pr', () => {
    expect(() => pullRequestNumber(undefined)).toThrow(/^--pr is required/);
  });
});

describe('stateUriOf', () => {
  test('keeps an S3 folder, with one trailing slash', () => {
    expect(stateUriOf('s3://live-bucket/dbt/latest', '/x')).toBe('s3://live-bucket/dbt/latest/');
    expect(stateUriOf('s3://live-bucket/dbt/latest/', '/x')).toBe('s3://live-bucket/dbt/latest/');
  });

  test('turns a folder on this machine into a file:// URI, relative to the working folder', () => {
    expect(stateUriOf('state/live', '/work/repo')).toBe('file:///work/repo/state/live/');
    expect(stateUriOf('file:///tmp/state', '/x')).toBe('file:///tmp/state/');
  });

  test('refuses an S3 URI without a valid bucket', () => {
    expect(() => stateUriOf('s3://Not_A_Bucket/x', '/x')).toThrow(
      /^--state 's3:\/\/Not_A_Bucket\/x' is not an S3 folder/,
    );
  });
});

test("a stage's state is its bucket's latest/ folder, which only a successful run replaces", () => {
  expect(latestStateOf('serverless-dbt-live-artifactsbucket-1')).toBe(
    's3://serverless-dbt-live-artifactsbucket-1/dbt/latest/',
  );
});

test("stageDbtEnvironment takes the task definition's plain variables, but not the stage, target, store or credentials", () => {
  const template = {
    Resources: {
      DbtTaskDefinition: {
        Type: 'AWS::ECS::TaskDefinition',
        Properties: {
          ContainerDefinitions: [
            {
              Environment: [
                { Name: 'ENV', Value: 'live' },
                { Name: 'CREDENTIALS_SOURCE', Value: 'env' },
                { Name: 'ARTIFACTS_URI', Value: { 'Fn::GetAtt': ['ArtifactsBucket', 'Arn'] } },
                { Name: 'DBT_TARGET', Value: 'redshift' },
                { Name: 'DBT_SCHEMA', Value: 'analytics' },
              ],
            },
          ],
        },
      },
    },
  } as unknown as CloudFormationTemplate;
  expect(stageDbtEnvironment(template)).toEqual({ DBT_SCHEMA: 'analytics' });
});
