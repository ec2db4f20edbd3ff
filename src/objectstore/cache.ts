import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, open, opendir, rename, rm, stat, unlink, utimes, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { Transform, pipeline, type Readable, type TransformCallback } from 'node:stream';
import { assertRangeShape, resolveRange } from './body.ts';
import { LruIndex } from './cache-index.ts';
import { assertValidKey } from './keys.ts';
import {
  ObjectNotFoundError,
  type ByteRange,
  type ListedObject,
  type ObjectBody,
  type ObjectInfo,
  type ObjectStore,
  type PresignGetOptions,
  type PresignPutOptions,
  type PutOptions,
  type PutResult,
} from './types.ts';

export interface CacheOptions {
  /** A directory owned by this process alone; it may be wiped at any moment. */
  dir: string;
  /** Upper bound on the bytes of cached objects (including fills in progress). */
  maxBytes: number;
}

const OBJECTS_DIR = 'objects';
const TEMP_DIR = 'tmp';

/** Set when a put or delete makes an in-flight fill stale, so it is discarded, not committed. */
interface FillState {
  stale: boolean;
}

/**
 * A bounded local read cache in front of any object store. Whole-object reads fill it by
 * streaming the backend's bytes to the caller and to a temp file at once (never the whole
 * object in memory); the temp file is renamed into place only when every byte arrived.
 * Ranged reads are served from the cache when the object is there and otherwise pass through.
 *
 * The cache is disposable: when its directory disappears (rm -rf, a new node), an open
 * read keeps its file handle and finishes, and the next read is a miss that goes to the
 * backend. The LRU index is rebuilt from the files on disk at start.
 */
export class CachedObjectStore implements ObjectStore {
  readonly description: string;
  readonly presignGet?: (key: string, options: PresignGetOptions) => Promise<string>;
  readonly presignPut?: (key: string, options: PresignPutOptions) => Promise<string>;
  private readonly index: LruIndex;
  private readonly fills = new Map<string, FillState>();
  private readonly objectsDir: string;
  private readonly tempDir: string;

  private constructor(
    readonly inner: ObjectStore,
    readonly options: CacheOptions,
  ) {
    this.description = `${inner.description} (cache ${options.dir})`;
    this.index = new LruIndex(options.maxBytes);
    this.objectsDir = path.join(options.dir, OBJECTS_DIR);
    this.tempDir = path.join(options.dir, TEMP_DIR);
    if (inner.presignGet) this.presignGet = inner.presignGet.bind(inner);
    if (inner.presignPut) this.presignPut = inner.presignPut.bind(inner);
  }

  /** Opens the cache, indexing what a previous run left (oldest first) and trimming to size. */
  static async open(inner: ObjectStore, options: CacheOptions): Promise<CachedObjectStore> {
    const cache = new CachedObjectStore(inner, options);
    await cache.rebuildIndex();
    return cache;
  }

  /** Bytes the cache currently accounts for (stored plus reserved for fills). */
  get cachedBytes(): number {
    return this.index.totalBytes;
  }

  async put(key: string, body: ObjectBody, options?: PutOptions): Promise<PutResult> {
    await this.invalidate(key);
    try {
      return await this.inner.put(key, body, options);
    } finally {
      await this.invalidate(key); // a read that raced the put may have cached the old bytes
    }
  }

  async delete(key: string): Promise<void> {
    await this.invalidate(key);
    await this.inner.delete(key);
    await this.invalidate(key);
  }

  head(key: string): Promise<ObjectInfo | null> {
    return this.inner.head(key);
  }

  list(prefix: string): AsyncIterable<ListedObject> {
    return this.inner.list(prefix);
  }

  async close(): Promise<void> {
    await this.inner.close?.();
  }

  async get(key: string, range?: ByteRange): Promise<Readable> {
    assertValidKey(key);
    if (range) assertRangeShape(key, range);
    const file = this.fileFor(key);
    const cached = await this.openCached(file);
    if (cached) {
      try {
        const { size } = await cached.stat();
        const bounds = range ? resolveRange(key, range, size) : {};
        return cached.createReadStream(bounds);
      } catch (error) {
        await cached.close();
        throw error;
      }
    }
    if (range) return this.inner.get(key, range);
    return this.getAndFill(key, file);
  }

  private fileFor(key: string): string {
    const digest = createHash('sha256').update(key).digest('hex');
    return path.join(this.objectsDir, digest.slice(0, 2), digest);
  }

  /** The cached file's handle, or null on a miss (including a wiped cache directory). */
  private async openCached(file: string): Promise<FileHandle | null> {
    if (!this.index.has(file)) return null;
    try {
      const handle = await open(file, 'r');
      this.index.touch(file);
      // Persist recency in the mtime so that a restart rebuilds the same LRU order.
      const now = new Date();
      utimes(file, now, now).catch(() => {});
      return handle;
    } catch {
      this.index.remove(file);
      return null;
    }
  }

  private async getAndFill(key: string, file: string): Promise<Readable> {
    if (this.fills.has(file)) return this.inner.get(key); // someone is filling it already
    const info = await this.inner.head(key);
    if (!info) throw new ObjectNotFoundError(key);
    if (info.size > this.options.maxBytes) return this.inner.get(key);

    const fill: FillState = { stale: false };
    this.fills.set(file, fill);
    this.index.reserve(info.size);
    let source: Readable;
    try {
      await this.evict();
      source = await this.inner.get(key);
    } catch (error) {
      this.fills.delete(file);
      this.index.release(info.size);
      throw error;
    }
    const temp = await this.openTemp();
    const tee = new CacheFillTee(temp, async (written, complete) => {
      this.fills.delete(file);
      this.index.release(info.size);
      if (complete && written === info.size && !fill.stale && temp) {
        await this.commit(temp.path as string, file, written);
      } else if (temp) {
        await rm(temp.path as string, { force: true });
      }
    });
    return pipeline(source, tee, () => {});
  }

  /** A write stream for a new temp file, or null if the cache directory cannot take one now. */
  private async openTemp(): Promise<WriteStream | null> {
    try {
      await mkdir(this.tempDir, { recursive: true });
      return createWriteStream(path.join(this.tempDir, `${randomBytes(12).toString('hex')}.part`), {
        flags: 'wx',
      });
    } catch {
      return null;
    }
  }

  private async commit(temp: string, file: string, size: number): Promise<void> {
    try {
      await mkdir(path.dirname(file), { recursive: true });
      await rename(temp, file);
      this.index.add(file, size);
      await this.evict();
    } catch {
      // The directory was wiped under us: this fill is simply not cached.
      await rm(temp, { force: true });
    }
  }

  private async evict(): Promise<void> {
    const victims = this.index.takeEvictions();
    await Promise.all(victims.map((victim) => unlink(victim).catch(() => {})));
  }

  private async invalidate(key: string): Promise<void> {
    assertValidKey(key);
    const file = this.fileFor(key);
    const fill = this.fills.get(file);
    if (fill) fill.stale = true;
    this.index.remove(file);
    await unlink(file).catch(() => {});
  }

  private async rebuildIndex(): Promise<void> {
    // Temp files are fills a previous process never finished.
    await rm(this.tempDir, { recursive: true, force: true });
    const found: { file: string; size: number; mtimeMs: number }[] = [];
    for (const file of await listFilesTwoLevels(this.objectsDir)) {
      try {
        const info = await stat(file);
        if (info.isFile()) found.push({ file, size: info.size, mtimeMs: info.mtimeMs });
      } catch {
        // vanished while scanning
      }
    }
    found.sort((a, b) => a.mtimeMs - b.mtimeMs);
    for (const { file, size } of found) this.index.add(file, size);
    await this.evict();
  }
}

async function listFilesTwoLevels(root: string): Promise<string[]> {
  const files: string[] = [];
  for (const shard of await readDirNames(root)) {
    for (const name of await readDirNames(path.join(root, shard))) files.push(path.join(root, shard, name));
  }
  return files;
}

async function readDirNames(dir: string): Promise<string[]> {
  try {
    const names: string[] = [];
    for await (const entry of await opendir(dir)) names.push(entry.name);
    return names;
  } catch {
    return [];
  }
}

/**
 * Passes the backend's bytes to the reader and copies them into the cache file, waiting for
 * the file to drain so memory stays at one chunk. If the file fails (disk full, directory
 * wiped), caching stops and the reader carries on untouched.
 */
class CacheFillTee extends Transform {
  private written = 0;
  private fileOk: boolean;
  private finished = false;

  constructor(
    private readonly file: WriteStream | null,
    private readonly onDone: (written: number, complete: boolean) => Promise<void>,
  ) {
    super();
    this.fileOk = file !== null;
    file?.on('error', () => {
      this.fileOk = false;
    });
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    if (!this.fileOk || !this.file) return callback(null, chunk);
    this.written += chunk.length;
    if (this.file.write(chunk)) return callback(null, chunk);
    const file = this.file;
    const resume = () => {
      file.off('drain', resume);
      file.off('error', resume);
      callback(null, chunk);
    };
    file.on('drain', resume);
    file.on('error', resume);
  }

  override _flush(callback: TransformCallback): void {
    // The reader's 'end' waits for the commit, so a finished read means a filled cache.
    this.finish(true).then(
      () => callback(),
      () => callback(),
    );
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.finish(false).then(
      () => callback(error),
      () => callback(error),
    );
  }

  private async finish(complete: boolean): Promise<void> {
    if (this.finished) return;
    this.finished = true;
    const file = this.file;
    if (file) {
      await new Promise<void>((resolve) => {
        if (file.closed || file.destroyed) return resolve();
        file.once('close', () => resolve());
        if (complete && this.fileOk) file.end();
        else file.destroy();
      });
    }
    await this.onDone(this.written, complete && this.fileOk);
  }
}
