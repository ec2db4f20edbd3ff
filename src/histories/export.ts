import type { Pool, PoolClient, Queryable } from '../db/pool.ts';
import { enqueue } from '../tasks/index.ts';

/**
 * History export requests (Galaxy's "jeha", JobExportHistoryArchive). One row per archive in
 * `history_exports`; a task builds the archive into the object store. A request for a history
 * whose newest matching archive is still up to date reuses it; at most one export per history
 * and options is ever pending.
 */
export const EXPORT_TASK = 'history.export';

export interface ExportOptions {
  gzip: boolean;
  includeHidden: boolean;
  includeDeleted: boolean;
}

export interface ExportRow {
  id: number;
  history_id: number;
  user_id: number;
  state: 'new' | 'ok' | 'error' | 'purged';
  gzip: boolean;
  include_hidden: boolean;
  include_deleted: boolean;
  object_key: string | null;
  size: number | null;
  error: string | null;
  create_time: Date;
  update_time: Date;
  /** The archive reflects the history as it is now. */
  up_to_date: boolean;
}

export const exportUniqueKey = (historyId: number, o: ExportOptions) =>
  `${EXPORT_TASK}:${historyId}:${o.gzip ? 'gz' : 'tar'}:${o.includeHidden ? 'h' : ''}${o.includeDeleted ? 'd' : ''}`;

/** The latest moment anything shown in an export changed: the history, its HDAs, datasets or HDCAs. */
const LAST_CHANGE = `GREATEST(
    (SELECT update_time FROM histories WHERE id = $1),
    (SELECT max(update_time) FROM hdas WHERE history_id = $1),
    (SELECT max(d.update_time) FROM hdas h JOIN datasets d ON d.id = h.dataset_id WHERE h.history_id = $1),
    (SELECT max(update_time) FROM hdcas WHERE history_id = $1))`;

const EXPORT_COLUMNS = `e.id, e.history_id, e.user_id, e.state, e.gzip, e.include_hidden, e.include_deleted,
  e.object_key, e.size, e.error, e.create_time, e.update_time`;

export async function listExports(db: Queryable, historyId: number): Promise<ExportRow[]> {
  const { rows } = await db.query<ExportRow>(
    `SELECT ${EXPORT_COLUMNS}, e.create_time >= ${LAST_CHANGE} AS up_to_date
       FROM history_exports e WHERE e.history_id = $1 AND e.state <> 'purged' ORDER BY e.id DESC`,
    [historyId],
  );
  return rows;
}

export async function getExport(db: Queryable, historyId: number, exportId: number): Promise<ExportRow | null> {
  const { rows } = await db.query<ExportRow>(
    `SELECT ${EXPORT_COLUMNS}, e.create_time >= ${LAST_CHANGE} AS up_to_date
       FROM history_exports e WHERE e.history_id = $1 AND e.id = $2`,
    [historyId, exportId],
  );
  return rows[0] ?? null;
}

async function liveTask(db: Queryable, key: string): Promise<{ live: boolean; lastError: string | null }> {
  const { rows } = await db.query<{ state: string; last_error: string | null }>(
    `SELECT state, last_error FROM nebula_tasks WHERE unique_key = $1 ORDER BY id DESC LIMIT 1`,
    [key],
  );
  const row = rows[0];
  return { live: !!row && (row.state === 'pending' || row.state === 'running'), lastError: row?.last_error ?? null };
}

/**
 * Answers an export request: the up-to-date archive when there is one, else the pending export
 * (creating it, with its task, in one transaction). The history row is locked so two requests
 * racing for the same history create one export, not two.
 */
export async function requestExport(
  pool: Pool,
  historyId: number,
  userId: number,
  options: ExportOptions,
): Promise<ExportRow> {
  const client: PoolClient = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('SELECT 1 FROM histories WHERE id = $1 FOR UPDATE', [historyId]);
    const key = exportUniqueKey(historyId, options);
    const { rows } = await client.query<ExportRow>(
      `SELECT ${EXPORT_COLUMNS}, e.create_time >= ${LAST_CHANGE} AS up_to_date
         FROM history_exports e
        WHERE e.history_id = $1 AND e.gzip = $2 AND e.include_hidden = $3 AND e.include_deleted = $4
          AND e.state <> 'purged'
        ORDER BY e.id DESC LIMIT 1`,
      [historyId, options.gzip, options.includeHidden, options.includeDeleted],
    );
    let latest = rows[0];
    if (latest?.state === 'new') {
      const task = await liveTask(client, key);
      if (!task.live) {
        // Its task gave up (dead-letter): say so instead of leaving the client waiting forever.
        const error = `export task failed: ${task.lastError ?? 'unknown error'}`;
        await client.query(`UPDATE history_exports SET state = 'error', error = $2, update_time = now() WHERE id = $1`, [latest.id, error]);
        latest = { ...latest, state: 'error', error };
      }
    }
    const reusable = latest && (latest.state === 'new' || latest.up_to_date);
    if (!reusable) {
      const { rows: created } = await client.query<ExportRow>(
        `INSERT INTO history_exports (history_id, user_id, gzip, include_hidden, include_deleted)
         VALUES ($1, $2, $3, $4, $5)
         RETURNING id, history_id, user_id, state, gzip, include_hidden, include_deleted, object_key, size, error,
                   create_time, update_time, true AS up_to_date`,
        [historyId, userId, options.gzip, options.includeHidden, options.includeDeleted],
      );
      latest = created[0]!;
      await enqueue(client, {
        kind: EXPORT_TASK,
        payload: { exportId: latest.id },
        uniqueKey: key,
        maxAttempts: 5,
        weight: { seconds: 30 },
      });
    }
    await client.query('COMMIT');
    return latest!;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

/** `Galaxy-History-<name>.tar.gz`, with only safe characters (it goes into a header). */
export function exportFilename(historyName: string, gzip: boolean): string {
  const safe = historyName.replace(/[^A-Za-z0-9_.-]+/g, '_').replace(/^[._]+/, '').slice(0, 100) || 'history';
  return `Galaxy-History-${safe}.tar${gzip ? '.gz' : ''}`;
}
