/**
 * The jobs side: resolve a tool's container through the shared cache and pin it on a job.
 * The jobs code records the result (jobs.container_image = the tag reference, container_digest =
 * the pinned host/repository@sha256:... reference the job runs).
 */
import type { Config } from '../config/schema.ts';
import type { Pool, Queryable } from '../db/pool.ts';
import type { ToolSource } from '../tools/model.ts';
import { cachedResolve } from './cache.ts';
import { containerRequest, newDeps, type ResolveDeps, type ResolvedContainer } from './resolve.ts';
import { containerSettings } from './settings.ts';

// One registry client per configuration, so bearer tokens are reused across jobs.
const depsByConfig = new WeakMap<object, ResolveDeps>();
const DEFAULT_KEY = {};

export function depsFor(config?: Pick<Config, 'containers'>): ResolveDeps {
  const key = config ?? DEFAULT_KEY;
  let deps = depsByConfig.get(key);
  if (!deps) {
    deps = newDeps(containerSettings(config));
    depsByConfig.set(key, deps);
  }
  return deps;
}

/**
 * A tool's pinned container via the shared cache, or null when the tool has none (or containers
 * are disabled). Throws ContainerResolutionError naming the image and the registry.
 */
export async function resolveForJob(pool: Pool, tool: ToolSource, deps: ResolveDeps | Pick<Config, 'containers'> = depsFor()): Promise<ResolvedContainer | null> {
  const resolved = 'client' in deps ? deps : depsFor(deps);
  if (!resolved.settings.enabled) return null;
  const request = containerRequest(tool, resolved);
  if (!request) return null;
  const { positiveTtlSeconds, negativeTtlSeconds, requestTimeoutSeconds } = resolved.settings;
  // A lookup walks every registry with a tags/list and a HEAD: allow a few timeouts' worth.
  const lockWaitSeconds = requestTimeoutSeconds * (2 * resolved.settings.registries.length + 2);
  return cachedResolve(pool, request, { positiveTtlSeconds, negativeTtlSeconds, lockWaitSeconds });
}

/** Records a resolution on a job (both columns; the digest column holds the pinned reference). */
export async function recordJobContainer(db: Queryable, jobId: number, resolved: ResolvedContainer): Promise<void> {
  await db.query('UPDATE jobs SET container_image = $2, container_digest = $3, update_time = now() WHERE id = $1', [jobId, resolved.image, resolved.pinned]);
}
