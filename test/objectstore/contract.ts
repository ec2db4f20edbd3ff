import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  InvalidKeyError,
  InvalidRangeError,
  ObjectNotFoundError,
  SizeMismatchError,
  newObjectKey,
  type ObjectStore,
} from '../../src/objectstore/index.ts';
import { patternBuffer, patternStream, readAll, sha256Of } from './bytes.ts';

export interface ContractTarget {
  store: ObjectStore;
  cleanup(): Promise<void>;
}

export const INVALID_KEYS = ['../x', '/abs', 'a/../b', '', 'with space', 'a//b', 'a/', 'Upper', 'a/.hidden', '.', 'a\\b', 'é'];

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

/**
 * What every ObjectStore must do, whatever the backend. Each backend's test file runs this
 * suite against a real instance (a temp directory, a real s3rver).
 */
export function objectStoreContract(name: string, open: () => Promise<ContractTarget>): void {
  describe(`ObjectStore contract: ${name}`, () => {
    let target: ContractTarget;
    let store: ObjectStore;
    // Every test writes under its own run prefix, so reruns and shared buckets never clash.
    const run = `t${Date.now().toString(36)}`;

    beforeAll(async () => {
      target = await open();
      store = target.store;
    });
    afterAll(async () => {
      await target?.cleanup();
    });

    it('round-trips a multi-megabyte stream and reports its size', async () => {
      const size = 3 * 1024 * 1024 + 17;
      const key = `${run}/big/${newObjectKey('blob').replace(/\//g, '-')}`;
      const put = await store.put(key, patternStream(size, 7), { contentType: 'application/octet-stream' });
      expect(put.size).toBe(size);
      const expected = await sha256Of(patternStream(size, 7));
      expect(await sha256Of(await store.get(key))).toEqual(expected);
      const head = await store.head(key);
      expect(head?.size).toBe(size);
      expect(head?.lastModified).toBeInstanceOf(Date);
    });

    it('accepts buffers and strings, and an overwrite replaces the object', async () => {
      const key = `${run}/small/one`;
      await store.put(key, Buffer.from('first version'));
      expect((await readAll(await store.get(key))).toString()).toBe('first version');
      const put = await store.put(key, 'second');
      expect(put.size).toBe(6);
      expect((await readAll(await store.get(key))).toString()).toBe('second');
      expect((await store.head(key))?.size).toBe(6);
    });

    it('stores an empty object', async () => {
      const key = `${run}/small/empty`;
      expect((await store.put(key, Buffer.alloc(0))).size).toBe(0);
      expect((await readAll(await store.get(key))).length).toBe(0);
      expect((await store.head(key))?.size).toBe(0);
    });

    describe('byte ranges', () => {
      const size = 200_000;
      const bytes = patternBuffer(size, 3);
      const key = `${run}/ranges/obj`;
      beforeAll(async () => {
        await store.put(key, patternStream(size, 3));
      });

      it('reads from a start to the end', async () => {
        expect((await readAll(await store.get(key, { start: 150_000 }))).equals(bytes.subarray(150_000))).toBe(true);
      });

      it('reads an inclusive start..end', async () => {
        const got = await readAll(await store.get(key, { start: 1000, end: 70_999 }));
        expect(got.length).toBe(70_000);
        expect(got.equals(bytes.subarray(1000, 71_000))).toBe(true);
      });

      it('reads the last byte alone', async () => {
        const got = await readAll(await store.get(key, { start: size - 1, end: size - 1 }));
        expect(got.equals(bytes.subarray(size - 1))).toBe(true);
      });

      it('clamps an end past the object', async () => {
        const got = await readAll(await store.get(key, { start: size - 10, end: size + 1000 }));
        expect(got.equals(bytes.subarray(size - 10))).toBe(true);
      });

      it('rejects a start beyond the end and a backwards range', async () => {
        await expect(store.get(key, { start: size })).rejects.toBeInstanceOf(InvalidRangeError);
        await expect(store.get(key, { start: 10, end: 5 })).rejects.toBeInstanceOf(InvalidRangeError);
        await expect(store.get(key, { start: -1 })).rejects.toBeInstanceOf(InvalidRangeError);
      });
    });

    it('gives ObjectNotFoundError for a missing object, before any byte flows', async () => {
      await expect(store.get(`${run}/missing/x`)).rejects.toBeInstanceOf(ObjectNotFoundError);
      await expect(store.get(`${run}/missing/x`, { start: 0, end: 10 })).rejects.toBeInstanceOf(ObjectNotFoundError);
      expect(await store.head(`${run}/missing/x`)).toBeNull();
    });

    it('deletes idempotently', async () => {
      const key = `${run}/del/one`;
      await store.put(key, 'bye');
      await store.delete(key);
      await store.delete(key);
      await store.delete(`${run}/del/never-existed`);
      expect(await store.head(key)).toBeNull();
      await expect(store.get(key)).rejects.toBeInstanceOf(ObjectNotFoundError);
    });

    it('lists by prefix, including a partial last segment', async () => {
      const keys = [`${run}/lst/a/1`, `${run}/lst/a/2`, `${run}/lst/ab`, `${run}/lst/b/1`];
      for (const [i, key] of keys.entries()) await store.put(key, 'x'.repeat(i + 1));
      const sorted = (items: { key: string; size: number }[]) => items.sort((x, y) => x.key.localeCompare(y.key));
      expect(sorted(await collect(store.list(`${run}/lst/a/`)))).toEqual([
        { key: `${run}/lst/a/1`, size: 1 },
        { key: `${run}/lst/a/2`, size: 2 },
      ]);
      expect(sorted(await collect(store.list(`${run}/lst/a`))).map((o) => o.key)).toEqual([
        `${run}/lst/a/1`,
        `${run}/lst/a/2`,
        `${run}/lst/ab`,
      ]);
      expect((await collect(store.list(`${run}/lst/`))).length).toBe(4);
      expect(await collect(store.list(`${run}/nothing/`))).toEqual([]);
    });

    it('rejects keys that are not server-made', async () => {
      for (const key of INVALID_KEYS) {
        await expect(store.put(key, 'x'), key).rejects.toBeInstanceOf(InvalidKeyError);
        await expect(store.get(key), key).rejects.toBeInstanceOf(InvalidKeyError);
        await expect(store.head(key), key).rejects.toBeInstanceOf(InvalidKeyError);
        await expect(store.delete(key), key).rejects.toBeInstanceOf(InvalidKeyError);
      }
      await expect(collect(store.list('../'))).rejects.toBeInstanceOf(InvalidKeyError);
      await expect(collect(store.list('/abs'))).rejects.toBeInstanceOf(InvalidKeyError);
    });

    it('fails a put whose body is shorter than the promised size, leaving no object', async () => {
      const key = `${run}/size/short`;
      await expect(store.put(key, 'only ten b', { size: 11 })).rejects.toBeInstanceOf(SizeMismatchError);
      expect(await store.head(key)).toBeNull();
    });

    it('fails a put whose stream errors, leaving no object', async () => {
      const key = `${run}/size/broken`;
      const broken = Readable.from(
        (async function* () {
          yield Buffer.alloc(1024, 1);
          throw new Error('client went away');
        })(),
      );
      await expect(store.put(key, broken)).rejects.toThrow(/client went away/);
      expect(await store.head(key)).toBeNull();
    });

    it('returns an etag, when the backend has one, without HTTP quotes', async () => {
      const key = `${run}/small/etag`;
      const put = await store.put(key, 'etag me');
      if (put.etag !== undefined) {
        expect(typeof put.etag).toBe('string');
        expect(put.etag).not.toMatch(/^"/);
      }
    });
  });
}
