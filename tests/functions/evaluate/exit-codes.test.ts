// The dbt runner's exit codes live in two languages: the container sets them
// (container/dbt_runner/outcome.py) and Evaluate judges them (classify.ts). This holds the two
// lists to each other, so a new code cannot reach one side only.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  DBT_EXIT_VERDICTS,
  EXIT_AWS_UNREACHABLE,
  EXIT_DEADLINE,
} from '../../../functions/evaluate/classify.ts';
import { REPO_ROOT } from '../../support/packaged.ts';

const pythonExitCodes = (): Map<string, number> =>
  new Map(
    [
      ...readFileSync(join(REPO_ROOT, 'container/dbt_runner/outcome.py'), 'utf8').matchAll(
        /^(EXIT_[A-Z_]+) = (\d+)$/gm,
      ),
    ].map(([, name, code]) => [name as string, Number(code)]),
  );

test('Evaluate judges exactly the exit codes the container sets', () => {
  const container = [...pythonExitCodes().values()].sort();
  expect(container.length).toBeGreaterThanOrEqual(8);
  expect(Object.keys(DBT_EXIT_VERDICTS).map(Number).sort()).toEqual(container);
});

test('the codes Evaluate names are the container’s codes of the same name', () => {
  const container = pythonExitCodes();
  expect(container.get('EXIT_AWS_UNREACHABLE')).toBe(EXIT_AWS_UNREACHABLE);
  expect(container.get('EXIT_DEADLINE')).toBe(EXIT_DEADLINE);
});
