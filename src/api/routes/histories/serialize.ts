import type { Queryable } from '../../../db/pool.ts';
import { historyStats, type HistoryRow } from '../../../histories/queries.ts';
import type { IdCodec } from '../../../util/ids.ts';
import { badRequest } from '../../errors.ts';
import { needsStats, serializeHistory, type HistoryView } from '../../serializers/history.ts';

export function parseView(view: string | undefined, fallback: HistoryView): HistoryView {
  if (view === undefined || view === '') return fallback;
  // Galaxy's newer UI views map onto ours.
  if (view === 'summary') return 'summary';
  if (view === 'detailed' || view === 'dev-detailed' || view === 'betawebclient') return 'detailed';
  throw badRequest(`Unknown view: ${view}; use summary or detailed`);
}

/** Serializes histories, loading the dataset statistics of all of them in a few queries. */
export async function serializeHistories(
  db: Queryable,
  ids: IdCodec,
  rows: HistoryRow[],
  view: HistoryView,
  keys?: string[],
): Promise<Record<string, unknown>[]> {
  if (!needsStats(view, keys)) return rows.map((h) => serializeHistory(ids, h, view, undefined, keys));
  const wantIds = keys ? keys.includes('state_ids') : view === 'detailed';
  const stats = await historyStats(
    db,
    rows.map((h) => h.id),
    wantIds,
  );
  return rows.map((h) => serializeHistory(ids, h, view, stats.get(h.id), keys));
}

export async function serializeOne(
  db: Queryable,
  ids: IdCodec,
  row: HistoryRow,
  view: HistoryView = 'detailed',
  keys?: string[],
): Promise<Record<string, unknown>> {
  return (await serializeHistories(db, ids, [row], view, keys))[0];
}
