/**
 * Just enough of Python's csv module (excel dialects) and csv.Sniffer for Galaxy's CSV and TSV
 * sniffers. Works on already-split lines; quoted fields may not span lines here, which only makes
 * such files fall back to plain tabular/txt.
 */

export function parseDelimitedLine(line: string, delimiter: string): string[] {
  const cells: string[] = [];
  let cell = '';
  let inQuotes = false;
  for (let i = 0; i < line.length; i++) {
    const char = line[i];
    if (inQuotes) {
      if (char === '"' && line[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (char === '"') {
        inQuotes = false;
      } else {
        cell += char;
      }
    } else if (char === '"' && cell === '') {
      inQuotes = true;
    } else if (char === delimiter) {
      cells.push(cell);
      cell = '';
    } else {
      cell += char;
    }
  }
  cells.push(cell);
  return cells;
}

/** Rows of a delimited text, skipping empty lines as Python's csv.reader yields them as []. */
export function parseDelimited(lines: string[], delimiter: string): string[][] {
  return lines.filter((line) => line !== '').map((line) => parseDelimitedLine(line, delimiter));
}

const PREFERRED = [',', '\t', ';', ' ', ':'];

/**
 * A consistency vote in the spirit of csv.Sniffer._guess_delimiter: the delimiter is the character
 * that occurs the same non-zero number of times on the most lines. Ties go to Python's preferred
 * order. Undefined when no candidate is consistent.
 */
export function sniffDelimiter(sample: string): string | undefined {
  const lines = sample.split(/\r\n|\n|\r/).filter((line) => line !== '');
  if (lines.length > 1 && !/[\r\n]$/.test(sample)) lines.pop(); // the cut last line would skew counts
  if (lines.length === 0) return undefined;
  let best: { delimiter: string; score: number } | undefined;
  for (const delimiter of PREFERRED) {
    const counts = lines.map((line) => countOutsideQuotes(line, delimiter));
    const frequency = new Map<number, number>();
    for (const count of counts) frequency.set(count, (frequency.get(count) ?? 0) + 1);
    let modeCount = 0;
    let modeLines = 0;
    for (const [count, lineCount] of frequency) {
      if (lineCount > modeLines || (lineCount === modeLines && count > modeCount)) {
        modeCount = count;
        modeLines = lineCount;
      }
    }
    if (modeCount === 0) continue;
    const consistency = modeLines / lines.length;
    if (consistency < 0.9) continue; // Python starts at 1.0 and relaxes to 0.9 before giving up
    if (!best || consistency > best.score) best = { delimiter, score: consistency };
  }
  return best?.delimiter;
}

function countOutsideQuotes(line: string, delimiter: string): number {
  let count = 0;
  let inQuotes = false;
  for (const char of line) {
    if (char === '"') inQuotes = !inQuotes;
    else if (char === delimiter && !inQuotes) count++;
  }
  return count;
}

/**
 * csv.Sniffer.has_header: every column whose type (number, or else the text length) is the same
 * in up to 20 data rows votes: the header cell differing from that type means "header".
 */
export function hasHeader(sample: string, delimiter: string): boolean {
  const lines = sample.split(/\r\n|\n|\r/).filter((line) => line !== '');
  const rows = lines.map((line) => parseDelimitedLine(line, delimiter));
  const header = rows[0];
  if (!header) return false;
  // undefined: no data row seen yet for the column; a column with mixed types is dropped.
  const columnTypes = new Map<number, string | number | undefined>();
  header.forEach((_, index) => columnTypes.set(index, undefined));
  let checked = 0;
  for (const row of rows.slice(1)) {
    if (checked >= 20) break;
    checked++;
    if (row.length !== header.length) continue;
    for (const index of [...columnTypes.keys()]) {
      const cell = row[index];
      const type: string | number = isNumeric(cell) ? numericKind(cell) : cell.length;
      const known = columnTypes.get(index);
      if (known === undefined) columnTypes.set(index, type);
      else if (known !== type) columnTypes.delete(index);
    }
  }
  let votes = 0;
  for (const [index, type] of columnTypes) {
    if (type === undefined) continue;
    const cell = header[index];
    if (typeof type === 'number') votes += cell.length !== type ? 1 : -1;
    else votes += headerFitsNumericType(cell, type) ? -1 : 1;
  }
  return votes > 0;
}

/** Python's int(cell) / float(cell) succeeding, for a column of that type. */
function headerFitsNumericType(cell: string, type: string): boolean {
  if (!isNumeric(cell)) return false;
  return type === 'float' || numericKind(cell) === 'int';
}

function isNumeric(cell: string): boolean {
  return cell.trim() !== '' && !Number.isNaN(Number(cell.trim()));
}

function numericKind(cell: string): string {
  return /^[+-]?\d+$/.test(cell.trim()) ? 'int' : 'float';
}
