// A moto server on 127.0.0.1 standing in for AWS APIs (S3, DynamoDB, Secrets Manager, Step
// Functions, CloudWatch Logs...), started from the project's .venv for one test file.
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export const FAKE_CREDENTIALS = {
  accessKeyId: 'AKIAFAKEFORMOTO',
  secretAccessKey: 'fake-moto-secret-key',
};
export const REGION = 'eu-west-1';

export interface Moto {
  endpoint: string;
  /** Client settings for any AWS SDK v3 client. */
  clientConfig: {
    endpoint: string;
    region: string;
    credentials: typeof FAKE_CREDENTIALS;
    forcePathStyle: true;
  };
  /** Environment for code that builds its own clients (AWS_ENDPOINT_URL and credentials). */
  env: Record<string, string>;
  stop: () => Promise<void>;
}

/** A port nothing listens on (just now): for a server to start on, or for a refused connection. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

export interface MotoOptions {
  /**
   * Run state machine definitions with moto's ASL interpreter (its "execute_state_machine"
   * setting) instead of its canned execution histories. Service integrations in the
   * definition then call this same server (MOTO_PORT tells the interpreter where it is).
   */
  executeStateMachines?: boolean;
}

export async function startMoto(options: MotoOptions = {}): Promise<Moto> {
  const port = await freePort();
  const server: ChildProcess = spawn(
    join(repo, '.venv', 'bin', 'moto_server'),
    ['-H', '127.0.0.1', '-p', String(port)],
    {
      stdio: 'ignore',
      ...(options.executeStateMachines ? { env: { ...process.env, MOTO_PORT: String(port) } } : {}),
    },
  );
  const endpoint = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      const response = await fetch(`${endpoint}/moto-api/`);
      if (response.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline || server.exitCode !== null) {
      server.kill();
      throw new Error('the moto server did not start (is .venv set up? run scripts/setup)');
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  if (options.executeStateMachines) {
    const response = await fetch(`${endpoint}/moto-api/config`, {
      method: 'POST',
      body: JSON.stringify({ stepfunctions: { execute_state_machine: true } }),
    });
    if (!response.ok) {
      server.kill();
      throw new Error(`moto refused its stepfunctions config (HTTP ${response.status})`);
    }
  }
  return {
    endpoint,
    clientConfig: { endpoint, region: REGION, credentials: FAKE_CREDENTIALS, forcePathStyle: true },
    env: {
      AWS_ENDPOINT_URL: endpoint,
      AWS_ACCESS_KEY_ID: FAKE_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: FAKE_CREDENTIALS.secretAccessKey,
      AWS_REGION: REGION,
    },
    stop: async () => {
      server.kill();
      await new Promise((resolve) => server.once('exit', resolve));
    },
  };
}
