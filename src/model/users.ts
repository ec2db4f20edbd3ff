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
  /** The field another user already has: `email`, `username`, or null when not known. */
  constructor(
    message: string,
    readonly field: 'email' | 'username' | null = null,
  ) {
    super(message);
  }
}

/** Turns a unique violation on users into a DuplicateUserError naming the field; rethrows anything else. */
function duplicateOrThrow(err: unknown, values: { email?: string; username?: string }): never {
  const e = err as { code?: string; constraint?: string };
  if (e.code !== '23505') throw err;
  if (e.constraint === 'users_email') throw new DuplicateUserError(`email ${JSON.stringify(values.email)} is already used by another user`, 'email');
  if (e.constraint === 'users_username') throw new DuplicateUserError(`username ${JSON.stringify(values.username)} is already used by another user`, 'username');
  throw new DuplicateUserError('a user with that email or username already exists');
}

export async function createUser(
  db: Queryable,
  fields: { email: string; username: string; isAdmin?: boolean; passwordHash?: string | null },
): Promise<User> {
  try {
    const { rows } = await db.query<User>(
      `INSERT INTO users (email, username, is_admin, password_hash) VALUES ($1, $2, $3, $4) RETURNING ${USER_COLUMNS}`,
      [fields.email, fields.username, fields.isAdmin ?? false, fields.passwordHash ?? null],
    );
    return rows[0];
  } catch (err) {
    duplicateOrThrow(err, fields);
  }
}

/**
 * The live user a Basic login names, by email or username (Galaxy accepts either), with its
 * password hash; the hash is read here only, never as part of a User.
 */
export async function findLoginUser(db: Queryable, identity: string): Promise<{ user: User; passwordHash: string | null } | null> {
  const { rows } = await db.query<User & { password_hash: string | null }>(
    `SELECT ${USER_COLUMNS}, password_hash FROM users
      WHERE NOT deleted AND (lower(email) = lower($1) OR lower(username) = lower($1))
      ORDER BY lower(email) = lower($1) DESC LIMIT 1`,
    [identity],
  );
  const row = rows[0];
  if (!row) return null;
  const { password_hash: passwordHash, ...user } = row;
  return { user, passwordHash };
}

/** Changes a user's email and/or username (Galaxy's PUT /api/users/{id}/information/inputs). */
export async function updateUserInformation(db: Queryable, id: number, changes: { email?: string; username?: string }): Promise<User | null> {
  try {
    const { rows } = await db.query<User>(
      `UPDATE users SET email = coalesce($2, email), username = coalesce($3, username), update_time = now()
        WHERE id = $1 RETURNING ${USER_COLUMNS}`,
      [id, changes.email ?? null, changes.username ?? null],
    );
    return rows[0] ?? null;
  } catch (err) {
    duplicateOrThrow(err, changes);
  }
}

/** Marks a user deleted: its API keys and password stop working at once (they are checked against `deleted`). */
export async function markUserDeleted(db: Queryable, id: number): Promise<User | null> {
  const { rows } = await db.query<User>(
    `UPDATE users SET deleted = true, update_time = now() WHERE id = $1 RETURNING ${USER_COLUMNS}`,
    [id],
  );
  return rows[0] ?? null;
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

/** The account NEBULA_ADMIN_KEY opens, found by this email at every start. */
export const BOOTSTRAP_ADMIN_EMAIL = 'admin@nebula.local';
export const isBootstrapAdmin = (user: User) => user.email.toLowerCase() === BOOTSTRAP_ADMIN_EMAIL;

/**
 * Ensures the bootstrap admin exists and that `key` opens it. Safe for many replicas starting
 * at once with the same key.
 */
export async function ensureBootstrapAdmin(db: Queryable, key: string): Promise<User> {
  await db.query(
    `INSERT INTO users (email, username, is_admin) VALUES ($1, 'admin', true)
     ON CONFLICT DO NOTHING`,
    [BOOTSTRAP_ADMIN_EMAIL],
  );
  const admin = (await findUserByEmail(db, BOOTSTRAP_ADMIN_EMAIL))!;
  await createApiKey(db, admin.id, key);
  return admin;
}

export async function adminKeyIsSet(db: Queryable): Promise<boolean> {
  const { rowCount } = await db.query(
    `SELECT 1 FROM api_keys k JOIN users u ON u.id = k.user_id WHERE u.email = $1 AND NOT k.deleted`,
    [BOOTSTRAP_ADMIN_EMAIL],
  );
  return (rowCount ?? 0) > 0;
}
