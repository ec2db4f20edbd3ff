/**
 * job.monitor: polls one running job, from any worker (nothing is held in memory between polls).
 * A report for the current attempt → job.finish. The runner says the attempt ended, or knows
 * nothing of it, and no report came → a new attempt (up to max_attempts) or error. An executor
 * that stopped sending heartbeats is treated as gone.
 */
import type { Queryable } from '../../db/pool.ts';
import type { TaskContext, TaskDefinition } from '../../tasks/index.ts';
import type { AttemptStatus } from '../interfaces.ts';
import { destinationById } from './destination.ts';
import { failJob } from './fail.ts';
import { getJob, setOutputDatasetsState, type JobRow } from './queries.ts';
import { enqueueJobTask, requeueSelf } from './requeue.ts';
import { heartbeatStaleSeconds, jobsConfig, monitorSeconds, runnerFor } from './settings.ts';
import { sweepDelaySeconds } from './sweep.ts';
import { hashToken, jobToken } from './token.ts';

async function hasReport(db: Queryable, jobId: number, attempt: number): Promise<boolean> {
  const { rowCount } = await db.query('SELECT 1 FROM job_reports WHERE job_id = $1 AND attempt = $2', [jobId, attempt]);
  return rowCount === 1;
}

function heartbeatStale(job: JobRow): boolean {
  const last = job.heartbeat_at ?? job.started_at;
  return !!last && Date.now() - last.getTime() > heartbeatStaleSeconds() * 1000;
}

/** Attempts lost with their host process extend max_attempts up to this many attempts in all. */
export const MAX_ATTEMPTS_WITH_HOST_LOSSES = 20;

const enqueueFinish = (db: Queryable, job: JobRow) =>
  enqueueJobTask(db, 'job.finish', job, { payload: { attempt: job.attempt }, uniqueSuffix: `:${job.attempt}` });

/**
 * Ends the attempt without a report: another attempt if any are left, else error. Under the job's
 * row lock, which the report endpoint also takes: a report that arrived since the last look is
 * applied instead, so an attempt that completed and reported is never superseded (a second run).
 */
async function retryOrFail(db: Queryable, ctx: TaskContext, job: JobRow, reason: string, hostLost = false): Promise<void> {
  const current = await getJob(db, job.id, { forUpdate: true });
  if (!current || current.state !== 'running' || current.attempt !== job.attempt) return;
  if (await hasReport(db, job.id, job.attempt)) return void (await enqueueFinish(db, job));
  // An attempt that died with its host process (a worker restarted) is not the job's fault: it
  // gets one more attempt, so rolling restarts cannot use up a job's budget — up to a bound, in
  // case the job itself is what kills its host.
  const budget = hostLost ? Math.max(job.max_attempts, Math.min(job.max_attempts + 1, MAX_ATTEMPTS_WITH_HOST_LOSSES)) : job.max_attempts;
  if (job.attempt < budget) {
    const next = job.attempt + 1;
    const { rowCount } = await db.query(
      `UPDATE jobs SET state = 'queued', attempt = $4, token_hash = $5, external_id = NULL, heartbeat_at = NULL,
              info = $3, max_attempts = $6, update_time = now()
        WHERE id = $1 AND attempt = $2 AND state = 'running'`,
      [job.id, job.attempt, `attempt ${job.attempt}: ${reason}`, next, hashToken(await jobToken(db, job.uuid, next)), budget],
    );
    if (rowCount === 1) {
      await setOutputDatasetsState(db, job.id, 'queued', ['running']);
      await enqueueJobTask(db, 'job.submit', job);
    }
    return;
  }
  await failJob(db, job.id, job.attempt, `Job failed after ${job.attempt} attempt(s): ${reason}`, 'running', sweepDelaySeconds(ctx));
}

async function monitor(payload: { jobId: number }, ctx: TaskContext): Promise<void> {
  const job = await getJob(ctx.pool, payload.jobId);
  if (!job || job.state !== 'running') return;
  const finish = () => ctx.completeWith((client) => enqueueFinish(client, job));
  if (await hasReport(ctx.pool, job.id, job.attempt)) return void (await finish());

  const destination = destinationById(jobsConfig(ctx).jobs, job.destination);
  let status: AttemptStatus;
  if (!destination || !job.external_id) status = { state: 'gone' };
  else status = await (await runnerFor(destination.runner)).status(job.external_id, destination);

  if (status.state === 'queued') {
    // The executor cannot beat before the runner starts it, so its silence is measured from the
    // last time the runner vouched for the attempt: without this, an attempt that waited in a
    // busy Slurm queue past the heartbeat bound would be retired the moment it started. Stamped
    // only once a quarter of the bound has passed, not at every poll of a long queue.
    await ctx.completeWith(async (client) => {
      await client.query(
        `UPDATE jobs SET heartbeat_at = now()
          WHERE id = $1 AND attempt = $2 AND state = 'running'
            AND (heartbeat_at IS NULL OR heartbeat_at < now() - make_interval(secs => $3))`,
        [job.id, job.attempt, heartbeatStaleSeconds() / 4],
      );
      await requeueSelf(client, ctx, 'job.monitor', job, monitorSeconds());
    });
    return;
  }
  if (status.state === 'running' && !heartbeatStale(job)) {
    await ctx.completeWith((client) => requeueSelf(client, ctx, 'job.monitor', job, monitorSeconds()));
    return;
  }
  // The executor posts its report before it exits: look again now that it has ended.
  if (await hasReport(ctx.pool, job.id, job.attempt)) return void (await finish());
  let reason: string;
  // A silent executor that the runner still shows running is retired before it is killed:
  // the new attempt is committed first, so whatever the dying executor still reports (a tool
  // killed by the cancel exits 143) is refused as a stale attempt instead of failing the job.
  const retireThenCancel = status.state === 'running';
  if (status.state === 'running') {
    reason = `no heartbeat from the executor for over ${heartbeatStaleSeconds()} s`;
  } else if (status.state === 'exited') {
    reason = `the executor ended without a report${status.exitCode !== undefined && status.exitCode !== null ? ` (exit code ${status.exitCode})` : ''}${status.reason ? `: ${status.reason}` : ''}`;
  } else reason = (status.state === 'gone' ? status.reason : undefined) ?? 'the runner no longer knows the attempt';
  ctx.log.warn({ jobId: job.id, attempt: job.attempt, reason }, 'job attempt lost');
  const hostLost = status.state === 'gone' && status.hostLost === true;
  await ctx.completeWith((client) => retryOrFail(client, ctx, job, reason, hostLost));
  if (retireThenCancel && destination && job.external_id) {
    // Best effort: if this worker dies here, the old executor's next heartbeat or report gets
    // 409 and it stops by itself.
    await (await runnerFor(destination.runner))
      .cancel(job.external_id, destination)
      .catch((err: unknown) => ctx.log.warn({ jobId: job.id, err: String(err) }, 'cancelling a retired attempt failed'));
  }
}

export const monitorTask: TaskDefinition<{ jobId: number }> = { kind: 'job.monitor', run: monitor };
