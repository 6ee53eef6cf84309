// Jest 30 in native ESM mode: run through `npm run test:ts`, which starts
// `node --experimental-vm-modules node_modules/jest/bin/jest.js` on the project's Node 24.
const major = Number(process.versions.node.split('.')[0]);
if (major !== 24) {
  throw new Error(
    `tests must run on Node 24 (this is ${process.version}); use \`npm run test:ts\`, which puts node_modules/.bin/node first on PATH`,
  );
}

/** @type {import('jest').Config} */
const config = {
  testEnvironment: 'node',
  roots: ['<rootDir>'],
  testMatch: ['<rootDir>/tests/**/*.test.ts'],
  modulePathIgnorePatterns: [
    '<rootDir>/\\.venv/',
    '<rootDir>/dbt/',
    '<rootDir>/container/',
    '<rootDir>/\\.serverless/',
    '<rootDir>/\\.serverless-dbt/',
    '<rootDir>/airflow-compat/',
  ],
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/\\.venv/', '<rootDir>/tests/fixtures/'],
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

export default config;
