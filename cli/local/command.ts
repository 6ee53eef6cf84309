// `serverless-dbt local`: the whole pipeline on this machine (docs/design.md, "The local run"). The
// state machine definition `serverless package` produces (cached) runs with
// aws-local-stepfunctions; Prepare, Evaluate and Notify are the deployed handlers, built in
// process from their factories with a local stage's settings (never through process.env);
// RunDbt is the container's entrypoint as a subprocess on DuckDB (run-dbt.ts); the overlap
// lock is a file under the state folder (file-lock.ts); artifacts go to
// `.serverless-dbt/runs/<run id>/attempt-<N>/` through file://. Slack gets the alert when
// SLACK_WEBHOOK_URL is set; otherwise the same message is printed.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { S3Client } from '@aws-sdk/client-s3';
import { createEvaluate } from '../../functions/evaluate/evaluate-handler.ts';
import { readEvaluateConfig } from '../../functions/evaluate/settings.ts';
import { createNotify } from '../../functions/notify/notify-handler.ts';
import { readNotifyConfig } from '../../functions/notify/settings.ts';
import { createPrepare } from '../../functions/prepare/prepare-handler.ts';
import { readPrepareConfig } from '../../functions/prepare/settings.ts';
import type { Environment } from '../../functions/shared/config.ts';
import type { Evaluation } from '../../functions/shared/contracts.ts';
import { knownExecutionInput } from '../../functions/shared/execution-input.ts';
import { useLogLevel } from '../../functions/shared/logger.ts';
import { noMetrics } from '../../functions/shared/metrics.ts';
import { JSON_OPTION, JSON_USAGE, reportJson } from '../aws/json.ts';
import { formatReport } from '../report.ts';
import { RUN_INPUT_OPTIONS, RUN_INPUT_USAGE, runInputFrom } from '../run-input-options.ts';
import {
  bindTasks,
  type EventLog,
  executeDefinition,
  type LocalExecution,
  type LocalTask,
  lambdaTask,
} from './execute.ts';
import { fileLocks, releaseLockTask } from './file-lock.ts';
import type { Definition } from './local-definition.ts';
import { packagedDbtSettings, packageService, REPO_ROOT } from './package-cache.ts';
import { profilesDirOf, projectDirOf } from './project.ts';
import { localDbt } from './run-dbt.ts';
import {
  fakeRef,
  lambdaFunctions,
  stateMachineDefinition,
  stateMachineResource,
} from './template-resolver.ts';

const USAGE = `usage: serverless-dbt local [options]

Runs the dbt project through the state machine on this machine.

${RUN_INPUT_USAGE}

where the project is:
  --project-dir DIR          the dbt project (default: the stage's dbtProject, dbt/)
  --profiles-dir DIR         where profiles.yml is (default: DBT_PROFILES_DIR, the
                             project's folder or ~/.dbt/, as dbt looks)
  --target NAME              the profile's target (default: the profile's own)
  --stage NAME               whose settings to package with (default: dev)
  --state-dir DIR            artifacts, lock and DuckDB file (default: .serverless-dbt/)
  --verbose                  the Lambdas' log lines too
${JSON_USAGE}

Slack: set SLACK_WEBHOOK_URL to post the alert; otherwise it is printed.
Exit code: 0 when the run succeeded, 1 when it failed, 2 for a wrong command line.`;

export interface LocalRunOptions {
  input: unknown;
  projectDir: string;
  profilesDir: string;
  /** The profile's target; by default the profile's own. */
  target?: string;
  stage: string;
  stateDir: string;
  runId: string;
  webhookUrl?: string;
  /** The DuckDB file; by default shop.duckdb in the state folder. */
  duckdbPath?: string;
  verbose?: boolean;
  /** Where progress, dbt's log and the report go. */
  print: (line: string) => void;
  /**
   * More of the container's environment, over the local defaults (`serverless-dbt ci`: the
   * stage's plain variables, PR_NUMBER, STATE_URI, CREDENTIALS_SOURCE).
   */
  containerEnvironment?: Record<string, string>;
}

export interface LocalRunResult {
  execution: LocalExecution;
  evaluation: Evaluation | null;
  /** The alert as text when Slack was not configured. */
  alertText: string | null;
  /** The Prepare state's error when it refused the run (InvalidRunInput: …). */
  refusal: string | null;
  /** The last attempt's artifacts folder (`<state dir>/runs/<run id>/attempt-<N>`). */
  artifactsDir: string;
  docsPage: string | null;
}

export function newRunId(now = new Date(), kind = 'local'): string {
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  // `cli-` tells Prepare the run was started from the CLI.
  return `cli-${kind}-${stamp}-${randomBytes(2).toString('hex')}`;
}

function seconds(milliseconds: number): string {
  return `${(milliseconds / 1000).toFixed(milliseconds < 10_000 ? 2 : 1)} s`;
}

/**
 * One line as a state starts, and one as it ends, with its duration. The library reports a
 * caught failure as StateFailed, StateCaught, then StateExited: the failure is remembered and
 * said at the exit, once; a failure nobody catches (no exit follows) is said at the end.
 */
function progress(print: (line: string) => void): (event: EventLog) => void {
  const entered = new Map<string, number>();
  const failed = new Map<string, string>();
  const took = (name: string, at: number) => seconds(at - (entered.get(name) ?? at));
  return (event) => {
    if (event.type === 'ExecutionFailed') {
      for (const [name, error] of failed) {
        print(`── ${name} failed in ${took(name, event.timestamp)}: ${error}`);
      }
      failed.clear();
      return;
    }
    if (!('state' in event)) return;
    const { name, type } = event.state;
    if (type === 'Choice') return;
    switch (event.type) {
      case 'StateEntered':
        entered.set(name, event.timestamp);
        print(`── ${name}`);
        break;
      case 'StateFailed':
        failed.set(name, String(event.Error));
        break;
      case 'StateRetried':
        print(
          `── ${name} failed in ${took(name, event.timestamp)}: ${failed.get(name) ?? 'error'}; retrying`,
        );
        failed.delete(name);
        break;
      case 'StateExited': {
        const error = failed.get(name);
        failed.delete(name);
        print(
          error === undefined
            ? `── ${name} done in ${took(name, event.timestamp)}`
            : `── ${name} failed in ${took(name, event.timestamp)}: ${error}`,
        );
        break;
      }
      default:
        break;
    }
  };
}

function refusalOf(events: EventLog[]): string | null {
  for (const event of events) {
    if (event.type !== 'StateFailed' || event.state.name !== 'Prepare') continue;
    try {
      const cause = JSON.parse(String(event.Cause)) as {
        errorType?: string;
        errorMessage?: string;
      };
      return `${cause.errorType ?? event.Error}: ${cause.errorMessage ?? ''}`;
    } catch {
      return `${event.Error}: ${String(event.Cause)}`;
    }
  }
  return null;
}

export async function runLocal(options: LocalRunOptions): Promise<LocalRunResult> {
  const { print } = options;
  const template = await packageService({ stage: options.stage });
  const definition = stateMachineDefinition(template) as unknown as Definition;
  // No region and no account: a local run has no AWS console for the alert to link to.
  const deployedName = fakeRef(template, stateMachineResource(template).logicalId).split(':').pop();
  const stateMachineArn = `arn:aws:states:::stateMachine:${deployedName}`;
  const functions = lambdaFunctions(template);
  const deployed = (name: string) => functions.find((lambda) => lambda.name === name);

  const artifactsUri = `file://${options.stateDir}`;
  // The handlers' settings as a local stage's Lambdas would have them, and nothing else: the
  // settings of a deployed stage that may be in the user's shell (AWS_REGION for the console
  // links, the Slack secret, the lock's key, log group and docs link) never reach them.
  const environment: Environment = {
    STAGE: 'local',
    ARTIFACTS_URI: artifactsUri,
    DEFAULT_TIMEOUT_SECONDS: deployed('prepare')?.fakeEnvironment.DEFAULT_TIMEOUT_SECONDS ?? '3600',
    LOCK_TABLE: join(options.stateDir, 'locks'),
    // The stage's lock groups: a local run of a grouped job waits for the others of its group.
    JOB_LOCK_GROUPS: deployed('prepare')?.fakeEnvironment.JOB_LOCK_GROUPS ?? '',
    // The stage's crons and zones: `--scheduled-time` gives the vars a schedule's run gets.
    JOB_SCHEDULES: deployed('prepare')?.fakeEnvironment.JOB_SCHEDULES ?? '{}',
    FARGATE_SPOT: 'false',
    DBT_CONTAINER_NAME: 'dbt',
    NOTIFY_ON: 'success,failure',
    TASK_MEMORY_MIB: deployed('evaluate')?.fakeEnvironment.TASK_MEMORY_MIB ?? '2048',
    TASK_CPU: deployed('evaluate')?.fakeEnvironment.TASK_CPU ?? '1024',
    TASK_CPU_ARCHITECTURE: deployed('evaluate')?.fakeEnvironment.TASK_CPU_ARCHITECTURE ?? 'X86_64',
    LAMBDA_MEMORY_MB: deployed('evaluate')?.fakeEnvironment.LAMBDA_MEMORY_MB ?? '256',
    // No alarm watches a local run: its metrics go nowhere (noMetrics), and no alarm topic
    // stands in for a Slack that refuses the alert.
    ALARM_ON: deployed('evaluate')?.fakeEnvironment.ALARM_ON ?? '',
    STATE_MACHINE_NAME: deployedName ?? 'local',
    SLACK_ALLOW_LOCAL: 'true',
  };
  useLogLevel(options.verbose ? 'INFO' : 'SILENT');

  let evaluation: Evaluation | null = null;
  let alertText: string | null = null;
  // The state machine passes Prepare and Evaluate names only; here the input is known.
  const executionInput = knownExecutionInput(options.input);
  const prepare = createPrepare({
    config: readPrepareConfig(environment),
    lockStore: fileLocks(),
    executionInput,
  });
  // Local artifacts are file://: the S3 client is never called.
  const evaluate = createEvaluate({
    config: readEvaluateConfig(environment),
    s3: new S3Client({}),
    metrics: noMetrics,
    executionInput,
  });
  const notify = createNotify({
    config: readNotifyConfig(environment),
    metrics: noMetrics,
    ...(options.webhookUrl === undefined ? {} : { webhookUrl: options.webhookUrl }),
  });
  const evaluateTask = lambdaTask('evaluate', evaluate);
  const notifyTask = lambdaTask('notify', notify);
  const handlers: Record<string, LocalTask> = {
    prepare: lambdaTask('prepare', prepare),
    evaluate: async (input) => {
      evaluation = (await evaluateTask(input)) as Evaluation;
      return evaluation;
    },
    notify: async (input) => {
      const result = (await notifyTask(input)) as { outcome?: string; text?: string };
      if (result.outcome === 'not-configured' && result.text) alertText = result.text;
      return result;
    },
  };

  const dbt = localDbt({
    python: join(REPO_ROOT, '.venv', 'bin', 'python'),
    entrypoint: join(REPO_ROOT, 'container', 'entrypoint.py'),
    environment: {
      ARTIFACTS_URI: artifactsUri,
      DBT_PROJECT_DIR: options.projectDir,
      DBT_PROFILES_DIR: options.profilesDir,
      ...(options.target === undefined ? {} : { DBT_TARGET: options.target }),
      DBT_DUCKDB_PATH: options.duckdbPath ?? join(options.stateDir, 'shop.duckdb'),
      CREDENTIALS_SOURCE: 'env',
      ...options.containerEnvironment,
    },
    onLine: (line) => print(line),
  });
  const lambdas = new Map<string, LocalTask>();
  for (const lambda of functions) {
    const handler = handlers[lambda.name];
    if (handler !== undefined) lambdas.set(lambda.fakeArn, handler);
  }
  const tasks = bindTasks(definition, {
    lambdas,
    runTask: dbt.runTask,
    deleteItem: releaseLockTask,
  });

  // Ctrl-C stops dbt as StopTask would; a second one leaves at once.
  let interrupted = false;
  const onInterrupt = () => {
    if (interrupted) process.exit(130);
    interrupted = true;
    print('── stopping dbt (Ctrl-C again to leave at once)');
    dbt.stop();
  };
  process.on('SIGINT', onInterrupt);
  let execution: LocalExecution;
  try {
    execution = await executeDefinition(definition, options.input, {
      executionName: options.runId,
      stateMachineArn,
      tasks,
      onEvent: progress(print),
    });
    // A run stopped at its time limit is still storing its artifacts.
    await dbt.idle();
  } finally {
    process.off('SIGINT', onInterrupt);
  }

  // The folder of the attempt Evaluate judged last: the outcome's summary and docs are there.
  const judged = (evaluation as Evaluation | null)?.output.artifactsUri;
  const artifactsDir =
    typeof judged === 'string' && judged.startsWith('file://')
      ? fileURLToPath(judged).replace(/\/+$/, '')
      : join(options.stateDir, 'runs', options.runId);
  const docsPage = join(artifactsDir, 'index.html');
  return {
    execution,
    evaluation,
    alertText,
    refusal: refusalOf(execution.events),
    artifactsDir,
    docsPage: existsSync(docsPage) ? docsPage : null,
  };
}

export async function localCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    strict: true,
    allowPositionals: false,
    options: {
      ...RUN_INPUT_OPTIONS,
      'project-dir': { type: 'string' },
      'profiles-dir': { type: 'string' },
      target: { type: 'string' },
      stage: { type: 'string' },
      'state-dir': { type: 'string' },
      verbose: { type: 'boolean' },
      ...JSON_OPTION,
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const input = runInputFrom(values);
  const stage = values.stage ?? 'dev';
  const projectDir = projectDirOf(
    values['project-dir'],
    (await packagedDbtSettings({ stage })).project,
    REPO_ROOT,
  );
  // With --json, the run's progress goes to stderr and stdout holds the one document.
  const print = (line: string) =>
    (values.json ? process.stderr : process.stdout).write(`${line}\n`);
  const { SLACK_WEBHOOK_URL: webhookUrl, DBT_DUCKDB_PATH: duckdbPath } = process.env;
  const runId = newRunId();
  const result = await runLocal({
    input,
    projectDir,
    profilesDir: profilesDirOf(values['profiles-dir'], process.env, projectDir),
    ...(values.target === undefined ? {} : { target: values.target }),
    stage,
    stateDir: resolve(values['state-dir'] ?? join(REPO_ROOT, '.serverless-dbt')),
    runId,
    ...(webhookUrl ? { webhookUrl } : {}),
    ...(duckdbPath === undefined ? {} : { duckdbPath }),
    verbose: values.verbose ?? false,
    print,
  });

  if (result.alertText !== null) {
    print('');
    print('── the alert (set SLACK_WEBHOOK_URL to post it to Slack)');
    print(result.alertText);
  }
  print('');
  if (result.refusal !== null && result.evaluation?.verdict === 'INVALID_INPUT') {
    print(result.refusal);
  }
  const evaluation = result.evaluation;
  const exitCode = result.execution.status === 'SUCCEEDED' ? 0 : 1;
  const report =
    evaluation === null
      ? null
      : {
          outcome: evaluation.output,
          summary: evaluation.summary,
          artifacts: existsSync(result.artifactsDir) ? result.artifactsDir : null,
          docs: result.docsPage,
        };
  if (report === null) {
    print(
      `the run ended ${result.execution.status}: ${result.execution.error ?? ''} ${result.execution.cause ?? ''}`,
    );
  } else {
    print(formatReport(report));
  }
  if (values.json) {
    process.stdout.write(
      `${JSON.stringify(
        {
          runId,
          status: result.execution.status,
          exitCode,
          refusal: result.refusal,
          report: report === null ? null : reportJson(report),
        },
        null,
        2,
      )}\n`,
    );
  }
  return exitCode;
}
