import type { SniffSample } from '../types.ts';
import { isPythonFloat, isPythonInt, pythonInt } from '../python-numbers.ts';
import { headers } from './prefix.ts';

/** Galaxy's data.valid_strand and Gff.valid_gff_frame. */
export const VALID_STRAND = ['+', '-', '.'];
const VALID_GFF_FRAME = ['.', '0', '1', '2'];
const VALID_GFF3_STRAND = ['+', '-', '.', '?'];

/** BED: 3 to 12 tab-separated columns, integer start/end, and the optional columns in their forms. */
export function sniffBed(sample: SniffSample): boolean {
  const rows = headers(sample, '\t', 60, '#');
  if (rows.length === 0) return false;
  let found = false;
  for (const row of rows) {
    if (row.length === 0 || (row.length === 1 && row[0] === '')) continue;
    if (row.length < 3 || row.length > 12) return false;
    if (!isPythonInt(row[1]) || !isPythonInt(row[2])) return false;
    if (row.length > 4) {
      const score = pythonInt(row[4]);
      if (score === undefined || score < 0 || score > 1000) return false;
    }
    if (row.length > 5 && !VALID_STRAND.includes(row[5])) return false;
    if (row.length > 6 && !isPythonInt(row[6])) return false;
    if (row.length > 7 && !isPythonInt(row[7])) return false;
    if (row.length > 9 && !isPythonInt(row[9])) return false;
    if (row.length > 11) {
      const blockCount = pythonInt(row[9]);
      const sizes = row[10].replace(/,+$/, '').split(',');
      const starts = row[11].replace(/,+$/, '').split(',');
      if (sizes.length !== blockCount || starts.length !== blockCount) return false;
    }
    found = true;
  }
  return found;
}

/** Interval: at least 3 columns with integer start and end in columns 2 and 3; '#' lines ignored. */
export function sniffInterval(sample: SniffSample): boolean {
  let found = false;
  for (const row of headers(sample, '\t', 60, '#')) {
    if (row.length === 0) continue;
    if (row.length < 3) return false;
    if (!isPythonInt(row[1]) || !isPythonInt(row[2])) return false;
    found = true;
  }
  return found;
}

type GffFlavour = 'gff' | 'gff3' | 'gtf';

/** The three GFF sniffers differ only in the version header they accept and a few column rules. */
function sniffGffFamily(sample: SniffSample, flavour: GffFlavour): boolean {
  if (headers(sample, '\t', 2).length < 2) return false;
  let found = false;
  for (const row of headers(sample, '\t')) {
    if (row.length === 0 || (row.length === 1 && row[0] === '')) continue;
    const firstWords = row[0].trim().split(/\s+/);
    if (firstWords[0] === '##gff-version') {
      const version = firstWords[1] ?? '';
      if (flavour === 'gff') return version.startsWith('2');
      if (flavour === 'gff3') return version.startsWith('3');
      if (!version.startsWith('2')) return false; // gtf: a version-2 header does not decide, data must
    }
    if (row[0].startsWith('#')) continue;
    if (row.length !== 9) return false;
    const positionOk = (text: string) => isPythonInt(text) || (flavour === 'gff3' && text === '.');
    if (!positionOk(row[3]) || !positionOk(row[4])) return false;
    if (row[5] !== '.' && !isPythonFloat(row[5])) return false;
    const strands = flavour === 'gff3' ? VALID_GFF3_STRAND : VALID_STRAND;
    if (!strands.includes(row[6])) return false;
    if (!VALID_GFF_FRAME.includes(row[7])) return false;
    if (flavour === 'gtf' && !/(^|;)\s*gene_id[\s=]/.test(row[8])) return false;
    if (flavour === 'gff3' && !looksLikeGff3Attributes(row[8])) return false;
    found = true;
  }
  return found;
}

/** GFF3 attributes are key=value pairs; GTF's `key "value";` pairs are not. */
function looksLikeGff3Attributes(text: string): boolean {
  if (text === '.' || text === '') return true;
  return text
    .split(';')
    .map((pair) => pair.trim())
    .filter((pair) => pair !== '')
    .every((pair) => pair.includes('='));
}

export const sniffGff = (sample: SniffSample) => sniffGffFamily(sample, 'gff');
export const sniffGff3 = (sample: SniffSample) => sniffGffFamily(sample, 'gff3');
export const sniffGtf = (sample: SniffSample) => sniffGffFamily(sample, 'gtf');
