import type { Queryable } from '../db/pool.ts';
import type { Hdca } from '../model/collections.ts';
import type { Hda } from '../model/datasets.ts';

export type ContentType = 'dataset' | 'dataset_collection';

/** A validated filter on history contents (Galaxy's `q`/`qv` and legacy parameters). */
export type ContentFilter =
  | { field: 'deleted' | 'visible' | 'purged'; value: boolean }
  | { field: 'hid'; op: 'eq' | 'gt' | 'ge' | 'lt' | 'le'; value: number }
  | { field: 'name'; op: 'eq' | 'contains'; value: string }
  | { field: 'state' | 'extension'; op: 'eq' | 'in'; value: string[] }
  | { field: 'create_time' | 'update_time'; op: 'gt' | 'ge' | 'lt' | 'le'; value: Date }
  | { field: 'id'; op: 'in'; value: number[] };

export const CONTENT_ORDERS = {
  'hid-asc': 'hid ASC',
  'hid-dsc': 'hid DESC',
  'create_time-asc': 'create_time ASC, hid ASC',
  'create_time-dsc': 'create_time DESC, hid DESC',
  'update_time-asc': 'update_time ASC, hid ASC',
  'update_time-dsc': 'update_time DESC, hid DESC',
  'name-asc': 'name ASC, hid ASC',
  'name-dsc': 'name DESC, hid DESC',
} as const;
export type ContentOrder = keyof typeof CONTENT_ORDERS;

export interface ContentsQuery {
  historyId: number;
  types: ContentType[];
  filters: ContentFilter[];
  order: ContentOrder;
  limit?: number;
  offset?: number;
  /** Include the large columns (peek, metadata, annotation, info) for detailed views. */
  full: boolean;
}

export type ContentItem = { type: 'dataset'; hda: Hda } | { type: 'dataset_collection'; hdca: Hdca };

const OPS = { eq: '=', gt: '>', ge: '>=', lt: '<', le: '<=' } as const;

/**
 * Both content types in one UNION ALL, so ordering and paging happen in PostgreSQL over the
 * merged list: one query per listing, whatever the history's size. Columns a type lacks are
 * NULL; rows are turned back into Hda / Hdca objects for the serializers.
 */
export async function listContents(db: Queryable, q: ContentsQuery): Promise<ContentItem[]> {
  const args: unknown[] = [q.historyId];
  const arg = (v: unknown) => {
    args.push(v);
    return `$${args.length}`;
  };
  const parts: string[] = [];
  if (q.types.includes('dataset')) {
    const where = ['h.history_id = $1', ...q.filters.map((f) => condition(f, 'dataset', arg))];
    const big = (expr: string, type: string) => (q.full ? expr : `NULL::${type}`);
    parts.push(`SELECT 'dataset' AS kind, h.id, h.history_id, h.hid, h.name, h.tags, h.visible, h.deleted,
        h.create_time, h.update_time, h.dataset_id, ${big('h.info', 'text')} AS info, ${big('h.blurb', 'text')} AS blurb,
        ${big('h.peek', 'text')} AS peek, ${big('h.annotation', 'text')} AS annotation, h.extension, h.dbkey,
        ${big('h.metadata', 'jsonb')} AS metadata, h.purged, h.creating_job_id, h.copied_from_hda_id, d.uuid, d.state,
        d.object_key, d.file_size, d.purged AS dataset_purged,
        NULL::bigint AS collection_id, NULL::bigint AS job_source_id, NULL::text AS collection_type,
        NULL::text AS populated_state, NULL::int AS element_count
      FROM hdas h JOIN datasets d ON d.id = h.dataset_id WHERE ${where.filter(Boolean).join(' AND ')}`);
  }
  if (q.types.includes('dataset_collection')) {
    const where = ['c.history_id = $1', ...q.filters.map((f) => condition(f, 'dataset_collection', arg))];
    parts.push(`SELECT 'dataset_collection' AS kind, c.id, c.history_id, c.hid, c.name, c.tags, c.visible, c.deleted,
        c.create_time, c.update_time, NULL::bigint, NULL::text, NULL::text, NULL::text, NULL::text, NULL::text,
        NULL::text, NULL::jsonb, false, NULL::bigint, NULL::bigint, NULL::uuid, col.populated_state, NULL::text,
        NULL::bigint, false, c.collection_id, c.job_source_id, col.collection_type, col.populated_state, col.element_count
      FROM hdcas c JOIN collections col ON col.id = c.collection_id WHERE ${where.filter(Boolean).join(' AND ')}`);
  }
  if (parts.length === 0) return [];
  let sql = `${parts.map((p) => `(${p})`).join(' UNION ALL ')} ORDER BY ${CONTENT_ORDERS[q.order]}`;
  if (q.limit !== undefined) sql += ` LIMIT ${arg(q.limit)}`;
  if (q.offset) sql += ` OFFSET ${arg(q.offset)}`;
  const { rows } = await db.query<ContentRow>(sql, args);
  return rows.map(toItem);
}

type ContentRow = Hda & Hdca & { kind: ContentType; metadata: Hda['metadata'] | null };

function toItem(row: ContentRow): ContentItem {
  if (row.kind === 'dataset') {
    return { type: 'dataset', hda: { ...row, metadata: row.metadata ?? {} } };
  }
  return { type: 'dataset_collection', hdca: row };
}

/** The SQL condition of one filter for one content type; '' when it cannot exclude anything. */
function condition(f: ContentFilter, type: ContentType, arg: (v: unknown) => string): string {
  const t = type === 'dataset' ? 'h' : 'c';
  switch (f.field) {
    case 'deleted':
    case 'visible':
      return `${t}.${f.field} = ${arg(f.value)}`;
    case 'purged':
      // Collections are never purged; a purged filter keeps them only when asking for unpurged.
      if (type === 'dataset_collection') return f.value ? 'false' : '';
      return `(h.purged OR d.purged) = ${arg(f.value)}`;
    case 'hid':
      return `${t}.hid ${OPS[f.op]} ${arg(f.value)}`;
    case 'name':
      return f.op === 'eq' ? `${t}.name = ${arg(f.value)}` : `strpos(lower(${t}.name), lower(${arg(f.value)})) > 0`;
    case 'state':
      return `${type === 'dataset' ? 'd.state' : 'col.populated_state'} = ANY(${arg(f.value)}::text[])`;
    case 'extension':
      return type === 'dataset' ? `h.extension = ANY(${arg(f.value)}::text[])` : 'false';
    case 'create_time':
    case 'update_time':
      return `${t}.${f.field} ${OPS[f.op]} ${arg(f.value)}`;
    case 'id':
      return `${t}.id = ANY(${arg(f.value)}::bigint[])`;
  }
}

/**
 * One content item of a summary listing: just the columns the summary view shows (no peek,
 * metadata, info), in the types that are cheapest to read: times as microseconds since the
 * epoch (parsing timestamp text into Dates was the slowest part of a large listing), tags as
 * JSON text or null when there are none (most items), no array parsing.
 */
export interface SummaryRow {
  kind: ContentType;
  id: number;
  history_id: number;
  hid: number;
  name: string;
  tags_json: string | null;
  visible: boolean;
  deleted: boolean;
  purged: boolean;
  create_us: number;
  update_us: number;
  // datasets
  dataset_id: number | null;
  /** The dataset's state, or the collection's populated_state. */
  state: string;
  extension: string | null;
  dbkey: string | null;
  // collections
  collection_id: number | null;
  job_source_id: number | null;
  collection_type: string | null;
  element_count: number | null;
}

const MICROS = (column: string) => `floor(extract(epoch FROM ${column}) * 1000000)::float8`;

/** The summary rows of a listing: the same filters, order and paging as listContents. */
export async function listContentSummaries(db: Queryable, q: Omit<ContentsQuery, 'full'>): Promise<SummaryRow[]> {
  const args: unknown[] = [q.historyId];
  const arg = (v: unknown) => {
    args.push(v);
    return `$${args.length}`;
  };
  const parts: string[] = [];
  if (q.types.includes('dataset')) {
    const where = ['h.history_id = $1', ...q.filters.map((f) => condition(f, 'dataset', arg))];
    parts.push(`SELECT 'dataset' AS kind, h.id, h.history_id, h.hid, h.name, h.tags, h.visible, h.deleted,
        h.purged OR d.purged AS purged, h.create_time, h.update_time, h.dataset_id, d.state, h.extension, h.dbkey,
        NULL::bigint AS collection_id, NULL::bigint AS job_source_id, NULL::text AS collection_type, NULL::int AS element_count
      FROM hdas h JOIN datasets d ON d.id = h.dataset_id WHERE ${where.filter(Boolean).join(' AND ')}`);
  }
  if (q.types.includes('dataset_collection')) {
    const where = ['c.history_id = $1', ...q.filters.map((f) => condition(f, 'dataset_collection', arg))];
    parts.push(`SELECT 'dataset_collection' AS kind, c.id, c.history_id, c.hid, c.name, c.tags, c.visible, c.deleted,
        false AS purged, c.create_time, c.update_time, NULL::bigint AS dataset_id, col.populated_state AS state,
        NULL::text AS extension, NULL::text AS dbkey, c.collection_id, c.job_source_id, col.collection_type,
        col.element_count
      FROM hdcas c JOIN collections col ON col.id = c.collection_id WHERE ${where.filter(Boolean).join(' AND ')}`);
  }
  if (parts.length === 0) return [];
  let inner = `${parts.map((p) => `(${p})`).join(' UNION ALL ')} ORDER BY ${CONTENT_ORDERS[q.order]}`;
  if (q.limit !== undefined) inner += ` LIMIT ${arg(q.limit)}`;
  if (q.offset) inner += ` OFFSET ${arg(q.offset)}`;
  const outerOrder = CONTENT_ORDERS[q.order].replace(/(\w+) (ASC|DESC)/g, 'u.$1 $2');
  const { rows } = await db.query<SummaryRow>(
    `SELECT kind, id, history_id, hid, name, CASE WHEN cardinality(tags) = 0 THEN NULL ELSE to_json(tags)::text END AS tags_json,
            visible, deleted, purged, ${MICROS('create_time')} AS create_us, ${MICROS('update_time')} AS update_us,
            dataset_id, state, extension, dbkey, collection_id, job_source_id, collection_type, element_count
       FROM (${inner}) u ORDER BY ${outerOrder}`,
    args,
  );
  return rows;
}
