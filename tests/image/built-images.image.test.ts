// The images scripts/build-image builds from container/Dockerfile, built and run. The builds
// download dbt from PyPI, need a Docker engine or root for buildah, and take minutes the first
// time, so they are a tier of their own, `npm run test:image` (jest.image.config.js):
//   SERVERLESS_DBT_IMAGE_TESTS unset or 1   the redshift and duckdb images
//   SERVERLESS_DBT_IMAGE_TESTS=all          every adapter
//   SERVERLESS_DBT_IMAGE_TESTS=snowflake,bigquery   those
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BUILD_TIMEOUT, buildImage, engine, runContainer, verdict } from './containers.ts';

const ALL = ['redshift', 'postgres', 'snowflake', 'bigquery', 'databricks', 'duckdb'];
const asked = process.env.SERVERLESS_DBT_IMAGE_TESTS ?? '1';
const adapters =
  asked === 'all' ? ALL : asked === '1' || asked === '' ? ['redshift', 'duckdb'] : asked.split(',');
// Tests for one adapter are defined only when it is asked for: none is left skipped.
const whenBuilt = (adapter: string, define: () => void) => {
  if (adapters.includes(adapter)) define();
};
const EVERY_ADAPTER = 'tests/fixtures/images/every_adapter';

/** Runs `command` (the entrypoint when none) in a container of `image`, as the task does
 * (tests/image/containers.ts): read-only root, no network. */
const runIn = (image: string, env: Record<string, string>, command?: string[]) =>
  runContainer(image, { env, ...(command ? { command } : {}) });

/** The image's configuration and history, as the engine shows them. */
const inspect = (image: string) =>
  engine() === 'docker'
    ? spawnSync('docker', ['image', 'inspect', image], { encoding: 'utf8' }).stdout
    : spawnSync('buildah', ['inspect', '--type', 'image', image], { encoding: 'utf8' }).stdout;

// Placeholder connection values for each adapter's target in the every_adapter fixture: enough
// for dbt to render the profile and load the adapter (parse opens no connection).
const PLACEHOLDER_CONNECTION: Record<string, string> = {
  DBT_WAREHOUSE_HOST: 'warehouse.invalid',
  DBT_WAREHOUSE_USERNAME: 'dbt_runner',
  DBT_WAREHOUSE_DBNAME: 'analytics',
  DBT_WAREHOUSE_ACCOUNT: 'placeholder-account',
  DBT_WAREHOUSE_WAREHOUSE: 'placeholder_warehouse',
  DBT_WAREHOUSE_PROJECT: 'placeholder-project',
  DBT_WAREHOUSE_CLIENT_EMAIL: 'dbt@placeholder-project.iam.gserviceaccount.com',
  DBT_WAREHOUSE_CLIENT_ID: '0000',
  DBT_WAREHOUSE_HTTP_PATH: '/sql/1.0/warehouses/placeholder',
  DBT_ENV_SECRET_PASSWORD: 'placeholder-password',
  DBT_ENV_SECRET_PRIVATE_KEY_ID: 'placeholder-key-id',
  DBT_ENV_SECRET_PRIVATE_KEY: 'placeholder-private-key',
  DBT_ENV_SECRET_TOKEN: 'placeholder-token',
};
const RUN = { RUN_ID: 'image-test', ARTIFACTS_URI: 'file:///tmp/artifacts', ENV: 'dev' };

describe('the image, built', () => {
  test(
    'a misspelled adapter fails the build before any download, naming the supported ones',
    () => {
      const result = buildImage('--adapter', 'redshfit', '--tag', 'serverless-dbt-test:misspelled');
      expect(result.status).not.toBe(0);
      expect(result.stderr).toContain(
        "DBT_ADAPTER 'redshfit' is not supported; supported adapters: bigquery databricks duckdb postgres redshift snowflake",
      );
      expect(result.stdout + result.stderr).not.toContain('Collecting dbt-core');
    },
    BUILD_TIMEOUT,
  );

  test.each(adapters)(
    'the %s image loads its adapter on dbt-core 1.11.16, and a run without its credentials is a configuration error naming the variable',
    (adapter) => {
      const tag = `serverless-dbt-test:${adapter}`;
      const built = buildImage(
        '--adapter',
        adapter,
        '--project',
        EVERY_ADAPTER,
        '--target',
        adapter,
        '--tag',
        tag,
      );
      expect(`${built.status}\n${built.stderr.slice(-2000)}`).toMatch(/^0\n/);

      const version = runIn(tag, {}, ['dbt', '--version']);
      expect(version.stdout).toMatch(/installed: 1\.11\.16/);
      expect(version.stdout).toMatch(new RegExp(`- ${adapter}: \\d+\\.\\d+\\.\\d+`));

      const parse = runIn(tag, PLACEHOLDER_CONNECTION, [
        'dbt',
        'parse',
        '--target',
        adapter,
        '--target-path',
        '/tmp/target',
        '--no-partial-parse',
      ]);
      expect(`${parse.status}\n${parse.stdout.slice(-2000)}`).toMatch(/^0\n/);

      const run = runIn(tag, { ...RUN, DBT_TARGET: adapter });
      if (adapter === 'duckdb') {
        expect(verdict(run.stdout)).toMatchObject({ status: 'success', exitCode: 0 });
      } else {
        expect(run.status).toBe(3);
        expect(verdict(run.stdout)).toMatchObject({ exitCode: 3 });
        expect(verdict(run.stdout).error).toMatch(/DBT_(WAREHOUSE|ENV_SECRET)_[A-Z_]+/);
      }
    },
    BUILD_TIMEOUT,
  );

  whenBuilt('duckdb', () =>
    test(
      'a project with a local package from outside its folder runs offline, its packages installed at build time',
      () => {
        const tag = 'serverless-dbt-test:packaged-shop';
        const built = buildImage(
          '--adapter',
          'duckdb',
          '--project',
          'tests/fixtures/projects/packaged_shop',
          '--tag',
          tag,
        );
        expect(`${built.status}\n${built.stderr.slice(-2000)}`).toMatch(/^0\n/);
        const installed = runIn(tag, {}, [
          'cat',
          '/app/dbt/dbt_packages/shop_helpers/dbt_project.yml',
        ]);
        expect(installed.stdout).toContain('name: shop_helpers');
        const run = runIn(tag, RUN);
        expect(verdict(run.stdout)).toMatchObject({ status: 'success', exitCode: 0 });
        expect(run.stdout).toContain('"step": "deps", "status": "skipped"');
      },
      BUILD_TIMEOUT,
    ),
  );

  whenBuilt('redshift', () =>
    test(
      'with --parse-env the parse is baked for the stage, and its values stay out of the image',
      () => {
        const dir = mkdtempSync(join(tmpdir(), 'sdbt-parse-env-'));
        try {
          const parseEnv = join(dir, 'parse.env');
          const connection = {
            DBT_WAREHOUSE_HOST: 'cluster-for-the-image-test.invalid',
            DBT_WAREHOUSE_USERNAME: 'dbt_runner',
            DBT_WAREHOUSE_DBNAME: 'analytics',
            DBT_ENV_SECRET_PASSWORD: 'placeholder-password',
          };
          writeFileSync(
            parseEnv,
            Object.entries(connection)
              .map(([k, v]) => `${k}=${v}\n`)
              .join(''),
          );
          const tag = 'serverless-dbt-test:redshift-baked';
          const built = buildImage(
            '--adapter',
            'redshift',
            '--target',
            'redshift',
            '--stage',
            'dev',
            '--parse-env',
            parseEnv,
            '--tag',
            tag,
          );
          expect(`${built.status}\n${built.stdout.slice(-2000)}`).toMatch(
            /^0\n[\s\S]*parsed \(target redshift\)/,
          );

          const files = runIn(tag, {}, ['ls', '/app/dbt/target']);
          expect(files.stdout).toContain('partial_parse.msgpack');
          const found = runIn(tag, {}, [
            'grep',
            '-r',
            '-l',
            '-F',
            connection.DBT_WAREHOUSE_HOST,
            '/app',
            '/tmp',
          ]);
          expect(`${found.status} ${found.stdout}`).toBe('1 ');
          expect(inspect(tag)).not.toContain(connection.DBT_WAREHOUSE_HOST);

          // A run with the stage's values reuses the baked parse.
          const reparse = runIn(tag, { ...connection, ENV: 'dev', DBT_TARGET: 'redshift' }, [
            'dbt',
            'parse',
            '--target',
            'redshift',
            '--no-use-colors',
            '--log-level',
            'debug',
          ]);
          expect(reparse.stdout).toContain(
            'Partial parsing enabled, no changes found, skipping parsing',
          );
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      },
      BUILD_TIMEOUT,
    ),
  );
});
