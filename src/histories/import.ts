import type { Pool } from '../db/pool.ts';
import { withTransaction } from '../db/pool.ts';
import { badRequest } from '../api/errors.ts';
import { newObjectKey } from '../objectstore/keys.ts';
import type { ObjectStore } from '../objectstore/types.ts';
import { enqueue } from '../tasks/index.ts';
import { parseUploadUrl, UrlRefusedError } from '../uploads/url-policy.ts';
import type { IdCodec } from '../util/ids.ts';

/**
 * History import requests (`POST /api/histories` with `archive_file` or `archive_source`).
 * The uploaded archive goes into the object store under a server-made key, then a row and its
 * task are written in one transaction; the task builds the history (import-task.ts).
 */
export const IMPORT_TASK = 'history.import';

export interface ImportRequest {
  type: string;
  source?: string;
  file?: { filename: string; data: Buffer } | string;
}

export interface ImportRow {
  id: number;
  user_id: number;
  state: 'new' | 'ok' | 'error';
  source_type: 'file' | 'url';
  source: string | null;
  archive_key: string | null;
  history_id: number | null;
  error: string | null;
  create_time: Date;
  update_time: Date;
}

export async function getImport(db: Pick<Pool, 'query'>, id: number): Promise<ImportRow | null> {
  const { rows } = await db.query<ImportRow>('SELECT * FROM history_imports WHERE id = $1', [id]);
  return rows[0] ?? null;
}

export async function startHistoryImport(
  deps: { pool: Pool; store: ObjectStore },
  userId: number,
  request: ImportRequest,
): Promise<ImportRow> {
  let sourceType: 'file' | 'url';
  let source: string | null = null;
  let archiveKey: string | null = null;
  const file = request.file;
  if (file !== undefined && file !== '') {
    if (typeof file === 'string') throw badRequest('archive_file must be sent as a file part of a multipart/form-data body');
    if (file.data.length === 0) throw badRequest('archive_file is empty');
    sourceType = 'file';
    archiveKey = newObjectKey('history-imports');
    await deps.store.put(archiveKey, file.data, { size: file.data.length });
  } else if (request.source) {
    if (request.type !== 'url') throw badRequest(`archive_type must be 'url' for archive_source, not ${JSON.stringify(request.type)}`);
    try {
      parseUploadUrl(request.source);
    } catch (err) {
      if (err instanceof UrlRefusedError) throw badRequest(`archive_source: ${err.message}`);
      throw err;
    }
    sourceType = 'url';
    source = request.source;
  } else {
    throw badRequest('History import needs archive_file (multipart upload) or archive_source (a URL)');
  }
  try {
    return await withTransaction(deps.pool, async (client) => {
      const { rows } = await client.query<ImportRow>(
        `INSERT INTO history_imports (user_id, source_type, source, archive_key) VALUES ($1, $2, $3, $4) RETURNING *`,
        [userId, sourceType, source, archiveKey],
      );
      const row = rows[0]!;
      await enqueue(client, { kind: IMPORT_TASK, payload: { importId: row.id }, maxAttempts: 5, weight: { seconds: 30 } });
      return row;
    });
  } catch (err) {
    if (archiveKey) await deps.store.delete(archiveKey).catch(() => undefined);
    throw err;
  }
}

/** Galaxy answers an import with the job that carries it out; this is that job's shape. */
export function serializeImport(ids: IdCodec, row: ImportRow): Record<string, unknown> {
  const state = row.state === 'new' ? 'queued' : row.state;
  return {
    id: ids.encode(row.id),
    model_class: 'Job',
    tool_id: '__IMPORT_HISTORY__',
    state,
    history_id: row.history_id === null ? null : ids.encode(row.history_id),
    create_time: row.create_time.toISOString().replace(/Z$/, ''),
    update_time: row.update_time.toISOString().replace(/Z$/, ''),
    exit_code: null,
    message:
      row.state === 'error'
        ? `History import failed: ${row.error}`
        : `Importing history from ${row.source_type === 'url' ? `source '${row.source}'` : 'the uploaded archive'}. ` +
          'This history will be visible when the import is complete.',
    import_url: `/api/histories/imports/${ids.encode(row.id)}`,
  };
}
