import type { Queryable } from '../db/pool.ts';
import type { ObjectStore } from '../objectstore/types.ts';
import { deleteUploadSession, sessionPrefix } from './tus-sessions.ts';

/** Deletes every object under the session's prefix, then its rows; safe to repeat. */
export async function discardSession(db: Queryable, store: ObjectStore, sessionId: string): Promise<void> {
  for await (const object of store.list(sessionPrefix(sessionId))) await store.delete(object.key);
  await deleteUploadSession(db, sessionId);
}
