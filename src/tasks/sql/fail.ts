import type { Queryable } from '../../db/pool.ts';
import type { Lease } from './complete.ts';

/** Exponential backoff with jitter, so a failing dependency is not hammered by every worker at once. */
export function backoffSeconds(attempt: number, baseSeconds = 1, maxSeconds = 300): number {
  const raw = Math.min(maxSeconds, baseSeconds * 2 ** Math.max(0, attempt - 1));
  return raw * (0.8 + Math.random() * 0.4);
}

/**
 * Records a failed attempt, fenced on (id, attempt): the task goes back to pending after a
 * backoff, or to dead-letter when it is permanent or out of attempts. Returns the new state,
 * or null when this attempt no longer held the task.
 */
export async function failTask(
  db: Queryable,
  lease: Lease,
  error: string,
  opts: { permanent: boolean },
): Promise<'pending' | 'dead' | null> {
  const { rows } = await db.query<{ state: 'pending' | 'dead' }>(
    `UPDATE nebula_tasks
        SET state = CASE WHEN $4 OR attempt >= max_attempts THEN 'dead' ELSE 'pending' END,
            run_at = now() + make_interval(secs => $5),
            finished_at = CASE WHEN $4 OR attempt >= max_attempts THEN now() END,
            last_error = $3, lease_owner = NULL, lease_expires_at = NULL
      WHERE id = $1 AND attempt = $2 AND state = 'running'
      RETURNING state`,
    [lease.id, lease.attempt, error.slice(0, 8000), opts.permanent, backoffSeconds(lease.attempt)],
  );
  return rows[0]?.state ?? null;
}
