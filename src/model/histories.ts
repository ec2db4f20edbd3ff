import type { Queryable } from '../db/pool.ts';
import type { User } from './users.ts';

export interface History {
  id: number;
  user_id: number;
  name: string;
  annotation: string | null;
  tags: string[];
  published: boolean;
  importable: boolean;
  slug: string | null;
  deleted: boolean;
  purged: boolean;
  hid_counter: number;
  create_time: Date;
  update_time: Date;
}

export const HISTORY_COLUMNS =
  'id, user_id, name, annotation, tags, published, importable, slug, deleted, purged, hid_counter, create_time, update_time';

export async function createHistory(db: Queryable, userId: number, name?: string): Promise<History> {
  const { rows } = await db.query<History>(
    `INSERT INTO histories (user_id, name) VALUES ($1, COALESCE($2, 'Unnamed history')) RETURNING ${HISTORY_COLUMNS}`,
    [userId, name ?? null],
  );
  return rows[0];
}

export async function getHistory(db: Queryable, id: number): Promise<History | null> {
  const { rows } = await db.query<History>(`SELECT ${HISTORY_COLUMNS} FROM histories WHERE id = $1`, [id]);
  return rows[0] ?? null;
}

export type Access = 'none' | 'read' | 'write';

/**
 * Who may do what with a history: the owner (and an admin) everything; anyone, even
 * anonymous, may read a published or importable one; a user it is shared with may read it.
 */
export async function historyAccess(db: Queryable, history: History, user: User | null): Promise<Access> {
  if (user && (user.id === history.user_id || user.is_admin)) return 'write';
  if (history.published || history.importable) return 'read';
  if (!user) return 'none';
  const { rowCount } = await db.query('SELECT 1 FROM history_shares WHERE history_id = $1 AND user_id = $2', [
    history.id,
    user.id,
  ]);
  return rowCount ? 'read' : 'none';
}

/**
 * Reserves `count` consecutive hids in a history. The row lock serialises concurrent uploads
 * into one history, so hids are unique and gap-free in creation order.
 */
export async function allocateHids(db: Queryable, historyId: number, count: number): Promise<number> {
  const { rows } = await db.query<{ first: number }>(
    `UPDATE histories SET hid_counter = hid_counter + $2, update_time = now() WHERE id = $1
     RETURNING hid_counter - $2 AS first`,
    [historyId, count],
  );
  if (!rows[0]) throw new Error(`history ${historyId} does not exist`);
  return rows[0].first;
}
