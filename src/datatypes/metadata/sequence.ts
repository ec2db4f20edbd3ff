import type { DatasetMetadata } from '../types.ts';
import { countWith } from './format.ts';
import { readLines } from './lines.ts';
import { filePeek } from './peek.ts';

/** FASTA: every non-comment line is a data line; each '>' line starts a sequence. */
export async function fastaMetadata(path: string): Promise<DatasetMetadata> {
  let dataLines = 0;
  let sequences = 0;
  for await (const raw of readLines(path)) {
    const line = raw.trim();
    if (line.startsWith('#')) continue;
    dataLines += 1;
    if (line.startsWith('>')) sequences += 1;
  }
  return { dataLines, sequences, peek: await filePeek(path), blurb: galaxySequenceBlurb(sequences) };
}

/** FASTQ (plain or gzip): records are 4 lines, each starting with '@'. */
export async function fastqMetadata(path: string): Promise<DatasetMetadata> {
  let dataLines = 0;
  let sequences = 0;
  for await (const line of readLines(path)) {
    if (dataLines % 4 === 0 && line.startsWith('@')) sequences += 1;
    dataLines += 1;
  }
  return { dataLines, sequences, peek: await filePeek(path), blurb: galaxySequenceBlurb(sequences) };
}

/** Galaxy's Sequence.set_peek never singularises: "1 sequences". */
function galaxySequenceBlurb(count: number): string {
  return countWith(count, 'sequence').replace(/ sequence$/, ' sequences');
}
