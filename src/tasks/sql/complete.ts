import type { Queryable } from '../../db/pool.ts';

export interface Lease {
  id: number;
  attempt: number;
}

/**
 * Marks tasks done, compare-and-set on (id, attempt): a worker whose lease was taken over
 * changes nothing. `ids` and `attempts` name the bigint[] and int[] parameters ("$1", "$2");
 * returns the ids really completed.
 */
export function completionSql(ids: string, attempts: string): string {
  return `UPDATE nebula_tasks t
        SET state = 'done', finished_at = now(), lease_owner = NULL, lease_expires_at = NULL
       FROM unnest(${ids}::bigint[], ${attempts}::int[]) AS l(id, attempt)
      WHERE t.id = l.id AND t.attempt = l.attempt AND t.state = 'running'
      RETURNING t.id`;
}

/** Completes leases (see completionSql); returns the ids that were really completed. */
export async function completeTasks(db: Queryable, leases: Lease[]): Promise<Set<number>> {
  if (leases.length === 0) return new Set();
  const { rows } = await db.query<{ id: number }>(completionSql('$1', '$2'), [
    leases.map((l) => l.id),
    leases.map((l) => l.attempt),
  ]);
  return new Set(rows.map((r) => r.id));
}

/**
 * Inside a caller's transaction: locks the task row if this attempt still holds it.
 * Used before side effects that must commit together with the completion.
 */
export async function lockLease(db: Queryable, lease: Lease): Promise<boolean> {
  const { rowCount } = await db.query(
    `SELECT 1 FROM nebula_tasks WHERE id = $1 AND attempt = $2 AND state = 'running' FOR UPDATE`,
    [lease.id, lease.attempt],
  );
  return rowCount === 1;
}
