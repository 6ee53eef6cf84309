// Helpers of the template tests: reading IAM statements, running cfn-lint, loading the ASL.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  type CloudFormationTemplate,
  REPO_ROOT,
  type TemplateResource,
} from '../support/packaged.ts';

const run = promisify(execFile);

/** `serverless package` takes a few seconds, more when several workers wait for one. */
export const PACKAGE_TIMEOUT_MS = 180_000;

export const DEV = { stage: 'dev' } as const;
export const LIVE = { stage: 'live' } as const;

// The optional settings, each in one variant (shared between test files, so each is
// packaged once).
export const SLACK_SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:slack-AbCdEf';
export const WAREHOUSE_SECRET_ARN =
  'arn:aws:secretsmanager:eu-west-1:123456789012:secret:redshift-AbCdEf';
export const DOCS_URL = 'https://dbt-docs.example.com/';
export const WITH_SLACK_AND_DOCS = {
  stage: 'dev',
  params: { slackWebhookSecretArn: SLACK_SECRET_ARN, docsUrl: DOCS_URL },
};
export const WITH_SECRETS_MANAGER = {
  stage: 'dev',
  params: { credentialsSource: `secretsmanager:${WAREHOUSE_SECRET_ARN}` },
};
export const WITH_GLUE = { stage: 'live', params: { credentialsSource: 'glue:redshift-prod' } };

export interface Statement {
  /** Where it is: `<logical id>` or `<logical id>/<policy name>`. */
  where: string;
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Action: string[];
  Resource: unknown[];
  Condition?: Record<string, Record<string, unknown>>;
  Principal?: unknown;
}

const asList = <T>(value: T | T[] | undefined): T[] =>
  value === undefined ? [] : Array.isArray(value) ? value : [value];

function statementsOf(where: string, document: unknown): Statement[] {
  const statements = (document as { Statement?: unknown } | undefined)?.Statement;
  return asList(statements as Record<string, unknown> | Array<Record<string, unknown>>).map(
    (statement) => ({
      where,
      Sid: statement.Sid as string | undefined,
      Effect: statement.Effect as 'Allow' | 'Deny',
      Action: asList(statement.Action as string | string[]),
      Resource: asList(statement.Resource as unknown),
      Condition: statement.Condition as Statement['Condition'],
      Principal: statement.Principal,
    }),
  );
}

/** Every IAM statement of the template: role policies, policies and resource policies. */
export function allStatements(template: CloudFormationTemplate): Statement[] {
  const found: Statement[] = [];
  for (const [logicalId, resource] of Object.entries(template.Resources)) {
    const properties = resource.Properties ?? {};
    if (resource.Type === 'AWS::IAM::Role') {
      for (const policy of asList(
        properties.Policies as Array<{ PolicyName: string; PolicyDocument: unknown }>,
      )) {
        found.push(...statementsOf(`${logicalId}/${policy.PolicyName}`, policy.PolicyDocument));
      }
    } else if ('PolicyDocument' in properties) {
      found.push(...statementsOf(logicalId, properties.PolicyDocument));
    }
  }
  return found;
}

/** The Allow statements of one role's inline policies. */
export function roleStatements(template: CloudFormationTemplate, roleId: string): Statement[] {
  return allStatements(template).filter(
    (statement) => statement.where.startsWith(`${roleId}/`) && statement.Effect === 'Allow',
  );
}

/** Whether an IAM action pattern (with * and ?) covers an action. */
export function actionCovers(pattern: string, action: string): boolean {
  const regex = new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
    'i',
  );
  return regex.test(action);
}

export function grants(statement: Statement, action: string): boolean {
  return statement.Effect === 'Allow' && statement.Action.some((a) => actionCovers(a, action));
}

export function resourceOf(
  template: CloudFormationTemplate,
  logicalId: string,
): TemplateResource & { Properties: Record<string, unknown> } {
  const resource = template.Resources[logicalId];
  if (resource === undefined) throw new Error(`no resource ${logicalId}`);
  return resource as TemplateResource & { Properties: Record<string, unknown> };
}

export interface LintFinding {
  rule: string;
  level: string;
  message: string;
  path: string;
}

/**
 * cfn-lint on a template file: its findings (errors, warnings and informational). With
 * parameters, cfn-lint checks the template as deployed with them.
 */
export async function cfnLint(
  templatePath: string,
  parameters: Record<string, string> = {},
): Promise<LintFinding[]> {
  const cli = join(REPO_ROOT, '.venv', 'bin', 'cfn-lint');
  const given = Object.entries(parameters).map(([name, value]) => `${name}=${value}`);
  const options = given.length === 0 ? [] : ['--parameters', ...given];
  const output = await run(cli, ['--format', 'json', ...options, '--', templatePath], {
    maxBuffer: 16 * 1024 * 1024,
  }).catch((error: { stdout?: string; code?: number; stderr?: string }) => {
    // cfn-lint exits non-zero when it finds something; the JSON is still on stdout.
    if (typeof error.stdout === 'string' && error.stdout.trim().startsWith('[')) {
      return { stdout: error.stdout };
    }
    throw new Error(`cfn-lint could not run: ${error.stderr ?? String(error)}`);
  });
  const findings = JSON.parse(output.stdout) as Array<{
    Rule: { Id: string };
    Level: string;
    Message: string;
    Location: { Path: unknown[] };
  }>;
  return findings.map((finding) => ({
    rule: finding.Rule.Id,
    level: finding.Level,
    message: finding.Message,
    path: finding.Location.Path.join('/'),
  }));
}

/** A YAML file as JSON, read by the project's Python (PyYAML, as cfn-lint uses). */
export async function loadYaml(path: string): Promise<unknown> {
  const python = join(REPO_ROOT, '.venv', 'bin', 'python');
  const { stdout } = await run(python, [
    '-c',
    'import json, sys, yaml; print(json.dumps(yaml.safe_load(open(sys.argv[1], encoding="utf-8"))))',
    path,
  ]);
  return JSON.parse(stdout);
}
