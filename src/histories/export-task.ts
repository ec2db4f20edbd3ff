import { Readable } from 'node:stream';
import { pipeline } from 'node:stream';
import { createGzip } from 'node:zlib';
import type { Queryable } from '../db/pool.ts';
import type { Hda } from '../model/datasets.ts';
import { loadCollection, type CollectionElement, type LoadedCollection } from '../model/collections.ts';
import { newObjectKey } from '../objectstore/keys.ts';
import type { ObjectStore } from '../objectstore/types.ts';
import { PermanentTaskError, type TaskDefinition } from '../tasks/index.ts';
import type { IdCodec } from '../util/ids.ts';
import { TAR_END, tarHeader, tarPadding } from '../util/tar.ts';
import { EXPORT_TASK } from './export.ts';

/**
 * Builds a Galaxy-style history archive (export format version 2: history_attrs.txt,
 * datasets_attrs.txt, collections_attrs.txt, jobs_attrs.txt, export_attrs.txt and datasets/)
 * and streams it, gzipped or not, into the object store: dataset bytes flow from the store
 * through the tar writer and back without being held in memory. The attribute files are built
 * in memory (a tar header needs their size first).
 */

interface ExportPayload {
  exportId: number;
}

interface ExportJob {
  id: number;
  history_id: number;
  state: string;
  gzip: boolean;
  include_hidden: boolean;
  include_deleted: boolean;
  object_key: string | null;
}

/** The HDA columns an archive records (the export query selects exactly these). */
type HdaExportRow = Pick<
  Hda,
  | 'id' | 'dataset_id' | 'hid' | 'name' | 'info' | 'blurb' | 'peek' | 'annotation' | 'extension' | 'dbkey'
  | 'metadata' | 'tags' | 'visible' | 'deleted' | 'uuid' | 'object_key' | 'create_time' | 'update_time'
> & { state: string };

interface HdcaExportRow {
  id: number;
  hid: number;
  name: string;
  tags: string[];
  visible: boolean;
  deleted: boolean;
  collection_id: number;
}

interface ArchiveFile {
  path: string;
  objectKey: string;
}

const galaxyTime = (d: Date) => d.toISOString().replace('T', ' ').replace(/Z$/, '');
/** camelCase metadata keys (computeMetadata's) become Galaxy's snake_case names. */
const snake = (key: string) => key.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();

/** A file name inside the archive: made here from the hid and safe characters only. */
function archiveFileName(hda: HdaExportRow): string {
  const base = hda.name.replace(/[^A-Za-z0-9_.-]+/g, '_').replace(/^[._]+/, '').slice(0, 60) || 'dataset';
  const ext = hda.extension.replace(/[^A-Za-z0-9_]+/g, '').slice(0, 20) || 'data';
  return `datasets/${base}_${hda.hid}.${ext}`;
}

async function loadHdas(db: Queryable, job: ExportJob, forced: Set<number>): Promise<HdaExportRow[]> {
  const { rows } = await db.query<HdaExportRow>(
    `SELECT h.id, h.dataset_id, h.hid, h.name, h.info, h.blurb, h.peek, h.annotation, h.extension, h.dbkey,
            h.metadata, h.tags, h.visible, h.deleted, d.state, d.uuid, d.object_key, h.create_time, h.update_time
       FROM hdas h JOIN datasets d ON d.id = h.dataset_id
      WHERE h.history_id = $1 AND NOT h.purged AND NOT d.purged
        AND ((($2 OR h.visible) AND ($3 OR NOT h.deleted)) OR h.id = ANY($4::bigint[]))
      ORDER BY h.hid`,
    [job.history_id, job.include_hidden, job.include_deleted, [...forced]],
  );
  return rows;
}

function collectHdaIds(collection: LoadedCollection, into: Set<number>): void {
  for (const e of collection.elements) {
    if (e.element_type === 'hda') into.add(e.hda.id);
    else collectHdaIds(e.collection, into);
  }
}

function collectionAttrs(ids: IdCodec, collection: LoadedCollection): Record<string, unknown> {
  return {
    model_class: 'DatasetCollection',
    encoded_id: ids.encode(collection.id),
    type: collection.collection_type,
    populated_state: collection.populated_state,
    elements: collection.elements.map((e: CollectionElement) => ({
      model_class: 'DatasetCollectionElement',
      encoded_id: ids.encode(e.id),
      element_identifier: e.element_identifier,
      element_index: e.element_index,
      element_type: e.element_type,
      ...(e.element_type === 'hda'
        ? { hda: { model_class: 'HistoryDatasetAssociation', encoded_id: ids.encode(e.hda.id) } }
        : { child_collection: collectionAttrs(ids, e.collection) }),
    })),
  };
}

/** Everything but the dataset bytes: the attribute files and the list of files to copy in. */
async function describeHistory(db: Queryable, ids: IdCodec, job: ExportJob) {
  const { rows: histories } = await db.query<{
    name: string; annotation: string | null; tags: string[]; hid_counter: number; create_time: Date; update_time: Date;
  }>('SELECT name, annotation, tags, hid_counter, create_time, update_time FROM histories WHERE id = $1', [job.history_id]);
  const history = histories[0];
  if (!history) throw new PermanentTaskError(`history ${job.history_id} no longer exists`);
  const historyEncoded = ids.encode(job.history_id);

  const { rows: hdcas } = await db.query<HdcaExportRow>(
    `SELECT id, hid, name, tags, visible, deleted, collection_id FROM hdcas
      WHERE history_id = $1 AND ($2 OR visible) AND ($3 OR NOT deleted) ORDER BY hid`,
    [job.history_id, job.include_hidden, job.include_deleted],
  );
  // Collection elements are usually hidden datasets; an exported collection brings them along.
  const elementHdas = new Set<number>();
  const collections: Record<string, unknown>[] = [];
  for (const hdca of hdcas) {
    const tree = await loadCollection(db, hdca.collection_id);
    if (!tree) continue;
    collectHdaIds(tree, elementHdas);
    collections.push({
      model_class: 'HistoryDatasetCollectionAssociation',
      encoded_id: ids.encode(hdca.id),
      history_encoded_id: historyEncoded,
      hid: hdca.hid,
      display_name: hdca.name,
      tags: hdca.tags,
      visible: hdca.visible,
      deleted: hdca.deleted,
      state: tree.populated_state,
      implicit_output_name: null,
      copied_from_history_dataset_collection_association_id_chain: [],
      collection: collectionAttrs(ids, tree),
    });
  }

  const hdas = await loadHdas(db, job, elementHdas);
  const files = new Map<number, ArchiveFile>(); // dataset id → file (copies share one)
  const usedPaths = new Set<string>();
  const datasets = hdas.map((hda) => {
    let file = files.get(hda.dataset_id);
    if (!file && hda.object_key && hda.state === 'ok') {
      let path = archiveFileName(hda);
      for (let n = 2; usedPaths.has(path); n++) path = archiveFileName(hda).replace(/\.([^.]*)$/, `_${n}.$1`);
      usedPaths.add(path);
      file = { path, objectKey: hda.object_key };
      files.set(hda.dataset_id, file);
    }
    const metadata: Record<string, unknown> = { dbkey: hda.dbkey };
    for (const [k, v] of Object.entries(hda.metadata ?? {})) if (k !== 'peek' && k !== 'blurb') metadata[snake(k)] = v;
    return {
      model_class: 'HistoryDatasetAssociation',
      encoded_id: ids.encode(hda.id),
      history_encoded_id: historyEncoded,
      hid: hda.hid,
      name: hda.name,
      extension: hda.extension,
      info: hda.info ?? '',
      blurb: hda.blurb ?? '',
      peek: hda.peek ?? '',
      annotation: hda.annotation,
      tags: hda.tags,
      visible: hda.visible,
      deleted: hda.deleted,
      state: hda.state,
      designation: null,
      metadata,
      dataset_uuid: hda.uuid,
      file_name: file?.path ?? null,
      create_time: galaxyTime(hda.create_time),
      update_time: galaxyTime(hda.update_time),
      copied_from_history_dataset_association_id_chain: [],
    };
  });

  const attrs: Array<[string, unknown]> = [
    ['history_attrs.txt', {
      model_class: 'History',
      encoded_id: historyEncoded,
      name: history.name,
      annotation: history.annotation,
      tags: history.tags,
      hid_counter: history.hid_counter,
      genome_build: '?',
      create_time: galaxyTime(history.create_time),
      update_time: galaxyTime(history.update_time),
    }],
    ['datasets_attrs.txt', datasets],
    ['datasets_attrs.txt.provenance', []],
    ['collections_attrs.txt', collections],
    ['implicit_collection_jobs_attrs.txt', []],
    ['jobs_attrs.txt', []], // job provenance is not exported (see docs)
    ['libraries_attrs.txt', []],
    ['export_attrs.txt', { galaxy_export_version: '2' }],
  ];
  return { attrs, files: [...files.values()] };
}

async function* archiveChunks(
  store: ObjectStore,
  attrs: Array<[string, unknown]>,
  files: ArchiveFile[],
  signal: AbortSignal,
): AsyncGenerator<Buffer> {
  const mtime = Math.floor(Date.now() / 1000);
  for (const [path, value] of attrs) {
    const data = Buffer.from(JSON.stringify(value));
    yield tarHeader({ path, size: data.length, mtime });
    yield data;
    yield tarPadding(data.length);
  }
  yield tarHeader({ path: 'datasets', size: 0, type: 'directory', mtime });
  for (const file of files) {
    signal.throwIfAborted();
    const info = await store.head(file.objectKey);
    if (!info) throw new PermanentTaskError(`the bytes of ${file.path} are missing from the object store`);
    yield tarHeader({ path: file.path, size: info.size, mtime });
    let written = 0;
    if (info.size > 0) {
      for await (const chunk of await store.get(file.objectKey)) {
        written += chunk.length;
        if (written > info.size) break;
        yield chunk as Buffer;
      }
    }
    if (written !== info.size) throw new Error(`object ${file.objectKey} changed size while exporting (${written} of ${info.size} bytes)`);
    yield tarPadding(info.size);
  }
  yield TAR_END;
}

export const exportHistoryTask: TaskDefinition<ExportPayload> = {
  kind: EXPORT_TASK,
  parse: (payload) => {
    const p = payload as ExportPayload;
    if (!p || !Number.isSafeInteger(p.exportId)) throw new PermanentTaskError('payload.exportId must be an integer');
    return p;
  },
  run: async ({ exportId }, ctx) => {
    const { store, ids } = ctx.services;
    const { rows } = await ctx.pool.query<ExportJob>(
      `SELECT id, history_id, state, gzip, include_hidden, include_deleted, object_key FROM history_exports WHERE id = $1`,
      [exportId],
    );
    const job = rows[0];
    if (!job || job.state !== 'new') return; // done by an earlier attempt, or purged meanwhile
    // The key is fixed on the row before any byte is written, so a retry overwrites the same
    // object and a purge of the history finds it even if this attempt dies half-way.
    const { rows: keyed } = await ctx.pool.query<{ object_key: string }>(
      `UPDATE history_exports SET object_key = COALESCE(object_key, $2) WHERE id = $1 RETURNING object_key`,
      [exportId, newObjectKey('history-exports')],
    );
    const key = keyed[0]!.object_key;

    const { attrs, files } = await describeHistory(ctx.pool, ids, job);
    const tar = Readable.from(archiveChunks(store, attrs, files, ctx.signal), { objectMode: false });
    const body = job.gzip ? pipeline(tar, createGzip({ level: 6 }), () => undefined) : tar;
    const { size } = await store.put(key, body, { contentType: job.gzip ? 'application/gzip' : 'application/x-tar' });

    await ctx.completeWith(async (client) => {
      await client.query(
        `UPDATE history_exports SET state = 'ok', size = $2, update_time = now() WHERE id = $1 AND state = 'new'`,
        [exportId, size],
      );
    });
    ctx.log.info({ exportId, historyId: job.history_id, files: files.length, size }, 'history exported');
  },
};
