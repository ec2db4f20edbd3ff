import type { SniffSample } from '../types.ts';
import { gunzipSync } from 'node:zlib';

const PNG_MAGIC = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const ZIP_MAGIC = Buffer.from([0x50, 0x4b, 0x03, 0x04]);
const BAM_MAGIC = Buffer.from('BAM\x01', 'latin1');

export function sniffPng(sample: SniffSample): boolean {
  return sample.head.subarray(0, 8).equals(PNG_MAGIC);
}

export function sniffZip(sample: SniffSample): boolean {
  return sample.head.subarray(0, 4).equals(ZIP_MAGIC);
}

/**
 * BAM: a BGZF file whose decompressed content starts with "BAM\1". The first BGZF block is at
 * most 64 KiB, so the head always holds it.
 */
export function isBam(sample: SniffSample): boolean {
  return sample.compression === 'bgzip' && bamHeaderText(sample) !== undefined;
}

/** The SAM header text embedded in a BAM, as far as the first BGZF blocks in the head reach. */
export function bamHeaderText(sample: SniffSample): string | undefined {
  let content: Buffer;
  try {
    content = gunzipSync(sample.head, { finishFlush: 2 /* Z_SYNC_FLUSH: tolerate the cut end */ });
  } catch {
    return undefined;
  }
  if (!content.subarray(0, 4).equals(BAM_MAGIC)) return undefined;
  const textLength = content.length >= 8 ? content.readInt32LE(4) : 0;
  return content.subarray(8, 8 + Math.max(0, textLength)).toString('latin1');
}

/** Galaxy splits BAM by sort order: coordinate-sorted is 'bam', others get their own types. */
export function bamSortOrder(sample: SniffSample): string | undefined {
  const header = bamHeaderText(sample) ?? '';
  const hd = header.split('\n').find((line) => line.startsWith('@HD'));
  return hd?.match(/\tSO:([^\t]+)/)?.[1];
}
