// The `serverless-dbt local` examples of the README and docs/cli.md, each as a newcomer runs
// it: on a fresh database (a new state folder), and it must succeed. An example about a
// project of the reader's own (`--project-dir ../…`) is left out.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../support/packaged.ts';

/** Words of a shell command line: spaces split, single quotes keep (all the README uses). */
function words(line: string): string[] {
  return [...line.matchAll(/'([^']*)'|(\S+)/g)].map((match) => match[1] ?? match[2] ?? '');
}

const examplesIn = (page: string) =>
  [...readFileSync(join(REPO_ROOT, page), 'utf8').matchAll(/```sh\n([\s\S]*?)```/g)]
    .flatMap((block) => (block[1] ?? '').split('\n'))
    .map((line) => line.replace(/\s+#.*$/, '').trim())
    .filter((line) => line.startsWith('bin/serverless-dbt local'))
    .filter((line) => !line.includes('--help') && !line.includes('../'));
const examples = [...new Set([...examplesIn('README.md'), ...examplesIn('docs/cli.md')])];

test('the README and docs/cli.md have local examples to try', () => {
  expect(examplesIn('README.md').length).toBeGreaterThanOrEqual(2);
  expect(examplesIn('docs/cli.md').length).toBeGreaterThanOrEqual(2);
});

test.each(examples)(
  '%s succeeds on a fresh database',
  (example) => {
    const stateDir = mkdtempSync(join(tmpdir(), 'sdbt-readme-'));
    try {
      const [, ...args] = words(example);
      const result = spawnSync(
        join(REPO_ROOT, 'node_modules', '.bin', 'node'),
        [join(REPO_ROOT, 'cli', 'serverless-dbt.ts'), ...args, '--state-dir', stateDir],
        {
          cwd: REPO_ROOT,
          encoding: 'utf8',
          timeout: 180_000,
          env: { ...process.env, SLACK_WEBHOOK_URL: '' },
        },
      );
      expect(`${result.status}\n${result.stdout.slice(-3000)}`).toMatch(
        /^0\n[\s\S]*: succeeded: SUCCEEDED/,
      );
    } finally {
      rmSync(stateDir, { recursive: true, force: true });
    }
  },
  200_000,
);
