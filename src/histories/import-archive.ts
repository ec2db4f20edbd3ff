import { createGunzip } from 'node:zlib';
import { pipeline, Readable } from 'node:stream';
import { readTar, TarFormatError, type TarReadEntry } from '../util/tar.ts';

/**
 * Reading a Galaxy history archive (export format version 2, as Galaxy and Nebula write it)
 * into a validated import plan. Nothing in the archive becomes a key or a path: file names in
 * the attribute files are only used to look up entries of the same archive.
 */

/** A problem with the archive itself: reported to the user, never retried. */
export class ArchiveError extends Error {
  override name = 'ArchiveError';
}

const ATTRS_FILES = ['history_attrs.txt', 'datasets_attrs.txt', 'collections_attrs.txt'] as const;
type AttrsFile = (typeof ATTRS_FILES)[number];
/** Attribute files are parsed in memory; beyond this an archive is refused, not swapped. */
export const MAX_ATTRS_BYTES = 128 * 1024 * 1024;
const TERMINAL_STATES = new Set(['ok', 'empty', 'error', 'failed_metadata', 'discarded']);

export interface PlannedDataset {
  /** The archive entry holding the bytes, or null when the archive carries none. */
  file: string | null;
}

export interface PlannedHda {
  archiveId: string;
  hid: number;
  name: string;
  extension: string;
  dbkey: string;
  info: string | null;
  blurb: string | null;
  peek: string | null;
  annotation: string | null;
  tags: string[];
  visible: boolean;
  deleted: boolean;
  state: string;
  metadata: Record<string, unknown>;
  file: string | null;
}

export type PlannedElement = { identifier: string; hdaArchiveId: string } | { identifier: string; collection: PlannedCollection };

export interface PlannedCollection {
  collectionType: string;
  elements: PlannedElement[];
}

export interface PlannedHdca {
  hid: number;
  name: string;
  tags: string[];
  visible: boolean;
  deleted: boolean;
  collection: PlannedCollection;
}

export interface ImportPlan {
  name: string;
  annotation: string | null;
  tags: string[];
  hdas: PlannedHda[];
  hdcas: PlannedHdca[];
  /** Archive entries whose bytes the plan uses, with their sizes. */
  files: Map<string, number>;
}

/** The archive's bytes as tar entries, gunzipped when they start with the gzip magic. */
export async function* archiveEntries(open: () => Promise<Readable>): AsyncGenerator<TarReadEntry> {
  const raw = await open();
  const chunks = raw[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const first = await chunks.next();
  if (first.done) throw new ArchiveError('the archive is empty');
  const head = first.value;
  const all = (async function* () {
    yield head;
    for (let next = await chunks.next(); !next.done; next = await chunks.next()) yield next.value;
  })();
  const gzipped = head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b;
  const source: AsyncIterable<Buffer> = gzipped ? pipeline(Readable.from(all), createGunzip(), () => undefined) : all;
  try {
    yield* readTar(source);
  } catch (err) {
    if (err instanceof TarFormatError) throw new ArchiveError(err.message);
    if ((err as { code?: string }).code?.startsWith('Z_')) throw new ArchiveError(`the archive is not valid gzip: ${(err as Error).message}`);
    throw err;
  } finally {
    raw.destroy();
  }
}

async function readSmall(entry: TarReadEntry): Promise<Buffer> {
  if (entry.size > MAX_ATTRS_BYTES) throw new ArchiveError(`${entry.path} is ${entry.size} bytes, more than the ${MAX_ATTRS_BYTES} allowed`);
  const parts: Buffer[] = [];
  for await (const chunk of entry.body()) parts.push(chunk);
  return Buffer.concat(parts);
}

/**
 * First pass over the archive: every entry is checked (paths, types) by the reader, the
 * attribute files are kept, and file sizes noted. Returns the raw attributes and the files.
 */
export async function scanArchive(open: () => Promise<Readable>): Promise<{ attrs: Partial<Record<AttrsFile, unknown>>; files: Map<string, number> }> {
  const attrs: Partial<Record<AttrsFile, unknown>> = {};
  const files = new Map<string, number>();
  let entries = 0;
  for await (const entry of archiveEntries(open)) {
    entries++;
    if (entry.type !== 'file') continue;
    if ((ATTRS_FILES as readonly string[]).includes(entry.path)) {
      const text = (await readSmall(entry)).toString('utf8');
      try {
        attrs[entry.path as AttrsFile] = JSON.parse(text);
      } catch (err) {
        throw new ArchiveError(`${entry.path} is not valid JSON: ${(err as Error).message}`);
      }
    } else {
      files.set(entry.path, entry.size);
    }
  }
  if (entries === 0) throw new ArchiveError('the archive is empty');
  if (!attrs['history_attrs.txt']) throw new ArchiveError('not a Galaxy history archive: history_attrs.txt is missing');
  return { attrs, files };
}

const str = (v: unknown, fallback: string | null = null): string | null => (typeof v === 'string' ? v : fallback);
const tagsOf = (v: unknown): string[] => (Array.isArray(v) ? v.filter((t): t is string => typeof t === 'string') : []);
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function planCollection(raw: unknown, where: string, known: Set<string>, depth = 0): PlannedCollection {
  if (depth > 10) throw new ArchiveError(`${where}: collections nested more than 10 levels`);
  if (!isObject(raw)) throw new ArchiveError(`${where}: collection is not an object`);
  const type = str(raw.type) ?? str(raw.collection_type);
  if (!type || !/^[a-z_]+(:[a-z_]+)*$/.test(type)) throw new ArchiveError(`${where}: invalid collection type ${JSON.stringify(type)}`);
  if (!Array.isArray(raw.elements)) throw new ArchiveError(`${where}: collection without elements`);
  const sorted = [...raw.elements].sort((a, b) => Number((a as { element_index?: number }).element_index ?? 0) - Number((b as { element_index?: number }).element_index ?? 0));
  const seen = new Set<string>();
  const elements = sorted.map((e, i): PlannedElement => {
    if (!isObject(e)) throw new ArchiveError(`${where}: element ${i} is not an object`);
    const identifier = str(e.element_identifier);
    if (!identifier) throw new ArchiveError(`${where}: element ${i} has no element_identifier`);
    if (seen.has(identifier)) throw new ArchiveError(`${where}: duplicate element identifier ${identifier}`);
    seen.add(identifier);
    if (isObject(e.child_collection)) {
      return { identifier, collection: planCollection(e.child_collection, `${where}/${identifier}`, known, depth + 1) };
    }
    const hdaId = isObject(e.hda) ? str(e.hda.encoded_id) : null;
    if (!hdaId || !known.has(hdaId)) throw new ArchiveError(`${where}: element ${identifier} refers to a dataset that is not in the archive`);
    return { identifier, hdaArchiveId: hdaId };
  });
  return { collectionType: type, elements };
}

/** Turns the attribute files into a plan; any inconsistency is an ArchiveError naming it. */
export function planImport(attrs: Partial<Record<AttrsFile, unknown>>, files: Map<string, number>): ImportPlan {
  const history = attrs['history_attrs.txt'];
  if (!isObject(history)) throw new ArchiveError('history_attrs.txt must hold a JSON object');
  const rawDatasets = attrs['datasets_attrs.txt'] ?? [];
  const rawCollections = attrs['collections_attrs.txt'] ?? [];
  if (!Array.isArray(rawDatasets)) throw new ArchiveError('datasets_attrs.txt must hold a JSON list');
  if (!Array.isArray(rawCollections)) throw new ArchiveError('collections_attrs.txt must hold a JSON list');

  const used = new Map<string, number>();
  const hdas = rawDatasets.map((d, i): PlannedHda => {
    if (!isObject(d)) throw new ArchiveError(`datasets_attrs.txt entry ${i} is not an object`);
    const name = str(d.name) ?? `Dataset ${i + 1}`;
    const fileName = str(d.file_name);
    let file: string | null = null;
    if (fileName) {
      // Only a lookup among this archive's entries; the same normalisation as the reader's.
      const normalized = fileName.split('/').filter((s) => s !== '' && s !== '.').join('/');
      if (files.has(normalized)) {
        file = normalized;
        used.set(normalized, files.get(normalized)!);
      }
    }
    const metadata = isObject(d.metadata) ? { ...d.metadata } : {};
    const dbkey = str(metadata.dbkey) ?? '?';
    delete metadata.dbkey;
    const state = str(d.state) ?? 'ok';
    return {
      archiveId: str(d.encoded_id) ?? `#${i}`,
      hid: Number.isInteger(d.hid) ? (d.hid as number) : i + 1,
      name,
      extension: (str(d.extension) ?? 'data').slice(0, 64),
      dbkey,
      info: str(d.info),
      blurb: str(d.blurb),
      peek: str(d.peek),
      annotation: str(d.annotation),
      tags: tagsOf(d.tags),
      visible: d.visible !== false,
      deleted: d.deleted === true,
      // Bytes missing from the archive (purged, or not exported): the dataset is discarded.
      state: file ? (TERMINAL_STATES.has(state) ? state : 'ok') : 'discarded',
      metadata,
      file,
    };
  });
  const known = new Set(hdas.map((h) => h.archiveId));
  if (known.size !== hdas.length) throw new ArchiveError('datasets_attrs.txt lists the same encoded_id twice');

  const hdcas = rawCollections.map((c, i): PlannedHdca => {
    if (!isObject(c)) throw new ArchiveError(`collections_attrs.txt entry ${i} is not an object`);
    const name = str(c.display_name) ?? str(c.name) ?? `Collection ${i + 1}`;
    return {
      hid: Number.isInteger(c.hid) ? (c.hid as number) : hdas.length + i + 1,
      name,
      tags: tagsOf(c.tags),
      visible: c.visible !== false,
      deleted: c.deleted === true,
      collection: planCollection(c.collection, `collection ${name}`, known),
    };
  });

  return {
    name: str(history.name) ?? 'Imported history',
    annotation: str(history.annotation),
    tags: tagsOf(history.tags),
    hdas,
    hdcas,
    files: used,
  };
}
