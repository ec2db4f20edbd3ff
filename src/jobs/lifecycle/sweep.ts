/**
 * job.sweep: deletes what the job's other attempts left in the object store once the job has
 * ended. Every attempt writes under its own `jobs/<uu>/<uuid>/<attempt>/`, so a superseded
 * executor that uploaded before it died (or before its heartbeat was refused) leaves objects
 * nobody will ever use. Enqueued, delayed, in the transaction that makes the job terminal.
 *
 * Kept: the final attempt of an ok or error job (its outputs, their metadata files), and every
 * attempt that any dataset row points into. A deleted job keeps no attempt of its own: its
 * outputs were discarded before any report was applied, so no dataset points at its keys, and a
 * dataset purge only deletes the dataset's own key, never these.
 *
 * Idempotent: listing and deleting again finds less or nothing, and deleting a missing object
 * succeeds, so a retried or concurrent run is harmless. Once a job is terminal nothing points a
 * dataset at its keys any more (job.finish needs a running job), so the check cannot go stale
 * between the query and the deletes.
 */
import type { Queryable } from '../../db/pool.ts';
import { jobObjectsPrefix } from '../../objectstore/keys.ts';
import { enqueue, PermanentTaskError, type TaskDefinition } from '../../tasks/index.ts';
import { TERMINAL_JOB_STATES } from '../interfaces.ts';
import { getJob } from './queries.ts';
import { jobsConfig, type HasServices } from './settings.ts';

export const SWEEP_TASK = 'job.sweep';

export const sweepDelaySeconds = (ctx?: HasServices): number => jobsConfig(ctx).jobs.supersededSweepDelaySeconds;

/**
 * In the transaction that ends the job. Nothing is enqueued when there can be nothing to sweep:
 * a job never given an attempt (attempt 0: cancelled or failed before it was queued) never had an
 * executor, and a job that ends ok or in error at its first attempt keeps that attempt and had no
 * other — the common case, which so costs no task and no store listing.
 */
export async function enqueueAttemptSweep(
  db: Queryable,
  job: { id: number; attempt: number },
  delaySeconds: number,
  endsDeleted = false,
): Promise<void> {
  if (job.attempt < 1 || (job.attempt === 1 && !endsDeleted)) return;
  await enqueue(db, {
    kind: SWEEP_TASK,
    payload: { jobId: job.id },
    uniqueKey: `${SWEEP_TASK}:${job.id}`,
    delaySeconds,
    maxAttempts: 10,
    weight: { seconds: 1 },
  });
}

/** The attempt folder a key lies in (`"3"`), or null for anything not laid out as attempts. */
function attemptOf(prefix: string, key: string): string | null {
  if (!key.startsWith(prefix)) return null;
  return /^([1-9][0-9]*)\//.exec(key.slice(prefix.length))?.[1] ?? null;
}

/** Attempts of the job that some dataset points into; their every object is kept. */
async function referencedAttempts(db: Queryable, prefix: string): Promise<Set<string>> {
  const pattern = `${prefix.replace(/[\\%_]/g, '\\$&')}%`;
  const { rows } = await db.query<{ object_key: string }>('SELECT DISTINCT object_key FROM datasets WHERE object_key LIKE $1', [pattern]);
  return new Set(rows.map((r) => attemptOf(prefix, r.object_key)).filter((a): a is string => a !== null));
}

export const sweepTask: TaskDefinition<{ jobId: number }> = {
  kind: SWEEP_TASK,
  parse: (payload) => {
    const p = payload as { jobId?: unknown };
    if (!p || !Number.isSafeInteger(p.jobId)) throw new PermanentTaskError('payload.jobId must be an integer');
    return p as { jobId: number };
  },
  run: async ({ jobId }, ctx) => {
    const job = await getJob(ctx.pool, jobId);
    if (!job || !TERMINAL_JOB_STATES.includes(job.state)) return;
    const store = ctx.services.store;
    const prefix = jobObjectsPrefix(job.uuid);
    const kept = job.state === 'deleted' ? null : String(job.attempt);
    const candidates: Array<{ key: string; attempt: string }> = [];
    for await (const o of store.list(prefix)) {
      const attempt = attemptOf(prefix, o.key);
      if (attempt !== null && attempt !== kept) candidates.push({ key: o.key, attempt });
    }
    if (candidates.length === 0) return;
    const referenced = await referencedAttempts(ctx.pool, prefix);
    const doomed = candidates.filter((c) => !referenced.has(c.attempt));
    if (doomed.length < candidates.length) {
      // Not expected: job.finish only points datasets at the final attempt. Kept, and said.
      ctx.log.warn({ jobId, attempts: [...referenced].filter((a) => a !== kept) }, 'a dataset points at an attempt that is not the final one; its objects are kept');
    }
    for (const { key } of doomed) {
      ctx.signal.throwIfAborted();
      await store.delete(key);
    }
    ctx.log.info({ jobId, deleted: doomed.length, kept: candidates.length - doomed.length }, 'objects of other attempts swept');
  },
};
