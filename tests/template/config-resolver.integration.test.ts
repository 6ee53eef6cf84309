// The settings' checks as `serverless package` meets them: a wrong setting stops packaging,
// named (config-resolver.test.ts calls the resolvers directly, as osls does).
import { packageService } from '../support/packaged.ts';
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
