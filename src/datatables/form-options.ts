/**
 * Data table rows for tool forms and tool state: the provider that StateContext.dataTableRows
 * wants, and the build form's option lists for `<options from_data_table>` selects (the tool
 * store's form model leaves them empty, since it has no database).
 */
import type { Queryable } from '../db/pool.ts';
import type { ToolInput, ToolSource } from '../tools/model.ts';
import { dataTableOptions } from '../tools/parameters/data-table-options.ts';
import type { DataTableRow } from '../tools/parameters/values.ts';
import { rowRecord } from './model.ts';
import { tableWithRows } from './store.ts';

/** Reads the table from the database on every call: a change on any replica is seen at once. */
export function dataTableRowsProvider(db: Queryable): (table: string) => Promise<DataTableRow[] | undefined> {
  return async (table) => {
    const found = await tableWithRows(db, table);
    return found ? found.rows.map((r) => rowRecord(found.table.columns, r)) : undefined;
  };
}

type Model = Record<string, unknown>;

async function fillInputs(defs: ToolInput[], models: unknown, rowsOf: (t: string) => Promise<DataTableRow[] | undefined>): Promise<void> {
  if (!Array.isArray(models)) return;
  const values: Record<string, unknown> = {};
  for (const m of models as Model[]) if (m && typeof m.name === 'string') values[m.name] = m.value;
  for (const def of defs) {
    const model = (models as Model[]).find((m) => m?.name === def.name);
    if (!model) continue;
    if (def.kind === 'param') await fillParam(def, model, rowsOf, values);
    else if (def.kind === 'conditional') {
      await fillParam(def.test, model.test_param as Model, rowsOf, values);
      const cases = (model.cases as Model[] | undefined) ?? [];
      for (const [i, when] of def.whens.entries()) if (cases[i]) await fillInputs(when.inputs, cases[i]!.inputs, rowsOf);
    } else if (def.kind === 'repeat') {
      await fillInputs(def.inputs, model.inputs, rowsOf);
      for (const item of (model.cache as unknown[] | undefined) ?? []) await fillInputs(def.inputs, item, rowsOf);
    } else {
      await fillInputs(def.inputs, model.inputs, rowsOf);
    }
  }
}

async function fillParam(def: ToolInput, model: Model | undefined, rowsOf: (t: string) => Promise<DataTableRow[] | undefined>, siblings: Record<string, unknown>): Promise<void> {
  if (!model || def.kind !== 'param' || !('dynamic' in def) || !def.dynamic?.fromDataTable) return;
  const rows = await rowsOf(def.dynamic.fromDataTable);
  if (!rows) return;
  const { options } = dataTableOptions(def.dynamic, rows, (ref) => siblings[ref]);
  let value = model.value;
  if ((value === null || value === undefined) && !def.optional && options.length && !('multiple' in def && def.multiple)) {
    value = options[0]!.value;
    if ('value' in model) model.value = value;
  }
  const chosen = new Set((Array.isArray(value) ? value : value == null ? [] : [value]).map(String));
  model.options = options.map((o) => [o.label, o.value, chosen.has(o.value)]);
}

/** Fills the options of every data table select in a form model built by the tool store. */
export async function fillDataTableOptions<T extends { inputs: unknown }>(db: Queryable, tool: ToolSource, model: T): Promise<T> {
  const provider = dataTableRowsProvider(db);
  const cache = new Map<string, Promise<DataTableRow[] | undefined>>();
  const rowsOf = (t: string) => {
    if (!cache.has(t)) cache.set(t, provider(t));
    return cache.get(t)!;
  };
  await fillInputs(tool.inputs, model.inputs, rowsOf);
  return model;
}
