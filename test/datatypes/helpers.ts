import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32, deflateRawSync, gzipSync } from 'node:zlib';
import { execFileSync } from 'node:child_process';

export function scratchDir(): string {
  return mkdtempSync(join(tmpdir(), 'nebula-datatypes-'));
}

export function writeFile(dir: string, name: string, content: string | Buffer): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

export function writeGzip(dir: string, name: string, content: string): string {
  return writeFile(dir, name, gzipSync(Buffer.from(content)));
}

/** One BGZF block: a gzip member whose extra field holds 'BC' and the block size minus one. */
function bgzfBlock(data: Buffer): Buffer {
  const compressed = deflateRawSync(data);
  const header = Buffer.from([0x1f, 0x8b, 8, 4, 0, 0, 0, 0, 0, 0xff, 6, 0, 66, 67, 2, 0, 0, 0]);
  header.writeUInt16LE(header.length + compressed.length + 8 - 1, 16);
  const trailer = Buffer.alloc(8);
  trailer.writeUInt32LE(crc32(data), 0);
  trailer.writeUInt32LE(data.length, 4);
  return Buffer.concat([header, compressed, trailer]);
}

/** BGZF as bgzip writes it: ≤64 KiB blocks and the empty end-of-file block. */
export function bgzf(content: string | Buffer): Buffer {
  const data = Buffer.from(content);
  const blocks: Buffer[] = [];
  for (let offset = 0; offset < data.length; offset += 65280) blocks.push(bgzfBlock(data.subarray(offset, offset + 65280)));
  blocks.push(bgzfBlock(Buffer.alloc(0)));
  return Buffer.concat(blocks);
}

export const SAM = [
  '@HD\tVN:1.6\tSO:coordinate',
  '@SQ\tSN:chr1\tLN:1000',
  '@RG\tID:rg1\tSM:sample1',
  'r1\t0\tchr1\t10\t60\t8M\t*\t0\t0\tACGTACGT\tIIIIIIII\tRG:Z:rg1',
  'r2\t16\tchr1\t20\t60\t8M\t*\t0\t0\tTTGCAAGC\tIIIIIIII\tRG:Z:rg1',
  'r3\t0\tchr1\t30\t60\t8M\t*\t0\t0\tGGGCCCAA\tIIIIIIII\tRG:Z:rg1',
].join('\n') + '\n';

/** A real BAM, made by samtools from a SAM text. */
export function writeBam(dir: string, name: string, sam = SAM): string {
  const samPath = writeFile(dir, `${name}.sam`, sam);
  const bamPath = join(dir, name);
  execFileSync('samtools', ['view', '-b', '-o', bamPath, samPath]);
  return bamPath;
}

export const FASTQ_SANGER = '@read1\nACGTACGTNN\n+\nIIIIIIII#!\n@read2\nGGGGCCCCAA\n+\n!!!!IIIIII\n';

export const VCF = [
  '##fileformat=VCFv4.2',
  '##contig=<ID=20,length=62435964>',
  '#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tNA00001\tNA00002',
  '20\t14370\trs6054257\tG\tA\t29\tPASS\tNS=3;DP=14\tGT\t0|0\t1|0',
  '20\t17330\t.\tT\tA\t3\tq10\tNS=3;DP=11\tGT\t0|0\t0|1',
].join('\n') + '\n';

export const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==',
  'base64',
);
