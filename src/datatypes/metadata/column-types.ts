import { isPythonFloat, isPythonInt } from '../python-numbers.ts';

/**
 * Galaxy's tabular column-type guess. A cell is the first of int, float, list, str that fits
 * ('na' counts as float, a comma makes a list, an empty cell says nothing); a column takes the
 * most general type seen in it.
 */
export type ColumnType = 'int' | 'float' | 'list' | 'str';

const GENERALITY: ColumnType[] = ['int', 'float', 'list', 'str'];

export function guessCellType(text: string): ColumnType | undefined {
  if (isPythonInt(text)) return 'int';
  if (isPythonFloat(text) || text.trim().toLowerCase() === 'na') return 'float';
  if (text.includes(',')) return 'list';
  if (text !== '') return 'str';
  return undefined;
}

/** Widens `known` to also cover `seen`. */
export function widen(known: ColumnType | undefined, seen: ColumnType | undefined): ColumnType | undefined {
  if (seen === undefined) return known;
  if (known === undefined) return seen;
  return GENERALITY.indexOf(seen) > GENERALITY.indexOf(known) ? seen : known;
}

/** Folds one row's cells into the running column types. */
export function addRow(columnTypes: (ColumnType | undefined)[], fields: string[]): void {
  fields.forEach((field, index) => {
    if (index >= columnTypes.length) columnTypes.push(undefined);
    columnTypes[index] = widen(columnTypes[index], guessCellType(field));
  });
}

/** The simpler per-cell guess Galaxy's CSV/TSV types use: int, float or str. */
export function guessCsvCellType(text: string): 'int' | 'float' | 'str' {
  if (isPythonInt(text)) return 'int';
  if (isPythonFloat(text)) return 'float';
  return 'str';
}
