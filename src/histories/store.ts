import { loadConfig } from '../config/load.ts';
import { createObjectStore } from '../objectstore/index.ts';
import type { ObjectStore } from '../objectstore/types.ts';

/**
 * Task contexts carry no object store, so history tasks open one per process from the same
 * configuration the runtime uses; tests hand theirs in with configureHistoryStore.
 */
let storePromise: Promise<ObjectStore> | undefined;

export function configureHistoryStore(store: ObjectStore): void {
  storePromise = Promise.resolve(store);
}

export function historyStore(): Promise<ObjectStore> {
  storePromise ??= createObjectStore(loadConfig().objectStore);
  return storePromise;
}
