import { createHash, randomBytes } from 'node:crypto';
import type { Queryable } from '../db/pool.ts';

export interface User {
  id: number;
  email: string;
  username: string;
  is_admin: boolean;
  deleted: boolean;
  purged: boolean;
  create_time: Date;
  update_time: Date;
}

const USER_COLUMNS = 'id, email, username, is_admin, deleted, purged, create_time, update_time';

export const hashApiKey = (key: string) => createHash('sha256').update(key).digest('hex');
export const newApiKey = () => randomBytes(16).toString('hex');

export async function findUserByApiKey(db: Queryable, key: string): Promise<User | null> {
  const { rows } = await db.query<User>(
    `SELECT ${USER_COLUMNS.split(', ').map((c) => `u.${c}`).join(', ')}
       FROM api_keys k JOIN users u ON u.id = k.user_id
      WHERE k.key_hash = $1 AND NOT k.deleted AND NOT u.deleted`,
    [hashApiKey(key)],
  );
  return rows[0] ?? null;
}

export async function getUser(db: Queryable, id: number): Promise<User | null> {
  const { rows } = await db.query<User>(`SELECT ${USER_COLUMNS} FROM users WHERE id = $1`, [id]);
  return rows[0] ?? null;
}

export async function findUserByEmail(db: Queryable, email: string): Promise<User | null> {
  const { rows } = await db.query<User>(`SELECT ${USER_COLUMNS} FROM users WHERE lower(email) = lower($1)`, [email]);
  return rows[0] ?? null;
}

export async function listUsers(db: Queryable, opts: { deleted?: boolean; email?: string } = {}): Promise<User[]> {
  const { rows } = await db.query<User>(
    `SELECT ${USER_COLUMNS} FROM users WHERE deleted = $1 AND ($2::text IS NULL OR lower(email) = lower($2)) ORDER BY id`,
    [opts.deleted ?? false, opts.email ?? null],
  );
  return rows;
}

export class DuplicateUserError extends Error {
  override name = 'DuplicateUserError';
}

export async function createUser(
  db: Queryable,
  fields: { email: string; username: string; isAdmin?: boolean },
): Promise<User> {
  try {
    const { rows } = await db.query<User>(
      `INSERT INTO users (email, username, is_admin) VALUES ($1, $2, $3) RETURNING ${USER_COLUMNS}`,
      [fields.email, fields.username, fields.isAdmin ?? false],
    );
    return rows[0];
  } catch (err) {
    if ((err as { code?: string }).code === '23505') {
      throw new DuplicateUserError(`a user with that email or username already exists`);
    }
    throw err;
  }
}

/** Adds an API key for the user and returns it in clear, the only time it is visible. */
export async function createApiKey(db: Queryable, userId: number, key = newApiKey()): Promise<string> {
  await db.query(
    'INSERT INTO api_keys (key_hash, user_id) VALUES ($1, $2) ON CONFLICT (key_hash) DO NOTHING',
    [hashApiKey(key), userId],
  );
  return key;
}

/** Replaces the user's keys with a new one (Galaxy's POST /api/users/{id}/api_key). */
export async function rotateApiKey(db: Queryable, userId: number): Promise<string> {
  await db.query('UPDATE api_keys SET deleted = true WHERE user_id = $1', [userId]);
  return createApiKey(db, userId);
}

/**
 * Ensures the bootstrap admin exists and that `key` opens it. Safe for many replicas starting
 * at once with the same key.
 */
export async function ensureBootstrapAdmin(db: Queryable, key: string): Promise<User> {
  await db.query(
    `INSERT INTO users (email, username, is_admin) VALUES ('admin@nebula.local', 'admin', true)
     ON CONFLICT DO NOTHING`,
  );
  const admin = (await findUserByEmail(db, 'admin@nebula.local'))!;
  await createApiKey(db, admin.id, key);
  return admin;
}

export async function adminKeyIsSet(db: Queryable): Promise<boolean> {
  const { rowCount } = await db.query(
    `SELECT 1 FROM api_keys k JOIN users u ON u.id = k.user_id WHERE u.email = 'admin@nebula.local' AND NOT k.deleted`,
  );
  return (rowCount ?? 0) > 0;
}
