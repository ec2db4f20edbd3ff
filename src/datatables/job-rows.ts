/**
 * The data table rows a job needs, taken when the job is created: for every select parameter
 * with `<options from_data_table>`, the rows of that table whose value column holds a value the
 * state chose. Kept on the job (jobs.data_table_rows) and handed to the executor in the JobSpec,
 * which has no database.
 */
import type { Queryable } from '../db/pool.ts';
import type { ToolInput, ToolSource } from '../tools/model.ts';
import type { DataTableRow, ToolState } from '../tools/parameters/values.ts';
import { rowRecord } from './model.ts';
import { parseReferenceValue } from './reference-bundle.ts';
import { tableWithRows } from './store.ts';

/** Table name → its columns and the chosen rows (fields in column order). */
export type DataTableSnapshot = Record<string, { columns: string[]; rows: string[][] }>;

/** Tables read by select parameters, with the column index each one treats as `value`. */
export function dataTablesOf(inputs: ToolInput[], out = new Map<string, Set<number | string>>()): Map<string, Set<number | string>> {
  for (const input of inputs) {
    if (input.kind === 'param') {
      const dyn = 'dynamic' in input ? input.dynamic : undefined;
      if (dyn?.fromDataTable) {
        const set = out.get(dyn.fromDataTable) ?? new Set();
        set.add(dyn.columns.value ?? 'value');
        out.set(dyn.fromDataTable, set);
      }
    } else if (input.kind === 'conditional') {
      dataTablesOf([input.test], out);
      for (const w of input.whens) dataTablesOf(w.inputs, out);
    } else {
      dataTablesOf(input.inputs, out);
    }
  }
  return out;
}

function stringsIn(value: unknown, out: Set<string>): Set<string> {
  if (typeof value === 'string') out.add(value);
  else if (Array.isArray(value)) for (const v of value) stringsIn(v, out);
  else if (value && typeof value === 'object') for (const v of Object.values(value)) stringsIn(v, out);
  return out;
}

/** Rows of the tool's tables whose value was chosen anywhere in the state; null when none. */
export async function snapshotDataTables(db: Queryable, tool: ToolSource, state: ToolState): Promise<DataTableSnapshot | null> {
  const tables = dataTablesOf(tool.inputs);
  if (tables.size === 0) return null;
  const chosen = stringsIn(state, new Set());
  const snapshot: DataTableSnapshot = {};
  for (const [name, valueColumns] of tables) {
    const found = await tableWithRows(db, name);
    if (!found) continue;
    const indices = [...valueColumns].map((c) => (typeof c === 'number' ? c : found.table.columns.indexOf(c))).map((i) => (i < 0 ? 0 : i));
    snapshot[name] = { columns: found.table.columns, rows: found.rows.filter((r) => indices.some((i) => chosen.has(r[i] ?? ''))) };
  }
  return snapshot;
}

/** Every reference bundle the snapshot's rows point to. */
export function bundlesIn(snapshot: DataTableSnapshot | null | undefined): string[] {
  const shas = new Set<string>();
  for (const t of Object.values(snapshot ?? {})) for (const r of t.rows) for (const f of r) {
    const ref = parseReferenceValue(f);
    if (ref) shas.add(ref.sha256);
  }
  return [...shas].sort();
}

/** Rows as records, with each `bundle:` value replaced by what `localPath` says. */
export function snapshotRecords(snapshot: DataTableSnapshot | null | undefined, localPath: (sha256: string, rel: string) => string): Map<string, DataTableRow[]> {
  const out = new Map<string, DataTableRow[]>();
  for (const [name, t] of Object.entries(snapshot ?? {})) {
    out.set(name, t.rows.map((r) => rowRecord(t.columns, r.map((f) => {
      const ref = parseReferenceValue(f);
      return ref ? localPath(ref.sha256, ref.path) : f;
    }))));
  }
  return out;
}
