import type { Queryable } from '../../db/pool.ts';
import type { ClaimedTask } from '../interfaces.ts';

export interface ClaimOptions {
  owner: string;
  limit: number;
  leaseSeconds: number;
  /** null claims from every queue. */
  queues: string[] | null;
}

/**
 * The pending-task filter for the queues asked for, written so that PostgreSQL can walk an
 * index in claim order and stop after `limit` rows instead of sorting the whole backlog:
 * all queues use nebula_tasks_pending_any, one queue nebula_tasks_pending.
 */
function queueFilter(queues: string[] | null): { sql: string; params: unknown[] } {
  if (queues === null) return { sql: '', params: [] };
  if (queues.length === 1) return { sql: 'AND queue = $4', params: [queues[0]] };
  return { sql: 'AND queue = ANY($4)', params: [queues] };
}

/** The claim as SQL pieces, so that completeAndClaim runs this very claim inside its statement. */
export interface ClaimSql {
  /** The CTEs `due`, `expired` and `picked`, without the leading WITH. */
  ctes: string;
  /** The UPDATE that leases the picked rows and returns them (map with toClaimedTask). */
  update: string;
  /** $1 to $3, and $4 when queues are filtered; a caller's own parameters follow. */
  params: unknown[];
}

/**
 * Takes up to `limit` tasks into leases held by `owner`: due pending tasks first, then tasks
 * whose lease expired (their worker died). SKIP LOCKED lets every worker claim at once without
 * waiting on each other. The attempt counter goes up at every claim and is the fencing token.
 * `notPicked` is a subquery of ids not to take: rows that the same statement also changes.
 */
export function claimSql(o: ClaimOptions, notPicked?: string): ClaimSql {
  const filter = queueFilter(o.queues);
  // Only an expired lease can be a row the statement also changes: pending rows are never.
  const exclude = notPicked ? `WHERE id NOT IN (${notPicked})` : '';
  return {
    ctes: `due AS (
       SELECT id, run_at AS ready_at FROM nebula_tasks
       WHERE state = 'pending' AND run_at <= now() ${filter.sql}
       ORDER BY priority DESC, run_at, id
       LIMIT $2 FOR UPDATE SKIP LOCKED
     ), expired AS (
       SELECT id, lease_expires_at AS ready_at FROM nebula_tasks
       WHERE state = 'running' AND lease_expires_at < now() ${filter.sql}
       ORDER BY lease_expires_at
       LIMIT $2 FOR UPDATE SKIP LOCKED
     ), picked AS (
       SELECT * FROM due UNION ALL SELECT * FROM expired ${exclude} LIMIT $2
     )`,
    update: `UPDATE nebula_tasks t
        SET state = 'running', attempt = t.attempt + 1, lease_owner = $1,
            lease_expires_at = now() + make_interval(secs => $3),
            deadline = now() + make_interval(secs => t.timeout_seconds),
            started_at = now()
       FROM picked
      WHERE t.id = picked.id
      RETURNING t.id, t.queue, t.kind, t.payload, t.attempt, t.max_attempts, t.checkpoint,
                EXTRACT(EPOCH FROM (now() - picked.ready_at))::float8 AS claim_delay`,
    params: [o.owner, o.limit, o.leaseSeconds, ...filter.params],
  };
}

export interface ClaimedRow {
  id: number;
  queue: string;
  kind: string;
  payload: unknown;
  attempt: number;
  max_attempts: number;
  checkpoint: unknown;
  claim_delay: number;
}

export function toClaimedTask(r: ClaimedRow): ClaimedTask {
  return {
    id: r.id,
    queue: r.queue,
    kind: r.kind,
    payload: r.payload,
    attempt: r.attempt,
    maxAttempts: r.max_attempts,
    checkpoint: r.checkpoint,
    claimDelaySeconds: Math.max(0, r.claim_delay),
  };
}

export async function claimTasks(db: Queryable, o: ClaimOptions): Promise<ClaimedTask[]> {
  const claim = claimSql(o);
  const { rows } = await db.query<ClaimedRow>(`WITH ${claim.ctes} ${claim.update}`, claim.params);
  return rows.map(toClaimedTask);
}
