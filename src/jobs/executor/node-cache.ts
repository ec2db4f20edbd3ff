/**
 * The node cache: staged inputs and unpacked bundles (tools, references) shared by every job on
 * a node, keyed by content id. An object key is immutable once written (keys.ts), so the key
 * itself is the content id. Entries are filled through a temporary name and renamed into place,
 * so concurrent executors never see a half-written entry; the cache is bounded in bytes and
 * evicts the least recently used entries (use time = mtime, refreshed on every hit). Jobs get
 * hardlinks, so an entry evicted while a job runs stays readable by that job.
 */
import { createHash, randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { copyFile, link, mkdir, readdir, rename, rm, stat, utimes, chmod, lstat } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { ObjectStore } from '../../objectstore/index.ts';
import { extractBundleStream } from '../../toolstore/bundle-stream.ts';

export class StagingError extends Error {
  override name = 'StagingError';
}

/** 1 MiB writes: fewer syscalls when streaming multi-GiB inputs. */
const WRITE_CHUNK = 1 << 20;

/** Streams one object to `target` (through a temporary name); checks the size when known. */
export async function streamObjectToFile(store: ObjectStore, key: string, target: string, expectedSize?: number): Promise<number> {
  const temp = `${target}.part-${randomUUID().slice(0, 8)}`;
  try {
    const body = await store.get(key);
    let bytes = 0;
    body.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
    });
    await pipeline(body, createWriteStream(temp, { highWaterMark: WRITE_CHUNK }));
    if (expectedSize !== undefined && expectedSize >= 0 && bytes !== expectedSize) {
      throw new StagingError(`object ${key} has ${bytes} bytes, the job spec says ${expectedSize}`);
    }
    await rename(temp, target);
    return bytes;
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}

/** A hardlink when the cache and the job directory share a filesystem, else a copy. */
export async function linkOrCopy(source: string, target: string): Promise<void> {
  try {
    await link(source, target);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'EXDEV' && code !== 'EPERM' && code !== 'EMLINK') throw error;
    await copyFile(source, target);
  }
}

/** Recreates a directory tree under `target` with hardlinked (or copied) files and the same modes. */
export async function linkTree(source: string, target: string): Promise<void> {
  await mkdir(target, { recursive: true });
  for (const entry of await readdir(source, { withFileTypes: true })) {
    const from = path.join(source, entry.name);
    const to = path.join(target, entry.name);
    if (entry.isDirectory()) await linkTree(from, to);
    else if (entry.isFile()) await linkOrCopy(from, to);
  }
}

function contentId(key: string): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 40);
}

export class NodeCache {
  private readonly objectsDir: string;
  private readonly bundlesDir: string;
  private readonly tempDir: string;

  constructor(
    readonly root: string,
    readonly maxBytes: number,
  ) {
    this.objectsDir = path.join(root, 'objects');
    this.bundlesDir = path.join(root, 'bundles');
    this.tempDir = path.join(root, 'tmp');
  }

  get enabled(): boolean {
    return this.maxBytes > 0;
  }

  /**
   * Puts the object `key` at `target` (a new file). Through the cache when it is enabled and the
   * object fits; straight from the store otherwise. Returns whether the cache already had it.
   */
  async stage(store: ObjectStore, key: string, size: number, target: string): Promise<{ hit: boolean }> {
    if (!this.enabled || size > this.maxBytes) {
      await streamObjectToFile(store, key, target, size);
      return { hit: false };
    }
    const entry = path.join(this.objectsDir, contentId(key));
    const cached = await stat(entry).catch(() => null);
    if (cached && cached.size === size) {
      await this.touch(entry);
      await linkOrCopy(entry, target);
      return { hit: true };
    }
    await mkdir(this.objectsDir, { recursive: true });
    await streamObjectToFile(store, key, entry, size);
    // Inputs are read-only to the tool: a tool editing its input in place must not corrupt the cache.
    await chmod(entry, 0o444);
    await linkOrCopy(entry, target);
    await this.evict();
    return { hit: false };
  }

  /**
   * The unpacked bundle (a tool's or a reference's) for `bundleKey` (`tools/xx/<sha256>.tar.gz`):
   * unpacked once per bundle on the node as it downloads (a genome never sits in memory),
   * executable bits kept, and renamed into place only once its content hash checked out.
   */
  async bundle(store: ObjectStore, bundleKey: string): Promise<string> {
    const match = /^tools\/[0-9a-f]{2}\/([0-9a-f]{64})\.tar\.gz$/.exec(bundleKey);
    if (!match) throw new StagingError(`tool bundle key ${JSON.stringify(bundleKey)} is not a content-addressed bundle key`);
    const sha = match[1]!;
    const dir = path.join(this.bundlesDir, sha);
    if (await stat(dir).catch(() => null)) {
      await this.touch(dir);
      return dir;
    }
    const temp = path.join(this.tempDir, `bundle-${sha.slice(0, 12)}-${randomUUID().slice(0, 8)}`);
    await mkdir(this.tempDir, { recursive: true });
    await mkdir(this.bundlesDir, { recursive: true });
    try {
      await extractBundleStream(store, sha, temp);
      await rename(temp, dir).catch(async (error: NodeJS.ErrnoException) => {
        // Another executor unpacked the same bundle first: use theirs.
        if (error.code !== 'ENOTEMPTY' && error.code !== 'EEXIST') throw error;
      });
    } finally {
      await rm(temp, { recursive: true, force: true });
    }
    // The bundle a job is about to link stays, even when it alone is bigger than the bound.
    await this.touch(dir);
    if (this.enabled) await this.evict(dir);
    return dir;
  }

  private async touch(file: string): Promise<void> {
    const now = new Date();
    await utimes(file, now, now).catch(() => undefined);
  }

  /** Drops least recently used entries (but `keep`) until the cache fits its bound. */
  async evict(keep?: string): Promise<void> {
    const entries: { file: string; size: number; used: number }[] = [];
    let total = 0;
    for (const dir of [this.objectsDir, this.bundlesDir]) {
      const names = await readdir(dir).catch(() => [] as string[]);
      for (const name of names) {
        const file = path.join(dir, name);
        const info = await lstat(file).catch(() => null);
        if (!info) continue;
        const size = info.isDirectory() ? await treeSize(file) : info.size;
        entries.push({ file, size, used: info.mtimeMs });
        total += size;
      }
    }
    if (total <= this.maxBytes) return;
    entries.sort((a, b) => a.used - b.used);
    for (const entry of entries) {
      if (total <= this.maxBytes) break;
      if (entry.file === keep) continue;
      await rm(entry.file, { recursive: true, force: true });
      total -= entry.size;
    }
  }
}

async function treeSize(dir: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) total += await treeSize(file);
    else total += (await stat(file).catch(() => ({ size: 0 }))).size;
  }
  return total;
}
