import type { Queryable } from '../../db/pool.ts';

export interface QueueGauges {
  queue: string;
  pending: number;
  running: number;
  /** Scheduled for later (delayed or backing off): not yet demand. */
  scheduled: number;
  dead: number;
  pendingCores: number;
  pendingMemoryMb: number;
  runningCores: number;
  runningMemoryMb: number;
  oldestPendingSeconds: number;
}

/**
 * Cluster-wide backlog per queue, read from the database so every replica reports the same
 * figures to Prometheus/KEDA. Each branch walks one partial index.
 */
export async function readQueueGauges(db: Queryable): Promise<QueueGauges[]> {
  const { rows } = await db.query(
    `SELECT queue, 'pending' AS kind, count(*) FILTER (WHERE run_at <= now())::int AS n,
            count(*) FILTER (WHERE run_at > now())::int AS later,
            COALESCE(sum(weight_cores) FILTER (WHERE run_at <= now()), 0)::float8 AS cores,
            COALESCE(sum(weight_memory_mb) FILTER (WHERE run_at <= now()), 0)::float8 AS mem,
            COALESCE(EXTRACT(EPOCH FROM now() - min(run_at) FILTER (WHERE run_at <= now())), 0)::float8 AS oldest
       FROM nebula_tasks WHERE state = 'pending' GROUP BY queue
     UNION ALL
     SELECT queue, 'running', count(*)::int, 0, COALESCE(sum(weight_cores), 0)::float8,
            COALESCE(sum(weight_memory_mb), 0)::float8, 0
       FROM nebula_tasks WHERE state = 'running' GROUP BY queue
     UNION ALL
     SELECT queue, 'dead', count(*)::int, 0, 0, 0, 0
       FROM nebula_tasks WHERE state = 'dead' GROUP BY queue`,
  );
  const byQueue = new Map<string, QueueGauges>();
  for (const r of rows) {
    let g = byQueue.get(r.queue);
    if (!g) {
      g = {
        queue: r.queue, pending: 0, running: 0, scheduled: 0, dead: 0, pendingCores: 0,
        pendingMemoryMb: 0, runningCores: 0, runningMemoryMb: 0, oldestPendingSeconds: 0,
      };
      byQueue.set(r.queue, g);
    }
    if (r.kind === 'pending') {
      Object.assign(g, { pending: r.n, scheduled: r.later, pendingCores: r.cores, pendingMemoryMb: r.mem, oldestPendingSeconds: r.oldest });
    } else if (r.kind === 'running') {
      Object.assign(g, { running: r.n, runningCores: r.cores, runningMemoryMb: r.mem });
    } else {
      g.dead = r.n;
    }
  }
  return [...byQueue.values()].sort((a, b) => a.queue.localeCompare(b.queue));
}
