import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { ensureEmbeddedPostgres, stopEmbeddedPostgres } from '../../src/db/embedded.ts';

/** One PostgreSQL server for a whole benchmark run, and the fresh databases made on it. */
export interface BenchServer {
  /** Where the server came from, for the report. */
  description: string;
  /** Drops (if present) and creates a database, and returns its URL. */
  freshDatabase(name: string): Promise<string>;
  /** Drops the databases made here and stops an embedded server. */
  close(): Promise<void>;
}

export function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

async function adminQuery(url: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/**
 * Uses DATABASE_URL's server when set; otherwise starts an embedded PostgreSQL in a temporary
 * directory (removed again by close()).
 */
export async function openBenchServer(log: (msg: string) => void): Promise<BenchServer> {
  const fromEnv = process.env.DATABASE_URL;
  let serverUrl: string;
  let home: string | undefined;
  if (fromEnv) {
    serverUrl = fromEnv;
  } else {
    home = mkdtempSync(path.join(os.tmpdir(), 'nebula-bench-'));
    try {
      serverUrl = await ensureEmbeddedPostgres(home, log);
    } catch (err) {
      await stopEmbeddedPostgres(home);
      rmSync(home, { recursive: true, force: true });
      throw err;
    }
  }
  const made: string[] = [];
  return {
    description: fromEnv ? 'DATABASE_URL server' : `embedded PostgreSQL in ${home}`,
    async freshDatabase(name) {
      if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`bad database name "${name}"`);
      await adminQuery(serverUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await adminQuery(serverUrl, `CREATE DATABASE ${name}`);
      made.push(name);
      return withDatabase(serverUrl, name);
    },
    async close() {
      for (const name of made.splice(0)) {
        await adminQuery(serverUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch((err: Error) =>
          log(`could not drop ${name}: ${err.message}`),
        );
      }
      if (home) {
        await stopEmbeddedPostgres(home);
        rmSync(home, { recursive: true, force: true });
      }
    },
  };
}

/** Reads the server version, for the report. */
export async function serverVersion(url: string): Promise<string> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ v: string }>(`SELECT current_setting('server_version') AS v`);
    return rows[0]?.v ?? 'unknown';
  } finally {
    await client.end();
  }
}
