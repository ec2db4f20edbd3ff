import { randomUUID } from 'node:crypto';
import type { Queryable } from '../db/pool.ts';
import { datasetKey } from '../objectstore/keys.ts';
import { allocateHids } from './histories.ts';

/** Galaxy's dataset states. Terminal: ok, empty, error, discarded, failed_metadata. */
export type DatasetState =
  | 'new'
  | 'upload'
  | 'queued'
  | 'running'
  | 'setting_metadata'
  | 'ok'
  | 'empty'
  | 'error'
  | 'paused'
  | 'deferred'
  | 'discarded'
  | 'failed_metadata';

export const TERMINAL_DATASET_STATES: DatasetState[] = ['ok', 'empty', 'error', 'discarded', 'failed_metadata'];

/** An HDA joined with its dataset: what every route serializes. */
export interface Hda {
  id: number;
  history_id: number;
  dataset_id: number;
  hid: number;
  name: string;
  info: string | null;
  blurb: string | null;
  peek: string | null;
  annotation: string | null;
  extension: string;
  dbkey: string;
  metadata: Record<string, unknown>;
  tags: string[];
  visible: boolean;
  deleted: boolean;
  purged: boolean;
  creating_job_id: number | null;
  copied_from_hda_id: number | null;
  create_time: Date;
  update_time: Date;
  // from datasets
  uuid: string;
  state: DatasetState;
  object_key: string | null;
  file_size: number | null;
  dataset_purged: boolean;
}

export const HDA_SELECT = `SELECT h.id, h.history_id, h.dataset_id, h.hid, h.name, h.info, h.blurb, h.peek, h.annotation,
  h.extension, h.dbkey, h.metadata, h.tags, h.visible, h.deleted, h.purged, h.creating_job_id, h.copied_from_hda_id,
  h.create_time, h.update_time, d.uuid, d.state, d.object_key, d.file_size, d.purged AS dataset_purged
  FROM hdas h JOIN datasets d ON d.id = h.dataset_id`;

export async function getHda(db: Queryable, id: number): Promise<Hda | null> {
  const { rows } = await db.query<Hda>(`${HDA_SELECT} WHERE h.id = $1`, [id]);
  return rows[0] ?? null;
}

export interface NewHda {
  name: string;
  extension?: string;
  dbkey?: string;
  state?: DatasetState;
  visible?: boolean;
  creatingJobId?: number;
  info?: string;
}

/**
 * Creates datasets and their HDAs in a history, with consecutive hids, in the caller's
 * transaction. The object key is made from the dataset's uuid here, once: nothing a user
 * sends ever becomes part of a key.
 */
export async function createHdas(db: Queryable, historyId: number, items: NewHda[]): Promise<Hda[]> {
  if (items.length === 0) return [];
  const firstHid = await allocateHids(db, historyId, items.length);
  const uuids = items.map(() => randomUUID());
  const { rows: datasets } = await db.query<{ id: number; uuid: string }>(
    `INSERT INTO datasets (uuid, state, object_key)
     SELECT u, s, k FROM unnest($1::uuid[], $2::text[], $3::text[]) AS t(u, s, k)
     RETURNING id, uuid`,
    [uuids, items.map((i) => i.state ?? 'new'), uuids.map((u) => datasetKey(u))],
  );
  const datasetIdByUuid = new Map(datasets.map((d) => [d.uuid, d.id]));
  const { rows } = await db.query<{ id: number }>(
    `INSERT INTO hdas (history_id, dataset_id, hid, name, extension, dbkey, visible, creating_job_id, info)
     SELECT $1, d, hid, n, e, k, v, j, i
       FROM unnest($2::bigint[], $3::int[], $4::text[], $5::text[], $6::text[], $7::bool[], $8::bigint[], $9::text[])
         AS t(d, hid, n, e, k, v, j, i)
     RETURNING id`,
    [
      historyId,
      uuids.map((u) => datasetIdByUuid.get(u)),
      items.map((_, i) => firstHid + i),
      items.map((i) => i.name),
      items.map((i) => i.extension ?? 'data'),
      items.map((i) => i.dbkey ?? '?'),
      items.map((i) => i.visible ?? true),
      items.map((i) => i.creatingJobId ?? null),
      items.map((i) => i.info ?? null),
    ],
  );
  const ids = rows.map((r) => r.id);
  const { rows: hdas } = await db.query<Hda>(`${HDA_SELECT} WHERE h.id = ANY($1) ORDER BY h.hid`, [ids]);
  return hdas;
}

export async function setDatasetState(db: Queryable, datasetId: number, state: DatasetState): Promise<void> {
  await db.query('UPDATE datasets SET state = $2, update_time = now() WHERE id = $1', [datasetId, state]);
}

/** The HDA fields a user may change through the API; undefined leaves a field alone. */
export interface HdaChanges {
  name?: string;
  info?: string;
  annotation?: string | null;
  dbkey?: string;
  extension?: string;
  visible?: boolean;
  deleted?: boolean;
  tags?: string[];
}

export async function updateHda(db: Queryable, id: number, changes: HdaChanges): Promise<void> {
  const columns: Record<keyof HdaChanges, string> = {
    name: 'name',
    info: 'info',
    annotation: 'annotation',
    dbkey: 'dbkey',
    extension: 'extension',
    visible: 'visible',
    deleted: 'deleted',
    tags: 'tags',
  };
  const sets: string[] = [];
  const params: unknown[] = [id];
  for (const [key, column] of Object.entries(columns) as Array<[keyof HdaChanges, string]>) {
    if (changes[key] === undefined) continue;
    params.push(changes[key]);
    sets.push(`${column} = $${params.length}`);
  }
  if (sets.length === 0) return;
  await db.query(`UPDATE hdas SET ${sets.join(', ')}, update_time = now() WHERE id = $1`, params);
}

/** Marks an HDA deleted (and purged); the bytes go later, in a task, once no HDA needs them. */
export async function markHdaDeleted(db: Queryable, id: number, purge: boolean): Promise<void> {
  await db.query(
    `UPDATE hdas SET deleted = true, purged = purged OR $2, update_time = now() WHERE id = $1`,
    [id, purge],
  );
}

/**
 * Copies an HDA into a history: a new HDA (new hid) that shares the source's dataset row, so no
 * byte is copied. The dataset row is locked so a concurrent purge cannot remove its bytes.
 */
export async function copyHda(
  db: Queryable,
  sourceId: number,
  historyId: number,
  opts: { visible?: boolean } = {},
): Promise<Hda | null> {
  const { rows: live } = await db.query<{ id: number }>(
    `SELECT d.id FROM hdas h JOIN datasets d ON d.id = h.dataset_id
      WHERE h.id = $1 AND NOT d.purged FOR SHARE OF d`,
    [sourceId],
  );
  if (!live[0]) return null;
  const hid = await allocateHids(db, historyId, 1);
  const { rows } = await db.query<{ id: number }>(
    `INSERT INTO hdas (history_id, dataset_id, hid, name, info, blurb, peek, annotation, extension, dbkey, metadata,
                       tags, visible, creating_job_id, copied_from_hda_id)
     SELECT $2, dataset_id, $3, name, info, blurb, peek, annotation, extension, dbkey, metadata,
            tags, COALESCE($4, visible), creating_job_id, id
       FROM hdas WHERE id = $1
     RETURNING id`,
    [sourceId, historyId, hid, opts.visible ?? null],
  );
  return getHda(db, rows[0].id);
}
