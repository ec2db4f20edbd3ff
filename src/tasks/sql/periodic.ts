import type { Queryable } from '../../db/pool.ts';

export interface PeriodicSpec {
  name: string;
  kind: string;
  everySeconds: number;
  queue?: string;
  payload?: unknown;
}

/** Declares a schedule; replicas declaring the same one at start-up is harmless. */
export async function schedulePeriodic(db: Queryable, spec: PeriodicSpec): Promise<void> {
  await db.query(
    `INSERT INTO nebula_periodic (name, kind, queue, every_seconds, payload, next_run_at)
     VALUES ($1, $2, $3, $4, $5, now())
     ON CONFLICT (name) DO UPDATE SET kind = EXCLUDED.kind, queue = EXCLUDED.queue,
       every_seconds = EXCLUDED.every_seconds, payload = EXCLUDED.payload`,
    [spec.name, spec.kind, spec.queue ?? 'default', spec.everySeconds, JSON.stringify(spec.payload ?? {})],
  );
}

/**
 * Enqueues the task of every schedule that is due and moves the schedule to its next period,
 * in one statement. The row update serialises replicas: a second replica re-checks
 * `next_run_at <= now()` against the moved value and does nothing, so each period runs once.
 * After downtime a schedule runs once, not once per missed period.
 */
export async function enqueueDuePeriodic(db: Queryable): Promise<number> {
  const { rowCount } = await db.query(
    `WITH due AS (
       UPDATE nebula_periodic p
          SET next_run_at = p.next_run_at + make_interval(secs =>
                p.every_seconds * (floor(EXTRACT(EPOCH FROM (now() - p.next_run_at)) / p.every_seconds) + 1))
        WHERE p.next_run_at <= now()
        RETURNING p.name, p.kind, p.queue, p.payload,
                  p.next_run_at - make_interval(secs => p.every_seconds) AS period
     )
     INSERT INTO nebula_tasks (queue, kind, payload, unique_key)
     SELECT queue, kind, payload, 'periodic:' || name || ':' || EXTRACT(EPOCH FROM period)::bigint FROM due
     ON CONFLICT (unique_key) WHERE unique_key IS NOT NULL AND state IN ('pending', 'running') DO NOTHING`,
  );
  return rowCount ?? 0;
}
