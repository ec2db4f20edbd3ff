import type { Queryable } from '../../../db/pool.ts';
import { HDA_SELECT, type Hda } from '../../../model/datasets.ts';
import type { NewCollection } from '../../../model/collections.ts';
import { getHistory, historyAccess } from '../../../model/histories.ts';
import type { User } from '../../../model/users.ts';
import type { IdCodec } from '../../../util/ids.ts';
import { badRequest, notFound } from '../../errors.ts';

/** What a client sends for one element (Galaxy's element_identifiers entries). */
export interface ElementIdentifier {
  name?: unknown;
  src?: unknown;
  id?: unknown;
  collection_type?: unknown;
  element_identifiers?: unknown;
}

const MAX_ELEMENTS = 100_000;
const PAIRED = ['forward', 'reverse'];

/** `list:paired` → ['list', 'paired']; only list and paired levels exist in Nebula. */
export function parseCollectionType(type: unknown): string[] {
  if (typeof type !== 'string' || !type) throw badRequest('collection_type is required (e.g. list, paired, list:paired)');
  const levels = type.split(':');
  for (const level of levels) {
    if (level !== 'list' && level !== 'paired') {
      throw badRequest(`Unsupported collection_type ${JSON.stringify(type)}: levels must be list or paired`);
    }
  }
  return levels;
}

/** Placeholder leaves carry the decoded HDA id until access is checked. */
type Draft = NewCollection;

/**
 * Checks the element structure against the collection type, level by level: identifiers are
 * non-empty and unique per level, a paired level has exactly forward and reverse (stored in that
 * order), datasets sit only at the last level and sub-collections only above it.
 */
export function buildCollectionSpec(ids: IdCodec, levels: string[], elements: unknown, path = ''): Draft {
  const where = path ? ` in element '${path}'` : '';
  if (!Array.isArray(elements)) throw badRequest(`element_identifiers must be a list${where}`);
  const seen = new Set<string>();
  const built: Draft['elements'] = [];
  for (const raw of elements as ElementIdentifier[]) {
    if (typeof raw !== 'object' || raw === null) throw badRequest(`Each element identifier must be an object${where}`);
    const name = raw.name;
    if (typeof name !== 'string' || !name || name.length > 255) {
      throw badRequest(`Each element needs a name (1-255 characters)${where}`);
    }
    if (seen.has(name)) throw badRequest(`Duplicate element identifier '${name}'${where}`);
    seen.add(name);
    const here = path ? `${path}/${name}` : name;
    const last = levels.length === 1;
    if (raw.src === 'hda') {
      if (!last) throw badRequest(`Element '${here}' must be a ${levels.slice(1).join(':')} collection, not a dataset`);
      const hdaId = typeof raw.id === 'string' ? ids.decode(raw.id) : null;
      if (hdaId === null) throw badRequest(`Invalid dataset id for element '${here}': ${JSON.stringify(raw.id)}`);
      built.push({ identifier: name, hdaId });
    } else if (raw.src === 'new_collection') {
      if (last) throw badRequest(`Element '${here}' must be a dataset (src 'hda') at this level`);
      const childType = levels.slice(1).join(':');
      if (raw.collection_type !== undefined && raw.collection_type !== childType) {
        throw badRequest(`Element '${here}' has collection_type ${JSON.stringify(raw.collection_type)}, expected ${childType}`);
      }
      built.push({ identifier: name, collection: buildCollectionSpec(ids, levels.slice(1), raw.element_identifiers, here) });
    } else {
      throw badRequest(`Unsupported src ${JSON.stringify(raw.src)} for element '${here}' (use 'hda' or 'new_collection')`);
    }
  }
  if (levels[0] === 'paired') {
    if (built.length !== 2 || !PAIRED.every((p) => seen.has(p))) {
      throw badRequest(`A paired collection needs exactly the elements 'forward' and 'reverse'${where}`);
    }
    built.sort((a, b) => PAIRED.indexOf(a.identifier) - PAIRED.indexOf(b.identifier));
  }
  return { collection_type: levels.join(':'), elements: built };
}

export function leafHdaIds(spec: NewCollection): number[] {
  return spec.elements.flatMap((e) => ('hdaId' in e ? [e.hdaId] : leafHdaIds(e.collection)));
}

export function countElements(spec: NewCollection): number {
  return spec.elements.reduce((n, e) => n + 1 + ('hdaId' in e ? 0 : countElements(e.collection)), 0);
}

/** Loads every leaf HDA and checks the user may read it; a missing or foreign one is a 404 naming it. */
export async function loadReadableHdas(
  db: Queryable,
  ids: IdCodec,
  user: User | null,
  hdaIds: number[],
): Promise<Map<number, Hda>> {
  if (hdaIds.length > MAX_ELEMENTS) throw badRequest(`A collection may hold at most ${MAX_ELEMENTS} datasets`);
  const unique = [...new Set(hdaIds)];
  const { rows } = await db.query<Hda>(`${HDA_SELECT} WHERE h.id = ANY($1)`, [unique]);
  const byId = new Map(rows.map((h) => [h.id, h]));
  const accessByHistory = new Map<number, boolean>();
  for (const id of unique) {
    const hda = byId.get(id);
    let readable = false;
    if (hda) {
      if (!accessByHistory.has(hda.history_id)) {
        const history = await getHistory(db, hda.history_id);
        accessByHistory.set(hda.history_id, !!history && (await historyAccess(db, history, user)) !== 'none');
      }
      readable = accessByHistory.get(hda.history_id)! && !hda.purged;
    }
    if (!readable) throw notFound(`Dataset ${ids.encode(id)} not found or not accessible`);
  }
  return byId;
}
