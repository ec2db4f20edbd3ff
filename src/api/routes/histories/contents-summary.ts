import type { SummaryRow } from '../../../histories/contents.ts';
import type { IdCodec } from '../../../util/ids.ts';

/**
 * The summary view of a contents listing, the hot path of large histories. Same fields, order
 * and values as serializeHda / serializeHdca in the summary view (a test compares the JSON
 * text), built from SummaryRow as plain object literals of one fixed shape each, which V8's
 * JSON.stringify handles fastest. (Building the JSON text by hand measured slower.)
 */

/**
 * Microseconds since the epoch → the serializers' time text, without the Z. The millisecond is
 * computed as the pg driver computes it when it parses timestamp text (1000 × the fraction as a
 * float, truncated), so both paths print the same millisecond. Items of a history are mostly
 * made in batches, so the text up to the second is reused from the previous item when it can.
 */
function timeFormatter(): (micros: number) => string {
  let lastSecond = NaN;
  let lastPrefix = '';
  return (micros) => {
    const us = micros % 1_000_000;
    const second = (micros - us) / 1_000_000;
    if (second !== lastSecond) {
      lastSecond = second;
      lastPrefix = new Date(second * 1000).toISOString().slice(0, 19);
    }
    const ms = Math.trunc(1000 * (us / 1_000_000));
    return lastPrefix + (ms < 10 ? '.00' : ms < 100 ? '.0' : '.') + ms;
  };
}

const tagsOf = (json: string | null): string[] => (json === null ? [] : (JSON.parse(json) as string[]));

/** The whole listing as JSON text. */
export function contentSummariesJson(ids: IdCodec, rows: SummaryRow[]): string {
  const time = timeFormatter();
  const out = new Array<Record<string, unknown>>(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i]!;
    const id = ids.encode(r.id);
    const historyId = ids.encode(r.history_id);
    if (r.kind === 'dataset') {
      out[i] = {
        id,
        type_id: `dataset-${id}`,
        name: r.name,
        hid: r.hid,
        history_id: historyId,
        history_content_type: 'dataset',
        dataset_id: ids.encode(r.dataset_id!),
        state: r.state,
        extension: r.extension,
        deleted: r.deleted,
        purged: r.purged,
        visible: r.visible,
        tags: tagsOf(r.tags_json),
        type: 'file',
        url: `/api/histories/${historyId}/contents/${id}`,
        create_time: time(r.create_us),
        update_time: time(r.update_us),
        genome_build: r.dbkey,
        model_class: 'HistoryDatasetAssociation',
      };
    } else {
      const collectionId = ids.encode(r.collection_id!);
      const job = r.job_source_id === null ? null : ids.encode(r.job_source_id);
      out[i] = {
        id,
        type_id: `dataset_collection-${id}`,
        name: r.name,
        hid: r.hid,
        history_id: historyId,
        history_content_type: 'dataset_collection',
        collection_type: r.collection_type,
        collection_id: collectionId,
        populated_state: r.state,
        populated_state_message: null,
        element_count: r.element_count,
        job_source_id: job,
        job_source_type: job === null ? null : 'Job',
        contents_url: `/api/dataset_collections/${id}/contents/${collectionId}`,
        deleted: r.deleted,
        visible: r.visible,
        tags: tagsOf(r.tags_json),
        type: 'collection',
        url: `/api/histories/${historyId}/contents/dataset_collections/${id}`,
        create_time: time(r.create_us),
        update_time: time(r.update_us),
        model_class: 'HistoryDatasetCollectionAssociation',
      };
    }
  }
  return JSON.stringify(out);
}
