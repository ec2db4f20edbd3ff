/**
 * job.submit: starts the next attempt of a queued job on its destination's runner.
 *
 * Crash safety: the attempt number is allocated (and checkpointed) in its own transaction before
 * the runner is called; the attempt's name and token are derived from (job, attempt), so a task
 * that died after runner.submit and runs again submits under the same name and the runner adopts
 * the attempt instead of starting a second one. If the job was cancelled while we were
 * submitting, the compare-and-set to running fails and we kill what we just started.
 */
import { withTransaction } from '../../db/pool.ts';
import type { TaskContext, TaskDefinition } from '../../tasks/index.ts';
import type { SubmitRequest } from '../interfaces.ts';
import { chooseDestination, destinationById } from './destination.ts';
import { getJob, jobLockActive, setOutputDatasetsState, type JobRow } from './queries.ts';
import { enqueueJobTask, requeueSelf } from './requeue.ts';
import {
  executorCommand, jobIds, jobsConfig, monitorSeconds, objectStoreEnvironment, runnerFor, serverUrl,
} from './settings.ts';
import { hashToken, jobToken } from './token.ts';
import { failJob } from './fail.ts';

/** The task engine's attempts for a job.submit; past this the job itself fails. */
const SUBMIT_TASK_ATTEMPTS = 10;

export function attemptName(jobId: number, attempt: number): string {
  return `nebula-${jobId}-${attempt}`;
}

/** Allocates the attempt once per task (checkpointed), returns its number. */
async function allocateAttempt(ctx: TaskContext, job: JobRow): Promise<number | null> {
  const saved = (ctx.checkpoint as { attempt?: number } | null)?.attempt;
  if (saved !== undefined && saved === job.attempt) return saved;
  return withTransaction(ctx.pool, async (client) => {
    const next = job.attempt + 1;
    const token = await jobToken(client, job.uuid, next);
    const { rowCount } = await client.query(
      `UPDATE jobs SET attempt = $3, token_hash = $4, external_id = NULL, heartbeat_at = NULL, update_time = now()
        WHERE id = $1 AND state = 'queued' AND attempt = $2`,
      [job.id, job.attempt, next, hashToken(token)],
    );
    if (rowCount !== 1) return null;
    await ctx.saveCheckpoint({ attempt: next }, client);
    return next;
  });
}

async function submit(payload: { jobId: number }, ctx: TaskContext): Promise<void> {
  let job = await getJob(ctx.pool, payload.jobId);
  if (!job || job.state !== 'queued') return;
  if (await jobLockActive(ctx.pool)) {
    const locked = job;
    await ctx.completeWith((client) => requeueSelf(client, ctx, 'job.submit', locked, monitorSeconds()));
    return;
  }
  const attempt = await allocateAttempt(ctx, job);
  if (attempt === null) return;
  job = (await getJob(ctx.pool, payload.jobId))!;
  const config = jobsConfig();
  const destination =
    destinationById(config.jobs, job.destination) ??
    chooseDestination(config.jobs, { toolId: job.tool_id, cores: job.cores, memoryMb: job.memory_mb });
  const ids = await jobIds(ctx.pool);
  const request: SubmitRequest = {
    jobId: job.id,
    attempt,
    name: attemptName(job.id, attempt),
    executorCommand: executorCommand(),
    environment: {
      NEBULA_SERVER_URL: serverUrl(),
      NEBULA_JOB_ID: ids.encode(job.id),
      NEBULA_JOB_ATTEMPT: String(attempt),
      NEBULA_JOB_TOKEN: await jobToken(ctx.pool, job.uuid, attempt),
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
    if (ctx.attempt < SUBMIT_TASK_ATTEMPTS) throw err;
    const message = `Could not submit the job to destination ${destination.id}: ${(err as Error).message}`;
    await ctx.completeWith((client) => failJob(client, job!.id, attempt, message, 'queued'));
    return;
  }
  const started = await ctx.completeWith(async (client) => {
    const { rowCount } = await client.query(
      `UPDATE jobs SET state = 'running', external_id = $3, started_at = COALESCE(started_at, now()), update_time = now()
        WHERE id = $1 AND state = 'queued' AND attempt = $2`,
      [job!.id, attempt, externalId],
    );
    if (rowCount !== 1) return false;
    await setOutputDatasetsState(client, job!.id, 'running', ['new', 'queued']);
    await enqueueJobTask(client, 'job.monitor', job!, { delaySeconds: monitorSeconds() });
    return true;
  });
  if (!started) {
    ctx.log.info({ jobId: job.id, attempt }, 'job left the queued state while submitting; cancelling the attempt');
    const runner = await runnerFor(destination.runner);
    await runner.cancel(externalId, destination);
  }
}

export const submitTask: TaskDefinition<{ jobId: number }> = { kind: 'job.submit', run: submit };
