import type { SniffSample } from '../types.ts';
import { isPythonInt } from '../python-numbers.ts';
import { prefixLines } from './prefix.ts';
import { hasHeader, parseDelimited, sniffDelimiter } from './delimited.ts';

/** VCF: the first line is the ##fileformat=VCF meta line. */
export function sniffVcf(sample: SniffSample): boolean {
  const first = prefixLines(sample)[0];
  return first !== undefined && first.startsWith('##fileformat=VCF');
}

/**
 * SAM: '@' header lines, then alignments of 11+ tab-separated columns with integer FLAG, POS, MAPQ,
 * PNEXT and TLEN. Up to 5 alignments are checked; like Galaxy, an empty line ends the look.
 */
export function sniffSam(sample: SniffSample): boolean {
  let alignments = 0;
  for (const raw of prefixLines(sample)) {
    const line = raw.trim();
    if (line === '') break;
    if (line.startsWith('@')) continue;
    const fields = line.split('\t');
    if (fields.length < 11) return false;
    if (![1, 3, 4, 7, 8].every((index) => isPythonInt(fields[index]))) return false;
    alignments += 1;
    if (alignments === 5) return true;
  }
  return alignments > 0;
}

/**
 * Galaxy's BaseCSV sniff: a header row and a second row of at least 2 cells, Python's csv.Sniffer
 * agreeing on the delimiter (on the first 10 KiB) and finding a header row.
 * `strictWidth` (TSV) demands every row has the header's width.
 */
function sniffDelimitedTable(sample: SniffSample, delimiter: string, strictWidth: boolean): boolean {
  if (sample.text === undefined) return false;
  const lines = prefixLines(sample);
  const rows = parseDelimited(lines, delimiter);
  if (rows.length < 2 || rows[0].length < 2) return false;
  if (strictWidth) {
    if (rows.some((row) => row.length !== rows[0].length)) return false;
  } else if (rows[1].length < 2) {
    return false;
  }
  const bigPeek = sample.text.slice(0, 10240);
  if (sniffDelimiter(bigPeek) !== delimiter) return false;
  return hasHeader(bigPeek, delimiter);
}

export const sniffCsv = (sample: SniffSample) => sniffDelimitedTable(sample, ',', false);
export const sniffTsv = (sample: SniffSample) => sniffDelimitedTable(sample, '\t', true);
