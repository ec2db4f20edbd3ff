/**
 * What `nebula job-exec` learns from its environment. The runner sets the job variables; the object
 * store variables are the server's own (NEBULA_OBJECT_STORE, NEBULA_S3_*...). The executor never
 * reads a database URL: it has no database access at all.
 */
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../config/load.ts';
import type { Config } from '../../config/schema.ts';

export interface ExecutorSettings {
  serverUrl: string;
  /** The encoded job id, as in `/api/jobs/{id}`. */
  jobId: string;
  attempt: number;
  token: string;
  objectStore: Config['objectStore'];
  scratchRoot: string;
  nodeCachePath: string;
  nodeCacheMaxBytes: number;
  heartbeatSeconds: number;
  /**
   * Seconds before the first heartbeat (default 0). The in-process local runner sets it to
   * heartbeatSeconds: the lifecycle stamps heartbeat_at when the attempt starts running, so a
   * trivial job needs no heartbeat at all.
   */
  heartbeatFirstSeconds?: number;
  /** Seconds between SIGTERM and SIGKILL of the tool's process group. */
  killGraceSeconds: number;
  /** Keep the job directory after the run (debugging). */
  keepScratch: boolean;
  /** Set by the container runner: the engine and a default image when the spec names none. */
  container?: { engine: string; image?: string; network: boolean; extraArgs: string[]; shell: string };
  /** Where the local runner wants the exit record; absent under other runners. */
  exitFile?: string;
  /** Deterministic runner name of the attempt (`nebula-<job>-<attempt>`), used to name containers. */
  jobName?: string;
}

export class ExecutorSettingsError extends Error {
  override name = 'ExecutorSettingsError';
}

function required(env: NodeJS.ProcessEnv, name: string): string {
  const value = env[name];
  if (value === undefined || value === '') throw new ExecutorSettingsError(`${name} is not set: the runner must pass it to nebula job-exec`);
  return value;
}

function positiveNumber(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new ExecutorSettingsError(`${name}: expected a positive number, got ${JSON.stringify(raw)}`);
  return n;
}

/**
 * `config`: the configuration `env` resolves to, when the caller already has it (the in-process
 * runner loads it once, not once per job).
 */
export function readExecutorSettings(env: NodeJS.ProcessEnv = process.env, config: Config = loadConfig(env)): ExecutorSettings {
  const serverUrl = required(env, 'NEBULA_SERVER_URL').replace(/\/+$/, '');
  if (!/^https?:\/\//.test(serverUrl)) throw new ExecutorSettingsError(`NEBULA_SERVER_URL must be an http(s) URL, got ${JSON.stringify(serverUrl)}`);
  const jobId = required(env, 'NEBULA_JOB_ID');
  if (!/^[A-Za-z0-9_-]{1,128}$/.test(jobId)) throw new ExecutorSettingsError(`NEBULA_JOB_ID is not a job id: ${JSON.stringify(jobId)}`);
  const attemptRaw = required(env, 'NEBULA_JOB_ATTEMPT');
  const attempt = Number(attemptRaw);
  if (!Number.isInteger(attempt) || attempt < 1) throw new ExecutorSettingsError(`NEBULA_JOB_ATTEMPT must be a positive integer, got ${JSON.stringify(attemptRaw)}`);
  const token = required(env, 'NEBULA_JOB_TOKEN');
  const engine = env.NEBULA_CONTAINER_ENGINE;
  return {
    serverUrl,
    jobId,
    attempt,
    token,
    // The executor keeps its own node cache; the server's read cache would only copy bytes twice.
    objectStore: { ...config.objectStore, cache: { maxBytes: 0 } },
    scratchRoot: config.jobs.scratchPath ?? path.join(os.tmpdir(), 'nebula-scratch'),
    nodeCachePath: config.jobs.nodeCachePath ?? path.join(os.tmpdir(), 'nebula-node-cache'),
    nodeCacheMaxBytes: config.jobs.nodeCacheMaxBytes,
    heartbeatSeconds: positiveNumber(env, 'NEBULA_JOB_HEARTBEAT_SECONDS', 5),
    killGraceSeconds: positiveNumber(env, 'NEBULA_JOB_KILL_GRACE_SECONDS', 10),
    keepScratch: /^(1|true|yes)$/i.test(env.NEBULA_KEEP_SCRATCH ?? ''),
    container: engine
      ? {
          engine,
          image: env.NEBULA_CONTAINER_IMAGE || undefined,
          network: /^(1|true|yes)$/i.test(env.NEBULA_CONTAINER_NETWORK ?? ''),
          extraArgs: env.NEBULA_CONTAINER_ARGS ? (JSON.parse(env.NEBULA_CONTAINER_ARGS) as string[]) : [],
          // Galaxy's command lines assume bash; an image without it can name another shell.
          shell: env.NEBULA_CONTAINER_SHELL || 'bash',
        }
      : undefined,
    exitFile: env.NEBULA_RUNNER_EXIT_FILE || undefined,
    // The container's name: unique on the host even when two installations reuse job ids.
    jobName: env.NEBULA_JOB_NAME ? `${env.NEBULA_JOB_NAME}${env.NEBULA_JOB_FINGERPRINT ? `-${env.NEBULA_JOB_FINGERPRINT}` : ''}` : undefined,
  };
}
