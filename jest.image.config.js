// The image tier: *.image.test.ts build the container image and run it (see jest.config.js).
// `npm run test:image`; not part of bin/test: the builds need root (buildah) or a Docker
// engine, and PyPI, and take minutes the first time.
import { ignored, shared } from './jest.config.js';

/** @type {import('jest').Config} */
const config = {
  ...shared,
  testMatch: ['<rootDir>/tests/**/*.image.test.ts'],
  testPathIgnorePatterns: ignored,
};

export default config;
