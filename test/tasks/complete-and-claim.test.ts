import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { enqueue, enqueueMany, getTask, TaskWorker } from '../../src/tasks/index.ts';
import { claimTasks } from '../../src/tasks/sql/claim.ts';
import { completeAndClaim } from '../../src/tasks/sql/completeAndClaim.ts';
import { createLogger } from '../../src/util/log.ts';
import { freshDatabase, type TestDatabase } from '../helpers/db.ts';

let db: TestDatabase;
beforeAll(async () => {
  db = await freshDatabase();
});
afterEach(async () => {
  await db.pool.query('TRUNCATE nebula_tasks');
});
afterAll(async () => db.drop());

const options = (owner: string, limit: number, queues: string[] | null = null) => ({ owner, limit, leaseSeconds: 30, queues });
const expireLease = (id: number) =>
  db.pool.query(`UPDATE nebula_tasks SET lease_expires_at = now() - interval '1 second' WHERE id = $1`, [id]);

describe('completeAndClaim', () => {
  it('completes the leases and claims in claim order from the queues asked for, in one statement', async () => {
    const first = (await enqueue(db.pool, { kind: 'k', queue: 'a', priority: 9 }))!;
    const [lease] = await claimTasks(db.pool, options('w', 1));
    expect(lease!.id).toBe(first);
    const low = (await enqueue(db.pool, { kind: 'k', queue: 'a', priority: 0 }))!;
    const high = (await enqueue(db.pool, { kind: 'k', queue: 'a', priority: 5 }))!;
    await enqueue(db.pool, { kind: 'k', queue: 'b', priority: 9 });
    await enqueue(db.pool, { kind: 'k', queue: 'a', priority: 1 });

    const r = await completeAndClaim(db.pool, [{ id: first, attempt: lease!.attempt }], options('w', 2, ['a']));
    expect([...r.completed]).toEqual([first]);
    expect(r.claimed.map((t) => t.id)).toEqual([high, await idAt('a', 1)]);
    expect(r.claimed.every((t) => t.queue === 'a' && t.attempt === 1 && t.claimDelaySeconds >= 0)).toBe(true);
    expect((await getTask(db.pool, first))!.state).toBe('done');
    expect((await getTask(db.pool, low))!.state).toBe('pending');
  });

  it('changes nothing for a lease that was taken over, reports it as not completed, and still claims', async () => {
    const id = (await enqueue(db.pool, { kind: 'k' }))!;
    const [ghost] = await claimTasks(db.pool, options('ghost', 1));
    await expireLease(id);
    const [live] = await claimTasks(db.pool, options('live', 1));
    expect(live!.attempt).toBe(ghost!.attempt + 1);
    const next = (await enqueue(db.pool, { kind: 'k' }))!;

    const r = await completeAndClaim(db.pool, [{ id, attempt: ghost!.attempt }], options('ghost', 1));
    expect(r.completed.size).toBe(0);
    expect(r.claimed.map((t) => t.id)).toEqual([next]);
    const t = (await getTask(db.pool, id))!;
    expect(t).toMatchObject({ state: 'running', attempt: live!.attempt, lease_owner: 'live' });
  });

  it('completes its own expired lease instead of claiming it back', async () => {
    const id = (await enqueue(db.pool, { kind: 'k' }))!;
    const [mine] = await claimTasks(db.pool, options('w', 1));
    await expireLease(id);
    const r = await completeAndClaim(db.pool, [{ id, attempt: mine!.attempt }], options('w', 4));
    expect([...r.completed]).toEqual([id]);
    expect(r.claimed).toEqual([]);
    expect((await getTask(db.pool, id))!).toMatchObject({ state: 'done', attempt: mine!.attempt });
  });
});

async function idAt(queue: string, priority: number): Promise<number> {
  const { rows } = await db.pool.query(`SELECT id FROM nebula_tasks WHERE queue = $1 AND priority = $2`, [queue, priority]);
  return rows[0].id;
}

describe('a worker with one task in flight', () => {
  const log = createLogger('silent');
  const worker = (concurrency: number, run: (payload: unknown) => Promise<void>) =>
    new TaskWorker({
      pool: db.pool,
      connectionString: db.url,
      definitions: [{ kind: 'k', run }],
      concurrency,
      leaseSeconds: 2,
      heartbeatSeconds: 0.5,
      pollMilliseconds: 200,
      log,
    });

  it('runs tasks one at a time in claim order', async () => {
    await enqueueMany(db.pool, [0, 3, 1, 4, 2].map((priority) => ({ kind: 'k', priority, payload: { priority } })));
    const order: number[] = [];
    let inFlight = 0;
    let most = 0;
    const w = worker(1, async (payload) => {
      most = Math.max(most, ++inFlight);
      order.push((payload as { priority: number }).priority);
      await new Promise((r) => setTimeout(r, 5));
      inFlight--;
    });
    await w.start();
    try {
      const done = async () => (await db.pool.query(`SELECT count(*)::int AS n FROM nebula_tasks WHERE state = 'done'`)).rows[0].n;
      await until(async () => (await done()) === 5);
    } finally {
      await w.stop(1000);
    }
    expect(order).toEqual([4, 3, 2, 1, 0]);
    expect(most).toBe(1);
  });

  it('claims nothing once stop() is called: the task in flight finishes, the rest stay pending', async () => {
    await enqueueMany(db.pool, Array.from({ length: 200 }, () => ({ kind: 'k' })));
    const started: number[] = [];
    let stopCalledAt = Infinity;
    const startedAfterStop = () => started.filter((t) => t > stopCalledAt).length;
    const w = worker(1, async () => {
      started.push(performance.now());
      await new Promise((r) => setTimeout(r, 2));
    });
    await w.start();
    await until(async () => started.length >= 10);
    stopCalledAt = performance.now();
    await w.stop(2000);
    const runs = started.length;
    await new Promise((r) => setTimeout(r, 300));
    expect(started.length).toBe(runs);
    // At most the task of a claim already in flight when stop() was called.
    expect(startedAfterStop()).toBeLessThanOrEqual(1);
    const { rows } = await db.pool.query(`SELECT state, count(*)::int AS n FROM nebula_tasks GROUP BY state`);
    const n = Object.fromEntries(rows.map((r) => [r.state, r.n]));
    expect(n).toEqual({ done: runs, pending: 200 - runs });
  });
});

async function until(ok: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await ok())) {
    if (Date.now() > end) throw new Error(`condition not met in ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
