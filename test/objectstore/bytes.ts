import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';

const CHUNK = 64 * 1024;

/** Chunk `index` of a deterministic byte sequence: cheap to regenerate, distinct per offset. */
function chunkAt(seed: number, index: number, length: number): Buffer {
  const out = Buffer.alloc(Math.ceil(length / 4) * 4);
  let state = (seed * 2654435761 + index * 40503 + 1) >>> 0;
  for (let i = 0; i < out.length; i += 4) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0; // LCG: not crypto, just varied bytes
    out.writeUInt32LE(state, i);
  }
  return out.subarray(0, length);
}

/** `size` bytes as a stream of 64 KiB chunks, never all in memory. */
export function patternStream(size: number, seed = 1): Readable {
  return Readable.from(
    (function* () {
      for (let offset = 0, index = 0; offset < size; offset += CHUNK, index++) {
        yield chunkAt(seed, index, Math.min(CHUNK, size - offset));
      }
    })(),
  );
}

/** The same bytes as patternStream, as one buffer (for small sizes and slicing). */
export function patternBuffer(size: number, seed = 1): Buffer {
  const chunks: Buffer[] = [];
  for (let offset = 0, index = 0; offset < size; offset += CHUNK, index++) {
    chunks.push(chunkAt(seed, index, Math.min(CHUNK, size - offset)));
  }
  return Buffer.concat(chunks);
}

export async function sha256Of(stream: AsyncIterable<Buffer | string> | Iterable<Buffer>): Promise<{ hash: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of stream) {
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    hash.update(buffer);
    size += buffer.length;
  }
  return { hash: hash.digest('hex'), size };
}

export async function readAll(stream: AsyncIterable<Buffer | string>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks);
}
