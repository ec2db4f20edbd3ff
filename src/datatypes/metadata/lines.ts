import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { createGunzip } from 'node:zlib';
import type { Readable } from 'node:stream';
import { readHead, detectCompression } from '../sample.ts';

/** Opens a file as a byte stream, transparently decompressing gzip/BGZF like Galaxy's get_fileobj. */
export async function openContent(path: string): Promise<Readable> {
  const compressed = detectCompression(await readHead(path, 32)) !== undefined;
  const source = createReadStream(path, { highWaterMark: 1 << 16 });
  if (!compressed) return source;
  const gunzip = createGunzip();
  source.on('error', (error) => gunzip.destroy(error));
  return source.pipe(gunzip);
}

/**
 * The file's lines, one at a time, without line ends. Memory stays bounded by the longest line,
 * whatever the file size.
 */
export async function* readLines(path: string): AsyncGenerator<string> {
  const stream = await openContent(path);
  const lines = createInterface({ input: stream, crlfDelay: Infinity });
  try {
    for await (const line of lines) yield line;
  } finally {
    lines.close();
    stream.destroy();
  }
}
