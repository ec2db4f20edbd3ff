import { Logger, makeWorkerUtils, run as runWorker, runMigrations, type WorkerUtils } from 'graphile-worker';
import pg from 'pg';
import { chunks } from '../stats.ts';
import type { BenchEngine, RunningWorkers } from './engine.ts';

const silent = new Logger(() => () => {});

/**
 * graphile-worker 0.17 with its default settings (no local queue, no completion batching),
 * LISTEN/NOTIFY plus a 1 s poll like Nebula's; the pool is sized so that no handler waits for
 * a connection. A run is a task identifier (not a queue_name: those serialise jobs).
 */
export class GraphileEngine implements BenchEngine {
  readonly name = 'graphile' as const;
  private readonly pool: pg.Pool;
  private utils?: WorkerUtils;

  constructor(readonly url: string) {
    this.pool = new pg.Pool({ connectionString: url, max: 4 });
    this.pool.on('error', () => {});
  }

  describe(concurrency: number): string {
    return `run() concurrency ${concurrency}, maxPoolSize ${poolSize(concurrency)}, pollInterval 1000 ms, other settings default`;
  }

  async setup(): Promise<void> {
    await runMigrations({ connectionString: this.url, logger: silent });
    this.utils = await makeWorkerUtils({ connectionString: this.url, logger: silent });
  }

  async prepareRun(): Promise<void> {}

  async enqueueNoops(run: string, n: number): Promise<void> {
    const specs = Array.from({ length: n }, () => ({ identifier: run, payload: {} }));
    for (const chunk of chunks(specs, 5000)) await this.utils!.addJobs(chunk);
  }

  async enqueueOneInTransaction(run: string, payload: { seq: number }, beforeCommit: () => void): Promise<void> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      // graphile-worker's documented way to add a job inside the caller's transaction.
      await client.query('SELECT graphile_worker.add_job($1, $2::json)', [run, JSON.stringify(payload)]);
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
    const runner = await runWorker({
      connectionString: this.url,
      concurrency,
      maxPoolSize: poolSize(concurrency),
      pollInterval: 1000,
      noHandleSignals: true,
      logger: silent,
      taskList: { [run]: async (payload) => onTask(payload) },
    });
    return { stop: () => runner.stop() };
  }

  async remaining(run: string): Promise<number> {
    // graphile-worker deletes a job when it completes.
    const { rows } = await this.pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM graphile_worker.jobs WHERE task_identifier = $1`,
      [run],
    );
    return rows[0]!.n;
  }

  async finishRun(): Promise<void> {}

  async close(): Promise<void> {
    await this.utils?.release();
    await this.pool.end();
  }
}

function poolSize(concurrency: number): number {
  return Math.max(10, concurrency + 2);
}
