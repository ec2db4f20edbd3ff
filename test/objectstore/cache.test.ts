import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  CachedObjectStore,
  FileObjectStore,
  ObjectNotFoundError,
  S3ObjectStore,
} from '../../src/objectstore/index.ts';
import { startS3rver } from '../helpers/s3rver.ts';
import { patternBuffer, patternStream, readAll, sha256Of } from './bytes.ts';
import { objectStoreContract } from './contract.ts';

async function tempDir(label: string): Promise<string> {
  return mkdtemp(path.join(os.tmpdir(), `nebula-${label}-`));
}

/** Bytes of regular files under a directory, counted on disk (not from the cache's own books). */
async function diskBytes(dir: string): Promise<number> {
  let total = 0;
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true, recursive: true });
  } catch {
    return 0;
  }
  for (const entry of entries) {
    if (entry.isFile()) total += (await stat(path.join(entry.parentPath, entry.name))).size;
  }
  return total;
}

/** Reads the first chunk, runs `between`, then reads the rest: a wipe in the middle of a stream. */
async function readWithPause(stream: Readable, between: () => Promise<void>): Promise<Buffer> {
  const iterator = stream[Symbol.asyncIterator]();
  const first = await iterator.next();
  const chunks: Buffer[] = first.done ? [] : [first.value as Buffer];
  await between();
  for (let next = await iterator.next(); !next.done; next = await iterator.next()) chunks.push(next.value as Buffer);
  return Buffer.concat(chunks);
}

objectStoreContract('cached file', async () => {
  const root = await tempDir('objects');
  const cacheDir = await tempDir('cache');
  const store = await CachedObjectStore.open(new FileObjectStore(root), { dir: cacheDir, maxBytes: 64 * 1024 * 1024 });
  return {
    store,
    cleanup: async () => {
      await rm(root, { recursive: true, force: true });
      await rm(cacheDir, { recursive: true, force: true });
    },
  };
});

describe('CachedObjectStore', () => {
  let root: string;
  let cacheDir: string;
  let backend: FileObjectStore;

  beforeEach(async () => {
    root = await tempDir('objects');
    cacheDir = await tempDir('cache');
    backend = new FileObjectStore(root);
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
    await rm(cacheDir, { recursive: true, force: true });
  });

  const open = (maxBytes: number) => CachedObjectStore.open(backend, { dir: cacheDir, maxBytes });

  it('serves a cached object, whole and in ranges, after the backend lost it', async () => {
    const cache = await open(10 * 1024 * 1024);
    const bytes = patternBuffer(300_000, 5);
    await cache.put('cached/one', bytes);
    expect((await readAll(await cache.get('cached/one'))).equals(bytes)).toBe(true); // miss: fills
    await backend.delete('cached/one');
    expect((await readAll(await cache.get('cached/one'))).equals(bytes)).toBe(true);
    const range = await readAll(await cache.get('cached/one', { start: 299_990, end: 299_999 }));
    expect(range.equals(bytes.subarray(299_990))).toBe(true);
    expect(cache.cachedBytes).toBe(300_000);
  });

  it('passes a ranged miss through without caching it', async () => {
    const cache = await open(10 * 1024 * 1024);
    await backend.put('cached/ranged', patternBuffer(1000, 2));
    const got = await readAll(await cache.get('cached/ranged', { start: 10, end: 19 }));
    expect(got.equals(patternBuffer(1000, 2).subarray(10, 20))).toBe(true);
    expect(cache.cachedBytes).toBe(0);
    expect(await diskBytes(cacheDir)).toBe(0);
  });

  it('invalidates on put and delete through the wrapper', async () => {
    const cache = await open(10 * 1024 * 1024);
    await cache.put('cached/v', 'version one');
    expect((await readAll(await cache.get('cached/v'))).toString()).toBe('version one');
    await cache.put('cached/v', 'version two');
    expect((await readAll(await cache.get('cached/v'))).toString()).toBe('version two');
    await cache.delete('cached/v');
    await expect(cache.get('cached/v')).rejects.toBeInstanceOf(ObjectNotFoundError);
    expect(cache.cachedBytes).toBe(0);
  });

  it('does not commit a fill that a put through the wrapper made stale', async () => {
    const cache = await open(64 * 1024 * 1024);
    const size = 1024 * 1024;
    await backend.put('stale/one', patternStream(size, 1));
    const oldBytes = await readWithPause(await cache.get('stale/one'), async () => {
      await cache.put('stale/one', 'new version');
    });
    expect(oldBytes.length).toBe(size); // the reader that started first still gets its bytes
    expect((await readAll(await cache.get('stale/one'))).toString()).toBe('new version');
  });

  it('evicts least recently used objects to stay under the byte bound', async () => {
    const cache = await open(1000);
    for (const name of ['a', 'b', 'c', 'd', 'e']) await backend.put(`lru/${name}`, patternBuffer(300, name.charCodeAt(0)));
    for (const name of ['a', 'b', 'c']) await readAll(await cache.get(`lru/${name}`));
    await readAll(await cache.get('lru/a')); // a is now the most recently used
    for (const name of ['d', 'e']) await readAll(await cache.get(`lru/${name}`));

    expect(cache.cachedBytes).toBeLessThanOrEqual(1000);
    expect(await diskBytes(cacheDir)).toBeLessThanOrEqual(1000);
    for (const name of ['a', 'b', 'c', 'd', 'e']) await backend.delete(`lru/${name}`);
    // a, d, e survived; b and c (least recently used) were evicted.
    for (const name of ['a', 'd', 'e']) {
      expect((await readAll(await cache.get(`lru/${name}`))).equals(patternBuffer(300, name.charCodeAt(0)))).toBe(true);
    }
    for (const name of ['b', 'c']) await expect(cache.get(`lru/${name}`)).rejects.toBeInstanceOf(ObjectNotFoundError);
  });

  it('serves but never caches an object bigger than the whole cache', async () => {
    const cache = await open(1000);
    await backend.put('big/one', patternBuffer(5000, 1));
    expect((await readAll(await cache.get('big/one'))).length).toBe(5000);
    expect(cache.cachedBytes).toBe(0);
    expect(await diskBytes(cacheDir)).toBe(0);
  });

  it('finishes a filling read when the cache directory is wiped mid-stream', async () => {
    const cache = await open(64 * 1024 * 1024);
    const size = 4 * 1024 * 1024;
    await backend.put('wipe/fill', patternStream(size, 9));
    const got = await readWithPause(await cache.get('wipe/fill'), () => rm(cacheDir, { recursive: true, force: true }));
    expect(await sha256Of([got])).toEqual(await sha256Of(patternStream(size, 9)));
    // The fill was abandoned, not half-committed: the next read still comes from the backend.
    await backend.delete('wipe/fill');
    await expect(cache.get('wipe/fill')).rejects.toBeInstanceOf(ObjectNotFoundError);
  });

  it('finishes a cache-hit read when the cache directory is wiped mid-stream, then refills', async () => {
    const cache = await open(64 * 1024 * 1024);
    const size = 4 * 1024 * 1024;
    await backend.put('wipe/hit', patternStream(size, 4));
    await readAll(await cache.get('wipe/hit')); // fill
    const got = await readWithPause(await cache.get('wipe/hit'), () => rm(cacheDir, { recursive: true, force: true }));
    expect(await sha256Of([got])).toEqual(await sha256Of(patternStream(size, 4)));
    // The index still names the wiped file: the next read must notice and go to the backend.
    expect(await sha256Of(await cache.get('wipe/hit'))).toEqual(await sha256Of(patternStream(size, 4)));
    await backend.delete('wipe/hit');
    expect(await sha256Of(await cache.get('wipe/hit'))).toEqual(await sha256Of(patternStream(size, 4)));
  });

  it('leaves nothing behind when the reader abandons a filling read', async () => {
    const cache = await open(64 * 1024 * 1024);
    await backend.put('abandon/one', patternStream(2 * 1024 * 1024, 3));
    const stream = await cache.get('abandon/one');
    await new Promise<void>((resolve) => stream.once('data', () => resolve()));
    await new Promise<void>((resolve) => {
      stream.once('close', () => resolve());
      stream.destroy();
    });
    await new Promise((resolve) => setImmediate(resolve));
    await expect.poll(() => cache.cachedBytes).toBe(0);
    await expect.poll(() => diskBytes(cacheDir)).toBe(0);
  });

  it('gives concurrent readers of one missing object the same bytes', async () => {
    const cache = await open(64 * 1024 * 1024);
    const size = 1024 * 1024 + 5;
    await backend.put('concurrent/one', patternStream(size, 8));
    const expected = await sha256Of(patternStream(size, 8));
    const results = await Promise.all([1, 2, 3].map(async () => sha256Of(await cache.get('concurrent/one'))));
    for (const result of results) expect(result).toEqual(expected);
    expect(cache.cachedBytes).toBe(size);
  });

  it('rebuilds its index from disk at start and trims to a smaller bound', async () => {
    const first = await open(10_000);
    for (const name of ['a', 'b', 'c']) {
      await backend.put(`restart/${name}`, patternBuffer(3000, name.charCodeAt(0)));
      await readAll(await first.get(`restart/${name}`));
    }
    expect(await diskBytes(cacheDir)).toBe(9000);

    const second = await open(7000); // a restart with less room: the oldest (a) must go
    expect(second.cachedBytes).toBe(6000);
    expect(await diskBytes(cacheDir)).toBe(6000);
    for (const name of ['a', 'b', 'c']) await backend.delete(`restart/${name}`);
    await expect(second.get('restart/a')).rejects.toBeInstanceOf(ObjectNotFoundError);
    for (const name of ['b', 'c']) {
      expect((await readAll(await second.get(`restart/${name}`))).equals(patternBuffer(3000, name.charCodeAt(0)))).toBe(
        true,
      );
    }
  });
});

describe('CachedObjectStore over s3 (s3rver)', () => {
  it('serves a cached object after it was deleted from the bucket', async () => {
    const s3rver = await startS3rver();
    const cacheDir = await tempDir('cache');
    const backend = new S3ObjectStore(s3rver.s3Config('cached'));
    try {
      const cache = await CachedObjectStore.open(backend, { dir: cacheDir, maxBytes: 32 * 1024 * 1024 });
      expect(cache.presignGet).toBeTypeOf('function');
      const size = 2 * 1024 * 1024;
      await cache.put('s3cache/one', patternStream(size, 6));
      expect(await sha256Of(await cache.get('s3cache/one'))).toEqual(await sha256Of(patternStream(size, 6)));
      await backend.delete('s3cache/one');
      expect(await sha256Of(await cache.get('s3cache/one'))).toEqual(await sha256Of(patternStream(size, 6)));
    } finally {
      await backend.close();
      await s3rver.stop();
      await rm(cacheDir, { recursive: true, force: true });
    }
  });
});
