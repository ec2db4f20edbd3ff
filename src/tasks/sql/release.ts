import type { Queryable } from '../../db/pool.ts';
import type { Lease } from './complete.ts';

/**
 * Hands leases back on a graceful shutdown so another worker takes them at once instead of
 * after the lease expires. The attempt stays counted (it fences), so one is added back to
 * max_attempts: a shutdown is not the task's failure.
 */
export async function releaseTasks(db: Queryable, leases: Lease[]): Promise<number> {
  if (leases.length === 0) return 0;
  const { rowCount } = await db.query(
    `UPDATE nebula_tasks t
        SET state = 'pending', run_at = now(), lease_owner = NULL, lease_expires_at = NULL,
            max_attempts = t.max_attempts + 1
       FROM unnest($1::bigint[], $2::int[]) AS l(id, attempt)
      WHERE t.id = l.id AND t.attempt = l.attempt AND t.state = 'running'`,
    [leases.map((l) => l.id), leases.map((l) => l.attempt)],
  );
  return rowCount ?? 0;
}
