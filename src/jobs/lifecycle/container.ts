/**
 * Pinning a job's container before it is queued. job.schedule calls this for a new job; when the
 * job's destination runs tools in containers (runner `container`, or `params.requireContainer`),
 * the tool's image is resolved through the shared cache (src/containers: one upstream lookup for
 * any number of jobs and replicas) and the job records the tag reference and the pinned
 * `host/repository@sha256:…` it will run. Done outside the job's row lock: a registry lookup can
 * take seconds and must not hold up the job's other readers.
 *
 * A resolution that fails (unknown image, registry down or refusing, a requirement that cannot
 * name an image) ends the job in `error` with a message naming the image and the registry; the
 * failure is cached with the short negative TTL, so the other jobs of the same tool fail from the
 * cache instead of asking the registry again.
 */
import { ContainerResolutionError, containerSettings, recordJobContainer, resolveForJob } from '../../containers/index.ts';
import { withTransaction } from '../../db/pool.ts';
import type { TaskContext } from '../../tasks/index.ts';
import { loadRegisteredTool, ToolNotFoundError } from '../../toolstore/index.ts';
import type { DestinationConfig } from '../interfaces.ts';
import { chooseDestination } from './destination.ts';
import { failJob } from './fail.ts';
import { getJob } from './queries.ts';
import { jobsConfig } from './settings.ts';
import { sweepDelaySeconds } from './sweep.ts';

/** Destinations whose jobs run in a container: the container runner, or any runner that says so. */
export function destinationUsesContainers(destination: DestinationConfig): boolean {
  return destination.runner === 'container' || destination.params.requireContainer === true;
}

/**
 * Resolves and records the container of a new job bound for a container destination. Returns
 * false when the job was failed here (the caller then leaves it alone), true otherwise.
 */
export async function pinJobContainer(ctx: TaskContext, jobId: number): Promise<boolean> {
  const config = jobsConfig(ctx);
  // No destination runs containers (a plain local or cluster setup): no job needs its row read here.
  if (!config.jobs.destinations.some(destinationUsesContainers)) return true;
  const job = await getJob(ctx.pool, jobId);
  if (!job || job.state !== 'new' || job.container_digest) return true;
  const destination = chooseDestination(config.jobs, { toolId: job.tool_id, cores: job.cores, memoryMb: job.memory_mb });
  if (!destinationUsesContainers(destination)) return true;

  let message: string;
  try {
    const { tool } = await loadRegisteredTool(ctx.pool, ctx.services.store, job.tool_id, job.tool_version);
    const resolved = await resolveForJob(ctx.pool, tool, config);
    if (resolved) {
      await recordJobContainer(ctx.pool, jobId, resolved);
      ctx.log.info({ jobId, image: resolved.image, pinned: resolved.pinned }, 'job container pinned');
      return true;
    }
    if (destination.params.requireContainer !== true) return true; // runs without one (docs/containers.md)
    message = containerSettings(config).enabled
      ? `Tool ${tool.id} has no container (no <container type="docker"> and no package requirements), and destination ${destination.id} requires one (params.requireContainer)`
      : `Destination ${destination.id} requires a container (params.requireContainer) but container resolution is disabled (containers.enabled: false)`;
  } catch (err) {
    if (err instanceof ContainerResolutionError) message = `Container resolution failed: ${err.message}`;
    else if (err instanceof ToolNotFoundError) message = `Tool ${job.tool_id} version ${job.tool_version} is no longer registered`;
    else throw err; // a database or object store error: the task is retried
  }
  await withTransaction(ctx.pool, async (client) => {
    await ctx.saveCheckpoint({}, client); // fenced on the lease, as the schedule's own transaction is
    await failJob(client, jobId, job.attempt, message, 'new', sweepDelaySeconds(ctx));
  });
  ctx.log.info({ jobId, reason: message }, 'job failed: no container');
  return false;
}
