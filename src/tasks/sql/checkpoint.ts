import type { Queryable } from '../../db/pool.ts';
import type { Lease } from './complete.ts';

/** Saves a task's progress, fenced on (id, attempt). Returns false when the lease was lost. */
export async function saveCheckpoint(db: Queryable, lease: Lease, data: unknown): Promise<boolean> {
  const { rowCount } = await db.query(
    `UPDATE nebula_tasks SET checkpoint = $3 WHERE id = $1 AND attempt = $2 AND state = 'running'`,
    [lease.id, lease.attempt, JSON.stringify(data)],
  );
  return rowCount === 1;
}
