import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { Registry } from 'prom-client';
import type { ApiContext } from '../../src/api/context.ts';
import { buildServer } from '../../src/api/server.ts';
import { loadConfig } from '../../src/config/load.ts';
import { createApiKey, createUser, ensureBootstrapAdmin, type User } from '../../src/model/users.ts';
import { createObjectStore } from '../../src/objectstore/index.ts';
import type { ObjectStore } from '../../src/objectstore/types.ts';
import { allTaskDefinitions } from '../../src/runtime/tasks.ts';
import { registerTaskMetrics } from '../../src/tasks/metrics.ts';
import { TaskWorker } from '../../src/tasks/worker.ts';
import { IdCodec } from '../../src/util/ids.ts';
import { createLogger } from '../../src/util/log.ts';
import { freshDatabase, type TestDatabase } from './db.ts';

export const ADMIN_KEY = 'test-admin-key-0123456789abcdef';

export interface TestApp {
  app: FastifyInstance;
  ctx: ApiContext;
  db: TestDatabase;
  store: ObjectStore;
  worker?: TaskWorker;
  admin: User;
  /** Creates a user and returns it with its API key. */
  user(name: string): Promise<{ user: User; key: string }>;
  close(): Promise<void>;
}

/**
 * An in-process Nebula on a fresh database and a temp file object store: the real server and,
 * with `worker: true`, a real task worker running every task kind.
 */
export async function startTestApp(options: { worker?: boolean; store?: ObjectStore } = {}): Promise<TestApp> {
  const db = await freshDatabase();
  const home = mkdtempSync(path.join(os.tmpdir(), 'nebula-app-'));
  const config = loadConfig({ NEBULA_HOME: home, NEBULA_LOG_LEVEL: 'silent', NEBULA_CACHE_MAX_BYTES: '0' });
  const log = createLogger('silent');
  const store = options.store ?? (await createObjectStore(config.objectStore));
  const metrics = new Registry();
  const taskMetrics = registerTaskMetrics(metrics, db.pool);
  const ctx: ApiContext = { config, pool: db.pool, log, ids: new IdCodec('test-secret'), store, metrics, ready: { value: true } };
  const admin = await ensureBootstrapAdmin(db.pool, ADMIN_KEY);
  const app = await buildServer(ctx);
  let worker: TaskWorker | undefined;
  if (options.worker) {
    worker = new TaskWorker({
      pool: db.pool,
      connectionString: db.url,
      definitions: allTaskDefinitions(),
      concurrency: 4,
      leaseSeconds: 5,
      heartbeatSeconds: 1,
      pollMilliseconds: 200,
      log,
      services: { config, store, ids: ctx.ids },
      metrics: taskMetrics,
    });
    await worker.start();
  }
  return {
    app,
    ctx,
    db,
    store,
    worker,
    admin,
    async user(name: string) {
      const user = await createUser(db.pool, { email: `${name}@example.org`, username: name });
      return { user, key: await createApiKey(db.pool, user.id) };
    },
    async close() {
      await worker?.stop(1000);
      await app.close();
      await db.drop();
      rmSync(home, { recursive: true, force: true });
    },
  };
}
