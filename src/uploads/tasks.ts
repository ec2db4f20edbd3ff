import type { PoolClient, Queryable } from '../db/pool.ts';
import { enqueue, type TaskContext, type TaskDefinition } from '../tasks/index.ts';
import { DecompressionError } from './decompress.ts';
import {
  DISCARD_TASK_KIND,
  EXPIRE_SESSIONS_TASK_KIND,
  UPLOAD_MAX_ATTEMPTS,
  UPLOAD_TASK_KIND,
  type UploadTaskItem,
  type UploadTaskPayload,
} from './items.ts';
import { processUpload, type UploadResult } from './process.ts';
import { uploadSettings } from './settings.ts';
import { discardSession } from './discard.ts';
import { listAbandonedSessions } from './tus-sessions.ts';
import { UrlRefusedError } from './url-policy.ts';

type ItemOutcome = { item: UploadTaskItem } & ({ ok: true; result: UploadResult } | { ok: false; error: string });

/** Errors the user caused (a bad URL, a broken archive): retrying cannot help. */
function isUserError(err: unknown): boolean {
  return err instanceof UrlRefusedError || err instanceof DecompressionError;
}

async function writeOutcomes(client: PoolClient, jobId: number, outcomes: ItemOutcome[]): Promise<void> {
  for (const outcome of outcomes) {
    if (outcome.ok) {
      const r = outcome.result;
      await client.query(
        `UPDATE datasets SET state = $2, file_size = $3, update_time = now() WHERE id = $1`,
        [outcome.item.datasetId, r.state, r.fileSize],
      );
      await client.query(
        `UPDATE hdas SET extension = $2, metadata = $3, peek = $4, blurb = $5, info = $6, update_time = now() WHERE id = $1`,
        [outcome.item.hdaId, r.ext, JSON.stringify(r.metadata), r.peek, r.blurb, r.info],
      );
    } else {
      await markItemError(client, outcome.item, outcome.error);
    }
  }
  const failed = outcomes.find((o) => !o.ok);
  await client.query(`UPDATE jobs SET state = $2, info = $3, update_time = now() WHERE id = $1`, [
    jobId,
    failed ? 'error' : 'ok',
    failed && !failed.ok ? failed.error : null,
  ]);
}

async function markItemError(db: Queryable, item: UploadTaskItem, message: string): Promise<void> {
  await db.query(`UPDATE datasets SET state = 'error', update_time = now() WHERE id = $1`, [item.datasetId]);
  await db.query(`UPDATE hdas SET info = $2, blurb = 'error', update_time = now() WHERE id = $1`, [item.hdaId, message]);
}

/** The staging objects and tus sessions an upload no longer needs once its datasets are written. */
function leftovers(items: UploadTaskItem[]): DiscardPayload {
  return {
    keys: items.flatMap((i) => (i.source.kind === 'staged' ? [i.source.key] : [])),
    tusSessionIds: items.flatMap((i) => (i.source.kind === 'tus' ? [i.source.sessionId] : [])),
  };
}

const uploadTask: TaskDefinition<UploadTaskPayload> = {
  kind: UPLOAD_TASK_KIND,
  parse: (payload) => {
    const p = payload as UploadTaskPayload;
    if (!p || typeof p.jobId !== 'number' || !Array.isArray(p.items)) throw new Error('upload task payload needs jobId and items');
    return p;
  },
  run: async (payload, ctx: TaskContext) => {
    const store = ctx.services.store;
    const settings = uploadSettings(ctx.services.config);
    const { rows } = await ctx.pool.query<{ state: string }>('SELECT state FROM jobs WHERE id = $1', [payload.jobId]);
    if (!rows[0] || ['ok', 'error', 'deleted'].includes(rows[0].state)) return; // already finished or gone
    await ctx.pool.query(`UPDATE jobs SET state = 'running', update_time = now() WHERE id = $1`, [payload.jobId]);
    await ctx.pool.query(`UPDATE datasets SET state = 'running', update_time = now() WHERE id = ANY($1) AND state IN ('new', 'queued')`, [
      payload.items.map((i) => i.datasetId),
    ]);

    const outcomes: ItemOutcome[] = [];
    for (const item of payload.items) {
      try {
        const result = await processUpload(item, { db: ctx.pool, store, settings, signal: ctx.signal });
        outcomes.push({ item, ok: true, result });
      } catch (err) {
        const lastAttempt = ctx.attempt >= UPLOAD_MAX_ATTEMPTS;
        if (!isUserError(err) && !lastAttempt) throw err; // transient (object store, database): retry
        ctx.log.info({ job: payload.jobId, err: (err as Error).message }, 'upload failed');
        outcomes.push({ item, ok: false, error: (err as Error).message });
      }
    }
    await ctx.completeWith(async (client) => {
      await writeOutcomes(client, payload.jobId, outcomes);
      await enqueue(client, { kind: DISCARD_TASK_KIND, payload: leftovers(payload.items) });
    });
  },
};

interface DiscardPayload {
  keys: string[];
  tusSessionIds: string[];
}

/** Deletes staging objects and consumed tus sessions (objects first, then rows): idempotent. */
const discardTask: TaskDefinition<DiscardPayload> = {
  kind: DISCARD_TASK_KIND,
  run: async (payload, ctx) => {
    const store = ctx.services.store;
    for (const key of payload.keys ?? []) await store.delete(key);
    for (const sessionId of payload.tusSessionIds ?? []) await discardSession(ctx.pool, store, sessionId);
  },
};

/**
 * Removes tus sessions abandoned for `olderThanHours` (default 24). Meant to be scheduled
 * periodically (the runtime's declarePeriodicTasks), like the finished-task cleanup.
 */
const expireSessionsTask: TaskDefinition<{ olderThanHours?: number }> = {
  kind: EXPIRE_SESSIONS_TASK_KIND,
  run: async (payload, ctx) => {
    const ids = await listAbandonedSessions(ctx.pool, payload.olderThanHours ?? 24);
    for (const id of ids) await discardSession(ctx.pool, ctx.services.store, id);
    if (ids.length) ctx.log.info({ sessions: ids.length }, 'abandoned upload sessions removed');
  },
};

/** Background work of uploads: fetching, sniffing, metadata, cleaning up staging data. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const uploadTasks: TaskDefinition<any>[] = [uploadTask, discardTask, expireSessionsTask];
