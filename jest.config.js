// Jest 30 in native ESM mode, on the project's Node 24 (npm puts node_modules/.bin first on
// PATH, and the `node` devDependency brings Node 24). Two tiers:
// - unit (this file): `npm test`, pure tests that need nothing but node_modules: no Python
//   venv, no moto, no dbt, no `serverless package`. Seconds; for every change.
// - integration (jest.integration.config.js): `npm run test:integration`, files named
//   *.integration.test.ts: moto servers, the packaged template and its executed state
//   machine, `serverless-dbt local` with real dbt.
// - image (jest.image.config.js): `npm run test:image`, files named *.image.test.ts: the
//   container image built and run (root or a Docker engine; minutes).
// `npm run test:ts` runs unit and integration, as bin/test does. Each takes test paths:
// `npm test -- tests/cli`.
const major = Number(process.versions.node.split('.')[0]);
if (major !== 24) {
  throw new Error(
    `tests must run on Node 24 (this is ${process.version}); use \`npm test\`, which puts node_modules/.bin/node first on PATH`,
  );
}

const INTEGRATION = '\\.integration\\.test\\.ts$';
const IMAGE = '\\.image\\.test\\.ts$';

/** @type {import('jest').Config} */
export const shared = {
  testEnvironment: 'node',
  rootDir: import.meta.dirname,
  roots: ['<rootDir>'],
  modulePathIgnorePatterns: [
    '<rootDir>/\\.venv/',
    '<rootDir>/dbt/',
    '<rootDir>/container/',
    '<rootDir>/\\.serverless/',
    '<rootDir>/\\.serverless-dbt/',
    '<rootDir>/airflow-compat/',
  ],
  extensionsToTreatAsEsm: ['.ts'],
  moduleFileExtensions: ['ts', 'js', 'mjs', 'cjs', 'json'],
  transform: {
    '^.+\\.ts$': [
      '@swc/jest',
      {
        jsc: { parser: { syntax: 'typescript' }, target: 'es2024' },
        module: { type: 'es6' },
        sourceMaps: 'inline',
      },
    ],
  },
};

export const ignored = ['/node_modules/', '<rootDir>/\\.venv/', '<rootDir>/tests/fixtures/'];

/** @type {import('jest').Config} */
const config = {
  ...shared,
  testMatch: ['<rootDir>/tests/**/*.test.ts'],
  testPathIgnorePatterns: [...ignored, INTEGRATION, IMAGE],
};

export default config;
