import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Value } from '@sinclair/typebox/value';
import YAML from 'yaml';
import { ConfigSchema, type Config } from './schema.ts';

export class ConfigError extends Error {
  override name = 'ConfigError';
}

type Json = Record<string, unknown>;

function defaults(home: string): Json {
  return {
    home,
    host: '127.0.0.1',
    port: 8080,
    logLevel: 'info',
    objectStore: {
      backend: 'file',
      path: path.join(home, 'objects'),
      cache: { path: path.join(home, 'cache'), maxBytes: 1024 ** 3 },
    },
    uploads: { allowPrivateUrls: false, maxBytes: 100 * 1024 ** 3, urlIdleTimeoutSeconds: 60, urlTotalTimeoutSeconds: 6 * 3600 },
    jobs: {
      scratchPath: path.join(home, 'scratch'),
      nodeCachePath: path.join(home, 'node-cache'),
      nodeCacheMaxBytes: 10 * 1024 ** 3,
      supersededSweepDelaySeconds: 600,
      destinations: [{ id: 'local', runner: 'local', params: { concurrency: 4 } }],
      rules: [],
      defaultDestination: 'local',
    },
    containers: {
      enabled: true,
      registries: [{ host: 'quay.io', namespace: 'biocontainers' }],
      hostOverrides: {},
      insecureHosts: [],
      credentials: {},
      positiveTtlSeconds: 6 * 3600,
      negativeTtlSeconds: 60,
      requestTimeoutSeconds: 10,
    },
    tasks: {
      leaseSeconds: 6,
      heartbeatSeconds: 2,
      pollMilliseconds: 1000,
      concurrency: 8,
      shutdownSeconds: 20,
    },
  };
}

/** Environment variables and the dotted config key each one sets. */
const ENV_KEYS: Record<string, { key: string; type: 'string' | 'number' | 'boolean' }> = {
  NEBULA_HOME: { key: 'home', type: 'string' },
  NEBULA_HOST: { key: 'host', type: 'string' },
  NEBULA_PORT: { key: 'port', type: 'number' },
  NEBULA_ADMIN_KEY: { key: 'adminKey', type: 'string' },
  NEBULA_ID_SECRET: { key: 'idSecret', type: 'string' },
  NEBULA_LOG_LEVEL: { key: 'logLevel', type: 'string' },
  DATABASE_URL: { key: 'databaseUrl', type: 'string' },
  NEBULA_OBJECT_STORE: { key: 'objectStore.backend', type: 'string' },
  NEBULA_OBJECT_STORE_PATH: { key: 'objectStore.path', type: 'string' },
  NEBULA_S3_BUCKET: { key: 'objectStore.s3.bucket', type: 'string' },
  NEBULA_S3_ENDPOINT: { key: 'objectStore.s3.endpoint', type: 'string' },
  NEBULA_S3_REGION: { key: 'objectStore.s3.region', type: 'string' },
  NEBULA_S3_ACCESS_KEY_ID: { key: 'objectStore.s3.accessKeyId', type: 'string' },
  NEBULA_S3_SECRET_ACCESS_KEY: { key: 'objectStore.s3.secretAccessKey', type: 'string' },
  NEBULA_S3_FORCE_PATH_STYLE: { key: 'objectStore.s3.forcePathStyle', type: 'boolean' },
  NEBULA_S3_PREFIX: { key: 'objectStore.s3.prefix', type: 'string' },
  NEBULA_CACHE_PATH: { key: 'objectStore.cache.path', type: 'string' },
  NEBULA_CACHE_MAX_BYTES: { key: 'objectStore.cache.maxBytes', type: 'number' },
  NEBULA_UPLOAD_ALLOW_PRIVATE_URLS: { key: 'uploads.allowPrivateUrls', type: 'boolean' },
  NEBULA_UPLOAD_MAX_BYTES: { key: 'uploads.maxBytes', type: 'number' },
  NEBULA_UPLOAD_URL_IDLE_TIMEOUT_SECONDS: { key: 'uploads.urlIdleTimeoutSeconds', type: 'number' },
  NEBULA_UPLOAD_URL_TOTAL_TIMEOUT_SECONDS: { key: 'uploads.urlTotalTimeoutSeconds', type: 'number' },
  NEBULA_SERVER_URL: { key: 'jobs.serverUrl', type: 'string' },
  NEBULA_SCRATCH_PATH: { key: 'jobs.scratchPath', type: 'string' },
  NEBULA_NODE_CACHE_PATH: { key: 'jobs.nodeCachePath', type: 'string' },
  NEBULA_NODE_CACHE_MAX_BYTES: { key: 'jobs.nodeCacheMaxBytes', type: 'number' },
  NEBULA_SUPERSEDED_SWEEP_DELAY_SECONDS: { key: 'jobs.supersededSweepDelaySeconds', type: 'number' },
  NEBULA_TASK_LEASE_SECONDS: { key: 'tasks.leaseSeconds', type: 'number' },
  NEBULA_TASK_HEARTBEAT_SECONDS: { key: 'tasks.heartbeatSeconds', type: 'number' },
  NEBULA_TASK_POLL_MS: { key: 'tasks.pollMilliseconds', type: 'number' },
  NEBULA_TASK_CONCURRENCY: { key: 'tasks.concurrency', type: 'number' },
  NEBULA_SHUTDOWN_SECONDS: { key: 'tasks.shutdownSeconds', type: 'number' },
};

function setDotted(target: Json, dotted: string, value: unknown): void {
  const parts = dotted.split('.');
  let node = target;
  for (const part of parts.slice(0, -1)) {
    if (typeof node[part] !== 'object' || node[part] === null) node[part] = {};
    node = node[part] as Json;
  }
  node[parts[parts.length - 1]] = value;
}

function mergeDeep(base: Json, over: Json): Json {
  const out: Json = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const b = out[k];
    out[k] =
      v && typeof v === 'object' && !Array.isArray(v) && b && typeof b === 'object' && !Array.isArray(b)
        ? mergeDeep(b as Json, v as Json)
        : v;
  }
  return out;
}

function parseEnvValue(name: string, raw: string, type: 'string' | 'number' | 'boolean'): unknown {
  if (type === 'string') return raw;
  if (type === 'number') {
    const n = Number(raw);
    if (raw.trim() === '' || !Number.isFinite(n)) {
      throw new ConfigError(`${name}: expected a number, got ${JSON.stringify(raw)}`);
    }
    return n;
  }
  if (/^(1|true|yes)$/i.test(raw)) return true;
  if (/^(0|false|no)$/i.test(raw)) return false;
  throw new ConfigError(`${name}: expected true or false, got ${JSON.stringify(raw)}`);
}

function readYaml(file: string): Json {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`config file ${file}: ${(err as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = YAML.parse(text);
  } catch (err) {
    throw new ConfigError(`config file ${file}: invalid YAML: ${(err as Error).message}`);
  }
  if (doc == null) return {};
  if (typeof doc !== 'object' || Array.isArray(doc)) {
    throw new ConfigError(`config file ${file}: the top level must be a mapping of keys`);
  }
  return doc as Json;
}

/**
 * Builds the configuration from defaults, then the YAML file (`NEBULA_CONFIG` or the
 * `configFile` argument), then environment variables. Throws ConfigError naming the first bad key.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, configFile?: string): Config {
  const file = configFile ?? env.NEBULA_CONFIG;
  const fromFile = file ? readYaml(file) : {};
  const fromEnv: Json = {};
  for (const [name, spec] of Object.entries(ENV_KEYS)) {
    const raw = env[name];
    if (raw !== undefined && raw !== '') setDotted(fromEnv, spec.key, parseEnvValue(name, raw, spec.type));
  }
  const home = path.resolve(String(fromEnv.home ?? fromFile.home ?? './.nebula'));
  let merged = mergeDeep(mergeDeep(defaults(home), fromFile), fromEnv);
  merged.home = home;
  const s3 = (merged.objectStore as Json).s3 as Json | undefined;
  if (s3) {
    (merged.objectStore as Json).s3 = mergeDeep({ region: 'us-east-1', forcePathStyle: true, prefix: '' }, s3);
  }
  if ((merged.objectStore as Json).backend === 's3' && !s3) {
    throw new ConfigError('objectStore.s3: required when objectStore.backend is "s3" (set NEBULA_S3_BUCKET)');
  }
  const firstError = Value.Errors(ConfigSchema, merged).First();
  if (firstError) {
    const key = firstError.path.replace(/^\//, '').replaceAll('/', '.') || '(top level)';
    const envName = Object.entries(ENV_KEYS).find(([n, s]) => s.key === key && env[n])?.[0];
    const where = envName ? ` (environment variable ${envName})` : file ? ` (in ${file})` : '';
    throw new ConfigError(`configuration key ${key}${where}: ${firstError.message}`);
  }
  merged = Value.Clean(ConfigSchema, merged) as Json;
  const config = merged as unknown as Config;
  const destinationIds = new Set(config.jobs.destinations.map((d) => d.id));
  const where = file ? ` (in ${file})` : '';
  if (!destinationIds.has(config.jobs.defaultDestination)) {
    throw new ConfigError(`configuration key jobs.defaultDestination${where}: no destination named "${config.jobs.defaultDestination}"`);
  }
  config.jobs.rules.forEach((rule, i) => {
    if (!destinationIds.has(rule.destination)) {
      throw new ConfigError(`configuration key jobs.rules.${i}.destination${where}: no destination named "${rule.destination}"`);
    }
  });
  return config;
}
