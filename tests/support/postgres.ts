// A throwaway PostgreSQL server for the tests: Debian's own binaries (scripts/setup installs
// the `postgresql` package when they are missing), a data folder in a temporary directory,
// 127.0.0.1 on a free port, password (scram-sha-256) logins over TCP for one test role that
// owns one database, and stop() to shut it down and remove the folder. PostgreSQL refuses to
// run as root, so as root every server command runs as the `postgres` user; the superuser
// connects only through the server's Unix socket, inside that folder.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { chmod, chown, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { freePort } from './moto.ts';

export interface PostgresServer {
  host: '127.0.0.1';
  port: number;
  /** The test role: it logs in with `password` over TCP and owns `database`. */
  user: string;
  password: string;
  database: string;
  /** Runs SQL as the superuser in the test database; each row as its columns joined by tabs. */
  query: (sql: string) => Promise<string[]>;
  /** What the server has logged so far (statements it cancelled, logins it refused...). */
  log: () => Promise<string>;
  /** Stops the server (immediately: a test's leftovers do not matter) and removes its folder. */
  stop: () => Promise<void>;
}

const POSTGRES_ROOT = '/usr/lib/postgresql';

/** The newest installed PostgreSQL's bin folder. */
function binFolder(): string {
  const versions = existsSync(POSTGRES_ROOT)
    ? readdirSync(POSTGRES_ROOT)
        .filter((version) => existsSync(join(POSTGRES_ROOT, version, 'bin', 'initdb')))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  const newest = versions[0];
  if (newest === undefined) {
    throw new Error(
      `PostgreSQL is not installed (no ${POSTGRES_ROOT}/*/bin/initdb): scripts/setup installs it as root, or run \`apt-get install postgresql\``,
    );
  }
  return join(POSTGRES_ROOT, newest, 'bin');
}

const asRoot = userInfo().uid === 0;

interface Ran {
  code: number | null;
  output: string;
}

/** Runs a command, its stdout and stderr together. */
function capture(command: string, args: string[], input?: string): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    let output = '';
    for (const stream of [child.stdout, child.stderr]) {
      stream?.setEncoding('utf8').on('data', (chunk: string) => {
        output += chunk;
      });
    }
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, output }));
    child.stdin?.end(input);
  });
}

/** Runs one PostgreSQL program, as the postgres user when this is root. */
const run = (program: string, args: string[], input?: string): Promise<Ran> =>
  asRoot
    ? capture('runuser', ['-u', 'postgres', '--', program, ...args], input)
    : capture(program, args, input);

async function mustRun(program: string, args: string[], input?: string): Promise<string> {
  const { code, output } = await run(program, args, input);
  if (code !== 0) throw new Error(`${program} ${args[0] ?? ''} exited ${code}: ${output}`);
  return output;
}

/** The postgres user's uid and gid, to hand it the server's folder. */
async function postgresIds(): Promise<[number, number]> {
  const ids = await Promise.all(['-u', '-g'].map((flag) => capture('id', [flag, 'postgres'])));
  if (ids.some((id) => id.code !== 0)) {
    throw new Error('there is no postgres user: install PostgreSQL (apt-get install postgresql)');
  }
  return [Number(ids[0]?.output.trim()), Number(ids[1]?.output.trim())];
}

/** A name PostgreSQL takes unquoted. */
const identifier = (prefix: string) => `${prefix}_${randomBytes(4).toString('hex')}`;

export async function startPostgres(): Promise<PostgresServer> {
  const bin = binFolder();
  const folder = await mkdtemp(join(tmpdir(), 'serverless-dbt-postgres-'));
  const data = join(folder, 'data');
  if (asRoot) await chown(folder, ...(await postgresIds()));
  await chmod(folder, 0o700);

  // Peer-less trust on the socket (only the folder's owner reaches it), passwords over TCP.
  await mustRun(join(bin, 'initdb'), [
    '-D',
    data,
    '-U',
    'postgres',
    '--auth-local=trust',
    '--auth-host=scram-sha-256',
    '-E',
    'UTF8',
    '--locale=C',
    '--no-sync',
  ]);

  let port = 0;
  for (let attempt = 1; ; attempt += 1) {
    port = await freePort();
    const started = await run(join(bin, 'pg_ctl'), [
      'start',
      '-D',
      data,
      '-w',
      '-t',
      '30',
      '-l',
      join(folder, 'server.log'),
      '-o',
      // A test database: durability buys nothing and costs seconds.
      `-p ${port} -k ${folder} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off`,
    ]);
    if (started.code === 0) break;
    // Another process may have taken the port between the probe and the start.
    if (attempt === 3) {
      await rm(folder, { recursive: true, force: true });
      throw new Error(`PostgreSQL did not start: ${started.output}`);
    }
  }

  const superuser = (sql: string, input?: string, database = 'postgres') =>
    mustRun(
      join(bin, 'psql'),
      [
        '-h',
        folder,
        '-p',
        String(port),
        '-U',
        'postgres',
        '-d',
        database,
        '-X',
        '-q',
        '-A',
        '-t',
        '-F',
        '\t',
        '-v',
        'ON_ERROR_STOP=1',
        ...(input === undefined ? ['-c', sql] : ['-f', '-']),
      ],
      input,
    );
  const stop = async () => {
    await run(join(bin, 'pg_ctl'), ['stop', '-D', data, '-m', 'immediate', '-w']);
    await rm(folder, { recursive: true, force: true });
  };

  const user = identifier('dbt_test');
  const database = identifier('shop');
  // Long and unlike any word, so that a test can look for it in everything a run lets out.
  const password = `pg-${randomBytes(12).toString('base64url')}`;
  try {
    // Through stdin, so that the password is on no command line.
    await superuser('', `create role ${user} login password '${password}';\n`);
    await superuser(`create database ${database} owner ${user}`);
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    host: '127.0.0.1',
    port,
    user,
    password,
    database,
    query: async (sql) => {
      const output = await superuser(sql, undefined, database);
      return output.split('\n').filter((line) => line !== '');
    },
    log: () => readFile(join(folder, 'server.log'), 'utf8'),
    stop,
  };
}
