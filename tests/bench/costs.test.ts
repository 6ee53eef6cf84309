import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { costLines, costTable, STACK_ALARMS } from '../../bench/costs.ts';

const REPO_ROOT = join(import.meta.dirname, '..', '..');

describe('the bill of one daily job (bench/costs.ts)', () => {
  test('docs/configuration.md shows the table the script computes', () => {
    const docs = readFileSync(join(REPO_ROOT, 'docs', 'configuration.md'), 'utf8');
    const between =
      /<!-- BEGIN bench\/costs\.ts: do not edit by hand\. -->\n([\s\S]*?)\n<!-- END bench\/costs\.ts -->/.exec(
        docs,
      );
    expect(between?.[1]).toBe(costTable());
  });

  test('each total is the task, the orchestration and the fixed items with one network', () => {
    const lines = new Map(costLines().map((line) => [line.item, line.monthly]));
    const of = (item: string) => lines.get(item) ?? Number.NaN;
    const common =
      of('task, on-demand Fargate') +
      of('orchestration') +
      of('schedule and lock') +
      of('logs') +
      of('secrets') +
      of('alarms');
    expect(of('**one daily job, with a public IP**')).toBeCloseTo(
      common + of('network: public IP'),
      10,
    );
    expect(of('**one daily job, with a NAT gateway**')).toBeCloseTo(
      common + of('network: NAT gateway'),
      10,
    );
    expect(of('**one daily job, with VPC endpoints**')).toBeCloseTo(
      common + of('network: VPC endpoints'),
      10,
    );
    // 30.4 runs of 15.5 minutes at 1 vCPU and 2 GB, x86, us-east-1 on-demand.
    expect(of('task, on-demand Fargate')).toBeCloseTo(
      (365 / 12) * (15.5 / 60) * (0.04048 + 2 * 0.004445),
      10,
    );
    expect(of('MWAA mw1.small')).toBeCloseTo(0.49 * 730, 6);
  });

  test('counts the alarms the stack declares', () => {
    expect(STACK_ALARMS).toBeGreaterThanOrEqual(1);
  });
});
