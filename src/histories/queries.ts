import type { Queryable } from '../db/pool.ts';
import { HISTORY_COLUMNS, type History } from '../model/histories.ts';

/** A history row with what the serializer needs from other tables. */
export interface HistoryRow extends History {
  username: string;
  /** Number of HDAs, deleted or not (Galaxy's `count`). */
  count: number;
}

const ROW_SELECT = `SELECT ${HISTORY_COLUMNS.split(', ')
  .map((c) => `h.${c}`)
  .join(', ')}, u.username,
  (SELECT count(*) FROM hdas x WHERE x.history_id = h.id)::int AS count
  FROM histories h JOIN users u ON u.id = h.user_id`;

export async function getHistoryRow(db: Queryable, id: number): Promise<HistoryRow | null> {
  const { rows } = await db.query<HistoryRow>(`${ROW_SELECT} WHERE h.id = $1`, [id]);
  return rows[0] ?? null;
}

/** One condition of a history listing, already validated. */
export type HistoryFilter =
  | { field: 'deleted' | 'purged' | 'published' | 'importable'; value: boolean }
  | { field: 'name' | 'slug'; op: 'eq' | 'contains'; value: string };

export interface HistoryListQuery {
  /** Whose histories: one user's, every user's (admin `all=true`), published, or shared with a user. */
  scope: { kind: 'owner'; userId: number } | { kind: 'all' } | { kind: 'published' } | { kind: 'shared'; userId: number };
  filters: HistoryFilter[];
  order: HistoryOrder;
  limit?: number;
  offset?: number;
}

export const HISTORY_ORDERS = {
  'update_time-dsc': 'h.update_time DESC, h.id DESC',
  'update_time-asc': 'h.update_time ASC, h.id ASC',
  'create_time-dsc': 'h.create_time DESC, h.id DESC',
  'create_time-asc': 'h.create_time ASC, h.id ASC',
  'name-asc': 'h.name ASC, h.id ASC',
  'name-dsc': 'h.name DESC, h.id DESC',
} as const;
export type HistoryOrder = keyof typeof HISTORY_ORDERS;

export async function listHistories(db: Queryable, q: HistoryListQuery): Promise<HistoryRow[]> {
  const where: string[] = [];
  const args: unknown[] = [];
  const arg = (v: unknown) => {
    args.push(v);
    return `$${args.length}`;
  };
  switch (q.scope.kind) {
    case 'owner':
      where.push(`h.user_id = ${arg(q.scope.userId)}`);
      break;
    case 'published':
      where.push('h.published');
      break;
    case 'shared':
      where.push(`h.id IN (SELECT history_id FROM history_shares WHERE user_id = ${arg(q.scope.userId)})`);
      break;
    case 'all':
      break;
  }
  // Galaxy lists only non-deleted histories unless a `deleted` filter says otherwise.
  if (!q.filters.some((f) => f.field === 'deleted')) where.push('NOT h.deleted');
  for (const f of q.filters) {
    if (f.field === 'name' || f.field === 'slug') {
      where.push(
        f.op === 'eq' ? `h.${f.field} = ${arg(f.value)}` : `strpos(lower(h.${f.field}), lower(${arg(f.value)})) > 0`,
      );
    } else {
      where.push(`h.${f.field} = ${arg(f.value)}`);
    }
  }
  let sql = `${ROW_SELECT} ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY ${HISTORY_ORDERS[q.order]}`;
  if (q.limit !== undefined) sql += ` LIMIT ${arg(q.limit)}`;
  if (q.offset) sql += ` OFFSET ${arg(q.offset)}`;
  const { rows } = await db.query<HistoryRow>(sql, args);
  return rows;
}

/** Per-history counts behind `state`, `state_details`, `size`, `contents_active`. */
export interface HistoryStats {
  /** Non-deleted HDAs per dataset state. */
  stateCounts: Record<string, number>;
  /** Every HDA id per dataset state (Galaxy's `state_ids`). */
  stateIds: Record<string, number[]>;
  size: number;
  active: { active: number; deleted: number; hidden: number };
}

export async function historyStats(db: Queryable, historyIds: number[], withIds: boolean): Promise<Map<number, HistoryStats>> {
  const out = new Map<number, HistoryStats>();
  for (const id of historyIds) {
    out.set(id, { stateCounts: {}, stateIds: {}, size: 0, active: { active: 0, deleted: 0, hidden: 0 } });
  }
  if (historyIds.length === 0) return out;
  const { rows } = await db.query<{
    history_id: number;
    state: string;
    deleted: boolean;
    visible: boolean;
    n: number;
    size: number;
  }>(
    `SELECT h.history_id, d.state, h.deleted, h.visible, count(*)::int AS n,
            COALESCE(sum(d.file_size) FILTER (WHERE NOT h.purged), 0)::bigint AS size
       FROM hdas h JOIN datasets d ON d.id = h.dataset_id
      WHERE h.history_id = ANY($1)
      GROUP BY 1, 2, 3, 4`,
    [historyIds],
  );
  const { rows: collections } = await db.query<{ history_id: number; deleted: boolean; visible: boolean; n: number }>(
    `SELECT history_id, deleted, visible, count(*)::int AS n FROM hdcas WHERE history_id = ANY($1) GROUP BY 1, 2, 3`,
    [historyIds],
  );
  for (const r of [...rows, ...collections]) {
    const s = out.get(r.history_id)!;
    if (r.deleted) s.active.deleted += r.n;
    if (!r.visible) s.active.hidden += r.n;
    if (!r.deleted && r.visible) s.active.active += r.n;
  }
  for (const r of rows) {
    const s = out.get(r.history_id)!;
    s.size += Number(r.size);
    if (!r.deleted) s.stateCounts[r.state] = (s.stateCounts[r.state] ?? 0) + r.n;
  }
  if (withIds) {
    const { rows: idRows } = await db.query<{ history_id: number; id: number; state: string }>(
      `SELECT h.history_id, h.id, d.state FROM hdas h JOIN datasets d ON d.id = h.dataset_id
        WHERE h.history_id = ANY($1) ORDER BY h.hid`,
      [historyIds],
    );
    for (const r of idRows) (out.get(r.history_id)!.stateIds[r.state] ??= []).push(r.id);
  }
  return out;
}

export interface HistoryUpdate {
  name?: string;
  annotation?: string | null;
  tags?: string[];
  published?: boolean;
  importable?: boolean;
  deleted?: boolean;
}

/** A slug from the name, as Galaxy makes them: lower case, runs of other characters become '-'. */
export function slugify(name: string): string {
  const slug = name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 200);
  return slug || 'history';
}

/**
 * Applies an update. Publishing also makes a history importable and gives it a slug, unique
 * among the owner's histories (Galaxy's sharable behaviour); unpublishing keeps both.
 */
export async function updateHistory(db: Queryable, history: History, update: HistoryUpdate): Promise<void> {
  const sets: string[] = [];
  const args: unknown[] = [history.id];
  const set = (column: string, value: unknown) => {
    args.push(value);
    sets.push(`${column} = $${args.length}`);
  };
  if (update.name !== undefined) set('name', update.name);
  if (update.annotation !== undefined) set('annotation', update.annotation);
  if (update.tags !== undefined) set('tags', [...new Set(update.tags)]);
  if (update.deleted !== undefined) set('deleted', update.deleted);
  const importable = update.importable ?? (update.published ? true : undefined);
  if (update.published !== undefined) set('published', update.published);
  if (importable !== undefined) set('importable', importable);
  if ((update.published || importable) && !history.slug) {
    set('slug', await uniqueSlug(db, history.user_id, slugify(update.name ?? history.name)));
  }
  if (sets.length === 0) return;
  await db.query(`UPDATE histories SET ${sets.join(', ')}, update_time = now() WHERE id = $1`, args);
}

async function uniqueSlug(db: Queryable, userId: number, base: string): Promise<string> {
  const { rows } = await db.query<{ slug: string }>(
    `SELECT slug FROM histories WHERE user_id = $1 AND (slug = $2 OR slug LIKE $2 || '-%')`,
    [userId, base],
  );
  const taken = new Set(rows.map((r) => r.slug));
  if (!taken.has(base)) return base;
  for (let i = 2; ; i++) if (!taken.has(`${base}-${i}`)) return `${base}-${i}`;
}

export async function addHistoryTag(db: Queryable, historyId: number, tag: string): Promise<void> {
  await db.query(
    `UPDATE histories SET tags = array_append(tags, $2), update_time = now()
      WHERE id = $1 AND NOT ($2 = ANY(tags))`,
    [historyId, tag],
  );
}

export async function shareHistory(db: Queryable, historyId: number, userIds: number[]): Promise<void> {
  await db.query(
    `INSERT INTO history_shares (history_id, user_id) SELECT $1, u FROM unnest($2::bigint[]) u ON CONFLICT DO NOTHING`,
    [historyId, userIds],
  );
}

export async function unshareHistory(db: Queryable, historyId: number, keepUserIds: number[]): Promise<void> {
  await db.query(`DELETE FROM history_shares WHERE history_id = $1 AND NOT (user_id = ANY($2::bigint[]))`, [
    historyId,
    keepUserIds,
  ]);
}

export async function sharedWithUsers(db: Queryable, historyId: number): Promise<{ id: number; email: string; username: string }[]> {
  const { rows } = await db.query(
    `SELECT u.id, u.email, u.username FROM history_shares s JOIN users u ON u.id = s.user_id
      WHERE s.history_id = $1 ORDER BY u.id`,
    [historyId],
  );
  return rows;
}
