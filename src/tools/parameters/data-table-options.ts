/**
 * Options of a select whose `<options from_data_table>` reads a data table, with the `<column>`
 * mapping and the `<filter>`s Galaxy applies (static_value, regexp, param_value, data_meta,
 * unique_value, multiple_splitter, add_value, remove_value, sort_by). Rows come in as records
 * keyed by the table's column names, in column order; they go out keyed by the names the tool
 * uses (`value`, `name`, `path`...), so `$param.fields.<name>` and the option list agree.
 */
import type { DynamicOptions, OptionsFilter } from '../model.ts';
import type { DataTableRow, DatasetValue } from './values.ts';

/** Another parameter's value, for filters with `ref=` (absent when it cannot be known yet). */
export type RefLookup = (ref: string) => unknown;

export interface DataTableOptions {
  rows: DataTableRow[];
  /** Galaxy's option triples without `selected`: label (the `name` column or the value) and value. */
  options: Array<{ label: string; value: string }>;
}

function columnIndex(spec: string | undefined, columns: Record<string, number>): number | undefined {
  if (spec === undefined || spec === '') return undefined;
  if (/^\d+$/.test(spec.trim())) return Number(spec.trim());
  return columns[spec.trim()];
}

function asStrings(value: unknown, attribute?: string): string[] | undefined {
  if (value === undefined) return undefined;
  if (value === null) return [];
  if (Array.isArray(value)) return value.flatMap((v) => asStrings(v, attribute) ?? []);
  if (typeof value === 'object') {
    const v = value as Record<string, unknown>;
    if (attribute && attribute in v) return asStrings(v[attribute]);
    if ('value' in v) return asStrings(v.value);
    return undefined;
  }
  return [String(value)];
}

function metadataValues(value: unknown, key: string): string[] | undefined {
  if (value === undefined) return undefined;
  const datasets = (Array.isArray(value) ? value : [value]).filter((v): v is DatasetValue => !!v && typeof v === 'object' && (v as DatasetValue).kind === 'dataset');
  if (datasets.length === 0) return undefined;
  return datasets.flatMap((d) => {
    const m = key === 'dbkey' ? (d.metadata?.dbkey ?? d.dbkey) : d.metadata?.[key];
    return asStrings(m) ?? [];
  });
}

function keep(f: OptionsFilter): boolean {
  return (f.attributes.keep ?? 'true').toLowerCase() !== 'false';
}

function applyFilter(f: OptionsFilter, rows: string[][], columns: Record<string, number>, width: number, lookup?: RefLookup): string[][] {
  const a = f.attributes;
  const col = columnIndex(a.column, columns);
  const valueCol = columns.value ?? 0;
  switch (f.type) {
    case 'static_value':
      if (col === undefined) return rows;
      return rows.filter((r) => (r[col] === a.value) === keep(f));
    case 'regexp': {
      if (col === undefined || a.value === undefined) return rows;
      const re = new RegExp(`^(?:${a.value})`);
      return rows.filter((r) => re.test(r[col] ?? '') === keep(f));
    }
    case 'param_value': {
      const wanted = a.ref && lookup ? asStrings(lookup(a.ref), a.ref_attribute) : undefined;
      if (col === undefined || wanted === undefined) return rows; // not known yet: do not narrow
      return rows.filter((r) => wanted.includes(r[col] ?? '') === keep(f));
    }
    case 'data_meta': {
      const wanted = a.ref && a.key && lookup ? metadataValues(lookup(a.ref), a.key) : undefined;
      if (col === undefined || wanted === undefined) return rows;
      const sep = a.separator ?? ',';
      const multiple = (a.multiple ?? 'false').toLowerCase() === 'true';
      return rows.filter((r) => {
        const cell = r[col] ?? '';
        return multiple ? cell.split(sep).some((c) => wanted.includes(c)) : wanted.includes(cell);
      });
    }
    case 'unique_value': {
      if (col === undefined) return rows;
      const seen = new Set<string>();
      return rows.filter((r) => {
        const v = r[col] ?? '';
        if (seen.has(v)) return false;
        seen.add(v);
        return true;
      });
    }
    case 'multiple_splitter': {
      const sep = a.separator ?? ',';
      const cols = (a.column ?? '').split(',').map((c) => columnIndex(c, columns)).filter((c): c is number => c !== undefined);
      return rows.flatMap((r) => {
        const out: string[][] = [];
        for (const c of cols) for (const piece of (r[c] ?? '').split(sep)) {
          const copy = [...r];
          copy[c] = piece;
          out.push(copy);
        }
        return cols.length ? out : [r];
      });
    }
    case 'add_value': {
      const row = new Array<string>(width).fill('');
      row[valueCol] = a.value ?? '';
      row[columns.name ?? valueCol] = a.name ?? a.value ?? '';
      const at = a.index !== undefined && /^-?\d+$/.test(a.index) ? Number(a.index) : rows.length;
      const copy = [...rows];
      copy.splice(at, 0, row);
      return copy;
    }
    case 'remove_value': {
      let unwanted: string[] | undefined;
      if (a.value !== undefined) unwanted = [a.value];
      else if (a.ref && lookup) unwanted = asStrings(lookup(a.ref));
      else if (a.meta_ref && a.key && lookup) unwanted = metadataValues(lookup(a.meta_ref), a.key);
      if (!unwanted) return rows;
      return rows.filter((r) => !unwanted.includes(r[valueCol] ?? ''));
    }
    case 'sort_by': {
      if (col === undefined) return rows;
      const reverse = (a.reverse_sort_order ?? 'false').toLowerCase() === 'true';
      const sorted = [...rows].sort((x, y) => ((x[col] ?? '') < (y[col] ?? '') ? -1 : (x[col] ?? '') > (y[col] ?? '') ? 1 : 0));
      return reverse ? sorted.reverse() : sorted;
    }
    default:
      return rows; // attribute_value_to_dict and others apply to from_file / from_dataset options
  }
}

/**
 * The select's rows and options. Without `<column>` elements the table's own columns are used
 * (Galaxy: "column definitions are optional, but if provided override those from the table").
 */
export function dataTableOptions(dynamic: DynamicOptions, rows: DataTableRow[], lookup?: RefLookup): DataTableOptions {
  const tableColumns = rows.length ? Object.keys(rows[0]!) : [];
  const columns: Record<string, number> = Object.keys(dynamic.columns).length
    ? dynamic.columns
    : Object.fromEntries(tableColumns.map((c, i) => [c, i]));
  const width = Math.max(tableColumns.length, ...Object.values(columns).map((i) => i + 1));
  let fields = rows.map((r) => Object.values(r));
  for (const f of dynamic.filters) fields = applyFilter(f, fields, columns, width, lookup);
  const valueCol = columns.value ?? 0;
  const nameCol = columns.name ?? valueCol;
  return {
    rows: fields.map((r) => Object.fromEntries(Object.entries(columns).map(([name, i]) => [name, r[i] ?? '']))),
    options: fields.map((r) => ({ label: r[nameCol] ?? '', value: r[valueCol] ?? '' })),
  };
}
