/**
 * job.submit: starts the job's current attempt (numbered by job.schedule or by a retry) on its
 * destination's runner, then marks it running and starts monitoring.
 *
 * Crash safety: the attempt's runner name and token derive from (job, attempt), so a submit that
 * died after runner.submit and runs again submits under the same name, and the runner adopts the
 * attempt instead of starting a second one. If the job was cancelled while we were submitting,
 * the compare-and-set to running fails and we kill what we just started. A destination at its
 * concurrency limit is asked again later without counting as a failure.
 */
import type { TaskContext, TaskDefinition } from '../../tasks/index.ts';
import type { SubmitRequest } from '../interfaces.ts';
import { chooseDestination, destinationById } from './destination.ts';
import { failJob } from './fail.ts';
import { getJob, jobLockActive, setOutputDatasetsState, type JobRow } from './queries.ts';
import { enqueueJobTask, requeueSelf } from './requeue.ts';
import {
  executorCommand, jobIds, jobsConfig, monitorSeconds, objectStoreEnvironment, runnerFor, serverUrl,
} from './settings.ts';
import { sweepDelaySeconds } from './sweep.ts';
import { jobToken } from './token.ts';

/** The task engine's attempts for a job.submit; past this the job itself fails. */
const SUBMIT_TASK_ATTEMPTS = 10;

export function attemptName(jobId: number, attempt: number): string {
  return `nebula-${jobId}-${attempt}`;
}

function isRetryable(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { retryable?: unknown }).retryable === true;
}

/**
 * Submits the job's current (queued) attempt and marks it running, completing the calling task
 * in the same transaction. Called by job.submit, and by job.schedule right after it queued a job
 * for a destination whose runner starts attempts at once (the local runners), with the row its
 * queueing transaction returned (`queued`, with the attempt's token) so neither is read again.
 */
/** A job just queued, and its attempt's token, as the queueing transaction committed them. */
export interface QueuedJob {
  job: JobRow;
  token: string;
}

export async function submitJob(jobId: number, ctx: TaskContext, queued?: QueuedJob): Promise<void> {
  const job = queued?.job ?? (await getJob(ctx.pool, jobId));
  if (!job || job.state !== 'queued' || job.attempt < 1) return;
  if (await jobLockActive(ctx.pool)) {
    await ctx.completeWith((client) => requeueSelf(client, ctx, 'job.submit', job, monitorSeconds()));
    return;
  }
  const attempt = job.attempt;
  const config = jobsConfig(ctx);
  const destination =
    destinationById(config.jobs, job.destination) ??
    chooseDestination(config.jobs, { toolId: job.tool_id, cores: job.cores, memoryMb: job.memory_mb });
  const ids = await jobIds(ctx.pool, ctx);
  const request: SubmitRequest = {
    jobId: job.id,
    attempt,
    name: attemptName(job.id, attempt),
    executorCommand: executorCommand(),
    environment: {
      NEBULA_SERVER_URL: serverUrl(config),
      NEBULA_JOB_ID: ids.encode(job.id),
      NEBULA_JOB_ATTEMPT: String(attempt),
      NEBULA_JOB_TOKEN: queued?.token ?? (await jobToken(ctx.pool, job.uuid, attempt)),
      ...objectStoreEnvironment(config),
      ...(config.jobs.scratchPath ? { NEBULA_SCRATCH_PATH: config.jobs.scratchPath } : {}),
      ...(config.jobs.nodeCachePath ? { NEBULA_NODE_CACHE_PATH: config.jobs.nodeCachePath } : {}),
      NEBULA_NODE_CACHE_MAX_BYTES: String(config.jobs.nodeCacheMaxBytes),
    },
    resources: { cores: job.cores, memoryMb: job.memory_mb, walltimeSeconds: job.walltime_seconds },
    destination,
  };
  let externalId: string;
  try {
    const runner = await runnerFor(destination.runner);
    ({ externalId } = await runner.submit(request));
  } catch (err) {
    if (isRetryable(err)) {
      await ctx.completeWith((client) => requeueSelf(client, ctx, 'job.submit', job, monitorSeconds()));
      return;
    }
    if (ctx.attempt < SUBMIT_TASK_ATTEMPTS) throw err;
    const message = `Could not submit the job to destination ${destination.id}: ${(err as Error).message}`;
    await ctx.completeWith((client) => failJob(client, job.id, attempt, message, 'queued', sweepDelaySeconds(ctx)));
    return;
  }
  const started = await ctx.completeWith(async (client) => {
    const { rowCount } = await client.query(
      // heartbeat_at: the attempt's start counts as its first sign of life, so the heartbeat check
      // measures this attempt (not the first attempt's started_at) even before the executor beats.
      `UPDATE jobs SET state = 'running', external_id = $3, started_at = COALESCE(started_at, now()), heartbeat_at = now(),
              update_time = now()
        WHERE id = $1 AND state = 'queued' AND attempt = $2`,
      [job.id, attempt, externalId],
    );
    if (rowCount !== 1) return false;
    await setOutputDatasetsState(client, job.id, 'running', ['new', 'queued']);
    await enqueueJobTask(client, 'job.monitor', job, { delaySeconds: monitorSeconds() });
    return true;
  });
  if (!started) {
    ctx.log.info({ jobId: job.id, attempt }, 'job left the queued state while submitting; cancelling the attempt');
    await (await runnerFor(destination.runner)).cancel(externalId, destination);
  }
}

export const submitTask: TaskDefinition<{ jobId: number }> = { kind: 'job.submit', run: (payload, ctx) => submitJob(payload.jobId, ctx) };
