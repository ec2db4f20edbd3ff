import type { SniffSample } from '../types.ts';

/**
 * Lines of the sniffed prefix, as Galaxy's FilePrefix.line_iterator yields them: a last line that
 * may have been cut by the 1 MiB limit is left out. Line ends are stripped.
 */
export function prefixLines(sample: SniffSample): string[] {
  const text = sample.text ?? '';
  if (text === '') return [];
  const lines = text.split(/\r\n|\n|\r/);
  const endsWithBreak = /[\r\n]$/.test(text);
  if (endsWithBreak) lines.pop();
  else if (sample.truncated) lines.pop();
  return lines;
}

/**
 * Galaxy's iter_headers: the first `count` lines (after dropping lines that start with
 * `commentDesignator`), each split on `sep` (undefined splits on runs of whitespace, like Python's
 * str.split()).
 */
export function headers(sample: SniffSample, sep: string | undefined, count = 60, commentDesignator?: string): string[][] {
  const out: string[][] = [];
  for (const line of prefixLines(sample)) {
    if (commentDesignator && line.startsWith(commentDesignator)) continue;
    out.push(splitLike(line, sep));
    if (out.length === count) break;
  }
  return out;
}

export function splitLike(line: string, sep: string | undefined): string[] {
  if (sep !== undefined) return line.split(sep);
  const trimmed = line.trim();
  return trimmed === '' ? [] : trimmed.split(/\s+/);
}

/**
 * Galaxy's is_column_based: after `skip` lines, the first non-comment line fixes the column count
 * (at least 2) and every other non-comment line among the first 60 must match it.
 */
export function isColumnBased(sample: SniffSample, sep = '\t', skip = 0): boolean {
  if (sample.text === undefined) return false;
  const rows = headers(sample, sep).slice(skip);
  const isData = (row: string[]) => row.length > 0 && row[0] !== '' && !row[0].startsWith('#');
  const first = rows.find(isData);
  if (!first || first.length < 2) return false;
  return rows.filter(isData).every((row) => row.length === first.length);
}
