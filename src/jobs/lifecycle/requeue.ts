/**
 * Enqueueing the lifecycle's tasks. Each job has at most one live task of each kind (unique key
 * `<kind>:<job id>`); its demand (cores, memory) is the task's weight, so the backlog gauges show
 * what waiting jobs need (DESIGN rule 5).
 */
import type { Queryable } from '../../db/pool.ts';
import { enqueue, type TaskContext } from '../../tasks/index.ts';

export const JOB_QUEUE = 'jobs';
export type JobTaskKind = 'job.schedule' | 'job.submit' | 'job.monitor' | 'job.finish' | 'job.cancel';

export interface JobDemand {
  id: number;
  cores: number;
  memory_mb: number;
}

/**
 * Claimed before the other job tasks: ending an attempt that already ran (its report applied, its
 * outputs visible) goes ahead of starting new ones. Without it, a backlog of job.schedule tasks
 * (many jobs posted at once, the destination full) holds every finished job in `running` until
 * the backlog is gone. Their number is bounded by the attempts that ran, so schedules still run.
 */
const PRIORITY: Partial<Record<JobTaskKind, number>> = { 'job.finish': 1, 'job.cancel': 1 };

export function jobTaskKey(kind: JobTaskKind, jobId: number): string {
  return `${kind}:${jobId}`;
}

/**
 * Enqueues `kind` for the job unless one is already live; a live one that is only waiting for
 * its delay is brought forward, so a job whose input just finished is looked at at once.
 */
export async function enqueueJobTask(
  db: Queryable,
  kind: JobTaskKind,
  job: JobDemand,
  opts: { delaySeconds?: number; payload?: Record<string, unknown>; uniqueSuffix?: string } = {},
): Promise<void> {
  const uniqueKey = jobTaskKey(kind, job.id) + (opts.uniqueSuffix ?? '');
  const id = await enqueue(db, {
    kind,
    queue: JOB_QUEUE,
    payload: { jobId: job.id, ...opts.payload },
    uniqueKey,
    priority: PRIORITY[kind] ?? 0,
    delaySeconds: opts.delaySeconds,
    maxAttempts: 10,
    timeoutSeconds: 600,
    weight: { cores: job.cores, memoryMb: job.memory_mb },
  });
  if (id === null && !opts.delaySeconds) {
    // NOTIFY too, or the task waits for the workers' next poll instead of starting now.
    await db.query(
      `WITH moved AS (
         UPDATE nebula_tasks SET run_at = now() WHERE unique_key = $1 AND state = 'pending' AND run_at > now() RETURNING queue
       )
       SELECT pg_notify('nebula_tasks', queue) FROM moved`,
      [uniqueKey],
    );
  }
}

/**
 * A slot of `destination` just freed (an attempt finished): bring forward the job.submit tasks
 * that were put off because the destination was full, so they do not wait out their delay.
 */
export async function wakeWaitingSubmits(db: Queryable, destination: string | null, count = 1): Promise<void> {
  if (!destination) return;
  await db.query(
    `WITH next AS (
       SELECT t.id FROM nebula_tasks t JOIN jobs j ON j.id = (t.payload->>'jobId')::bigint
        WHERE t.queue = $1 AND t.state = 'pending' AND t.kind = 'job.submit' AND t.run_at > now() AND j.destination = $2
        ORDER BY t.run_at, t.id LIMIT $3 FOR UPDATE OF t SKIP LOCKED
     ), moved AS (
       UPDATE nebula_tasks t SET run_at = now() FROM next WHERE t.id = next.id RETURNING t.queue
     )
     SELECT pg_notify('nebula_tasks', queue) FROM (SELECT DISTINCT queue FROM moved) q`,
    [JOB_QUEUE, destination, count],
  );
}

/** The job ended: its pending monitor poll has nothing left to do (a running one finds the job ended). */
export async function dropPendingMonitor(db: Queryable, jobId: number): Promise<void> {
  await db.query(
    `UPDATE nebula_tasks SET state = 'cancelled', finished_at = now() WHERE unique_key = $1 AND state = 'pending'`,
    [jobTaskKey('job.monitor', jobId)],
  );
}

/**
 * Re-enqueues the running task's own kind for later, inside its completing transaction. The
 * running task still holds the unique key, so it gives the key up first (fenced on its attempt;
 * the whole transaction rolls back if the lease was lost).
 */
export async function requeueSelf(db: Queryable, ctx: TaskContext, kind: JobTaskKind, job: JobDemand, delaySeconds: number): Promise<void> {
  await db.query(`UPDATE nebula_tasks SET unique_key = NULL WHERE id = $1 AND attempt = $2 AND state = 'running'`, [ctx.id, ctx.attempt]);
  await enqueueJobTask(db, kind, job, { delaySeconds });
}
