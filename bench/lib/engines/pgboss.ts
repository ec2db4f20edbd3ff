import PgBoss from 'pg-boss';
import pg from 'pg';
import { chunks } from '../stats.ts';
import type { BenchEngine, EngineName, RunningWorkers } from './engine.ts';

/**
 * pg-boss 10: every work() call is one polling loop that fetches up to batchSize jobs, hands
 * them to the handler together, and then sleeps out the rest of the polling interval (0.5 s at
 * least) even when more jobs wait. v10 has no LISTEN/NOTIFY.
 *
 * `batchSize` 1 gives the same number of tasks in flight as the other engines: concurrency c is
 * c loops. A larger batchSize is pg-boss's own throughput setting, with c x batchSize in flight;
 * it is measured too and reported apart ("pgboss_batched").
 */
export class PgBossEngine implements BenchEngine {
  readonly name: EngineName;
  private readonly boss: PgBoss;
  private readonly pool: pg.Pool;
  private readonly owned: boolean;

  constructor(
    readonly url: string,
    private readonly batchSize: number,
    warn: (msg: string) => void,
    shareWith?: PgBossEngine,
  ) {
    this.name = batchSize === 1 ? 'pgboss' : 'pgboss_batched';
    this.owned = !shareWith;
    if (shareWith) {
      this.boss = shareWith.boss;
      this.pool = shareWith.pool;
    } else {
      this.boss = new PgBoss({ connectionString: url });
      this.boss.on('error', (err) => warn(`pg-boss: ${err.message}`));
      this.pool = new pg.Pool({ connectionString: url, max: 4 });
      this.pool.on('error', () => {});
    }
  }

  describe(concurrency: number): string {
    return `${concurrency} work() loops, batchSize ${this.batchSize} (${concurrency * this.batchSize} in flight), pollingIntervalSeconds 0.5 (its minimum), other settings default`;
  }

  async setup(): Promise<void> {
    if (this.owned) await this.boss.start();
  }

  async prepareRun(run: string): Promise<void> {
    await this.boss.createQueue(run);
  }

  async enqueueNoops(run: string, n: number): Promise<void> {
    const jobs = Array.from({ length: n }, () => ({ name: run, data: {} }));
    for (const chunk of chunks(jobs, 5000)) await this.boss.insert(chunk);
  }

  async enqueueOneInTransaction(run: string, payload: { seq: number }, beforeCommit: () => void): Promise<void> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      // pg-boss's documented way to send inside the caller's transaction.
      await this.boss.send(run, payload, { db: { executeSql: (text, values) => client.query(text, values) } });
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
    const ids: string[] = [];
    for (let i = 0; i < concurrency; i++) {
      ids.push(
        await this.boss.work(run, { batchSize: this.batchSize, pollingIntervalSeconds: 0.5 }, async (jobs) => {
          for (const job of jobs) onTask(job.data);
        }),
      );
    }
    const boss = this.boss;
    return {
      async stop() {
        for (const id of ids) await boss.offWork({ id });
      },
    };
  }

  async remaining(run: string): Promise<number> {
    const { rows } = await this.pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pgboss.job WHERE name = $1 AND state <> 'completed'`,
      [run],
    );
    return rows[0]!.n;
  }

  async finishRun(): Promise<void> {
    // Each run has its own queue (its own partition in pg-boss 10), so nothing needs clearing;
    // deleteQueue would race the stopping work() loops, which finish their last poll after offWork.
  }

  async close(): Promise<void> {
    if (!this.owned) return;
    await this.boss.stop({ graceful: false, wait: true, timeout: 2000 }).catch(() => {});
    await this.pool.end();
  }
}
