/**
 * Genome-sized reference bundles stream: packing ~300 MB of files into a bundle (file object
 * store, then s3rver) and staging it through the node cache keeps the process's RSS growth far
 * below the bundle's size, and the unpacked files are byte for byte the originals. The streamed
 * format is the in-memory tool bundle format, byte for byte; a corrupt bundle or a file that
 * changes while it is stored leaves nothing behind.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, mkdtemp, open, readdir, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storeDirectoryAsBundle } from '../../src/datatables/index.ts';
import { NodeCache } from '../../src/jobs/executor/node-cache.ts';
import { FileObjectStore, S3ObjectStore, type ObjectStore } from '../../src/objectstore/index.ts';
import { bundleKey, fetchBundle, makeBundle, readToolDirectory } from '../../src/toolstore/bundle.ts';
import { extractBundleStream, listDirectoryFiles, storeBundleFiles } from '../../src/toolstore/bundle-stream.ts';
import { readTar, tarHeader } from '../../src/util/tar.ts';
import { startS3rver, type S3rverHandle } from '../helpers/s3rver.ts';

const MB = 1024 * 1024;
const TOTAL = 300 * MB;
/** Far below the 300 MB that an in-memory bundle would hold (twice: the files and the tar). */
const RSS_LIMIT = 100 * MB;

let work: string;
let source: string;
let s3: S3rverHandle;

/** A mostly sparse file of `size` bytes with a few distinctive blocks, so content is checked. */
async function sparseFile(file: string, size: number, seed: string): Promise<void> {
  const handle = await open(file, 'w');
  try {
    await handle.truncate(size);
    for (const at of [0, Math.floor(size / 2), size - 4096]) await handle.write(Buffer.alloc(4096, `${seed}@${at}|`), 0, 4096, at);
  } finally {
    await handle.close();
  }
}

async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file, { highWaterMark: 4 * MB })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Runs `fn` while sampling RSS; returns the peak growth over the RSS before it started. */
async function rssGrowth(fn: () => Promise<void>): Promise<number> {
  const before = process.memoryUsage.rss();
  let peak = before;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, 10);
  try {
    await fn();
  } finally {
    clearInterval(timer);
  }
  return Math.max(peak, process.memoryUsage.rss()) - before;
}

beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'nebula-bundle-stream-'));
  source = path.join(work, 'hg_big');
  await mkdir(path.join(source, 'bwa'), { recursive: true });
  await sparseFile(path.join(source, 'hg_big.fa'), 200 * MB, 'fasta');
  await writeFile(path.join(source, 'hg_big.fa.fai'), 'chr1\t209715200\t6\t60\t61\n');
  await sparseFile(path.join(source, 'bwa', 'hg_big.bwt'), TOTAL - 200 * MB, 'bwt');
  s3 = await startS3rver();
}, 60_000);

afterAll(async () => {
  await s3?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

describe.each([
  ['file', (): ObjectStore => new FileObjectStore(path.join(work, 'objects'))],
  ['s3', (): ObjectStore => new S3ObjectStore(s3.s3Config('streaming'))],
])('a 300 MB reference bundle in the %s object store', (name, makeStore) => {
  it('is packed and staged without holding it in memory', async () => {
    const store = makeStore();
    try {
      let stored: Awaited<ReturnType<typeof storeDirectoryAsBundle>>;
      const packGrowth = await rssGrowth(async () => {
        stored = await storeDirectoryAsBundle(store, source);
      });
      expect(stored!.files).toEqual(['bwa/hg_big.bwt', 'hg_big.fa', 'hg_big.fa.fai']);
      expect((await store.head(bundleKey(stored!.sha256)))!.size).toBeGreaterThan(0);

      const cache = new NodeCache(path.join(work, `cache-${name}`), 10 * 1024 * MB);
      let unpacked = '';
      const stageGrowth = await rssGrowth(async () => {
        unpacked = await cache.bundle(store, bundleKey(stored!.sha256));
      });
      expect(packGrowth).toBeLessThan(RSS_LIMIT);
      expect(stageGrowth).toBeLessThan(RSS_LIMIT);

      for (const rel of stored!.files) {
        const [a, b] = [path.join(source, rel), path.join(unpacked, rel)];
        expect((await stat(b)).size).toBe((await stat(a)).size);
        expect(await sha256File(b)).toBe(await sha256File(a));
      }
      // Packing the same content again gives the same name and writes nothing new.
      expect((await storeDirectoryAsBundle(store, source))!.sha256).toBe(stored!.sha256);
      await rm(path.join(work, `cache-${name}`), { recursive: true, force: true });
    } finally {
      await store.close?.();
    }
  }, 180_000);
});

describe('the streamed bundle format', () => {
  const TOOL_DIR = path.resolve(import.meta.dirname, '../tools/fixtures-suite/text_ops');

  it('is the in-memory tool bundle format, byte for byte (same name, either reader)', async () => {
    const store = new FileObjectStore(path.join(work, 'format-objects'));
    const inMemory = makeBundle(await readToolDirectory(TOOL_DIR));
    const streamed = await storeBundleFiles(store, await listDirectoryFiles(TOOL_DIR));
    expect(streamed.sha256).toBe(inMemory.bundle.sha256);
    expect(streamed.files).toEqual([...inMemory.bundle.files.keys()].sort());
    const back = await fetchBundle(store, streamed.sha256); // the in-memory reader checks the hash too
    expect([...back.files.keys()].sort()).toEqual(streamed.files);
    expect(back.modes).toEqual(inMemory.bundle.modes);
  });

  it('refuses a corrupt bundle and leaves no unpacked directory in the node cache', async () => {
    const store = new FileObjectStore(path.join(work, 'corrupt-objects'));
    const { bundle } = makeBundle([{ path: 'a.txt', mode: 0o644, data: Buffer.from('real') }]);
    const other = makeBundle([{ path: 'a.txt', mode: 0o644, data: Buffer.from('fake') }]);
    await store.put(bundle.key, other.gzipped); // another bundle's bytes under this name
    const cache = new NodeCache(path.join(work, 'corrupt-cache'), 1 << 30);
    await expect(cache.bundle(store, bundle.key)).rejects.toThrow(/is corrupt: content hash/);
    expect(await readdir(path.join(work, 'corrupt-cache', 'bundles'))).toEqual([]);
    await store.put(bundleKey('0'.repeat(64)), Buffer.from('not gzip at all'));
    await expect(extractBundleStream(store, '0'.repeat(64), path.join(work, 'garbage'))).rejects.toThrow(/not valid gzip/);
  });

  it.each([
    ['file', (): ObjectStore => new FileObjectStore(path.join(work, 'shrink-objects'))],
    ['s3', (): ObjectStore => new S3ObjectStore(s3.s3Config('shrink'))],
  ])('stores nothing in the %s store when a file is not what was listed', async (_name, makeStore) => {
    const store = makeStore();
    try {
      const file = path.join(work, 'shrinking.fa');
      await writeFile(file, '>a\nACGT\n');
      const error = await storeBundleFiles(store, [{ path: 'shrinking.fa', source: file, size: 100, mode: 0o644 }]).catch((e: Error) => e);
      expect(String(error)).toContain('shrank from 100 to 8 bytes');
      const keys: string[] = [];
      for await (const o of store.list('tools/')) keys.push(o.key);
      expect(keys).toEqual([]);
    } finally {
      await store.close?.();
    }
  });

  it('writes sizes past 8 GiB in base-256, which readTar reads back', async () => {
    const size = 9 * 1024 * 1024 * 1024 + 5;
    const first = await readTar([tarHeader({ path: 'huge.fa', size, mode: 0o644 })]).next(); // the header alone
    expect(first.value).toMatchObject({ path: 'huge.fa', size, mode: 0o644 });
    // Below 8 GiB the octal field is unchanged, so existing bundles keep their bytes and names.
    expect(tarHeader({ path: 'x', size: 8 ** 11 - 1 }).subarray(124, 136).toString('latin1')).toBe('77777777777\0');
  });
});
