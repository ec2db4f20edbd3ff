import { randomBytes } from 'node:crypto';
import type { Queryable } from '../db/pool.ts';

/**
 * Returns the cluster-wide setting `name`, creating it with `make()` if absent. Concurrent
 * first starts agree on one value: the first insert wins and everyone reads it back. Once the
 * setting exists (every call but the first few) this is one read: the job token secret is
 * read several times per job.
 */
export async function getOrCreateSetting(db: Queryable, name: string, make: () => string): Promise<string> {
  const read = async () => (await db.query<{ value: string }>('SELECT value FROM nebula_settings WHERE name = $1', [name])).rows[0]?.value;
  const existing = await read();
  if (existing !== undefined) return existing;
  await db.query('INSERT INTO nebula_settings (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING', [name, make()]);
  return (await read())!;
}

export const randomSecret = () => randomBytes(32).toString('base64url');
