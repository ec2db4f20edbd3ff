import { withTransaction } from '../../src/db/pool.ts';
import { createHdas, type Hda } from '../../src/model/datasets.ts';
import { createHistory, type History } from '../../src/model/histories.ts';
import { TaskWorker } from '../../src/tasks/worker.ts';
import { datasetTasks } from '../../src/datasets/tasks.ts';
import { createLogger } from '../../src/util/log.ts';
import type { TestApp } from '../helpers/app.ts';

/**
 * Datasets made through the model, as an upload would leave them: bytes in the object store,
 * state ok, size and extension set, and an upload1 job recorded as the creator.
 */
export async function makeDataset(
  t: TestApp,
  history: History,
  content: string | Buffer,
  opts: { name?: string; ext?: string; visible?: boolean; tool?: string } = {},
): Promise<Hda> {
  const body = Buffer.isBuffer(content) ? content : Buffer.from(content);
  const hda = await withTransaction(t.db.pool, async (client) => {
    const { rows } = await client.query<{ id: number }>(
      `INSERT INTO jobs (user_id, history_id, tool_id, state) VALUES ($1, $2, $3, 'ok') RETURNING id`,
      [history.user_id, history.id, opts.tool ?? 'upload1'],
    );
    const [created] = await createHdas(client, history.id, [
      {
        name: opts.name ?? 'Pasted Entry',
        extension: opts.ext ?? 'txt',
        state: 'ok',
        visible: opts.visible,
        creatingJobId: rows[0].id,
      },
    ]);
    return created;
  });
  await t.store.put(hda.object_key!, body);
  await t.db.pool.query('UPDATE datasets SET file_size = $2 WHERE id = $1', [hda.dataset_id, body.length]);
  return { ...hda, file_size: body.length };
}

export async function makeHistory(t: TestApp, userId: number, name = 'test'): Promise<History> {
  return createHistory(t.db.pool, userId, name);
}

/** A worker running only the dataset tasks, for tests that need purges or metadata to happen. */
export async function startDatasetWorker(t: TestApp): Promise<TaskWorker> {
  const worker = new TaskWorker({
    pool: t.db.pool,
    connectionString: t.db.url,
    definitions: datasetTasks,
    services: { config: t.ctx.config, store: t.store, ids: t.ctx.ids },
    concurrency: 2,
    leaseSeconds: 5,
    heartbeatSeconds: 1,
    pollMilliseconds: 100,
    log: createLogger('silent'),
  });
  await worker.start();
  return worker;
}

export async function waitFor<T>(fn: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 15_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (ok(v)) return v;
    if (Date.now() > end) throw new Error(`condition not met in ${timeoutMs} ms; last value ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
