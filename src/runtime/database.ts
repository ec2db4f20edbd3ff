import type { Config } from '../config/schema.ts';
import { ensureEmbeddedPostgres } from '../db/embedded.ts';
import { migrate } from '../db/migrate.ts';
import { createPool, type Pool } from '../db/pool.ts';
import type { Logger } from '../util/log.ts';

export class StartupError extends Error {
  override name = 'StartupError';
}

/** DATABASE_URL when configured, else the embedded server under NEBULA_HOME. */
export async function resolveDatabaseUrl(config: Config, log: Logger): Promise<string> {
  if (config.databaseUrl) return config.databaseUrl;
  try {
    return await ensureEmbeddedPostgres(config.home, (msg) => log.info(msg));
  } catch (err) {
    throw new StartupError(`embedded PostgreSQL under ${config.home}/pg: ${(err as Error).message}`);
  }
}

function describe(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || 5432}${u.pathname}`; // never the password
  } catch {
    return '(unparsable DATABASE_URL)';
  }
}

export async function openDatabase(url: string, poolSize: number, log: Logger, runMigrations = true): Promise<Pool> {
  const pool = createPool(url, poolSize);
  try {
    await pool.query('SELECT 1');
  } catch (err) {
    await pool.end().catch(() => {});
    throw new StartupError(`cannot reach PostgreSQL at ${describe(url)}: ${(err as Error).message}`);
  }
  if (runMigrations) {
    const applied = await migrate(pool, (msg) => log.info(msg));
    if (applied.length) log.info({ applied }, 'database migrated');
  }
  return pool;
}
