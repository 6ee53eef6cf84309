// The settings' checks as `serverless package` meets them: a wrong setting stops packaging,
// named (config-resolver.test.ts calls the resolvers directly, as osls does).
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { packageDirectory, packageService } from '../support/packaged.ts';
import { PACKAGE_TIMEOUT_MS } from './helpers.ts';

describe('serverless package with a wrong setting', () => {
  it(
    'fails, naming the setting',
    async () => {
      await expect(
        packageService({ stage: 'dev', params: { fargateSpot: 'maybe' } }),
      ).rejects.toThrow(/param 'fargateSpot': must be true or false/);
    },
    PACKAGE_TIMEOUT_MS,
  );
});

test(
  'serverless package with cfnRoleArn gives osls the role CloudFormation deploys with',
  async () => {
    const role = 'arn:aws:iam::123456789012:role/cloudformation-serverless-dbt';
    const directory = await packageDirectory({ stage: 'dev', params: { cfnRoleArn: role } });
    const state = JSON.parse(await readFile(join(directory, 'serverless-state.json'), 'utf8')) as {
      service: { provider: { iam?: { deploymentRole?: string } } };
    };
    expect(state.service.provider.iam).toEqual({ deploymentRole: role });
  },
  PACKAGE_TIMEOUT_MS,
);
