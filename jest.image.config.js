// The image tier: *.image.test.ts build the container image and run it (see jest.config.js).
// `npm run test:image`. The builds need root (buildah) or a Docker engine, PyPI and Debian's
// mirror, and take minutes: bin/test runs the tier only as root (as .ci/run is here).
import { ignored, shared } from './jest.config.js';

/** @type {import('jest').Config} */
const config = {
  ...shared,
  testMatch: ['<rootDir>/tests/**/*.image.test.ts'],
  testPathIgnorePatterns: ignored,
};

export default config;
