import { Registry, collectDefaultMetrics } from 'prom-client';
import type { FastifyInstance } from 'fastify';
import type { Config } from '../config/schema.ts';
import type { Pool } from '../db/pool.ts';
import { adminKeyIsSet, ensureBootstrapAdmin, newApiKey } from '../model/users.ts';
import { getOrCreateSetting, randomSecret } from '../model/settings.ts';
import { checkObjectStore, createObjectStore } from '../objectstore/index.ts';
import type { ObjectStore } from '../objectstore/types.ts';
import { buildServer } from '../api/server.ts';
import type { ApiContext } from '../api/context.ts';
import { registerTaskMetrics } from '../tasks/metrics.ts';
import { TaskWorker } from '../tasks/worker.ts';
import { IdCodec } from '../util/ids.ts';
import type { Logger } from '../util/log.ts';
import { openDatabase, resolveDatabaseUrl, StartupError } from './database.ts';
import { allTaskDefinitions, declarePeriodicTasks } from './tasks.ts';
import { registerStandardTools } from '../toolstore/standard.ts';
import { ensureDefaultDataTables } from '../datatables/index.ts';

export type Role = 'api' | 'worker' | 'all';

export interface Runtime {
  pool: Pool;
  store: ObjectStore;
  server?: FastifyInstance;
  worker?: TaskWorker;
  address?: string;
  stop(): Promise<void>;
}

async function bootstrapAdmin(pool: Pool, config: Config, log: Logger): Promise<void> {
  if (config.adminKey) {
    await ensureBootstrapAdmin(pool, config.adminKey);
    return;
  }
  if (await adminKeyIsSet(pool)) return;
  const key = newApiKey();
  await ensureBootstrapAdmin(pool, key);
  // Printed once, on purpose, to the terminal and not to the JSON log.
  process.stderr.write(
    `\nNebula admin API key (shown once; set NEBULA_ADMIN_KEY to choose your own):\n  ${key}\n\n`,
  );
  log.info('generated a bootstrap admin API key (printed to the terminal)');
}

/**
 * Starts one process of the given role. Every role is stateless: all it needs is in PostgreSQL
 * and the object store, so any number of each can run and any can be killed.
 */
export async function startRuntime(config: Config, role: Role, log: Logger): Promise<Runtime> {
  const databaseUrl = await resolveDatabaseUrl(config, log);
  const pool = await openDatabase(databaseUrl, role === 'worker' ? config.tasks.concurrency + 4 : 20, log);
  let store: ObjectStore;
  try {
    store = await createObjectStore(config.objectStore);
    await checkObjectStore(store);
  } catch (err) {
    await pool.end();
    throw new StartupError((err as Error).message);
  }
  const ids = new IdCodec(config.idSecret ?? (await getOrCreateSetting(pool, 'id_secret', randomSecret)));
  await declarePeriodicTasks(pool);
  await registerStandardTools(pool, store, log);
  const tables = await ensureDefaultDataTables(pool);
  if (tables.length) log.info({ tables }, 'defined the default data tables');

  const metrics = new Registry();
  collectDefaultMetrics({ register: metrics });
  const taskMetrics = registerTaskMetrics(metrics, pool);
  const ready = { value: true };
  const runtime: Runtime = { pool, store, stop: async () => {} };

  if (role === 'api' || role === 'all') {
    await bootstrapAdmin(pool, config, log);
    const ctx: ApiContext = { config, pool, log, ids, store, metrics, ready };
    runtime.server = await buildServer(ctx);
    runtime.address = await runtime.server.listen({ host: config.host, port: config.port });
    log.info({ address: runtime.address, role }, 'Nebula API listening');
  }
  if (role === 'worker' || role === 'all') {
    runtime.worker = new TaskWorker({
      pool,
      connectionString: databaseUrl,
      definitions: allTaskDefinitions(),
      concurrency: config.tasks.concurrency,
      leaseSeconds: config.tasks.leaseSeconds,
      heartbeatSeconds: config.tasks.heartbeatSeconds,
      pollMilliseconds: config.tasks.pollMilliseconds,
      log,
      services: { config, store, ids },
      metrics: taskMetrics,
    });
    await runtime.worker.start();
    log.info({ owner: runtime.worker.owner, role }, 'Nebula worker started');
  }

  runtime.stop = async () => {
    ready.value = false;
    const graceMs = config.tasks.shutdownSeconds * 1000;
    await Promise.all([
      runtime.server?.close(),
      runtime.worker?.stop(graceMs).then(({ released }) => log.info({ released }, 'worker stopped')),
    ]);
    await store.close?.();
    await pool.end();
  };
  return runtime;
}
