import { migrate } from '../../../src/db/migrate.ts';
import { createPool, withTransaction, type Pool } from '../../../src/db/pool.ts';
import { enqueue, enqueueMany, TaskWorker, type TaskSpec } from '../../../src/tasks/index.ts';
import { createLogger } from '../../../src/util/log.ts';
import { chunks } from '../stats.ts';
import type { BenchEngine, RunningWorkers } from './engine.ts';

/** The defaults of src/config/load.ts (tasks.*), so the benchmark measures what ships. */
export const NEBULA_DEFAULTS = { leaseSeconds: 6, heartbeatSeconds: 2, pollMilliseconds: 1000 } as const;

export class NebulaEngine implements BenchEngine {
  readonly name = 'nebula' as const;
  readonly pool: Pool;
  private readonly log = createLogger('silent');

  constructor(readonly url: string) {
    this.pool = createPool(url, 10);
  }

  describe(concurrency: number): string {
    const d = NEBULA_DEFAULTS;
    return `TaskWorker concurrency ${concurrency}, lease ${d.leaseSeconds} s, heartbeat ${d.heartbeatSeconds} s, poll ${d.pollMilliseconds} ms, LISTEN/NOTIFY`;
  }

  async setup(): Promise<void> {
    await migrate(this.pool);
  }

  async prepareRun(): Promise<void> {}

  async enqueueNoops(run: string, n: number): Promise<void> {
    const specs: TaskSpec[] = Array.from({ length: n }, () => ({ kind: 'noop', queue: run }));
    for (const chunk of chunks(specs, 5000)) await enqueueMany(this.pool, chunk);
  }

  async enqueueOneInTransaction(run: string, payload: { seq: number }, beforeCommit: () => void): Promise<void> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      await enqueue(client, { kind: 'noop', queue: run, payload });
      beforeCommit();
      await client.query('COMMIT');
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {});
      throw err;
    } finally {
      client.release();
    }
  }

  async startWorkers(run: string, concurrency: number, onTask: (payload: unknown) => void): Promise<RunningWorkers> {
    // The worker's own pool, sized like a worker process would size it.
    const pool = createPool(this.url, Math.max(10, concurrency + 4));
    const worker = new TaskWorker({
      pool,
      connectionString: this.url,
      definitions: [{ kind: 'noop', run: async (payload) => onTask(payload) }],
      queues: [run],
      concurrency,
      ...NEBULA_DEFAULTS,
      log: this.log,
    });
    await worker.start();
    return {
      async stop() {
        await worker.stop(5000);
        await pool.end();
      },
    };
  }

  async remaining(run: string): Promise<number> {
    const { rows } = await this.pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM nebula_tasks WHERE queue = $1 AND state <> 'done'`,
      [run],
    );
    return rows[0]!.n;
  }

  async finishRun(): Promise<void> {
    await withTransaction(this.pool, (c) => c.query('TRUNCATE nebula_tasks'));
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
