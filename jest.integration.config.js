// The integration tier: *.integration.test.ts (see jest.config.js).
import { ignored, shared } from './jest.config.js';

/** @type {import('jest').Config} */
const config = {
  ...shared,
  testMatch: ['<rootDir>/tests/**/*.integration.test.ts'],
  testPathIgnorePatterns: ignored,
};

export default config;
