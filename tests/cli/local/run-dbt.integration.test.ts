// The local RunDbt: a subprocess in place of the Fargate task, ending as `ecs:runTask.sync`
// ends. Stand-in entrypoints (small Python scripts) play the container here; the real one is
// run by command.test.ts.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LOCAL_TIMEOUT_FIELD } from '../../../cli/local/local-definition.ts';
import { localDbt } from '../../../cli/local/run-dbt.ts';
import type { TaskResult } from '../../../functions/shared/contracts.ts';
import { REPO_ROOT } from '../../support/packaged.ts';

const PYTHON = join(REPO_ROOT, '.venv', 'bin', 'python');

let folder: string;

beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), 'serverless-dbt-run-dbt-'));
});

afterAll(async () => {
  await rm(folder, { recursive: true, force: true });
});

async function entrypoint(name: string, body: string): Promise<string> {
  const path = join(folder, `${name}.py`);
  await writeFile(path, body);
  return path;
}

function runTaskInput(extra: Record<string, unknown> = {}) {
  return {
    Cluster: 'local',
    Overrides: {
      ContainerOverrides: [
        {
          Name: 'dbt',
          Environment: [
            { Name: 'RUN_SPEC', Value: '{"command":"build"}' },
            { Name: 'RUN_ID', Value: 'cli-local-run-1' },
          ],
        },
      ],
    },
    ...extra,
  };
}

function harness(script: string, environment: Record<string, string> = {}) {
  const lines: string[] = [];
  const dbt = localDbt({
    python: PYTHON,
    entrypoint: script,
    environment,
    onLine: (line) => lines.push(line),
    stopTimeoutSeconds: 2,
  });
  return { dbt, lines };
}

/** The task of a States.TaskFailed error's Cause. */
async function failedTask(run: Promise<unknown>): Promise<TaskResult> {
  const error = (await run.then(
    () => undefined,
    (caught: unknown) => caught,
  )) as Error | undefined;
  expect(error?.name).toBe('States.TaskFailed');
  return JSON.parse(error?.message ?? '{}') as TaskResult;
}

test('gives the entrypoint the overrides and the task environment, and streams its lines', async () => {
  const script = await entrypoint(
    'echo',
    'import os, sys\nprint(os.environ["RUN_ID"], os.environ["RUN_SPEC"], os.environ["ARTIFACTS_URI"])\nprint("to stderr", file=sys.stderr)\n',
  );
  const { dbt, lines } = harness(script, { ARTIFACTS_URI: 'file:///tmp/x' });

  const task = await dbt.runTask(runTaskInput());

  expect(lines).toContain('cli-local-run-1 {"command":"build"} file:///tmp/x');
  expect(lines).toContain('to stderr');
  expect(task).toMatchObject({
    LastStatus: 'STOPPED',
    StopCode: 'EssentialContainerExited',
    Containers: [{ Name: 'dbt', ExitCode: 0, LastStatus: 'STOPPED' }],
  });
  expect(task.TaskArn).toMatch(
    /^arn:aws:ecs:local:000000000000:task\/serverless-dbt-local\/[0-9a-f]{32}$/,
  );
});

test.each([1, 2, 3, 4])(
  'an exit %i fails the state with States.TaskFailed and the task, with that exit code, as Cause',
  async (code) => {
    const script = await entrypoint(`exit-${code}`, `raise SystemExit(${code})\n`);
    const { dbt } = harness(script);

    const task = await failedTask(dbt.runTask(runTaskInput()));

    expect(task.StopCode).toBe('EssentialContainerExited');
    expect(task.Containers?.[0]?.ExitCode).toBe(code);
  },
);

test("past the run's limit the entrypoint gets SIGTERM, as ECS stops a task", async () => {
  const script = await entrypoint(
    'slow',
    'import signal, sys, time\nsignal.signal(signal.SIGTERM, lambda *_: sys.exit(2))\ntime.sleep(30)\n',
  );
  const { dbt } = harness(script);
  const started = Date.now();

  const task = await failedTask(dbt.runTask(runTaskInput({ [LOCAL_TIMEOUT_FIELD]: 1 })));

  expect(Date.now() - started).toBeLessThan(10_000);
  expect(task).toMatchObject({ StopCode: 'UserInitiated', StoppedReason: 'Task stopped by user' });
  expect(task.Containers?.[0]?.ExitCode).toBe(2);
});

test('stop() ends the run as a person stopping the task; a process that ignores SIGTERM is killed', async () => {
  const script = await entrypoint(
    'stubborn',
    'import signal, time\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\nprint("ready", flush=True)\ntime.sleep(30)\n',
  );
  const { dbt, lines } = harness(script);
  const running = failedTask(dbt.runTask(runTaskInput()));
  while (!lines.includes('ready')) await new Promise((resolve) => setTimeout(resolve, 50));

  dbt.stop();
  const task = await running;

  expect(task.StopCode).toBe('UserInitiated');
  // SIGKILL after the stop timeout: 128 + 9, as a container killed by ECS reports it.
  expect(task.Containers?.[0]?.ExitCode).toBe(137);
  await dbt.idle();
});
