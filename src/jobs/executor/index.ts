/**
 * `nebula job-exec`: the only part of Nebula that runs where the tool runs. It reads its job from
 * the environment, talks to the server only through the job's spec, heartbeat and report, and to
 * the object store for bytes. It never opens a database connection.
 */
import { writeFile } from 'node:fs/promises';
import { createObjectStore, type ObjectStore } from '../../objectstore/index.ts';
import { createJobServerClient } from './client.ts';
import { executeJob, type ExecuteOutcome } from './execute.ts';
import { NodeCache } from './node-cache.ts';
import { readExecutorSettings, type ExecutorSettings } from './settings.ts';

export { executeJob, type ExecuteOptions, type ExecuteOutcome } from './execute.ts';
export { createJobServerClient, AttemptSupersededError, JobServerError, type JobServerClient } from './client.ts';
export { NodeCache, streamObjectToFile } from './node-cache.ts';
export { readExecutorSettings, ExecutorSettingsError, type ExecutorSettings } from './settings.ts';
export { containerArgv, containerRemoveArgv, parseEngine, type ContainerEngine, type ContainerRun } from './container.ts';

/** Exit status of `nebula job-exec`: 0 reported, 3 superseded or stopped, 1 could not report. */
export const EXIT_REPORTED = 0;
export const EXIT_FAILED = 1;
export const EXIT_SUPERSEDED = 3;

export async function runExecutor(
  settings: ExecutorSettings = readExecutorSettings(),
  options: {
    stop?: AbortSignal;
    log?: (message: string) => void;
    /** A store shared by many executors of one process (the in-process runner); left open. */
    store?: ObjectStore;
    onToolStart?: (pgid: number) => void;
  } = {},
): Promise<{ exitCode: number; outcome?: ExecuteOutcome; error?: string }> {
  let store: ObjectStore | undefined = options.store;
  const ownStore = !store;
  const cache = new NodeCache(settings.nodeCachePath, settings.nodeCacheMaxBytes);
  const client = createJobServerClient(settings);
  let result: { exitCode: number; outcome?: ExecuteOutcome; error?: string };
  try {
    store ??= await createObjectStore(settings.objectStore);
    const outcome = await executeJob({ settings, store, cache, client, stop: options.stop, log: options.log, onToolStart: options.onToolStart });
    result = { exitCode: outcome.outcome === 'reported' ? EXIT_REPORTED : EXIT_SUPERSEDED, outcome };
  } catch (error) {
    result = { exitCode: EXIT_FAILED, error: error instanceof Error ? error.message : String(error) };
  } finally {
    if (ownStore) await store?.close?.();
  }
  if (settings.exitFile) {
    // The local runner reads this to tell "finished" from "killed" after its worker is gone.
    await writeFile(settings.exitFile, JSON.stringify({ exitCode: result.exitCode, error: result.error, at: new Date().toISOString() })).catch(() => undefined);
  }
  return result;
}
