import { open } from 'node:fs/promises';
import { createGunzip } from 'node:zlib';
import { createReadStream } from 'node:fs';
import type { Compression, SniffSample } from './types.ts';

/** Galaxy sniffs the first MiB of a file (GALAXY_SNIFF_PREFIX_BYTES). */
export const SNIFF_PREFIX_BYTES = 1 << 20;

/** Reads at most `length` bytes from the start of a file. */
export async function readHead(path: string, length: number): Promise<Buffer> {
  const handle = await open(path, 'r');
  try {
    // Sized to the file: a zero-filled MiB per call was most of the cost of describing a small output.
    const info = await handle.stat();
    const buffer = Buffer.alloc(info.isFile() ? Math.min(length, info.size) : length);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

/**
 * gzip magic, and BGZF when the first member carries the 'BC' extra subfield (SAM spec §4.1).
 */
export function detectCompression(head: Buffer): Compression | undefined {
  if (head.length < 3 || head[0] !== 0x1f || head[1] !== 0x8b || head[2] !== 8) return undefined;
  const FEXTRA = 4;
  if (head.length >= 16 && (head[3] & FEXTRA) !== 0) {
    const extraLength = head.readUInt16LE(10);
    let offset = 12;
    const end = Math.min(12 + extraLength, head.length);
    while (offset + 4 <= end) {
      const si1 = head[offset];
      const si2 = head[offset + 1];
      const fieldLength = head.readUInt16LE(offset + 2);
      if (si1 === 66 /* B */ && si2 === 67 /* C */) return 'bgzip';
      offset += 4 + fieldLength;
    }
  }
  return 'gzip';
}

/**
 * Streams the decompressed start of a gzip/BGZF file (all members), stopping after `limit` bytes,
 * so a multi-GB file costs only its first MiB.
 */
export function readDecompressedHead(path: string, limit: number): Promise<{ bytes: Buffer; truncated: boolean }> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let total = 0;
    let settled = false;
    const source = createReadStream(path);
    const gunzip = createGunzip();
    const finish = (truncated: boolean) => {
      if (settled) return;
      settled = true;
      source.destroy();
      gunzip.destroy();
      const bytes = Buffer.concat(chunks, total).subarray(0, limit);
      resolve({ bytes, truncated });
    };
    gunzip.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      total += chunk.length;
      if (total >= limit) finish(true);
    });
    gunzip.on('end', () => finish(false));
    // A damaged or truncated stream still yields what was decoded so far; the sniffers judge that.
    gunzip.on('error', () => finish(false));
    source.on('error', () => finish(false));
    source.pipe(gunzip);
  });
}

/**
 * Decodes UTF-8 strictly, the way Galaxy's FilePrefix does; undefined means "binary". When the
 * prefix was cut, a multi-byte character split at the cut is dropped rather than called binary.
 */
export function decodeUtf8(bytes: Buffer, truncated: boolean): string | undefined {
  let end = bytes.length;
  if (truncated) {
    // Back up over at most 3 continuation bytes to the start of a possibly incomplete character.
    let i = end - 1;
    let back = 0;
    while (i >= 0 && back < 3 && (bytes[i] & 0xc0) === 0x80) {
      i--;
      back++;
    }
    if (i >= 0 && bytes[i] >= 0xc0) {
      const needed = bytes[i] >= 0xf0 ? 4 : bytes[i] >= 0xe0 ? 3 : 2;
      if (end - i < needed) end = i;
    }
  }
  if (bytes.subarray(0, end).includes(0)) return undefined; // NUL bytes: Galaxy treats these as binary
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(0, end));
  } catch {
    return undefined;
  }
}

export async function readSniffSample(path: string): Promise<SniffSample> {
  const handle = await open(path, 'r');
  let size: number;
  try {
    size = (await handle.stat()).size;
  } finally {
    await handle.close();
  }
  const head = await readHead(path, SNIFF_PREFIX_BYTES);
  const compression = detectCompression(head);
  if (compression) {
    const { bytes, truncated } = await readDecompressedHead(path, SNIFF_PREFIX_BYTES);
    return { head, text: decodeUtf8(bytes, truncated), truncated, compression, size, path };
  }
  const truncated = size > head.length;
  return { head, text: decodeUtf8(head, truncated), truncated, size, path };
}
