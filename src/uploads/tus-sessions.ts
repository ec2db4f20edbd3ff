import type { Queryable } from '../db/pool.ts';
import { assertValidKey } from '../objectstore/keys.ts';

/** A resumable upload as stored in PostgreSQL (see migration 0007). */
export interface UploadSession {
  id: string;
  user_id: number;
  length: number;
  offset: number;
  metadata: Record<string, string>;
  consumed: boolean;
  create_time: Date;
  update_time: Date;
}

export interface UploadPart {
  offset: number;
  size: number;
  object_key: string;
}

const COLUMNS = 'id, user_id, length, "offset", metadata, consumed, create_time, update_time';

export async function createUploadSession(
  db: Queryable,
  session: { id: string; userId: number; length: number; metadata: Record<string, string> },
): Promise<UploadSession> {
  const { rows } = await db.query<UploadSession>(
    `INSERT INTO upload_sessions (id, user_id, length, metadata) VALUES ($1, $2, $3, $4) RETURNING ${COLUMNS}`,
    [session.id, session.userId, session.length, JSON.stringify(session.metadata)],
  );
  return rows[0];
}

export async function getUploadSession(db: Queryable, id: string, forUpdate = false): Promise<UploadSession | null> {
  const { rows } = await db.query<UploadSession>(
    `SELECT ${COLUMNS} FROM upload_sessions WHERE id = $1${forUpdate ? ' FOR UPDATE' : ''}`,
    [id],
  );
  return rows[0] ?? null;
}

/**
 * The object key of one stored PATCH body: `tus/<session>/<offset, 16 digits>-<nonce>`. Made
 * only from the server's session uuid, a number and a random nonce (two racing PATCHes at one
 * offset never write the same object; only the one that advances the offset is recorded).
 */
export function partKey(sessionId: string, offset: number): string {
  const nonce = Math.random().toString(36).slice(2, 10);
  const key = `tus/${sessionId}/${String(offset).padStart(16, '0')}-${nonce}`;
  assertValidKey(key);
  return key;
}

/**
 * Records a fully stored part and advances the session's offset, compare-and-set on the offset
 * the part was written at: false when another PATCH got there first (the part is then an orphan
 * the caller deletes).
 */
export async function appendPart(
  db: Queryable,
  sessionId: string,
  offset: number,
  size: number,
  objectKey: string,
): Promise<boolean> {
  const { rowCount } = await db.query(
    `WITH advanced AS (
       UPDATE upload_sessions SET "offset" = "offset" + $3, update_time = now()
        WHERE id = $1 AND "offset" = $2 AND NOT consumed AND "offset" + $3 <= length
        RETURNING id)
     INSERT INTO upload_session_parts (session_id, "offset", size, object_key)
     SELECT id, $2, $3, $4 FROM advanced`,
    [sessionId, offset, size, objectKey],
  );
  return rowCount === 1;
}

export async function listParts(db: Queryable, sessionId: string): Promise<UploadPart[]> {
  const { rows } = await db.query<UploadPart>(
    `SELECT "offset", size, object_key FROM upload_session_parts WHERE session_id = $1 ORDER BY "offset"`,
    [sessionId],
  );
  return rows;
}

/** Marks a complete session as taken by an upload; false when it is not complete or already taken. */
export async function consumeUploadSession(db: Queryable, id: string, userId: number): Promise<UploadSession | null> {
  const { rows } = await db.query<UploadSession>(
    `UPDATE upload_sessions SET consumed = true, update_time = now()
      WHERE id = $1 AND user_id = $2 AND NOT consumed AND "offset" = length
      RETURNING ${COLUMNS}`,
    [id, userId],
  );
  return rows[0] ?? null;
}

/** Every object of a session, recorded or not (a replica killed mid-PATCH leaves an unrecorded one). */
export function sessionPrefix(sessionId: string): string {
  return `tus/${sessionId}/`;
}

/** Sessions nobody has touched for `hours` and that no upload took: abandoned uploads. */
export async function listAbandonedSessions(db: Queryable, hours: number, limit = 1000): Promise<string[]> {
  const { rows } = await db.query<{ id: string }>(
    `SELECT id FROM upload_sessions WHERE NOT consumed AND update_time < now() - make_interval(hours => $1) LIMIT $2`,
    [hours, limit],
  );
  return rows.map((r) => r.id);
}

/** Removes the session rows; the caller deletes the part objects first. */
export async function deleteUploadSession(db: Queryable, id: string): Promise<void> {
  await db.query('DELETE FROM upload_sessions WHERE id = $1', [id]);
}
