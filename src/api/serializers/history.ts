import type { HistoryRow, HistoryStats } from '../../histories/queries.ts';
import type { IdCodec } from '../../util/ids.ts';

export type HistoryView = 'summary' | 'detailed';

const iso = (d: Date) => d.toISOString().replace(/Z$/, '');

/** Galaxy's dataset states, so that state_details/state_ids list every state (zero or empty). */
const DATASET_STATES = [
  'new',
  'upload',
  'queued',
  'running',
  'ok',
  'empty',
  'error',
  'paused',
  'setting_metadata',
  'failed_metadata',
  'deferred',
  'discarded',
];

/** The keys of each view; `keys=` may pick any of them. */
const SUMMARY_KEYS = ['id', 'model_class', 'name', 'deleted', 'purged', 'count', 'url', 'published', 'annotation', 'tags', 'update_time'];
const STATS_KEYS = new Set(['state', 'state_details', 'state_ids', 'size', 'nice_size', 'contents_active', 'empty']);

export function needsStats(view: HistoryView, keys?: string[]): boolean {
  if (keys) return keys.some((k) => STATS_KEYS.has(k));
  return view === 'detailed';
}

/**
 * Galaxy's aggregate history state: `new` when it has no live datasets, otherwise the most
 * "active" state present (running > queued > error), `ok` when all are ok.
 */
export function historyState(counts: Record<string, number>): string {
  const total = Object.values(counts).reduce((a, b) => a + b, 0);
  if (total === 0) return 'new';
  const n = (s: string) => counts[s] ?? 0;
  if (n('running') || n('setting_metadata') || n('upload')) return 'running';
  if (n('queued') || n('new')) return 'queued';
  if (n('error') || n('failed_metadata')) return 'error';
  if (n('ok') === total) return 'ok';
  if (n('paused')) return 'paused';
  return 'ok';
}

export function niceSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} bytes`;
  const units = ['KB', 'MB', 'GB', 'TB', 'PB'];
  let value = bytes;
  let unit = -1;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}

/**
 * The JSON Galaxy's HistorySerializer produces. `stats` is needed for the detailed view (and
 * for stats keys); `keys` restricts the output to those keys, as Galaxy's `keys=` does.
 */
export function serializeHistory(
  ids: IdCodec,
  h: HistoryRow,
  view: HistoryView,
  stats?: HistoryStats,
  keys?: string[],
): Record<string, unknown> {
  const id = ids.encode(h.id);
  const out: Record<string, unknown> = {
    id,
    model_class: 'History',
    name: h.name,
    deleted: h.deleted,
    purged: h.purged,
    count: h.count,
    url: `/api/histories/${id}`,
    published: h.published,
    annotation: h.annotation,
    tags: h.tags,
    update_time: iso(h.update_time),
  };
  if (view === 'detailed' || keys) {
    Object.assign(out, {
      contents_url: `/api/histories/${id}/contents`,
      user_id: ids.encode(h.user_id),
      username: h.username,
      create_time: iso(h.create_time),
      importable: h.importable,
      slug: h.slug,
      username_and_slug: h.slug ? `u/${h.username}/h/${h.slug}` : null,
      genome_build: null,
      hid_counter: h.hid_counter,
    });
  }
  if (stats) {
    const stateDetails = Object.fromEntries(DATASET_STATES.map((s) => [s, stats.stateCounts[s] ?? 0]));
    const stateIds = Object.fromEntries(DATASET_STATES.map((s) => [s, (stats.stateIds[s] ?? []).map((n) => ids.encode(n))]));
    Object.assign(out, {
      state: historyState(stats.stateCounts),
      state_details: stateDetails,
      state_ids: stateIds,
      size: stats.size,
      nice_size: niceSize(stats.size),
      empty: stats.active.active + stats.active.deleted + stats.active.hidden === 0,
      contents_active: stats.active,
    });
  }
  if (keys) return Object.fromEntries(keys.filter((k) => k in out).map((k) => [k, out[k]]));
  if (view === 'summary') return Object.fromEntries(SUMMARY_KEYS.map((k) => [k, out[k]]));
  return out;
}
