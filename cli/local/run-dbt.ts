// The RunDbt state of a local run: instead of a Fargate task, the container's entrypoint as a
// subprocess of the project's venv, given what the task would get (the overrides' RUN_SPEC,
// RUN_ID, RUN_ATTEMPT and RUN_ATTEMPT_STARTED_AT, plus what the task definition sets), ending
// the way `ecs:runTask.sync` ends: the stopped task as the state's result when every container
// exited 0, otherwise `States.TaskFailed` with the task as JSON Cause. Evaluate then judges
// what it would judge in AWS.
//
// The entrypoint stops dbt itself shortly before the run's limit (exit 6). Stopping mirrors ECS: past the run's limit (the Parameters' `localTimeoutSeconds`, which
// local-definition.ts carries there) and on stop() (Ctrl-C), the entrypoint gets SIGTERM, and
// SIGKILL after the grace ECS would give (stopTimeout); the task then reads as stopped by a
// person (UserInitiated), as a StopTask would.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { constants } from 'node:os';
import { createInterface } from 'node:readline';
import type { TaskResult } from '../../functions/shared/contracts.ts';
import { LOCAL_TIMEOUT_FIELD } from './local-definition.ts';

export interface LocalDbtOptions {
  python: string;
  entrypoint: string;
  /** The environment the task definition gives the container (ARTIFACTS_URI, DBT_*...). */
  environment: Record<string, string>;
  /** Each line dbt writes, stdout and stderr alike. */
  onLine: (line: string, stream: 'stdout' | 'stderr') => void;
  /** SIGTERM → SIGKILL, as the task definition's stopTimeout (ECS's default is 30 s). */
  stopTimeoutSeconds?: number;
}

interface RunTaskParameters {
  Overrides?: {
    ContainerOverrides?: Array<{
      Name?: string;
      Environment?: Array<{ Name: string; Value: string }>;
    }>;
  };
  [LOCAL_TIMEOUT_FIELD]?: number;
}

export interface LocalDbt {
  /** The RunDbt state's local function. */
  runTask: (input: unknown) => Promise<TaskResult>;
  /** Stop the running entrypoint as a person would stop the task (Ctrl-C). */
  stop: () => void;
  /** Resolves once no entrypoint is running (a timed-out one may outlive its state). */
  idle: () => Promise<void>;
}

const STOPPED_BY_USER = 'Task stopped by user';
const ESSENTIAL_EXITED = 'Essential container in task exited';

export function localDbt(options: LocalDbtOptions): LocalDbt {
  const running = new Set<{ child: ChildProcess; exited: Promise<void>; stop: () => void }>();

  const runTask = async (input: unknown): Promise<TaskResult> => {
    const parameters = input as RunTaskParameters;
    const override = parameters.Overrides?.ContainerOverrides?.[0];
    const containerName = override?.Name ?? 'dbt';
    const fromOverrides = Object.fromEntries(
      (override?.Environment ?? []).map((item) => [item.Name, item.Value]),
    );
    const taskId = randomUUID().replaceAll('-', '');
    const startedAt = Date.now();
    const child = spawn(options.python, [options.entrypoint], {
      env: { ...process.env, ...options.environment, ...fromOverrides },
      stdio: ['ignore', 'pipe', 'pipe'],
      // Its own process group: a Ctrl-C in the terminal reaches this process, which stops the
      // entrypoint as ECS would (SIGTERM first), rather than dbt directly.
      detached: true,
    });
    for (const stream of ['stdout', 'stderr'] as const) {
      createInterface({ input: child[stream] }).on('line', (line) => options.onLine(line, stream));
    }

    let stoppedByUser = false;
    let killTimer: NodeJS.Timeout | undefined;
    const stop = () => {
      if (stoppedByUser || child.exitCode !== null) return;
      stoppedByUser = true;
      child.kill('SIGTERM');
      killTimer = setTimeout(
        () => child.kill('SIGKILL'),
        (options.stopTimeoutSeconds ?? 30) * 1000,
      );
    };
    const limit = parameters[LOCAL_TIMEOUT_FIELD];
    const timeoutTimer = typeof limit === 'number' ? setTimeout(stop, limit * 1000) : undefined;

    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>(
      (resolve, reject) => {
        child.once('error', reject);
        child.once('close', (code, signal) => resolve({ code, signal }));
      },
    );
    const entry = {
      child,
      exited: exited.then(
        () => undefined,
        () => undefined,
      ),
      stop,
    };
    running.add(entry);
    let exit: { code: number | null; signal: NodeJS.Signals | null };
    try {
      exit = await exited;
    } finally {
      clearTimeout(timeoutTimer);
      clearTimeout(killTimer);
      running.delete(entry);
    }

    const exitCode =
      exit.code ?? (exit.signal === null ? null : 128 + (constants.signals[exit.signal] ?? 0));
    const task: TaskResult & Record<string, unknown> = {
      TaskArn: `arn:aws:ecs:local:000000000000:task/serverless-dbt-local/${taskId}`,
      LastStatus: 'STOPPED',
      DesiredStatus: 'STOPPED',
      LaunchType: 'LOCAL',
      StopCode: stoppedByUser ? 'UserInitiated' : 'EssentialContainerExited',
      StoppedReason: stoppedByUser ? STOPPED_BY_USER : ESSENTIAL_EXITED,
      StartedAt: startedAt,
      StoppedAt: Date.now(),
      Containers: [
        {
          Name: containerName,
          LastStatus: 'STOPPED',
          ...(exitCode === null ? {} : { ExitCode: exitCode }),
          ...(exit.signal === 'SIGKILL' ? { Reason: 'killed (SIGKILL)' } : {}),
        },
      ],
    };
    if (exitCode === 0) return task;
    const failed = new Error(JSON.stringify(task));
    failed.name = 'States.TaskFailed';
    throw failed;
  };

  return {
    runTask,
    stop: () => {
      for (const entry of running) entry.stop();
    },
    idle: async () => {
      await Promise.all([...running].map((entry) => entry.exited));
    },
  };
}
