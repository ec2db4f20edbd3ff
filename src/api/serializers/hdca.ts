import type { CollectionElement, Hdca, HdcaWithElements, LoadedCollection } from '../../model/collections.ts';
import type { IdCodec } from '../../util/ids.ts';
import { serializeHda, type HdaSerializeOptions, type SerializerView } from './hda.ts';

const iso = (d: Date) => d.toISOString().replace(/Z$/, '');

function serializeElement(ids: IdCodec, element: CollectionElement, opts: HdaSerializeOptions): Record<string, unknown> {
  const common = {
    id: ids.encode(element.id),
    model_class: 'DatasetCollectionElement',
    element_index: element.element_index,
    element_identifier: element.element_identifier,
    element_type: element.element_type,
  };
  if (element.element_type === 'hda') {
    return { ...common, object: serializeHda(ids, element.hda, 'detailed', opts) };
  }
  return { ...common, object: serializeCollection(ids, element.collection, opts) };
}

/** A nested (child) collection, as Galaxy shows it inside an element's `object`. */
export function serializeCollection(
  ids: IdCodec,
  collection: LoadedCollection,
  opts: HdaSerializeOptions = {},
): Record<string, unknown> {
  return {
    id: ids.encode(collection.id),
    model_class: 'DatasetCollection',
    collection_type: collection.collection_type,
    populated: collection.populated_state === 'ok',
    populated_state: collection.populated_state,
    populated_state_message: null,
    element_count: collection.element_count,
    elements: collection.elements.map((e) => serializeElement(ids, e, opts)),
  };
}

/**
 * The JSON Galaxy's HDCASerializer produces: `summary` for content listings, `detailed` (with
 * the element tree, when the caller loaded it) for show/create.
 */
export function serializeHdca(
  ids: IdCodec,
  hdca: Hdca | HdcaWithElements,
  view: SerializerView = 'detailed',
  options?: string | HdaSerializeOptions,
): Record<string, unknown> {
  const opts: HdaSerializeOptions = typeof options === 'string' ? { baseUrl: options } : (options ?? {});
  const base = opts.baseUrl ?? '';
  const id = ids.encode(hdca.id);
  const historyId = ids.encode(hdca.history_id);
  const collectionId = ids.encode(hdca.collection_id);
  const summary: Record<string, unknown> = {
    id,
    type_id: `dataset_collection-${id}`,
    name: hdca.name,
    hid: hdca.hid,
    history_id: historyId,
    history_content_type: 'dataset_collection',
    collection_type: hdca.collection_type,
    collection_id: collectionId,
    populated_state: hdca.populated_state,
    populated_state_message: null,
    element_count: hdca.element_count,
    job_source_id: hdca.job_source_id === null ? null : ids.encode(hdca.job_source_id),
    job_source_type: hdca.job_source_id === null ? null : 'Job',
    contents_url: `${base}/api/dataset_collections/${id}/contents/${collectionId}`,
    deleted: hdca.deleted,
    visible: hdca.visible,
    tags: hdca.tags ?? [],
    type: 'collection',
    url: `${base}/api/histories/${historyId}/contents/dataset_collections/${id}`,
    create_time: iso(hdca.create_time),
    update_time: iso(hdca.update_time),
    model_class: 'HistoryDatasetCollectionAssociation',
  };
  if (view === 'summary') return summary;
  const elements = 'elements' in hdca ? hdca.elements : [];
  return {
    ...summary,
    populated: hdca.populated_state === 'ok',
    elements: elements.map((e) => serializeElement(ids, e, opts)),
  };
}
