import type { Queryable } from '../../db/pool.ts';

/**
 * Cancels a live task. A running attempt finds out through its heartbeat (its signal aborts),
 * and its completion is refused by the (id, attempt) fence.
 */
export async function cancelTask(db: Queryable, id: number): Promise<boolean> {
  const { rowCount } = await db.query(
    `UPDATE nebula_tasks SET state = 'cancelled', finished_at = now(), lease_owner = NULL, lease_expires_at = NULL
      WHERE id = $1 AND state IN ('pending', 'running')`,
    [id],
  );
  return rowCount === 1;
}

/** Cancels the live task holding a unique key, if any. */
export async function cancelTaskByKey(db: Queryable, uniqueKey: string): Promise<boolean> {
  const { rowCount } = await db.query(
    `UPDATE nebula_tasks SET state = 'cancelled', finished_at = now(), lease_owner = NULL, lease_expires_at = NULL
      WHERE unique_key = $1 AND state IN ('pending', 'running')`,
    [uniqueKey],
  );
  return (rowCount ?? 0) > 0;
}
