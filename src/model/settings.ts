import { randomBytes } from 'node:crypto';
import type { Queryable } from '../db/pool.ts';

/**
 * Returns the cluster-wide setting `name`, creating it with `make()` if absent. Concurrent
 * first starts agree on one value: the first insert wins and everyone reads it back.
 */
export async function getOrCreateSetting(db: Queryable, name: string, make: () => string): Promise<string> {
  await db.query('INSERT INTO nebula_settings (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING', [name, make()]);
  const { rows } = await db.query<{ value: string }>('SELECT value FROM nebula_settings WHERE name = $1', [name]);
  return rows[0].value;
}

export const randomSecret = () => randomBytes(32).toString('base64url');
