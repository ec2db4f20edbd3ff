/**
 * job.schedule: is a new job ready to run? Inputs all ok → queued, destination chosen by the
 * rules, job.submit enqueued — or, for a destination whose runner starts attempts at once (local,
 * container), submitted by this same task right after the queued state commits (one task hop
 * less per job). That commit also records a checkpoint on this task, fenced on its lease: a
 * worker that dies between queueing and submitting leaves the task to be retried, and the retry
 * resumes at the submit, exactly as a retried job.submit would. An input failed, deleted or paused → the job is paused with a
 * reason (PUT /api/jobs/{id}/resume or a remapping rerun brings it back). Inputs still being made
 * → the job stays new and this task looks again a little later (a finishing job also wakes it).
 */
import { withTransaction, type PoolClient } from '../../db/pool.ts';
import type { TaskContext, TaskDefinition } from '../../tasks/index.ts';
import { pinJobContainer } from './container.ts';
import { chooseDestination } from './destination.ts';
import { getJob, jobInputs, setOutputDatasetsState, type JobInputRow, type JobRow } from './queries.ts';
import { enqueueJobTask, requeueSelf } from './requeue.ts';
import { jobsConfig, waitSeconds } from './settings.ts';
import { submitJob, type QueuedJob } from './submit.ts';
import { hashToken, jobToken } from './token.ts';

/** Runners whose submit only starts a process on this host: job.schedule submits them itself. */
const INLINE_SUBMIT_RUNNERS = new Set(['local', 'container']);

interface ScheduleCheckpoint {
  /** The attempt this task queued and must still submit. */
  submitAttempt?: number;
}

const READY = new Set(['ok', 'empty']);
const FAILED = new Set(['error', 'discarded', 'failed_metadata']);

export type Readiness = { kind: 'ready' } | { kind: 'wait' } | { kind: 'pause'; reason: string };

export function readiness(inputs: JobInputRow[]): Readiness {
  for (const input of inputs) {
    if (input.deleted || input.purged) return { kind: 'pause', reason: `Input dataset ${input.hid} (${input.name}) was deleted` };
    if (FAILED.has(input.state)) return { kind: 'pause', reason: `Input dataset ${input.hid} (${input.name}) is in state ${input.state}` };
    if (input.state === 'paused') return { kind: 'pause', reason: `Input dataset ${input.hid} (${input.name}) is paused` };
  }
  return inputs.every((i) => READY.has(i.state)) ? { kind: 'ready' } : { kind: 'wait' };
}

/** Returns the queued job (and its attempt's token) to submit inline, if it was queued for an inline-submit destination. */
async function transition(client: PoolClient, ctx: TaskContext, jobId: number): Promise<QueuedJob | undefined> {
  const job = await getJob(client, jobId, { forUpdate: true });
  if (!job || job.state !== 'new') return;
  const verdict = readiness(await jobInputs(client, jobId));
  if (verdict.kind === 'wait') {
    await requeueSelf(client, ctx, 'job.schedule', job, waitSeconds());
    return;
  }
  if (verdict.kind === 'pause') {
    await client.query(`UPDATE jobs SET state = 'paused', paused_reason = $2, info = $2, update_time = now() WHERE id = $1`, [jobId, verdict.reason]);
    await setOutputDatasetsState(client, jobId, 'paused');
    // Jobs reading this job's outputs are paused in turn when their own schedule runs.
    const { rows } = await client.query<{ id: number; cores: number; memory_mb: number }>(
      `SELECT DISTINCT j.id, j.cores, j.memory_mb FROM jobs j JOIN job_inputs i ON i.job_id = j.id
         JOIN job_outputs o ON o.hda_id = i.hda_id WHERE o.job_id = $1 AND j.state = 'new'`,
      [jobId],
    );
    for (const dependent of rows) await enqueueJobTask(client, 'job.schedule', dependent);
    return;
  }
  const destination = chooseDestination(jobsConfig(ctx).jobs, { toolId: job.tool_id, cores: job.cores, memoryMb: job.memory_mb });
  // Each attempt is numbered here (and on a retry): job.submit only ever submits job.attempt,
  // so a submit that crashed and runs again finds the same attempt under the same name.
  const attempt = job.attempt + 1;
  const token = await jobToken(client, job.uuid, attempt);
  const { rows: queued } = await client.query<JobRow>(
    `UPDATE jobs SET state = 'queued', destination = $2, runner = $3, queued_at = now(), paused_reason = NULL,
            attempt = $4, token_hash = $5, external_id = NULL, heartbeat_at = NULL, update_time = now()
      WHERE id = $1 RETURNING *`,
    [jobId, destination.id, destination.runner, attempt, hashToken(token)],
  );
  await setOutputDatasetsState(client, jobId, 'queued', ['new', 'paused']);
  if (INLINE_SUBMIT_RUNNERS.has(destination.runner)) return { job: queued[0]!, token };
  await enqueueJobTask(client, 'job.submit', job);
  return undefined;
}

export const scheduleTask: TaskDefinition<{ jobId: number }> = {
  kind: 'job.schedule',
  run: async (payload, ctx) => {
    let queued: QueuedJob | undefined;
    if ((ctx.checkpoint as ScheduleCheckpoint | null)?.submitAttempt === undefined) {
      // A container destination's job has its image pinned first (or fails here, naming it).
      if (!(await pinJobContainer(ctx, payload.jobId))) return;
      queued = await withTransaction(ctx.pool, async (client) => {
        // Fenced on the lease first (throws if lost), as completeWith would be.
        await ctx.saveCheckpoint({}, client);
        const inline = await transition(client, ctx, payload.jobId);
        if (inline) await ctx.saveCheckpoint({ submitAttempt: inline.job.attempt } satisfies ScheduleCheckpoint, client);
        return inline;
      });
      if (queued === undefined) return; // the engine completes the task
    }
    // Right after the commit, the row it returned is the job as submitJob would read it (the
    // compare-and-set to running still catches a cancel in between); a retry reads it afresh.
    await submitJob(payload.jobId, ctx, queued);
  },
};
