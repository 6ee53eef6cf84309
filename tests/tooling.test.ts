import { readFileSync, realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..');

describe('the project tooling', () => {
  it('uses osls for the serverless command and never installs Serverless v4', () => {
    const lock = JSON.parse(readFileSync(join(repo, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, { version?: string }>;
    };

    // serverless-step-functions declares `serverless` as an optional peer; v4 would fetch a
    // binary and require a login on first run.
    expect(lock.packages['node_modules/serverless']).toBeUndefined();
    expect(realpathSync(join(repo, 'node_modules', '.bin', 'serverless'))).toContain(
      join('node_modules', 'osls'),
    );
  });

  it('runs the tests on the Lambda runtime major, Node 24', () => {
    expect(process.versions.node.split('.')[0]).toBe('24');
  });
});
