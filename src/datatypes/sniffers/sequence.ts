import type { SniffSample } from '../types.ts';
import { prefixLines } from './prefix.ts';

/**
 * FASTA: the first non-blank line is a '>' header, the next line is sequence (not blank, not
 * another header), and a third non-header line has none of '()[].' (which would be dot-bracket).
 */
export function sniffFasta(sample: SniffSample): boolean {
  const lines = prefixLines(sample);
  const start = lines.findIndex((line) => line.trim() !== '');
  if (start < 0 || !lines[start].trim().startsWith('>')) return false;
  const second = (lines[start + 1] ?? '').trim();
  if (second === '' || second.startsWith('>')) return false;
  const third = lines[start + 2] ?? '';
  if (!third.startsWith('>') && /[()[\].]/.test(third)) return false;
  return true;
}

const GENERIC_BASES = /^[NGTAC 0123.]*$/i;
const SANGER_BASES = /^[NGTAC]*$/i;

/** The first 4-line block: '@' title, bases, '+' line, and (not checked) qualities. */
function firstBlockLooksLikeFastq(sample: SniffSample, bases: RegExp): boolean {
  const block = prefixLines(sample).slice(0, 4);
  if (block.length !== 4) return false;
  if (!block[0].startsWith('@') || !block[2].startsWith('+') || block[1] === '') return false;
  return bases.test(block[1]);
}

export function sniffFastq(sample: SniffSample): boolean {
  return firstBlockLooksLikeFastq(sample, GENERIC_BASES);
}

/** Sanger/Illumina 1.8+ qualities: every quality line in the first 1000 lines within '!'..'S'. */
export function sniffFastqSanger(sample: SniffSample): boolean {
  const lines = prefixLines(sample).slice(0, 1000);
  for (let i = 3; i < lines.length; i += 4) {
    for (const char of lines[i]) {
      if (char < '!' || char > 'S') return false;
    }
  }
  return firstBlockLooksLikeFastq(sample, SANGER_BASES);
}
