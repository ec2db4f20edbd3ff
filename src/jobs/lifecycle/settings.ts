/**
 * What the job tasks need besides the task context (which carries only a pool and a logger):
 * the configuration, the id codec, the runners and the executor command. The runtime (or a test)
 * sets them once per process with configureJobs; otherwise they are loaded lazily from the same
 * configuration the runtime uses, so a plain worker process needs no extra wiring.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../../config/load.ts';
import type { Config } from '../../config/schema.ts';
import type { Queryable } from '../../db/pool.ts';
import { getOrCreateSetting, randomSecret } from '../../model/settings.ts';
import { IdCodec } from '../../util/ids.ts';
import type { JobRunner } from '../interfaces.ts';

export interface JobsSettings {
  config?: Config;
  ids?: IdCodec;
  /** Runners by name; takes precedence over the registry in src/jobs/runners/index.ts. */
  runners?: Record<string, JobRunner>;
  /** argv that starts `nebula job-exec` where the tool runs. */
  executorCommand?: string[];
  /** How often job.monitor polls a running job. */
  monitorSeconds?: number;
  /** How often job.schedule re-checks a job whose inputs are not ready. */
  waitSeconds?: number;
  /** A running attempt whose executor has not sent a heartbeat for this long is treated as gone. */
  heartbeatStaleSeconds?: number;
}

let settings: JobsSettings = {};
let loadedConfig: Config | undefined;
const codecs = new WeakMap<object, Promise<IdCodec>>();

export function configureJobs(next: JobsSettings): void {
  settings = { ...settings, ...next };
}

/** Where task code finds the runtime's services (ctx.services), when the worker was given them. */
export interface HasServices {
  services?: { config: Config; ids: IdCodec };
}

export function jobsConfig(ctx?: HasServices): Config {
  if (ctx?.services?.config) return ctx.services.config;
  if (settings.config) return settings.config;
  loadedConfig ??= loadConfig();
  return loadedConfig;
}

/** The same codec the API uses: configured secret, or the cluster-wide one in nebula_settings. */
export function jobIds(pool: Queryable, ctx?: HasServices): Promise<IdCodec> {
  if (ctx?.services?.ids) return Promise.resolve(ctx.services.ids);
  if (settings.ids) return Promise.resolve(settings.ids);
  let codec = codecs.get(pool);
  if (!codec) {
    const secret = jobsConfig().idSecret;
    codec = secret ? Promise.resolve(new IdCodec(secret)) : getOrCreateSetting(pool, 'id_secret', randomSecret).then((s) => new IdCodec(s));
    codecs.set(pool, codec);
  }
  return codec;
}

/** The registry module is written by the runners' area; loaded lazily so the core never names a runner. */
const RUNNER_REGISTRY: string = '../runners/index.ts';

type RunnerRegistry = { getRunner?: (name: string) => JobRunner };
/** Imported once: a dynamic import() per call goes through the module loader's hooks every time. */
let registryModule: Promise<RunnerRegistry> | undefined;

export async function runnerFor(name: string): Promise<JobRunner> {
  const override = settings.runners?.[name];
  if (override) return override;
  let registry: RunnerRegistry;
  try {
    registryModule ??= (import(RUNNER_REGISTRY) as Promise<RunnerRegistry>).catch((err: unknown) => {
      registryModule = undefined;
      throw err;
    });
    registry = await registryModule;
  } catch (err) {
    throw new Error(`no job runner registry available (src/jobs/runners/index.ts): ${(err as Error).message}`);
  }
  if (!registry.getRunner) throw new Error('src/jobs/runners/index.ts does not export getRunner(name)');
  return registry.getRunner(name);
}

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

export function executorCommand(): string[] {
  return settings.executorCommand ?? [process.execPath, path.join(repoRoot, 'bin', 'nebula.js'), 'job-exec'];
}

export const monitorSeconds = () => settings.monitorSeconds ?? 3;
export const waitSeconds = () => settings.waitSeconds ?? 2;
export const heartbeatStaleSeconds = () => settings.heartbeatStaleSeconds ?? 120;

/** The URL executors call back; configured, or this server's own address. */
export function serverUrl(config: Config): string {
  if (config.jobs.serverUrl) return config.jobs.serverUrl.replace(/\/$/, '');
  const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
  return `http://${host}:${config.port}`;
}

/** The object store settings the executor reads, in the same variables the server reads. */
export function objectStoreEnvironment(config: { objectStore: Pick<Config['objectStore'], 'backend' | 'path' | 's3'> }): Record<string, string> {
  const os = config.objectStore;
  const env: Record<string, string> = { NEBULA_OBJECT_STORE: os.backend };
  if (os.path) env.NEBULA_OBJECT_STORE_PATH = os.path;
  if (os.s3) {
    env.NEBULA_S3_BUCKET = os.s3.bucket;
    env.NEBULA_S3_REGION = os.s3.region;
    env.NEBULA_S3_FORCE_PATH_STYLE = String(os.s3.forcePathStyle);
    env.NEBULA_S3_PREFIX = os.s3.prefix;
    if (os.s3.endpoint) env.NEBULA_S3_ENDPOINT = os.s3.endpoint;
    if (os.s3.accessKeyId) env.NEBULA_S3_ACCESS_KEY_ID = os.s3.accessKeyId;
    if (os.s3.secretAccessKey) env.NEBULA_S3_SECRET_ACCESS_KEY = os.s3.secretAccessKey;
  }
  return env;
}
