import type { Queryable } from '../../db/pool.ts';
import type { TaskSpec } from '../interfaces.ts';

const COLUMNS = `(queue, kind, payload, priority, run_at, unique_key, max_attempts, timeout_seconds,
  weight_cores, weight_memory_mb, weight_seconds)`;

function runAt(spec: TaskSpec): Date | null {
  if (spec.runAt) return spec.runAt;
  if (spec.delaySeconds) return new Date(Date.now() + spec.delaySeconds * 1000);
  return null;
}

function columnsOf(spec: TaskSpec): unknown[] {
  return [
    spec.queue ?? 'default',
    spec.kind,
    JSON.stringify(spec.payload ?? {}),
    spec.priority ?? 0,
    runAt(spec),
    spec.uniqueKey ?? null,
    spec.maxAttempts ?? 5,
    spec.timeoutSeconds ?? 3600,
    spec.weight?.cores ?? 0,
    spec.weight?.memoryMb ?? 0,
    spec.weight?.seconds ?? 0,
  ];
}

/**
 * Adds a task inside the caller's transaction (pass the transaction's client), so the task
 * exists exactly when the state change that needs it commits. Returns the task id, or null
 * when a live task already holds the same unique key.
 */
export async function enqueue(db: Queryable, spec: TaskSpec): Promise<number | null> {
  const { rows } = await db.query<{ id: number }>(
    `WITH inserted AS (
       INSERT INTO nebula_tasks ${COLUMNS}
       VALUES ($1, $2, $3, $4, COALESCE($5, now()), $6, $7, $8, $9, $10, $11)
       ON CONFLICT (unique_key) WHERE unique_key IS NOT NULL AND state IN ('pending', 'running') DO NOTHING
       RETURNING id, queue
     ), notified AS (
       SELECT pg_notify('nebula_tasks', queue) FROM inserted
     )
     SELECT id FROM inserted, notified`,
    columnsOf(spec),
  );
  return rows[0]?.id ?? null;
}

/** Adds many tasks in one statement (same transaction rules as enqueue). */
export async function enqueueMany(db: Queryable, specs: TaskSpec[]): Promise<number> {
  if (specs.length === 0) return 0;
  const cols = specs.map(columnsOf);
  const column = (i: number) => cols.map((c) => c[i]);
  const { rowCount } = await db.query(
    `WITH inserted AS (
       INSERT INTO nebula_tasks ${COLUMNS}
       SELECT q, k, p::jsonb, pr, COALESCE(ra, now()), uk, ma, ts, wc, wm, ws
       FROM unnest($1::text[], $2::text[], $3::text[], $4::int[], $5::timestamptz[], $6::text[],
                   $7::int[], $8::int[], $9::real[], $10::int[], $11::real[])
            AS t(q, k, p, pr, ra, uk, ma, ts, wc, wm, ws)
       ON CONFLICT (unique_key) WHERE unique_key IS NOT NULL AND state IN ('pending', 'running') DO NOTHING
       RETURNING queue
     )
     SELECT pg_notify('nebula_tasks', queue) FROM (SELECT DISTINCT queue FROM inserted) q`,
    Array.from({ length: 11 }, (_, i) => column(i)),
  );
  return rowCount ?? 0;
}
