/**
 * Cancelling a job (DELETE /api/jobs/{id}). A job that never reached a runner is deleted at once;
 * a queued or running one becomes `deleting` and job.cancel kills the real process, container or
 * cluster job through its runner, then marks it `deleted`. Outputs are discarded either way.
 */
import type { Queryable } from '../../db/pool.ts';
import type { TaskDefinition } from '../../tasks/index.ts';
import { destinationById } from './destination.ts';
import { getJob, type JobRow } from './queries.ts';
import { enqueueJobTask } from './requeue.ts';
import { jobsConfig, runnerFor, type HasServices } from './settings.ts';
import { enqueueAttemptSweep, sweepDelaySeconds } from './sweep.ts';

async function discardOutputs(db: Queryable, jobId: number): Promise<void> {
  await db.query(
    `UPDATE datasets d SET state = 'discarded', update_time = now() FROM job_outputs o JOIN hdas h ON h.id = o.hda_id
      WHERE o.job_id = $1 AND d.id = h.dataset_id AND d.state NOT IN ('ok', 'empty', 'error')`,
    [jobId],
  );
  await db.query(
    `UPDATE hdas h SET deleted = true, blurb = 'deleted', info = 'Job output deleted by user before job completed', update_time = now()
       FROM job_outputs o WHERE o.job_id = $1 AND h.id = o.hda_id`,
    [jobId],
  );
}

/** In the caller's transaction; returns false when the job had already ended. */
export async function requestCancel(db: Queryable, jobId: number): Promise<boolean> {
  const job = await getJob(db, jobId, { forUpdate: true });
  if (!job || ['ok', 'error', 'deleted', 'deleting'].includes(job.state)) return false;
  const neverSubmitted = job.state === 'new' || job.state === 'paused';
  await db.query(
    `UPDATE jobs SET state = $2, info = 'Job deleted by user', finished_at = CASE WHEN $2 = 'deleted' THEN now() END, update_time = now()
      WHERE id = $1`,
    [jobId, neverSubmitted ? 'deleted' : 'deleting'],
  );
  await discardOutputs(db, jobId);
  // A job deleted at once never had an attempt (attempt 0), so it has no objects to sweep.
  if (!neverSubmitted) await enqueueJobTask(db, 'job.cancel', job);
  return true;
}

async function killAttempt(job: JobRow, ctx: HasServices): Promise<void> {
  const destination = destinationById(jobsConfig(ctx).jobs, job.destination);
  if (!destination || !job.external_id) return;
  await (await runnerFor(destination.runner)).cancel(job.external_id, destination);
}

export const cancelTask: TaskDefinition<{ jobId: number }> = {
  kind: 'job.cancel',
  run: async (payload, ctx) => {
    const job = await getJob(ctx.pool, payload.jobId);
    if (!job || job.state !== 'deleting') return;
    // A submit racing with us sees `deleting` and kills what it started; we kill what is recorded.
    await killAttempt(job, ctx);
    await ctx.completeWith(async (client) => {
      const { rowCount } = await client.query(
        `UPDATE jobs SET state = 'deleted', finished_at = now(), update_time = now() WHERE id = $1 AND state = 'deleting'`,
        [job.id],
      );
      // Whatever its attempts wrote before the kill is garbage now (docs/jobs.md, "Objects of other attempts").
      if (rowCount === 1) await enqueueAttemptSweep(client, job, sweepDelaySeconds(ctx), true);
    });
  },
};
