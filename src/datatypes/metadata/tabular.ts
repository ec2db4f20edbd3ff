import type { DatasetMetadata } from '../types.ts';
import { addRow, type ColumnType } from './column-types.ts';
import { readLines } from './lines.ts';

/** Galaxy guesses column types from at most this many data lines (Tabular.set_meta max_data_lines). */
export const MAX_TYPE_GUESS_LINES = 100_000;

export interface TabularScanOptions {
  /**
   * Lines at the top that are comments whatever they hold. Undefined means Galaxy's "skip=None":
   * a first line that is data is treated as a possible header and only fills in column types the
   * rest of the file leaves unknown.
   */
  skip?: number;
}

export type TabularMetadata = Required<
  Pick<DatasetMetadata, 'dataLines' | 'commentLines' | 'columns' | 'columnTypes' | 'delimiter'>
>;

/**
 * Streams a tab-separated file once: counts data and comment lines (blank and '#' lines are
 * comments) over the whole file, and guesses column types from the first data lines.
 */
export async function scanTabular(path: string, options: TabularScanOptions = {}): Promise<TabularMetadata> {
  const skip = options.skip ?? 0;
  let dataLines = 0;
  let commentLines = 0;
  let columnTypes: (ColumnType | undefined)[] = [];
  let firstLineTypes: (ColumnType | undefined)[] = ['str'];
  let index = 0;
  for await (const line of readLines(path)) {
    if (index < skip || line === '' || line.startsWith('#')) {
      commentLines += 1;
    } else {
      dataLines += 1;
      if (dataLines <= MAX_TYPE_GUESS_LINES) addRow(columnTypes, line.split('\t'));
      if (index === 0 && options.skip === undefined) {
        firstLineTypes = columnTypes;
        columnTypes = columnTypes.map(() => undefined);
      }
    }
    index += 1;
  }
  const finalTypes = finishColumnTypes(columnTypes, firstLineTypes);
  return { dataLines, commentLines, columns: finalTypes.length, columnTypes: finalTypes, delimiter: '\t' };
}

/** Columns only the first line had come from it; columns nothing could type become 'str'. */
function finishColumnTypes(columnTypes: (ColumnType | undefined)[], firstLineTypes: (ColumnType | undefined)[]): string[] {
  const types = [...columnTypes];
  for (let i = types.length; i < firstLineTypes.length; i++) types.push(firstLineTypes[i]);
  return types.map((type, i) => type ?? firstLineTypes[i] ?? 'str');
}

/** Index of the first line that is neither blank nor a '#' comment (Galaxy's `skip=i` for BED/GFF). */
export async function firstDataLineIndex(path: string): Promise<{ index: number; fields?: string[] }> {
  let index = 0;
  for await (const line of readLines(path)) {
    if (line !== '' && !line.startsWith('#')) return { index, fields: line.split('\t') };
    index += 1;
  }
  return { index: Math.max(0, index - 1) };
}
