// `serverless-dbt ARGS` as a person runs it (the node bin/serverless-dbt runs), as a child
// process whose output the test reads as it comes and when it ends.
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT } from './packaged.ts';

export const CLI = join(REPO_ROOT, 'cli', 'serverless-dbt.ts');

export interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface Started {
  child: ChildProcess;
  /** stdout so far. */
  output: () => string;
  finished: Promise<Finished>;
}

/** Starts the command; it is killed (SIGKILL) if it has not ended after `limitMs`. */
export function startCli(args: string[], environment: NodeJS.ProcessEnv, limitMs: number): Started {
  const child = spawn(process.execPath, [CLI, ...args], {
    cwd: REPO_ROOT,
    env: environment,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), limitMs);
  const finished = new Promise<Finished>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
  return { child, output: () => stdout, finished };
}
