import type { Queryable } from '../db/pool.ts';
import { HDA_SELECT, type Hda } from './datasets.ts';
import { allocateHids } from './histories.ts';

/** An HDCA joined with its collection: enough for the summary view and content listings. */
export interface Hdca {
  id: number;
  history_id: number;
  collection_id: number;
  hid: number;
  name: string;
  tags: string[];
  visible: boolean;
  deleted: boolean;
  job_source_id: number | null;
  create_time: Date;
  update_time: Date;
  // from collections
  collection_type: string;
  populated_state: string;
  element_count: number;
}

/** One element of a loaded collection tree: a dataset or a nested collection. */
export type CollectionElement =
  | { id: number; element_index: number; element_identifier: string; element_type: 'hda'; hda: Hda }
  | {
      id: number;
      element_index: number;
      element_identifier: string;
      element_type: 'dataset_collection';
      collection: LoadedCollection;
    };

export interface LoadedCollection {
  id: number;
  collection_type: string;
  populated_state: string;
  element_count: number;
  elements: CollectionElement[];
}

/** An HDCA with its whole element tree, for the detailed view and downloads. */
export interface HdcaWithElements extends Hdca {
  elements: CollectionElement[];
}

export const HDCA_SELECT = `SELECT c.id, c.history_id, c.collection_id, c.hid, c.name, c.tags, c.visible, c.deleted,
  c.job_source_id, c.create_time, c.update_time, col.collection_type, col.populated_state, col.element_count
  FROM hdcas c JOIN collections col ON col.id = c.collection_id`;

export async function getHdca(db: Queryable, id: number): Promise<Hdca | null> {
  const { rows } = await db.query<Hdca>(`${HDCA_SELECT} WHERE c.id = $1`, [id]);
  return rows[0] ?? null;
}

interface ElementRow {
  id: number;
  collection_id: number;
  element_index: number;
  element_identifier: string;
  hda_id: number | null;
  child_collection_id: number | null;
}

/** Loads a collection and all nested collections and datasets in three queries. */
export async function loadCollection(db: Queryable, collectionId: number): Promise<LoadedCollection | null> {
  const { rows: collections } = await db.query<Omit<LoadedCollection, 'elements'>>(
    `WITH RECURSIVE tree(id) AS (
       SELECT $1::bigint
       UNION ALL
       SELECT e.child_collection_id FROM collection_elements e JOIN tree t ON e.collection_id = t.id
        WHERE e.child_collection_id IS NOT NULL)
     SELECT col.id, col.collection_type, col.populated_state, col.element_count
       FROM collections col JOIN tree t ON t.id = col.id`,
    [collectionId],
  );
  if (collections.length === 0) return null;
  const collectionIds = collections.map((c) => c.id);
  const { rows: elements } = await db.query<ElementRow>(
    `SELECT id, collection_id, element_index, element_identifier, hda_id, child_collection_id
       FROM collection_elements WHERE collection_id = ANY($1) ORDER BY collection_id, element_index`,
    [collectionIds],
  );
  const hdaIds = elements.filter((e) => e.hda_id !== null).map((e) => e.hda_id as number);
  const { rows: hdas } = hdaIds.length
    ? await db.query<Hda>(`${HDA_SELECT} WHERE h.id = ANY($1)`, [hdaIds])
    : { rows: [] as Hda[] };
  const hdaById = new Map(hdas.map((h) => [h.id, h]));
  const byId = new Map<number, LoadedCollection>(collections.map((c) => [c.id, { ...c, elements: [] }]));
  for (const e of elements) {
    const parent = byId.get(e.collection_id);
    if (!parent) continue;
    const common = { id: e.id, element_index: e.element_index, element_identifier: e.element_identifier };
    if (e.hda_id !== null) {
      const hda = hdaById.get(e.hda_id);
      if (hda) parent.elements.push({ ...common, element_type: 'hda', hda });
    } else if (e.child_collection_id !== null) {
      const child = byId.get(e.child_collection_id);
      if (child) parent.elements.push({ ...common, element_type: 'dataset_collection', collection: child });
    }
  }
  return byId.get(collectionId) ?? null;
}

export async function getHdcaWithElements(db: Queryable, id: number): Promise<HdcaWithElements | null> {
  const hdca = await getHdca(db, id);
  if (!hdca) return null;
  const collection = await loadCollection(db, hdca.collection_id);
  return { ...hdca, elements: collection?.elements ?? [] };
}

/** A validated collection structure to store: leaves are HDA ids. */
export interface NewCollection {
  collection_type: string;
  elements: Array<{ identifier: string; hdaId: number } | { identifier: string; collection: NewCollection }>;
}

/** Stores a collection tree bottom-up in the caller's transaction; returns the root's id. */
export async function createCollection(db: Queryable, spec: NewCollection): Promise<number> {
  const { rows } = await db.query<{ id: number }>(
    `INSERT INTO collections (collection_type, populated_state, element_count) VALUES ($1, 'ok', $2) RETURNING id`,
    [spec.collection_type, spec.elements.length],
  );
  const collectionId = rows[0].id;
  const hdaIds: Array<number | null> = [];
  const childIds: Array<number | null> = [];
  for (const element of spec.elements) {
    if ('hdaId' in element) {
      hdaIds.push(element.hdaId);
      childIds.push(null);
    } else {
      hdaIds.push(null);
      childIds.push(await createCollection(db, element.collection));
    }
  }
  if (spec.elements.length) {
    await db.query(
      `INSERT INTO collection_elements (collection_id, element_index, element_identifier, hda_id, child_collection_id)
       SELECT $1, idx - 1, ident, h, c
         FROM unnest($2::text[], $3::bigint[], $4::bigint[]) WITH ORDINALITY AS t(ident, h, c, idx)`,
      [collectionId, spec.elements.map((e) => e.identifier), hdaIds, childIds],
    );
  }
  return collectionId;
}

export async function createHdca(
  db: Queryable,
  historyId: number,
  name: string,
  collectionId: number,
  opts: { visible?: boolean; jobSourceId?: number; tags?: string[] } = {},
): Promise<Hdca> {
  const [hid] = [await allocateHids(db, historyId, 1)];
  const { rows } = await db.query<{ id: number }>(
    `INSERT INTO hdcas (history_id, collection_id, hid, name, visible, job_source_id, tags)
     VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
    [historyId, collectionId, hid, name, opts.visible ?? true, opts.jobSourceId ?? null, opts.tags ?? []],
  );
  return (await getHdca(db, rows[0].id)) as Hdca;
}
