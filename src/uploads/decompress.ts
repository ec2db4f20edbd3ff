import { spawn } from 'node:child_process';
import { createReadStream, createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { readHead } from '../datatypes/sample.ts';

export type ArchiveCompression = 'gzip' | 'bzip2';

/** A compressed upload that does not decompress: a user error, shown on the dataset. */
export class DecompressionError extends Error {
  override name = 'DecompressionError';
}

export async function detectArchiveCompression(path: string): Promise<ArchiveCompression | undefined> {
  const head = await readHead(path, 4);
  if (head.length >= 3 && head[0] === 0x1f && head[1] === 0x8b && head[2] === 8) return 'gzip';
  if (head.length >= 3 && head.toString('latin1', 0, 3) === 'BZh') return 'bzip2';
  return undefined;
}

/** Streams `source` decompressed into `destination` (gzip in-process, bzip2 through `bzip2 -dc`). */
export async function decompressFile(
  source: string,
  destination: string,
  compression: ArchiveCompression,
  signal: AbortSignal,
): Promise<void> {
  if (compression === 'gzip') {
    try {
      await pipeline(createReadStream(source), createGunzip(), createWriteStream(destination), { signal });
    } catch (err) {
      if (signal.aborted) throw err;
      throw new DecompressionError(`the gzip file does not decompress: ${(err as Error).message}`);
    }
    return;
  }
  const child = spawn('bzip2', ['-dc'], { stdio: ['pipe', 'pipe', 'pipe'], signal });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
  const exited = new Promise<number>((resolve, reject) => {
    child.on('error', (err) =>
      reject(
        (err as NodeJS.ErrnoException).code === 'ENOENT'
          ? new Error('bzip2 is needed to decompress .bz2 uploads but is not installed (apt-get install bzip2)')
          : err,
      ),
    );
    child.on('close', (code) => resolve(code ?? 1));
  });
  await Promise.all([
    pipeline(createReadStream(source), child.stdin).catch(() => {}),
    pipeline(child.stdout, createWriteStream(destination)),
  ]);
  const code = await exited;
  if (code !== 0) throw new DecompressionError(`the bzip2 file does not decompress: ${stderr.trim() || `exit ${code}`}`);
}
