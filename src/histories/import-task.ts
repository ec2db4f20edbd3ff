import { randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import type { PoolClient } from '../db/pool.ts';
import { createCollection, type NewCollection } from '../model/collections.ts';
import { datasetKey, newObjectKey } from '../objectstore/keys.ts';
import { enqueue, PermanentTaskError, type TaskContext, type TaskDefinition } from '../tasks/index.ts';
import { uploadSettings } from '../uploads/settings.ts';
import { fetchUrlToFile } from '../uploads/url-fetch.ts';
import { UrlRefusedError } from '../uploads/url-policy.ts';
import { archiveEntries, ArchiveError, planImport, scanArchive, type ImportPlan, type PlannedCollection } from './import-archive.ts';
import { getImport, IMPORT_TASK, type ImportRow } from './import.ts';
import { DELETE_OBJECTS_TASK } from './purge.ts';

/**
 * history.import: two passes over the archive in the object store. The first checks every
 * entry (a `../`, absolute path, link or device refuses the whole archive) and reads the
 * attribute files into a plan, before anything is written. The second streams the dataset
 * files into the object store under fresh server-made keys (fixed in a checkpoint, so a retry
 * overwrites rather than leaks). The history, its datasets and collections are then created
 * in the one transaction that completes the task: an import is all or nothing.
 */

interface ImportPayload {
  importId: number;
}

interface ImportCheckpoint {
  /** Archive entry → uuid of the dataset made from it. */
  uuids: Record<string, string>;
}

/** For a URL import: fetch the archive (with the upload URL policy) into the object store once. */
async function fetchArchive(row: ImportRow, ctx: TaskContext): Promise<string> {
  if (row.archive_key) return row.archive_key;
  const dir = await mkdtemp(path.join(os.tmpdir(), 'nebula-import-'));
  try {
    const file = path.join(dir, 'archive');
    await fetchUrlToFile(row.source!, file, uploadSettings(ctx.services.config), ctx.signal);
    const key = newObjectKey('history-imports');
    await ctx.services.store.put(key, createReadStream(file));
    await ctx.pool.query('UPDATE history_imports SET archive_key = $2, update_time = now() WHERE id = $1', [row.id, key]);
    return key;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function copyFiles(archiveKey: string, plan: ImportPlan, uuids: Record<string, string>, ctx: TaskContext): Promise<void> {
  const { store } = ctx.services;
  for await (const entry of archiveEntries(() => store.get(archiveKey))) {
    ctx.signal.throwIfAborted();
    const uuid = uuids[entry.path];
    if (entry.type !== 'file' || !uuid) continue;
    await store.put(datasetKey(uuid), Readable.from(entry.body()), { size: entry.size });
  }
}

function toNewCollection(planned: PlannedCollection, hdaIds: Map<string, number>): NewCollection {
  return {
    collection_type: planned.collectionType,
    elements: planned.elements.map((e) =>
      'hdaArchiveId' in e
        ? { identifier: e.identifier, hdaId: hdaIds.get(e.hdaArchiveId)! }
        : { identifier: e.identifier, collection: toNewCollection(e.collection, hdaIds) },
    ),
  };
}

/** Creates the history and everything in it; hids are renumbered 1..n in the archive's order. */
async function createImportedHistory(client: PoolClient, userId: number, plan: ImportPlan, uuids: Record<string, string>): Promise<number> {
  const items = [
    ...plan.hdas.map((hda) => ({ hid: hda.hid, hda, hdca: null })),
    ...plan.hdcas.map((hdca) => ({ hid: hdca.hid, hda: null, hdca })),
  ].sort((a, b) => a.hid - b.hid);
  const { rows: histories } = await client.query<{ id: number }>(
    `INSERT INTO histories (user_id, name, annotation, tags, hid_counter) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
    [userId, plan.name.slice(0, 255), plan.annotation, plan.tags, items.length + 1],
  );
  const historyId = histories[0]!.id;

  // One dataset row per archive file; HDAs sharing a file (copies) share the dataset.
  const datasetIds = new Map<string, number>();
  const files = [...plan.files.keys()];
  if (files.length) {
    const { rows } = await client.query<{ id: number; uuid: string }>(
      `INSERT INTO datasets (uuid, state, object_key, file_size)
       SELECT u, 'ok', k, s FROM unnest($1::uuid[], $2::text[], $3::bigint[]) AS t(u, k, s) RETURNING id, uuid`,
      [files.map((f) => uuids[f]), files.map((f) => datasetKey(uuids[f]!)), files.map((f) => plan.files.get(f))],
    );
    const byUuid = new Map(rows.map((r) => [r.uuid, r.id]));
    for (const f of files) datasetIds.set(f, byUuid.get(uuids[f]!)!);
  }

  const hdaIds = new Map<string, number>();
  for (const [index, item] of items.entries()) {
    const hid = index + 1;
    if (item.hda) {
      const h = item.hda;
      let datasetId = h.file ? datasetIds.get(h.file) : undefined;
      if (datasetId === undefined) {
        const { rows } = await client.query<{ id: number }>(
          `INSERT INTO datasets (uuid, state, file_size) VALUES ($1, $2, 0) RETURNING id`,
          [randomUUID(), h.state],
        );
        datasetId = rows[0]!.id;
      } else if (h.state !== 'ok') {
        await client.query('UPDATE datasets SET state = $2 WHERE id = $1', [datasetId, h.state]);
      }
      const { rows } = await client.query<{ id: number }>(
        `INSERT INTO hdas (history_id, dataset_id, hid, name, info, blurb, peek, annotation, extension, dbkey, metadata,
                           tags, visible, deleted)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING id`,
        [historyId, datasetId, hid, h.name, h.info, h.blurb, h.peek, h.annotation, h.extension, h.dbkey,
          JSON.stringify(h.metadata), h.tags, h.visible, h.deleted],
      );
      hdaIds.set(h.archiveId, rows[0]!.id);
    } else if (item.hdca) {
      const c = item.hdca;
      const collectionId = await createCollection(client, toNewCollection(c.collection, hdaIds));
      await client.query(
        `INSERT INTO hdcas (history_id, collection_id, hid, name, tags, visible, deleted) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
        [historyId, collectionId, hid, c.name, c.tags, c.visible, c.deleted],
      );
    }
  }
  return historyId;
}

/** Records why an import failed, and drops whatever bytes it had brought in. */
async function failImport(ctx: TaskContext, row: ImportRow, message: string, written: string[]): Promise<void> {
  await ctx.completeWith(async (client) => {
    await client.query(`UPDATE history_imports SET state = 'error', error = $2, update_time = now() WHERE id = $1`, [row.id, message]);
    const keys = [...written, ...(row.archive_key ? [row.archive_key] : [])];
    if (keys.length) await enqueue(client, { kind: DELETE_OBJECTS_TASK, payload: { keys }, maxAttempts: 20 });
  });
  ctx.log.info({ importId: row.id, error: message }, 'history import refused');
}

export const importHistoryTask: TaskDefinition<ImportPayload> = {
  kind: IMPORT_TASK,
  parse: (payload) => {
    const p = payload as ImportPayload;
    if (!p || !Number.isSafeInteger(p.importId)) throw new PermanentTaskError('payload.importId must be an integer');
    return p;
  },
  run: async ({ importId }, ctx) => {
    let row = await getImport(ctx.pool, importId);
    if (!row || row.state !== 'new') return;
    const saved = ctx.checkpoint as ImportCheckpoint | null;
    const written = saved ? Object.values(saved.uuids).map((u) => datasetKey(u)) : [];
    try {
      const archiveKey = await fetchArchive(row, ctx);
      row = { ...row, archive_key: archiveKey };
      const { attrs, files } = await scanArchive(() => ctx.services.store.get(archiveKey));
      const plan = planImport(attrs, files);
      let uuids = saved?.uuids;
      if (!uuids) {
        uuids = Object.fromEntries([...plan.files.keys()].map((f) => [f, randomUUID()]));
        await ctx.saveCheckpoint({ uuids } satisfies ImportCheckpoint);
        written.push(...Object.values(uuids).map((u) => datasetKey(u)));
      }
      await copyFiles(archiveKey, plan, uuids, ctx);
      const finalUuids = uuids;
      const historyId = await ctx.completeWith(async (client) => {
        const id = await createImportedHistory(client, row!.user_id, plan, finalUuids);
        await client.query(
          `UPDATE history_imports SET state = 'ok', history_id = $2, update_time = now() WHERE id = $1`,
          [importId, id],
        );
        await enqueue(client, { kind: DELETE_OBJECTS_TASK, payload: { keys: [archiveKey] }, maxAttempts: 20 });
        return id;
      });
      ctx.log.info({ importId, historyId, datasets: plan.hdas.length, collections: plan.hdcas.length }, 'history imported');
    } catch (err) {
      if (err instanceof ArchiveError || err instanceof UrlRefusedError) {
        await failImport(ctx, row, err.message, written);
        return;
      }
      throw err;
    }
  },
};
