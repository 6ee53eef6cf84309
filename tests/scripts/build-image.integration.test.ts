// scripts/build-image's refusals, which come before any build. The builds themselves are
// tests/image/built-images.image.test.ts (npm run test:image).
import { type SpawnSyncReturns, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT } from '../support/packaged.ts';

function buildImage(...args: string[]): SpawnSyncReturns<string> {
  return spawnSync(join(REPO_ROOT, 'scripts', 'build-image'), args, {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    timeout: 120_000,
  });
}

describe('scripts/build-image refuses bad input before it builds', () => {
  test('a project folder outside the repository', () => {
    const result = buildImage('--project', '../elsewhere');
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('--project must be a folder inside the repository');
  });

  test('a project folder that does not exist, by name', () => {
    const result = buildImage('--project', 'no_such_project');
    expect(result.status).toBe(2);
    expect(result.stderr).toContain("no folder 'no_such_project'");
  });

  test('an unknown option, with the usage', () => {
    const result = buildImage('--adpater', 'redshift');
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('unknown option: --adpater');
    expect(result.stderr).toContain('scripts/build-image [--stage NAME]');
  });

  test('a freeze for an adapter it has no folder for, listing the ones it has', () => {
    const result = buildImage('--freeze', '--adapter', 'oracle');
    expect(result.status).toBe(2);
    expect(result.stderr).toContain(
      'adapters: bigquery databricks duckdb postgres redshift snowflake',
    );
  });
});
