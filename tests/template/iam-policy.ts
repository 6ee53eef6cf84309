// IAM for the template tests: what AWS says about each action (cfn-lint's copy of AWS's
// service authorization data: which actions take resource-level permissions, and what each
// CloudFormation resource type's handlers call), and what a set of statements allows.
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT } from '../support/packaged.ts';
import { actionCovers, type Statement } from './helpers.ts';

const run = promisify(execFile);

interface Policies {
  [service: string]: { Actions: Record<string, { Resources?: string[] }> };
}

interface ResourceSchema {
  handlers?: Record<string, { permissions?: string[] }>;
}

export interface IamData {
  /** Whether AWS lets a policy name resources for the action (`undefined`: AWS lists no such action). */
  takesResources: (action: string) => boolean | undefined;
  /** Every action of a service that AWS lists, as `service:Action` in lower case. */
  actionsOf: (service: string) => string[];
  /** The permissions a resource type's handlers (create, read, update, delete) need. */
  handlerPermissions: (type: string) => Promise<string[]>;
}

/** cfn-lint's data folder in the project's .venv (cfn-lint is pinned in requirements/dev.txt). */
async function cfnLintData(): Promise<string> {
  const python = join(REPO_ROOT, '.venv', 'bin', 'python');
  const { stdout } = await run(python, [
    '-c',
    'import cfnlint, pathlib; print(pathlib.Path(cfnlint.__file__).parent / "data")',
  ]);
  return stdout.trim();
}

export async function loadIamData(region = 'eu-west-1'): Promise<IamData> {
  const data = await cfnLintData();
  const policies = JSON.parse(
    await readFile(join(data, 'AdditionalSpecs', 'Policies.json'), 'utf8'),
  ) as Policies;
  const schemaFiles = JSON.parse(
    await readFile(join(data, 'schemas', 'providers', `${region}.json`), 'utf8'),
  ) as Record<string, string>;
  return {
    takesResources: (action) => {
      const [service = '', name = ''] = action.toLowerCase().split(':');
      const entry = policies[service]?.Actions[name];
      return entry === undefined ? undefined : (entry.Resources ?? []).length > 0;
    },
    actionsOf: (service) =>
      Object.keys(policies[service.toLowerCase()]?.Actions ?? {}).map(
        (name) => `${service.toLowerCase()}:${name}`,
      ),
    handlerPermissions: async (type) => {
      const file = schemaFiles[type];
      if (file === undefined) throw new Error(`cfn-lint has no schema for ${type}`);
      const schema = JSON.parse(
        await readFile(join(data, 'schemas', 'resources', `${file}.json`), 'utf8'),
      ) as ResourceSchema;
      const handlers = ['create', 'read', 'update', 'delete'].map(
        (name) => schema.handlers?.[name]?.permissions ?? [],
      );
      return [...new Set(handlers.flat())].sort();
    },
  };
}

export interface StarGrant {
  where: string;
  sid: string | undefined;
  action: string;
}

/**
 * Allow statements that grant an action on every resource ('*') although AWS lets a policy
 * name its resources: each such action (a pattern such as `s3:Get*` counts for every action it
 * covers).
 */
export function starOnResourceLevelActions(statements: Statement[], iam: IamData): StarGrant[] {
  const found: StarGrant[] = [];
  for (const statement of statements) {
    if (statement.Effect !== 'Allow' || !statement.Resource.includes('*')) continue;
    for (const pattern of statement.Action) {
      const service = pattern.split(':')[0] ?? '';
      const covered = pattern.includes('*')
        ? iam.actionsOf(service).filter((action) => actionCovers(pattern, action))
        : [pattern];
      for (const action of covered) {
        // An action AWS does not list cannot be said to take resources; cfn-lint's W3037
        // reports it as unknown.
        if (iam.takesResources(action) === true) {
          found.push({ where: statement.where, sid: statement.Sid, action });
        }
      }
    }
  }
  return found;
}

/** Whether an ARN pattern of a policy (with * and ?) covers an ARN. */
export function resourceCovers(pattern: string, arn: string): boolean {
  const regex = new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
  );
  return regex.test(arn);
}

/** The request's condition keys, as IAM would see them. */
export type RequestContext = Record<string, string>;

function conditionHolds(condition: Statement['Condition'], context: RequestContext): boolean {
  for (const [operator, keys] of Object.entries(condition ?? {})) {
    for (const [key, expected] of Object.entries(keys)) {
      const actual = context[key];
      if (actual === undefined) return false;
      const values = (Array.isArray(expected) ? expected : [expected]).map(String);
      const matches =
        operator === 'StringEquals' || operator === 'ArnEquals'
          ? values.includes(actual)
          : operator === 'StringLike' || operator === 'ArnLike'
            ? values.some((value) => resourceCovers(value, actual))
            : undefined;
      if (matches === undefined) throw new Error(`the test cannot evaluate ${operator}`);
      if (!matches) return false;
    }
  }
  return true;
}

function applies(
  statement: Statement,
  action: string,
  arn: string,
  context: RequestContext,
): boolean {
  return (
    statement.Action.some((pattern) => actionCovers(pattern, action)) &&
    statement.Resource.some(
      (pattern) => typeof pattern === 'string' && resourceCovers(pattern, arn),
    ) &&
    conditionHolds(statement.Condition, context)
  );
}

/**
 * Whether the statements (of one identity, intrinsic functions resolved) allow an action on a
 * resource: an Allow applies and no Deny does.
 */
export function allows(
  statements: Statement[],
  action: string,
  arn: string,
  context: RequestContext = {},
): boolean {
  const relevant = statements.filter((statement) => applies(statement, action, arn, context));
  return (
    relevant.some((statement) => statement.Effect === 'Allow') &&
    !relevant.some((statement) => statement.Effect === 'Deny')
  );
}
