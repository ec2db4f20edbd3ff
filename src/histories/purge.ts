import { withTransaction, type PoolClient } from '../db/pool.ts';
import { enqueue, PermanentTaskError, type TaskContext, type TaskDefinition } from '../tasks/index.ts';

export const PURGE_TASK = 'history.purge';
export const DELETE_OBJECTS_TASK = 'history.delete-objects';
/** HDAs per transaction: big enough to be fast, small enough to keep each transaction short. */
export const PURGE_CHUNK = 5000;

export interface PurgePayload {
  historyId: number;
}

interface PurgeCheckpoint {
  /** Every HDA with a smaller or equal id is already purged (committed with this checkpoint). */
  lastHdaId: number;
  chunks: number;
}

export const purgeUniqueKey = (historyId: number) => `${PURGE_TASK}:${historyId}`;

/** Marks a history deleted and, in the same transaction, asks for its purge. */
export async function requestHistoryPurge(client: PoolClient, historyId: number): Promise<void> {
  await client.query('UPDATE histories SET deleted = true, update_time = now() WHERE id = $1', [historyId]);
  await enqueue(client, {
    kind: PURGE_TASK,
    payload: { historyId } satisfies PurgePayload,
    uniqueKey: purgeUniqueKey(historyId),
    maxAttempts: 20,
    weight: { seconds: 10 },
  });
}

/**
 * Purges one chunk of HDAs (ids above `afterId`) in the caller's transaction: marks them
 * deleted and purged, marks purged the datasets that no other live HDA (say, a copy in another
 * history) still uses, and enqueues the deletion of those datasets' objects. Returns the last
 * HDA id handled, or null when nothing is left.
 */
async function purgeChunk(client: PoolClient, historyId: number, afterId: number): Promise<number | null> {
  const { rows } = await client.query<{ id: number; dataset_id: number }>(
    `SELECT id, dataset_id FROM hdas WHERE history_id = $1 AND id > $2 ORDER BY id LIMIT ${PURGE_CHUNK}`,
    [historyId, afterId],
  );
  if (rows.length === 0) return null;
  const hdaIds = rows.map((r) => r.id);
  await client.query(
    `UPDATE hdas SET deleted = true, purged = true, update_time = now() WHERE id = ANY($1::bigint[]) AND NOT purged`,
    [hdaIds],
  );
  // Locking the datasets first means a concurrent copy that takes the same lock either sees
  // the dataset purged or makes its live HDA visible to the NOT EXISTS below.
  const datasetIds = [...new Set(rows.map((r) => r.dataset_id))];
  const { rows: orphans } = await client.query<{ id: number; object_key: string | null }>(
    `WITH locked AS (SELECT id FROM datasets WHERE id = ANY($1::bigint[]) AND NOT purged ORDER BY id FOR UPDATE)
     UPDATE datasets d SET purged = true, update_time = now()
       FROM locked
      WHERE d.id = locked.id
        AND NOT EXISTS (SELECT 1 FROM hdas x WHERE x.dataset_id = d.id AND NOT x.purged)
     RETURNING d.id, d.object_key`,
    [datasetIds],
  );
  const keys = orphans.map((o) => o.object_key).filter((k): k is string => !!k);
  if (keys.length > 0) {
    await enqueue(client, { kind: DELETE_OBJECTS_TASK, payload: { keys }, maxAttempts: 20, weight: { seconds: 5 } });
  }
  return hdaIds[hdaIds.length - 1];
}

/**
 * history.purge: walks the history's HDAs in id order, one transaction per chunk, each
 * committing its checkpoint with the chunk. A killed worker's successor resumes after the last
 * committed chunk, so nothing is purged twice and nothing is left half-done; the history is
 * marked purged only with the last step.
 */
export const purgeHistoryTask: TaskDefinition<PurgePayload> = {
  kind: PURGE_TASK,
  parse: (payload) => {
    const p = payload as PurgePayload;
    if (!p || !Number.isSafeInteger(p.historyId)) throw new PermanentTaskError('payload.historyId must be an integer');
    return p;
  },
  run: async ({ historyId }, ctx: TaskContext) => {
    const saved = ctx.checkpoint as PurgeCheckpoint | null;
    let lastHdaId = saved?.lastHdaId ?? 0;
    let chunks = saved?.chunks ?? 0;
    for (;;) {
      ctx.signal.throwIfAborted();
      const next = await withTransaction(ctx.pool, async (client) => {
        const last = await purgeChunk(client, historyId, lastHdaId);
        if (last !== null) await ctx.saveCheckpoint({ lastHdaId: last, chunks: chunks + 1 } satisfies PurgeCheckpoint, client);
        return last;
      });
      if (next === null) break;
      lastHdaId = next;
      chunks++;
    }
    await ctx.completeWith(async (client) => {
      await client.query('UPDATE hdcas SET deleted = true, update_time = now() WHERE history_id = $1 AND NOT deleted', [historyId]);
      await client.query(
        'UPDATE histories SET deleted = true, purged = true, update_time = now() WHERE id = $1',
        [historyId],
      );
      // Exports of a purged history go too; their archives hold the history's data.
      const { rows } = await client.query<{ object_key: string }>(
        `UPDATE history_exports SET state = 'purged', update_time = now()
          WHERE history_id = $1 AND object_key IS NOT NULL AND state <> 'purged' RETURNING object_key`,
        [historyId],
      );
      if (rows.length > 0) {
        await enqueue(client, { kind: DELETE_OBJECTS_TASK, payload: { keys: rows.map((r) => r.object_key) } });
      }
    });
    ctx.log.info({ historyId, chunks }, 'history purged');
  },
};

export interface DeleteObjectsPayload {
  keys: string[];
}

const DELETE_CONCURRENCY = 32;

/** Deletes objects of purged datasets. Deleting a missing object succeeds, so retries are safe. */
export const deleteObjectsTask: TaskDefinition<DeleteObjectsPayload> = {
    kind: DELETE_OBJECTS_TASK,
    parse: (payload) => {
      const p = payload as DeleteObjectsPayload;
      if (!p || !Array.isArray(p.keys) || !p.keys.every((k) => typeof k === 'string')) {
        throw new PermanentTaskError('payload.keys must be a list of object keys');
      }
      return p;
    },
    run: async ({ keys }, ctx) => {
      const objects = ctx.services.store;
      let next = 0;
      const worker = async () => {
        while (next < keys.length) {
          ctx.signal.throwIfAborted();
          const key = keys[next++];
          await objects.delete(key);
        }
      };
      await Promise.all(Array.from({ length: Math.min(DELETE_CONCURRENCY, keys.length) }, worker));
    },
};
