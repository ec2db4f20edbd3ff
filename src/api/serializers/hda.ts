import type { Hda } from '../../model/datasets.ts';
import type { IdCodec } from '../../util/ids.ts';

export type SerializerView = 'summary' | 'detailed';

export interface HdaSerializeOptions {
  /** Prefix for the `url`-like fields; Galaxy answers with root-relative urls, so '' by default. */
  baseUrl?: string;
  /** Admins may see the (opaque) object key as `file_name`; never a server path. */
  isAdmin?: boolean;
}

const iso = (d: Date) => d.toISOString().replace(/Z$/, '');

/**
 * Metadata keys as Galaxy names them (`metadata_data_lines`): our metadata JSON may hold either
 * camelCase (`dataLines`, as computeMetadata returns) or Galaxy's snake_case names.
 */
function metadataFields(metadata: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(metadata ?? {})) {
    if (key === 'peek' || key === 'blurb') continue;
    const snake = key.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();
    out[`metadata_${snake}`] = value;
  }
  return out;
}

function normalise(opts?: string | HdaSerializeOptions): HdaSerializeOptions {
  return typeof opts === 'string' ? { baseUrl: opts } : (opts ?? {});
}

/** The JSON Galaxy's HDASerializer produces for an HDA, in its `summary` or `detailed` view. */
export function serializeHda(
  ids: IdCodec,
  hda: Hda,
  view: SerializerView = 'detailed',
  options?: string | HdaSerializeOptions,
): Record<string, unknown> {
  const opts = normalise(options);
  const base = opts.baseUrl ?? '';
  const id = ids.encode(hda.id);
  const historyId = ids.encode(hda.history_id);
  const summary: Record<string, unknown> = {
    id,
    type_id: `dataset-${id}`,
    name: hda.name,
    hid: hda.hid,
    history_id: historyId,
    history_content_type: 'dataset',
    dataset_id: ids.encode(hda.dataset_id),
    state: hda.state,
    extension: hda.extension,
    deleted: hda.deleted,
    purged: hda.purged || hda.dataset_purged,
    visible: hda.visible,
    tags: hda.tags ?? [],
    type: 'file',
    url: `${base}/api/histories/${historyId}/contents/${id}`,
    create_time: iso(hda.create_time),
    update_time: iso(hda.update_time),
    genome_build: hda.dbkey,
    model_class: 'HistoryDatasetAssociation',
  };
  if (view === 'summary') return summary;
  return {
    ...summary,
    hda_ldda: 'hda',
    accessible: !(hda.purged || hda.dataset_purged),
    api_type: 'file',
    uuid: hda.uuid,
    file_ext: hda.extension,
    file_size: hda.file_size ?? 0,
    misc_info: hda.info ?? '',
    misc_blurb: hda.blurb ?? '',
    peek: hda.peek ?? null,
    annotation: hda.annotation ?? null,
    metadata_dbkey: hda.dbkey,
    ...metadataFields(hda.metadata),
    data_type: `galaxy.datatypes.${hda.extension}`,
    // BioBlend appends `?to_ext=<file_ext>` itself, so the url carries no query.
    download_url: `${base}/api/datasets/${id}/display`,
    creating_job: hda.creating_job_id === null ? null : ids.encode(hda.creating_job_id),
    copied_from_history_dataset_association_id:
      hda.copied_from_hda_id === null ? null : ids.encode(hda.copied_from_hda_id),
    rerunnable: hda.creating_job_id !== null,
    resubmitted: false,
    validated_state: 'unknown',
    validated_state_message: null,
    display_apps: [],
    display_types: [],
    visualizations: [],
    meta_files: [],
    created_from_basename: null,
    sources: [],
    hashes: [],
    permissions: { access: [], manage: [] },
    ...(opts.isAdmin ? { file_name: hda.object_key } : {}),
  };
}
