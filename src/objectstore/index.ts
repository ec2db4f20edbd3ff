import { randomUUID } from 'node:crypto';
import { text } from 'node:stream/consumers';
import type { Config } from '../config/schema.ts';
import { CachedObjectStore } from './cache.ts';
import { FileObjectStore } from './file.ts';
import { S3ObjectStore, type S3Tuning } from './s3.ts';
import { ObjectStoreError, ObjectStoreUnavailableError, type ObjectStore } from './types.ts';

export * from './types.ts';
export * from './keys.ts';
export { CachedObjectStore, type CacheOptions } from './cache.ts';
export { FileObjectStore } from './file.ts';
export { S3ObjectStore, type S3Config, type S3Tuning } from './s3.ts';

export type ObjectStoreConfig = Config['objectStore'];

/** The backends by name; the rest of Nebula only ever sees the ObjectStore interface. */
function createBackend(config: ObjectStoreConfig, tuning: S3Tuning): ObjectStore {
  switch (config.backend) {
    case 'file':
      if (!config.path) throw new ObjectStoreError('objectStore.path is required for the file backend');
      return new FileObjectStore(config.path);
    case 's3':
      if (!config.s3) throw new ObjectStoreError('objectStore.s3 is required for the s3 backend');
      return new S3ObjectStore(config.s3, tuning);
    default:
      throw new ObjectStoreError(`unknown objectStore.backend ${JSON.stringify(config.backend)}`);
  }
}

/** The configured backend, behind the local read cache when `cache.maxBytes` > 0. */
export async function createObjectStore(
  config: ObjectStoreConfig,
  options: { s3?: S3Tuning } = {},
): Promise<ObjectStore> {
  const backend = createBackend(config, options.s3 ?? {});
  if (config.cache.maxBytes <= 0) return backend;
  if (!config.cache.path) {
    throw new ObjectStoreError('objectStore.cache.path is required when objectStore.cache.maxBytes > 0');
  }
  return CachedObjectStore.open(backend, { dir: config.cache.path, maxBytes: config.cache.maxBytes });
}

/**
 * Proves at start that the store can be written, read back and deleted, so a wrong endpoint,
 * bucket, credential or directory fails loudly at once instead of on the first upload.
 */
export async function checkObjectStore(store: ObjectStore): Promise<void> {
  // Check the backend itself: a cache could answer a read the backend cannot.
  const target = store instanceof CachedObjectStore ? store.inner : store;
  const key = `_health/${randomUUID()}`;
  const probe = `nebula health probe ${new Date().toISOString()}`;
  try {
    await target.put(key, probe, { contentType: 'text/plain' });
    const readBack = await text(await target.get(key));
    if (readBack !== probe) throw new Error('the probe object read back different bytes');
    await target.delete(key);
  } catch (error) {
    if (error instanceof ObjectStoreUnavailableError) throw error;
    const detail = error instanceof Error ? error.message : String(error);
    throw new ObjectStoreUnavailableError(target.description, `health probe failed: ${detail}`, { cause: error });
  }
}
