/**
 * Data references in a tool request → the values a tool state holds. Every reference is checked
 * against what the user may read: an HDA or collection in a history that is not theirs, not
 * shared with them and not published is refused, as is a deleted dataset.
 */
import type { Queryable } from '../../db/pool.ts';
import { getHdca, loadCollection, type CollectionElement, type LoadedCollection } from '../../model/collections.ts';
import { getHda, type Hda } from '../../model/datasets.ts';
import { getHistory, historyAccess } from '../../model/histories.ts';
import type { User } from '../../model/users.ts';
import { dataTableRowsProvider } from '../../datatables/form-options.ts';
import type { StateContext } from '../../tools/parameters/state.ts';
import type { CollectionValue, DataRef, DatasetValue, ResolvedData } from '../../tools/parameters/values.ts';
import type { IdCodec } from '../../util/ids.ts';
import { JobRequestError } from './errors.ts';

export interface RecordedInput {
  name: string;
  hda: Hda;
}

export interface RecordedCollectionInput {
  name: string;
  hdcaId: number;
}

export function datasetValue(ids: IdCodec, hda: Hda, elementIdentifier?: string): DatasetValue {
  return {
    kind: 'dataset',
    id: ids.encode(hda.id),
    name: hda.name,
    ext: hda.extension,
    dbkey: hda.dbkey,
    metadata: hda.metadata ?? {},
    tags: hda.tags ?? [],
    ...(elementIdentifier !== undefined ? { elementIdentifier } : {}),
  };
}

export function collectionValue(ids: IdCodec, collection: LoadedCollection, name: string, id: string): CollectionValue {
  return {
    kind: 'collection',
    id,
    name,
    collectionType: collection.collection_type,
    elements: collection.elements.map((e: CollectionElement) => ({
      identifier: e.element_identifier,
      value:
        e.element_type === 'hda'
          ? datasetValue(ids, e.hda, e.element_identifier)
          : collectionValue(ids, e.collection, e.element_identifier, ids.encode(e.collection.id)),
    })),
  };
}

export function collectionLeaves(collection: LoadedCollection): Hda[] {
  return collection.elements.flatMap((e) => (e.element_type === 'hda' ? [e.hda] : collectionLeaves(e.collection)));
}

function decode(ids: IdCodec, ref: DataRef, what: string): number {
  const id = typeof ref.id === 'string' ? ids.decode(ref.id) : null;
  if (id === null) throw new JobRequestError(400, `Invalid ${what} id: ${JSON.stringify(ref.id)}`);
  return id;
}

async function readable(db: Queryable, historyId: number, user: User): Promise<boolean> {
  const history = await getHistory(db, historyId);
  return !!history && (await historyAccess(db, history, user)) !== 'none';
}

export class InputResolver {
  readonly inputs: RecordedInput[] = [];
  readonly collections: RecordedCollectionInput[] = [];
  /** HDAs reached through a collection the user may read (map-over elements): no second check. */
  private readonly viaCollection = new Map<number, string>();

  constructor(
    private readonly db: Queryable,
    private readonly ids: IdCodec,
    private readonly user: User,
  ) {}

  allowElement(hdaId: number, identifier: string): void {
    this.viaCollection.set(hdaId, identifier);
  }

  async hda(ref: DataRef, path: string): Promise<Hda> {
    const id = decode(this.ids, ref, 'dataset');
    const hda = await getHda(this.db, id);
    if (!hda) throw new JobRequestError(404, `Dataset ${String(ref.id)} (parameter ${path}) not found`);
    if (!this.viaCollection.has(id) && !(await readable(this.db, hda.history_id, this.user))) {
      throw new JobRequestError(403, `Dataset ${String(ref.id)} (parameter ${path}) is not accessible by the current user`);
    }
    if (hda.deleted || hda.purged || hda.dataset_purged) {
      throw new JobRequestError(400, `Dataset ${String(ref.id)} (parameter ${path}) is deleted; undelete it or choose another`);
    }
    return hda;
  }

  async collection(ref: DataRef, path: string): Promise<{ hdcaId: number; collection: LoadedCollection; name: string }> {
    const id = decode(this.ids, ref, 'dataset collection');
    const hdca = await getHdca(this.db, id);
    if (!hdca) throw new JobRequestError(404, `Dataset collection ${String(ref.id)} (parameter ${path}) not found`);
    if (!(await readable(this.db, hdca.history_id, this.user))) {
      throw new JobRequestError(403, `Dataset collection ${String(ref.id)} (parameter ${path}) is not accessible by the current user`);
    }
    if (hdca.deleted) throw new JobRequestError(400, `Dataset collection ${String(ref.id)} (parameter ${path}) is deleted`);
    const collection = await loadCollection(this.db, hdca.collection_id);
    if (!collection) throw new JobRequestError(404, `Dataset collection ${String(ref.id)} has no collection`);
    return { hdcaId: hdca.id, collection, name: hdca.name };
  }

  private record(path: string, hda: Hda): void {
    const same = this.inputs.filter((i) => i.name === path || i.name.startsWith(path)).length;
    this.inputs.push({ name: same === 0 ? path : `${path}${same}`, hda });
  }

  /** The StateContext for buildToolState: resolves and records every reference it meets. */
  stateContext(): StateContext {
    return {
      dataTableRows: dataTableRowsProvider(this.db),
      resolveData: async (ref: DataRef, path: string): Promise<ResolvedData> => {
        if (ref.src === 'hda') {
          const hda = await this.hda(ref, path);
          this.record(path, hda);
          return datasetValue(this.ids, hda, this.viaCollection.get(hda.id));
        }
        if (ref.src === 'hdca') {
          const { hdcaId, collection, name } = await this.collection(ref, path);
          this.collections.push({ name: path, hdcaId });
          for (const leaf of collectionLeaves(collection)) {
            if (leaf.deleted || leaf.purged) throw new JobRequestError(400, `Collection ${String(ref.id)} (parameter ${path}) holds a deleted dataset`);
            this.record(path, leaf);
          }
          return collectionValue(this.ids, collection, name, this.ids.encode(hdcaId));
        }
        if (ref.src === 'dce') return this.element(ref, path);
        throw new JobRequestError(400, `Data source "${ref.src}" (parameter ${path}) is not supported`);
      },
    };
  }

  /** A collection element (src dce): its dataset, read-checked through the collection's history. */
  private async element(ref: DataRef, path: string): Promise<ResolvedData> {
    const id = decode(this.ids, ref, 'collection element');
    const { rows } = await this.db.query<{ hda_id: number | null; element_identifier: string }>(
      'SELECT hda_id, element_identifier FROM collection_elements WHERE id = $1',
      [id],
    );
    const row = rows[0];
    if (!row?.hda_id) throw new JobRequestError(400, `Collection element ${String(ref.id)} (parameter ${path}) is not a dataset`);
    const hda = await this.hda({ src: 'hda', id: this.ids.encode(row.hda_id) }, path);
    this.record(path, hda);
    return datasetValue(this.ids, hda, row.element_identifier);
  }
}
