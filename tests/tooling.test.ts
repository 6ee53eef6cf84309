import { execFileSync } from 'node:child_process';
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

  it('refers to no design document outside the repository: docs/design.md is the design', () => {
    const files = execFileSync('git', ['ls-files', '-co', '--exclude-standard'], {
      cwd: repo,
      encoding: 'utf8',
    })
      .split('\n')
      .filter((file) => file !== '' && file !== 'package-lock.json');
    // The first design lived beside the repository; the pattern is built so this file passes.
    const outside = new RegExp(['DESIGN', '\\.md'].join(''));
    const referring = files.filter((file) => {
      try {
        return outside.test(readFileSync(join(repo, file), 'utf8'));
      } catch {
        return false; // deleted in the working tree
      }
    });
    expect(referring).toEqual([]);
    expect(files).toContain('docs/design.md');
  });
});
