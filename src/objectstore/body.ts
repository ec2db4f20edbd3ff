import { Readable, Transform, type TransformCallback } from 'node:stream';
import { InvalidRangeError, ObjectStoreError, type ByteRange, type ObjectBody } from './types.ts';

/** Any accepted body as a stream; buffers and strings become a one-chunk stream. */
export function bodyToStream(body: ObjectBody): Readable {
  if (body instanceof Readable) return body;
  if (typeof body === 'string') return Readable.from([Buffer.from(body)]);
  if (body instanceof Uint8Array) return Readable.from([Buffer.from(body.buffer, body.byteOffset, body.byteLength)]);
  throw new ObjectStoreError('object body must be a Readable, Buffer, Uint8Array or string');
}

/** Passes bytes through unchanged and counts them. */
export class ByteCounter extends Transform {
  bytes = 0;
  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.bytes += chunk.length;
    callback(null, chunk);
  }
}

export function assertRangeShape(key: string, range: ByteRange): void {
  const { start, end } = range;
  const badStart = !Number.isSafeInteger(start) || start < 0;
  const badEnd = end !== undefined && (!Number.isSafeInteger(end) || end < start);
  if (badStart || badEnd) throw new InvalidRangeError(key, range);
}

/** The inclusive [start, end] to read from an object of `size` bytes, or InvalidRangeError. */
export function resolveRange(key: string, range: ByteRange, size: number): { start: number; end: number } {
  assertRangeShape(key, range);
  if (range.start >= size) throw new InvalidRangeError(key, range, size);
  return { start: range.start, end: Math.min(range.end ?? size - 1, size - 1) };
}
