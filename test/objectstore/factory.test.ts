import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CachedObjectStore,
  FileObjectStore,
  ObjectStoreError,
  ObjectStoreUnavailableError,
  S3ObjectStore,
  checkObjectStore,
  createObjectStore,
} from '../../src/objectstore/index.ts';
import { startS3rver, type S3rverHandle } from '../helpers/s3rver.ts';
import { readAll } from './bytes.ts';

describe('createObjectStore and checkObjectStore', () => {
  let home: string;
  let s3rver: S3rverHandle;
  beforeAll(async () => {
    home = await mkdtemp(path.join(os.tmpdir(), 'nebula-factory-'));
    s3rver = await startS3rver();
  });
  afterAll(async () => {
    await s3rver?.stop();
    await rm(home, { recursive: true, force: true });
  });

  it('builds a cached file store from the embedded defaults and checks it', async () => {
    const store = await createObjectStore({
      backend: 'file',
      path: path.join(home, 'objects'),
      cache: { path: path.join(home, 'cache'), maxBytes: 1024 * 1024 },
    });
    expect(store).toBeInstanceOf(CachedObjectStore);
    expect((store as CachedObjectStore).inner).toBeInstanceOf(FileObjectStore);
    await checkObjectStore(store);
    const leftovers: string[] = [];
    for await (const item of store.list('_health/')) leftovers.push(item.key);
    expect(leftovers).toEqual([]); // the probe cleans up after itself
  });

  it('builds an uncached s3 store when the cache is off', async () => {
    const store = await createObjectStore({ backend: 's3', s3: s3rver.s3Config('factory'), cache: { maxBytes: 0 } });
    expect(store).toBeInstanceOf(S3ObjectStore);
    await checkObjectStore(store);
    await store.put('factory/x', 'through the factory');
    expect((await readAll(await store.get('factory/x'))).toString()).toBe('through the factory');
    await store.close?.();
  });

  it('explains missing configuration', async () => {
    await expect(createObjectStore({ backend: 'file', cache: { maxBytes: 0 } })).rejects.toThrow(/objectStore.path/);
    await expect(createObjectStore({ backend: 's3', cache: { maxBytes: 0 } })).rejects.toThrow(/objectStore.s3/);
    await expect(
      createObjectStore({ backend: 'file', path: path.join(home, 'o2'), cache: { maxBytes: 10 } }),
    ).rejects.toBeInstanceOf(ObjectStoreError);
  });

  it('fails the check for an unusable directory, naming it', async () => {
    const blocker = path.join(home, 'not-a-directory');
    await writeFile(blocker, 'x');
    const store = new FileObjectStore(path.join(blocker, 'objects'));
    const error = await checkObjectStore(store).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ObjectStoreUnavailableError);
    expect((error as Error).message).toContain(blocker);
  });
});
