import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { computeMetadata } from '../datatypes/index.ts';
import type { Queryable } from '../db/pool.ts';
import { getHda } from '../model/datasets.ts';
import { enqueue } from '../tasks/index.ts';
import type { TaskDefinition } from '../tasks/interfaces.ts';

export const PURGE_DATASET = 'datasets.purge';
export const SET_METADATA = 'datasets.set_metadata';

/** Called in the transaction that purges an HDA: its bytes go once no live HDA shares them. */
export async function enqueueDatasetPurge(db: Queryable, datasetId: number): Promise<void> {
  await enqueue(db, { kind: PURGE_DATASET, payload: { datasetId }, uniqueKey: `dataset-purge:${datasetId}` });
}

/** Called in the transaction that changes an HDA's datatype. */
export async function enqueueSetMetadata(db: Queryable, hdaId: number): Promise<void> {
  await enqueue(db, { kind: SET_METADATA, payload: { hdaId }, uniqueKey: `set-metadata:${hdaId}` });
}

const purge: TaskDefinition<{ datasetId: number }> = {
  kind: PURGE_DATASET,
  run: async ({ datasetId }, ctx) => {
    // Step 1 (idempotent): mark the dataset purged if, under its row lock, no HDA still needs
    // it. copyHda takes the same lock, so no copy can appear between the check and the mark.
    const client = await ctx.pool.connect();
    let key: string | null = null;
    try {
      await client.query('BEGIN');
      const { rows } = await client.query<{ object_key: string | null; purged: boolean }>(
        'SELECT object_key, purged FROM datasets WHERE id = $1 FOR UPDATE',
        [datasetId],
      );
      const dataset = rows[0];
      if (dataset) {
        const { rowCount } = await client.query('SELECT 1 FROM hdas WHERE dataset_id = $1 AND NOT purged LIMIT 1', [
          datasetId,
        ]);
        if (!rowCount) {
          await client.query('UPDATE datasets SET purged = true, update_time = now() WHERE id = $1', [datasetId]);
          key = dataset.object_key;
        }
      }
      await client.query('COMMIT');
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {});
      throw err;
    } finally {
      client.release();
    }
    // Step 2: delete the bytes; deleting a missing object succeeds, so a retry is harmless.
    if (key) await ctx.services.store.delete(key);
  },
};

const setMetadata: TaskDefinition<{ hdaId: number }> = {
  kind: SET_METADATA,
  run: async ({ hdaId }, ctx) => {
    const store = ctx.services.store;
    const hda = await getHda(ctx.pool, hdaId);
    if (!hda || hda.purged || hda.dataset_purged || !hda.object_key) return;
    const dir = await mkdtemp(join(tmpdir(), 'nebula-metadata-'));
    try {
      const path = join(dir, 'data');
      const head = await store.head(hda.object_key);
      if (head && head.size > 0) await pipeline(await store.get(hda.object_key), createWriteStream(path));
      else await pipeline(async function* () {}, createWriteStream(path));
      const { peek, blurb, bamIndex: _bamIndex, ...metadata } = await computeMetadata(path, hda.extension);
      await ctx.completeWith(async (client) => {
        // Only if the datatype is still the one the metadata was computed for.
        await client.query(
          `UPDATE hdas SET metadata = $2, peek = $3, blurb = $4, update_time = now()
            WHERE id = $1 AND extension = $5`,
          [hdaId, JSON.stringify(metadata), peek, blurb, hda.extension],
        );
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  },
};

/** Dataset background work; register with the runtime's task definitions. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const datasetTasks: TaskDefinition<any>[] = [purge, setMetadata];
