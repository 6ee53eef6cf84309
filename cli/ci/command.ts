// `serverless-dbt ci`: Slim CI for a pull request (docs/slim-ci.md), on the CI runner.
//   build  the pull request's changed models and their children (`only: changed` with the
//          container's STATE_URI: `state:modified+`, `--defer --favor-state`) compared with a
//          stage's last successful state, into the pull request's own schema (PR_NUMBER:
//          `<base>_pr_<N>`, dbt/macros/generate_schema_name.sql)
//   drop   that schema (`run-operation drop_sandbox`), when the pull request closes
// Both run the pipeline as `local` does (the state machine on this machine, the entrypoint as a
// subprocess), with the stage's dbt settings and the warehouse credentials of CREDENTIALS_SOURCE.
// On GitHub Actions the result also goes to the check: the step summary and one annotation per
// node that did not pass (check.ts).
import { appendFile, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { DBT_EXITS } from '../../functions/evaluate/reasons.ts';
import { withClients } from '../aws/clients.ts';
import { type CommandContext, contextFrom, parseCommandArgs } from '../aws/context.ts';
import { JSON_OPTION, JSON_USAGE, reportJson } from '../aws/json.ts';
import { ARTIFACTS_PREFIX, checkStage } from '../aws/names.ts';
import { findStack } from '../aws/stack.ts';
import { CliError, UsageError } from '../errors.ts';
import { type LocalRunResult, newRunId, runLocal } from '../local/command.ts';
import { packagedDbtSettings, packageService, REPO_ROOT } from '../local/package-cache.ts';
import { profilesDirOf, projectDirOf } from '../local/project.ts';
import type { CloudFormationTemplate } from '../local/template-resolver.ts';
import { formatReport, type SummaryForReport } from '../report.ts';
import {
  annotations,
  MAX_ANNOTATIONS,
  type ManifestForCheck,
  nodeFile,
  schemaOf,
  stepSummary,
} from './check.ts';

const USAGE = `usage: serverless-dbt ci build --pr N [options]
       serverless-dbt ci drop --pr N [options]

Slim CI for a pull request (docs/slim-ci.md), run where the pull request's code is checked out:
  build   builds what the pull request changed (dbt's state:modified+) and what is downstream,
          deferring to the stage's last successful run for everything else, into a schema of
          the pull request's own (<schema>_pr_N)
  drop    drops that schema, once the pull request is closed

options:
  --pr N                     the pull request's number (required)
  --stage STAGE              whose last successful state to compare with and whose dbt
                             settings to build with (default: live)
  --state URI                compare with this state instead: s3://bucket/prefix/,
                             file:///dir/ or a folder holding a manifest.json
  --select WORDS             build only what changed within this selection
  --exclude WORDS            leave these out
  --target NAME              the profile's target (default: the stage's dbtTarget)
  --project-dir DIR          the dbt project (default: the stage's dbtProject)
  --profiles-dir DIR         where profiles.yml is (default: as dbt looks)
  --state-dir DIR            where the run's artifacts go (default: .serverless-dbt/)
  --region REGION            the stage's region (default: AWS_REGION, else the stage's
                             region in serverless.yml, else the profile's)
${JSON_USAGE}
  -h, --help                 this help

The warehouse credentials come from CREDENTIALS_SOURCE (secretsmanager:<arn>, glue:<name>, or
env, the default: DBT_ENV_SECRET_* and DBT_WAREHOUSE_* already set). On GitHub Actions
(GITHUB_ACTIONS=true) the failures are annotated on their files and GITHUB_STEP_SUMMARY gets
the result. Exit code: 0 when the run succeeded, 1 when it failed, 2 for a wrong command line.`;

const FIX_AND_PUSH =
  "Fix the nodes listed (annotated in the pull request's files) and push again; the run's dbt.log is in its artifacts.";

const OPTIONS = {
  pr: { type: 'string' },
  stage: { type: 'string' },
  state: { type: 'string' },
  select: { type: 'string' },
  exclude: { type: 'string' },
  target: { type: 'string' },
  'project-dir': { type: 'string' },
  'profiles-dir': { type: 'string' },
  'state-dir': { type: 'string' },
  region: { type: 'string' },
  ...JSON_OPTION,
  help: { type: 'boolean', short: 'h' },
} as const;

/** GitHub's pull request numbers; ten digits at most keeps the schema name short. */
export function pullRequestNumber(value: string | undefined): number {
  if (value === undefined)
    throw new UsageError(`--pr is required (the pull request's number)\n\n${USAGE}`);
  if (!/^[1-9][0-9]{0,9}$/.test(value)) {
    throw new UsageError(
      `--pr '${value}' is not a pull request number: 1 to 10 digits, no leading 0`,
    );
  }
  return Number(value);
}

/**
 * `--state` as the container's STATE_URI: s3:// and file:// as given (a folder: one trailing
 * slash), anything else a folder on this machine that must hold a manifest.json.
 */
export function stateUriOf(value: string, cwd: string): string {
  if (value.startsWith('s3://')) {
    if (!/^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](\/.*)?$/.test(value)) {
      throw new UsageError(`--state '${value}' is not an S3 folder: s3://bucket/prefix/`);
    }
    return value.endsWith('/') ? value : `${value}/`;
  }
  const url = value.startsWith('file://') ? value : pathToFileURL(resolve(cwd, value)).href;
  return url.endsWith('/') ? url : `${url}/`;
}

/** A stage's last successful state: the folder every successful run replaces. */
export function latestStateOf(bucket: string): string {
  return `s3://${bucket}/${ARTIFACTS_PREFIX}/latest/`;
}

// What the container gets from the local run, the pull request or the runner itself.
const NOT_FROM_THE_STAGE = new Set(['ENV', 'CREDENTIALS_SOURCE', 'ARTIFACTS_URI', 'DBT_TARGET']);

/** The stage's plain variables for dbt (taskEnvironment, e.g. DBT_SCHEMA), from its task definition. */
export function stageDbtEnvironment(template: CloudFormationTemplate): Record<string, string> {
  const environment: Record<string, string> = {};
  for (const resource of Object.values(template.Resources)) {
    if (resource.Type !== 'AWS::ECS::TaskDefinition') continue;
    const containers = (resource.Properties?.ContainerDefinitions ?? []) as Array<{
      Environment?: Array<{ Name?: unknown; Value?: unknown }>;
    }>;
    for (const { Name, Value } of containers[0]?.Environment ?? []) {
      if (typeof Name === 'string' && typeof Value === 'string' && !NOT_FROM_THE_STAGE.has(Name)) {
        environment[Name] = Value;
      }
    }
  }
  return environment;
}

async function readJson<T>(path: string): Promise<T | null> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as T;
  } catch {
    return null;
  }
}

interface CiSummary extends SummaryForReport {
  stateAware?: { reason: string; stateUri?: string };
}

export async function ciCommand(
  args: string[],
  given: Partial<CommandContext> = {},
): Promise<number> {
  const context = contextFrom(given);
  const [action, ...rest] = args;
  if (action === undefined || action === '--help' || action === '-h') {
    context.out(USAGE);
    return action === undefined ? 2 : 0;
  }
  if (action !== 'build' && action !== 'drop') {
    throw new UsageError(`unknown ci command '${action}': build or drop\n\n${USAGE}`);
  }
  const { values } = parseCommandArgs(rest, OPTIONS, USAGE, false);
  if (values.help) {
    context.out(USAGE);
    return 0;
  }
  const pr = pullRequestNumber(values.pr);
  const stage = checkStage(values.stage ?? 'live', USAGE);
  if (action === 'drop' && (values.state ?? values.select ?? values.exclude) !== undefined) {
    throw new UsageError(`ci drop takes no --state, --select or --exclude\n\n${USAGE}`);
  }
  const settings = await packagedDbtSettings({ stage });
  const projectDir = projectDirOf(values['project-dir'], settings.project, REPO_ROOT);
  const target = values.target ?? (settings.target || undefined);

  let stateUri: string | undefined;
  const awsEnvironment: Record<string, string> = {};
  if (action === 'build') {
    if (values.state !== undefined) {
      stateUri = stateUriOf(values.state, process.cwd());
    } else {
      stateUri = await withClients(context, { stage, region: values.region }, async (clients) => {
        // The entrypoint reads the state with the same credentials, in the stage's region.
        awsEnvironment.AWS_REGION = clients.region;
        const stack = await findStack(clients.cloudFormation(), stage, clients.region);
        return latestStateOf(stack.output('ArtifactsBucketName'));
      });
    }
  }

  const input = {
    job: `pr-${pr}`,
    ...(action === 'build'
      ? {
          command: 'build',
          only: 'changed',
          docs: false,
          ...(values.select === undefined ? {} : { select: values.select }),
          ...(values.exclude === undefined ? {} : { exclude: values.exclude }),
        }
      : { command: 'run-operation', macro: 'drop_sandbox' }),
  };
  // With --json, the run's progress goes to stderr and stdout holds the one document.
  const print = values.json ? context.err : context.out;
  const { CREDENTIALS_SOURCE: credentialsSource, DBT_DUCKDB_PATH: duckdbPath } = context.env;
  const result: LocalRunResult = await runLocal({
    input,
    projectDir,
    profilesDir: profilesDirOf(values['profiles-dir'], context.env, projectDir),
    ...(target === undefined ? {} : { target }),
    stage,
    stateDir: resolve(values['state-dir'] ?? join(REPO_ROOT, '.serverless-dbt')),
    runId: newRunId(context.now(), `ci-pr${pr}`),
    ...(duckdbPath ? { duckdbPath } : {}),
    print,
    containerEnvironment: {
      ...stageDbtEnvironment(await packageService({ stage })),
      ...awsEnvironment,
      // Not a deployed stage: the pull request's schema, never the shared ones.
      ENV: 'ci',
      PR_NUMBER: String(pr),
      ...(stateUri === undefined ? {} : { STATE_URI: stateUri }),
      ...(credentialsSource ? { CREDENTIALS_SOURCE: credentialsSource } : {}),
    },
  });

  const evaluation = result.evaluation;
  if (evaluation === null) {
    throw new CliError(
      `the run ended ${result.execution.status} without a verdict: ${result.execution.error ?? ''} ${result.execution.cause ?? ''}`.trim(),
    );
  }
  // summary.json has every node; Evaluate's copy is cut to keep the state small.
  const summary =
    (await readJson<CiSummary>(join(result.artifactsDir, 'summary.json'))) ?? evaluation.summary;
  const manifest = await readJson<ManifestForCheck>(join(result.artifactsDir, 'manifest.json'));
  // A failed pull request is fixed by another push, not by a retry run in AWS.
  const hint = evaluation.output.hint === DBT_EXITS[1].hint ? FIX_AND_PUSH : evaluation.output.hint;
  const reported = {
    outcome: { ...evaluation.output, hint },
    summary,
    artifacts: result.artifactsDir,
    docs: null,
  };
  const report = formatReport(reported);
  print('');
  if (result.refusal !== null && evaluation.verdict === 'INVALID_INPUT') print(result.refusal);
  print(report);

  // GitHub anchors annotations at the checkout's root (GITHUB_WORKSPACE).
  const workspace = context.env.GITHUB_WORKSPACE || REPO_ROOT;
  const fileOf = (uniqueId: string) => nodeFile(manifest, uniqueId, projectDir, workspace);
  const nodes = summary?.nodes ?? [];
  const annotated = annotations(nodes, fileOf);
  const shown = annotated.slice(0, MAX_ANNOTATIONS);
  // Workflow commands are read from stdout; --json keeps them in its document instead.
  if (context.env.GITHUB_ACTIONS === 'true' && !values.json) {
    for (const line of shown) context.out(line);
  }
  const summaryFile = context.env.GITHUB_STEP_SUMMARY;
  if (summaryFile) {
    await appendFile(
      summaryFile,
      stepSummary({
        pullRequest: pr,
        action,
        verdict: evaluation.verdict,
        stateAware: summary?.stateAware?.reason ?? null,
        stateUri: stateUri ?? null,
        schema: action === 'build' ? schemaOf(manifest) : null,
        report,
        annotationsOmitted: annotated.length - shown.length,
      }),
    );
  }
  const exitCode = result.execution.status === 'SUCCEEDED' ? 0 : 1;
  if (values.json) {
    context.out(
      JSON.stringify(
        {
          pullRequest: pr,
          action,
          stage,
          stateUri: stateUri ?? null,
          schema: action === 'build' ? schemaOf(manifest) : null,
          exitCode,
          annotations: annotated,
          report: reportJson(reported),
        },
        null,
        2,
      ),
    );
  }
  return exitCode;
}
