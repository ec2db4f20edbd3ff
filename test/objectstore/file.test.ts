import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileObjectStore, InvalidKeyError, type ObjectStore } from '../../src/objectstore/index.ts';
import { readAll } from './bytes.ts';
import { objectStoreContract } from './contract.ts';

async function tempDir(): Promise<string> {
  return mkdtemp(path.join(os.tmpdir(), 'nebula-objects-'));
}

objectStoreContract('file', async () => {
  const root = await tempDir();
  return { store: new FileObjectStore(root), cleanup: () => rm(root, { recursive: true, force: true }) };
});

describe('FileObjectStore specifics', () => {
  let root: string;
  let store: FileObjectStore;
  beforeAll(async () => {
    root = await tempDir();
    store = new FileObjectStore(root);
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('keeps objects at <root>/<key> and leaves no temp file behind', async () => {
    await store.put('datasets/ab/one', 'payload');
    expect(await readdir(path.join(root, 'datasets', 'ab'))).toEqual(['one']);
    expect(await readdir(path.join(root, '.tmp'))).toEqual([]);
  });

  it('does not list stray dot files or temp files', async () => {
    await writeFile(path.join(root, 'datasets', 'ab', '.stray'), 'x');
    const keys: string[] = [];
    for await (const item of store.list('datasets/')) keys.push(item.key);
    expect(keys).toEqual(['datasets/ab/one']);
  });

  it('explains a key that collides with an existing key prefix', async () => {
    await expect(store.put('datasets/ab/one/child', 'x')).rejects.toBeInstanceOf(InvalidKeyError);
    expect((await readAll(await store.get('datasets/ab/one'))).toString()).toBe('payload');
  });

  it('treats a directory as no object', async () => {
    expect(await store.head('datasets/ab')).toBeNull();
    await expect(store.get('datasets/ab')).rejects.toThrow(/not found/);
  });

  it('has no presigned URLs', () => {
    const asInterface: ObjectStore = store;
    expect(asInterface.presignGet).toBeUndefined();
    expect(asInterface.presignPut).toBeUndefined();
  });
});
