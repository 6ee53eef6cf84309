// What Prepare hands the container, read back by the container's own Python (.venv): the
// same spec, and the same refusal of one too large once filled.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { prepareRun } from '../../../functions/prepare/prepare.ts';
import { parseRunInput } from '../../../functions/shared/run-input.ts';
import { DEV_SETTINGS, inputOfExactlyTheLimit, prepareEvent, runSpecOf } from './events.ts';

const vectors: { valid: Array<{ input: unknown }> } = JSON.parse(
  readFileSync(new URL('../../fixtures/run-input-cases.json', import.meta.url), 'utf8'),
);

describe('the container', () => {
  const repo = fileURLToPath(new URL('../../../', import.meta.url));
  const readBack = `
import json, sys
sys.path.insert(0, 'container')
from dbt_runner.run_spec import InvalidRunInput, parse_run_spec
for line in sys.stdin:
    try:
        print(json.dumps(parse_run_spec(json.loads(line)).to_json_dict()))
    except InvalidRunInput as error:
        print(json.dumps({"refused": error.field}))
`;

  function containerReads(runSpecs: string[]): unknown[] {
    const python = spawnSync('.venv/bin/python', ['-c', readBack], {
      cwd: repo,
      input: `${runSpecs.join('\n')}\n`,
      encoding: 'utf8',
    });
    expect(python.stderr).toBe('');
    return python.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
  }

  it('reads back the very spec from the RUN_SPEC of every shared valid vector', () => {
    const states = vectors.valid.map((vector) =>
      prepareRun(prepareEvent(vector.input), DEV_SETTINGS),
    );
    const read = containerReads(states.map(runSpecOf));
    expect(read).toStrictEqual(states.map((state) => state.run.spec));
  });

  it('would refuse the filled spec that Prepare refuses for its size', () => {
    const filled = {
      ...parseRunInput(inputOfExactlyTheLimit()),
      timeoutSeconds: DEV_SETTINGS.defaultTimeoutSeconds,
    };
    expect(containerReads([JSON.stringify(filled)])).toStrictEqual([{ refused: 'input' }]);
  });
});
