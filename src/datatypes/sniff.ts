import { DEFINITIONS, SNIFF_ORDER } from './definitions.ts';
import { readSniffSample } from './sample.ts';
import { isColumnBased } from './sniffers/prefix.ts';
import type { SniffSample } from './types.ts';

const SNIFFERS = SNIFF_ORDER.map((ext) => {
  const definition = DEFINITIONS.find((candidate) => candidate.ext === ext);
  if (!definition?.sniff) throw new Error(`sniff order names '${ext}', which has no sniffer`);
  return definition;
});

/** Types that read raw bytes themselves; they are tried whether or not the file is compressed. */
const RAW_BYTE_TYPES = new Set(['bam', 'qname_sorted.bam', 'unsorted.bam', 'png', 'zip']);

/**
 * Galaxy's run_sniffers_raw: the first sniffer in order that accepts the sample. Compressed
 * datatypes only look at compressed files and the rest only at plain ones, except sniffers that
 * judge raw bytes. A 'bgzip' datatype needs a BGZF file; a 'gzip' one takes either.
 */
export function runSniffers(sample: SniffSample): string | undefined {
  for (const datatype of SNIFFERS) {
    if (!RAW_BYTE_TYPES.has(datatype.ext)) {
      if (Boolean(datatype.compressed) !== Boolean(sample.compression)) continue;
      if (datatype.compressed === 'bgzip' && sample.compression !== 'bgzip') continue;
    }
    try {
      if (datatype.sniff!(sample)) return datatype.ext;
    } catch {
      // Like Galaxy, a sniffer that trips over odd content simply does not claim the file.
    }
  }
  return undefined;
}

/**
 * Galaxy's guess_ext, plus its tsv-vs-tabular preference: a sniffed 'tsv' that is also a plain
 * column-consistent table becomes 'tabular'. Unclaimed files are 'data' when binary or compressed,
 * 'tabular' when tab-separated with a consistent column count, else 'txt' (an empty file is 'txt').
 */
export function guessExtension(sample: SniffSample): string {
  let ext = runSniffers(sample);
  if (ext === 'tsv' && isColumnBased(sample, '\t', 1)) ext = 'tabular';
  if (ext) return ext;
  if (sample.compression || sample.text === undefined) return 'data';
  if (isColumnBased(sample, '\t', 1)) return 'tabular';
  return 'txt';
}

export async function sniff(path: string): Promise<string> {
  return guessExtension(await readSniffSample(path));
}
