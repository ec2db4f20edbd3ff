/**
 * Mapping a tool over a collection. Galaxy marks the data parameter to map over with
 * `{batch: true, values: [{src: 'hdca', id}]}` (in both the legacy and the 21.01 form): the
 * tool runs once per dataset of the collection, and each output becomes an implicit collection
 * of the same structure and element identifiers. `values` listing datasets (src hda) runs once
 * per dataset without a collection.
 */
import type { LoadedCollection } from '../../model/collections.ts';
import type { Hda } from '../../model/datasets.ts';
import type { DataRef } from '../../tools/parameters/values.ts';
import { JobRequestError } from './errors.ts';

type Payload = Record<string, unknown>;

function isPlainObject(v: unknown): v is Payload {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export interface BatchSite {
  /** Where in the payload: keys and array indexes from the root. */
  at: Array<string | number>;
  refs: DataRef[];
}

/** Every `{batch: true, values}` in the (unflattened) payload. */
export function findBatchSites(payload: unknown, at: Array<string | number> = []): BatchSite[] {
  if (Array.isArray(payload)) return payload.flatMap((v, i) => findBatchSites(v, [...at, i]));
  if (!isPlainObject(payload)) return [];
  if (payload.batch === true || payload.batch === 'true') {
    const values = Array.isArray(payload.values) ? payload.values : [];
    const refs = values.filter((v): v is DataRef => isPlainObject(v) && typeof v.src === 'string' && v.id !== undefined);
    if (refs.length === 0) throw new JobRequestError(400, `Batch parameter ${at.join('|')} has no values to run over`);
    return [{ at, refs }];
  }
  return Object.entries(payload).flatMap(([k, v]) => findBatchSites(v, [...at, k]));
}

/** A copy of the payload with each site replaced by the value given for it. */
export function replaceSites(payload: Payload, sites: BatchSite[], values: unknown[]): Payload {
  const copy = structuredClone(payload);
  sites.forEach((site, i) => {
    let node: unknown = copy;
    for (const step of site.at.slice(0, -1)) node = (node as Record<string | number, unknown>)[step];
    (node as Record<string | number, unknown>)[site.at.at(-1)!] = values[i];
  });
  return copy;
}

/** One leaf of a mapped-over collection: its dataset and its place in the structure. */
export interface MappedLeaf {
  hda: Hda;
  /** Element identifiers from the root to the dataset. */
  path: string[];
}

export function mappedLeaves(collection: LoadedCollection, prefix: string[] = []): MappedLeaf[] {
  return collection.elements.flatMap((e) =>
    e.element_type === 'hda'
      ? [{ hda: e.hda, path: [...prefix, e.element_identifier] }]
      : mappedLeaves(e.collection, [...prefix, e.element_identifier]),
  );
}

/** Collections mapped together must have the same structure (same identifiers in the same order). */
export function checkLinked(leaves: MappedLeaf[][]): void {
  const first = leaves[0]!.map((l) => l.path.join('/'));
  for (const other of leaves.slice(1)) {
    const paths = other.map((l) => l.path.join('/'));
    if (paths.length !== first.length || paths.some((p, i) => p !== first[i])) {
      throw new JobRequestError(400, 'Collections mapped over together must have the same structure and element identifiers');
    }
  }
}
