import { join } from 'node:path';
import { packageDirectory } from '../support/packaged.ts';
import {
  cfnLint,
  DEV,
  LIVE,
  type LintFinding,
  PACKAGE_TIMEOUT_MS,
  WITH_GLUE,
  WITH_SECRETS_MANAGER,
  WITH_SLACK_AND_DOCS,
} from './helpers.ts';

// Warnings cfn-lint may report on the packaged template, each with the reason it is accepted.
const ACCEPTED_WARNINGS: Record<string, (finding: LintFinding) => boolean> = {
  // osls adds `DependsOn: <role>` to every function whose `role:` names a resource of the
  // stack, although `Role: Fn::GetAtt` already orders them; harmless, and not ours to remove.
  W3005: (finding) =>
    /^Resources\/\w+LambdaFunction\/DependsOn\//.test(finding.path) &&
    /Role' dependency already enforced by a 'GetAtt'/.test(finding.message),
};

function unaccepted(findings: LintFinding[]): LintFinding[] {
  return findings.filter(
    (finding) =>
      finding.level === 'Error' ||
      (finding.level === 'Warning' && !ACCEPTED_WARNINGS[finding.rule]?.(finding)),
  );
}

describe.each([
  ['dev', DEV],
  ['live', LIVE],
  ['dev with Slack and a docs URL', WITH_SLACK_AND_DOCS],
  ['dev with credentials from Secrets Manager', WITH_SECRETS_MANAGER],
  ['live with credentials from Glue', WITH_GLUE],
])('cfn-lint on the %s template', (_label, options) => {
  let findings: LintFinding[];

  beforeAll(async () => {
    const directory = await packageDirectory(options);
    findings = await cfnLint(join(directory, 'cloudformation-template-update-stack.json'));
  }, PACKAGE_TIMEOUT_MS);

  it('reports no errors', () => {
    expect(findings.filter((finding) => finding.level === 'Error')).toEqual([]);
  });

  it('reports no warnings beyond the accepted, explained ones', () => {
    expect(unaccepted(findings)).toEqual([]);
  });
});
