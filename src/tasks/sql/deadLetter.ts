import type { Queryable } from '../../db/pool.ts';
import type { TaskRow } from '../interfaces.ts';

export async function listDeadTasks(
  db: Queryable,
  opts: { queue?: string; limit?: number; offset?: number } = {},
): Promise<TaskRow[]> {
  const { rows } = await db.query<TaskRow>(
    `SELECT id, queue, kind, payload, state, attempt, max_attempts, checkpoint, last_error, lease_owner,
            run_at, created_at, finished_at
       FROM nebula_tasks WHERE state = 'dead' AND ($1::text IS NULL OR queue = $1)
      ORDER BY finished_at DESC, id DESC LIMIT $2 OFFSET $3`,
    [opts.queue ?? null, opts.limit ?? 100, opts.offset ?? 0],
  );
  return rows;
}

/**
 * Puts a dead task back to pending with a fresh allowance of attempts. The attempt counter is
 * not reset: it keeps fencing any straggler of an earlier attempt.
 */
export async function retryDeadTask(db: Queryable, id: number, extraAttempts = 5): Promise<boolean> {
  const { rowCount } = await db.query(
    `UPDATE nebula_tasks SET state = 'pending', run_at = now(), finished_at = NULL,
            max_attempts = attempt + $2
      WHERE id = $1 AND state = 'dead'`,
    [id, extraAttempts],
  );
  if (rowCount === 1) await db.query(`SELECT pg_notify('nebula_tasks', queue) FROM nebula_tasks WHERE id = $1`, [id]);
  return rowCount === 1;
}

export async function getTask(db: Queryable, id: number): Promise<TaskRow | null> {
  const { rows } = await db.query<TaskRow>(
    `SELECT id, queue, kind, payload, state, attempt, max_attempts, checkpoint, last_error, lease_owner,
            run_at, created_at, finished_at FROM nebula_tasks WHERE id = $1`,
    [id],
  );
  return rows[0] ?? null;
}
