/** The shared vocabulary of reference data tables. */

export interface DataTableDefinition {
  name: string;
  /** Column names in `.loc` order. */
  columns: string[];
  /** Columns whose values identify a row; `value` by default, as in Galaxy. */
  keyColumns: string[];
  commentChar: string;
}

export interface DataTable extends DataTableDefinition {
  /** Goes up by one in the transaction of every change to the table's rows. */
  version: number;
}

/** One row's fields, in column order. */
export type RowFields = string[];

/** Galaxy's default identity: the `value` column, or every column when there is none. */
export function defaultKeyColumns(columns: string[]): string[] {
  return columns.includes('value') ? ['value'] : [...columns];
}

export function rowIdentity(table: DataTableDefinition, fields: RowFields): string {
  return table.keyColumns.map((c) => fields[table.columns.indexOf(c)] ?? '').join('\t');
}

/** A row as a record keyed by column name (insertion order = column order). */
export function rowRecord(columns: string[], fields: RowFields): Record<string, string> {
  const out: Record<string, string> = {};
  columns.forEach((c, i) => {
    out[c] = fields[i] ?? '';
  });
  return out;
}
