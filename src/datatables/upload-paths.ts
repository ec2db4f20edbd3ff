/**
 * `nebula datatables import --upload`: the path columns of imported `.loc` rows point at local
 * files, which only a shared disk would let a job see. Each such path is stored as a reference
 * bundle (reference-bundle.ts: the file and its index files, or the directory) and the value
 * becomes `bundle:<sha>/<name>`. Every path of every table is checked before any byte is
 * uploaded, so a missing one costs nothing; the caller writes the rows in one transaction after.
 */
import path from 'node:path';
import type { ObjectStore } from '../objectstore/index.ts';
import { storeBundleFiles, type BundleFile } from '../toolstore/bundle-stream.ts';
import type { ConfTable } from './conf.ts';
import { DataTableError } from './errors.ts';
import type { RowFields } from './model.ts';
import { parseReferenceValue, referenceFiles, referenceValue } from './reference-bundle.ts';

export interface UploadOptions {
  store: ObjectStore;
  /** Where relative paths in `.loc` files start (Galaxy: its root directory); default: the current directory. */
  baseDir?: string;
}

/** One `.loc` row on its way in: `label` names its file and line, `here` is that file's directory. */
export interface LocRow {
  fields: RowFields;
  label: string;
  here: string;
}

interface Cell {
  table: string;
  row: LocRow;
  index: number;
  absolute: string;
}

/** Galaxy expands `${__HERE__}` in `.loc` lines to the `.loc` file's directory. */
function expandHere(value: string, here: string): string {
  return value.replace(/\$\{__HERE__\}|\$__HERE__(?![A-Za-z0-9_])/g, () => here);
}

/**
 * Replaces every local path in the tables' path columns by a bundle reference, in place.
 * Returns, per table name, how many values were replaced.
 */
export async function uploadPathColumns(plans: Array<{ table: ConfTable; rows: LocRow[] }>, options: UploadOptions): Promise<Map<string, number>> {
  const baseDir = path.resolve(options.baseDir ?? process.cwd());
  const cells: Cell[] = [];
  const found = new Map<string, { relative: string; files: BundleFile[] }>();
  const counts = new Map<string, number>();
  for (const { table, rows } of plans) {
    counts.set(table.name, 0);
    const indexes = table.pathColumns.map((c) => table.columns.indexOf(c));
    for (const row of rows) {
      for (const index of indexes) {
        const value = row.fields[index] ?? '';
        const where = `table ${table.name}: ${row.label}: column ${table.columns[index]}`;
        if (parseReferenceValue(value)) continue; // already in the object store
        if (value.trim() === '') throw new DataTableError(`${where} is empty; with --upload it must name a file or directory; no table was changed`, table.name);
        const absolute = path.resolve(baseDir, expandHere(value, row.here));
        if (!found.has(absolute)) {
          const files = await referenceFiles(absolute);
          if (!files) {
            throw new DataTableError(
              `${where}: ${absolute} does not exist (no such file, non-empty directory, or files named ${path.basename(absolute)}.* beside it); no table was changed`,
              table.name,
            );
          }
          found.set(absolute, files);
        }
        cells.push({ table: table.name, row, index, absolute });
        counts.set(table.name, counts.get(table.name)! + 1);
      }
    }
  }
  const values = new Map<string, string>();
  for (const cell of cells) {
    let value = values.get(cell.absolute);
    if (value === undefined) {
      const { files, relative } = found.get(cell.absolute)!;
      try {
        value = referenceValue((await storeBundleFiles(options.store, files, cell.absolute)).sha256, relative);
      } catch (error) {
        const where = `table ${cell.table}: ${cell.row.label}`;
        throw new DataTableError(`${where}: storing ${cell.absolute} as a reference bundle failed: ${(error as Error).message}; no table was changed`, cell.table);
      }
      values.set(cell.absolute, value);
    }
    cell.row.fields[cell.index] = value;
  }
  return counts;
}
