/**
 * Bundles of any size, streamed: the same deterministic tar, gzipped, named by the SHA-256 of
 * the tar, as makeBundle/putBundle write (same files → same bytes → same key), but packed from
 * and unpacked to disk a chunk at a time, so a genome reference of gigabytes needs no more
 * memory than a tool.
 *
 * Storing reads the files twice: once to hash the tar (the name must be known before the
 * object is written, and an existing bundle then costs no upload at all), once to gzip it into
 * the store, hashing again. If the files changed in between, the second hash differs and the
 * stream fails before its end, so neither backend keeps an object under a wrong name (the file
 * store renames only a complete body into place; an S3 upload that fails is aborted).
 */
import { createHash, type Hash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { chmod, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { pipeline as pipelineCallback, Readable, Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip, createGzip } from 'node:zlib';
import type { ObjectStore } from '../objectstore/index.ts';
import { readTar, TAR_END, TarFormatError, tarHeader, tarPadding } from '../util/tar.ts';
import { bundleFileMode, bundleKey, ToolBundleError, type BundleFile } from './bundle.ts';

export { bundleFileMode, listDirectoryFiles, type BundleFile } from './bundle.ts';

export interface StoredBundle {
  sha256: string;
  key: string;
  /** False when an object with this content address was already there. */
  written: boolean;
  /** The bundle's paths, sorted. */
  files: string[];
}

const READ_CHUNK = 1 << 20;

/** packTar's order (UTF-16 code units), so both writers give the same bytes. */
function byPath(a: BundleFile, b: BundleFile): number {
  return a.path < b.path ? -1 : a.path > b.path ? 1 : 0;
}


/** The bundle's tar, one header, file chunk or padding at a time. */
async function* tarChunks(files: BundleFile[]): AsyncGenerator<Buffer> {
  for (const file of files) {
    yield tarHeader({ path: file.path, size: file.size, mode: file.mode });
    let read = 0;
    if (file.size > 0) {
      try {
        // Reading exactly the listed size keeps the tar well formed even if the file grows.
        for await (const chunk of createReadStream(file.source, { start: 0, end: file.size - 1, highWaterMark: READ_CHUNK })) {
          read += (chunk as Buffer).length;
          yield chunk as Buffer;
        }
      } catch (error) {
        // Not an errno error: an object store must not mistake a vanished source for its own.
        throw new ToolBundleError(`reading ${file.source} for a bundle failed: ${(error as Error).message}`);
      }
    }
    if (read !== file.size) throw new ToolBundleError(`${file.source} shrank from ${file.size} to ${read} bytes while it was being bundled`);
    yield tarPadding(file.size);
  }
  yield TAR_END;
}

function checkFiles(files: BundleFile[]): BundleFile[] {
  if (files.length === 0) throw new ToolBundleError('a bundle needs at least one file');
  const sorted = [...files].sort(byPath);
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i]!.path === sorted[i - 1]!.path) throw new ToolBundleError(`two files for ${sorted[i]!.path} in one bundle`);
  }
  return sorted;
}

/** The content address of the files' bundle (the SHA-256 of its tar), reading each file once. */
export async function hashBundleFiles(files: BundleFile[]): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of tarChunks(checkFiles(files))) hash.update(chunk);
  return hash.digest('hex');
}

/** Passes the tar through, and fails at its end when its hash is not the one it is stored under. */
class HashCheck extends Transform {
  private readonly hash: Hash = createHash('sha256');
  constructor(
    private readonly expected: string,
    private readonly what: string,
  ) {
    super();
  }
  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.hash.update(chunk);
    callback(null, chunk);
  }
  override _flush(callback: TransformCallback): void {
    const actual = this.hash.digest('hex');
    if (actual === this.expected) callback();
    else callback(new ToolBundleError(`${this.what} changed while being stored (content hash ${this.expected.slice(0, 12)}…, then ${actual.slice(0, 12)}…); nothing was stored`));
  }
}

/**
 * Packs `files` into a bundle in the object store, streaming. Nothing is written when the
 * bundle is already there. `what` names the files in errors (a directory, a reference path).
 */
export async function storeBundleFiles(store: ObjectStore, files: BundleFile[], what = 'the files'): Promise<StoredBundle> {
  const sorted = checkFiles(files);
  const sha256 = await hashBundleFiles(sorted);
  const key = bundleKey(sha256);
  const paths = sorted.map((f) => f.path);
  if (await store.head(key)) return { sha256, key, written: false, files: paths };
  // An error anywhere destroys the gzip stream with it, and so fails the put.
  const body = pipelineCallback(Readable.from(tarChunks(sorted)), new HashCheck(sha256, what), createGzip({ level: 6 }), () => undefined);
  await store.put(key, body, { contentType: 'application/gzip' });
  return { sha256, key, written: true, files: paths };
}

/**
 * Unpacks bundle `sha256` from the store into `dir` (created; the caller renames it into place)
 * as it downloads, keeping each file's mode. Fails when the bytes do not hash to the bundle's
 * name, after which the caller must discard `dir`.
 */
export async function extractBundleStream(store: ObjectStore, sha256: string, dir: string): Promise<{ files: number; bytes: number }> {
  const key = bundleKey(sha256);
  const root = path.resolve(dir);
  await mkdir(root, { recursive: true });
  const body = await store.get(key);
  const gunzip = pipelineCallback(body, createGunzip(), () => undefined);
  const hash = createHash('sha256');
  const tar = (async function* () {
    for await (const chunk of gunzip) {
      hash.update(chunk as Buffer);
      yield chunk as Buffer;
    }
  })();
  let files = 0;
  let bytes = 0;
  try {
    for await (const entry of readTar(tar)) {
      const target = path.resolve(root, entry.path);
      if (!target.startsWith(root + path.sep)) throw new ToolBundleError(`unsafe path in bundle ${key}: ${entry.path}`);
      if (entry.type === 'directory') {
        await mkdir(target, { recursive: true });
        continue;
      }
      await mkdir(path.dirname(target), { recursive: true });
      await pipeline(entry.body(), createWriteStream(target, { highWaterMark: READ_CHUNK }));
      await chmod(target, bundleFileMode(entry.mode));
      files++;
      bytes += entry.size;
    }
    for await (const _ of tar); // the end-of-archive blocks are part of what the name hashes
  } catch (error) {
    if (error instanceof TarFormatError) throw new ToolBundleError(`bundle ${key} is not a valid bundle: ${error.message}`);
    const code = (error as NodeJS.ErrnoException).code;
    if (code?.startsWith('Z_')) throw new ToolBundleError(`bundle ${key} is not valid gzip: ${(error as Error).message}`);
    throw error;
  } finally {
    body.destroy();
    await tar.return(undefined);
  }
  const actual = hash.digest('hex');
  if (actual !== sha256) throw new ToolBundleError(`bundle ${key} is corrupt: content hash ${actual}`);
  return { files, bytes };
}
