import type { Queryable } from '../../db/pool.ts';
import type { ClaimedTask } from '../interfaces.ts';
import { claimSql, toClaimedTask, type ClaimedRow, type ClaimOptions } from './claim.ts';
import { completionSql, type Lease } from './complete.ts';

/**
 * Completes `leases` and claims up to `o.limit` new tasks in one statement, so that a worker
 * refilling the slots its finished tasks free pays one commit instead of two. Both halves are
 * exactly completeTasks and claimTasks: the completion is fenced on (id, attempt) and reports
 * only the ids it really completed; the claim keeps its order and queue filters. A row the
 * completion changes (an expired lease of this worker's own) is never claimed back by it.
 */
export async function completeAndClaim(
  db: Queryable,
  leases: Lease[],
  o: ClaimOptions,
): Promise<{ completed: Set<number>; claimed: ClaimedTask[] }> {
  const claim = claimSql(o, 'SELECT id FROM completed');
  const n = claim.params.length;
  const { rows } = await db.query<{ completed: number[]; claimed: ClaimedRow[] }>(
    `WITH completed AS (${completionSql(`$${n + 1}`, `$${n + 2}`)}),
          ${claim.ctes},
          claimed AS (${claim.update})
     SELECT (SELECT coalesce(json_agg(id), '[]') FROM completed) AS completed,
            (SELECT coalesce(json_agg(claimed), '[]') FROM claimed) AS claimed`,
    [...claim.params, leases.map((l) => l.id), leases.map((l) => l.attempt)],
  );
  const row = rows[0]!;
  return { completed: new Set(row.completed), claimed: row.claimed.map(toClaimedTask) };
}
