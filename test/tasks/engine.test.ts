import { spawn } from 'node:child_process';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { withTransaction } from '../../src/db/pool.ts';
import {
  cancelTask,
  enqueue,
  enqueueMany,
  getTask,
  listDeadTasks,
  PermanentTaskError,
  readQueueGauges,
  retryDeadTask,
  schedulePeriodic,
  TaskWorker,
  type TaskDefinition,
} from '../../src/tasks/index.ts';
import { claimTasks } from '../../src/tasks/sql/claim.ts';
import { completeTasks } from '../../src/tasks/sql/complete.ts';
import { createLogger } from '../../src/util/log.ts';
import { freshDatabase, type TestDatabase } from '../helpers/db.ts';

const log = createLogger('silent');
let db: TestDatabase;
const workers: TaskWorker[] = [];

beforeAll(async () => {
  db = await freshDatabase();
});
afterEach(async () => {
  await Promise.all(workers.splice(0).map((w) => w.stop(0)));
  await db.pool.query('TRUNCATE nebula_tasks, nebula_periodic');
});
afterAll(async () => db.drop());

function startWorker(definitions: TaskDefinition<any>[], extra: Partial<ConstructorParameters<typeof TaskWorker>[0]> = {}) {
  const w = new TaskWorker({
    pool: db.pool,
    connectionString: db.url,
    definitions,
    concurrency: 4,
    leaseSeconds: 2,
    heartbeatSeconds: 0.5,
    pollMilliseconds: 200,
    log,
    ...extra,
  });
  workers.push(w);
  return w.start().then(() => w);
}

async function waitFor<T>(fn: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 15_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (ok(v)) return v;
    if (Date.now() > end) throw new Error(`condition not met in ${timeoutMs} ms; last value ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const stateOf = async (id: number) => (await getTask(db.pool, id))?.state;

describe('task engine', () => {
  it('enqueues inside the caller transaction: a rollback leaves no task', async () => {
    await expect(
      withTransaction(db.pool, async (c) => {
        await enqueue(c, { kind: 'noop' });
        throw new Error('state change failed');
      }),
    ).rejects.toThrow('state change failed');
    const { rows } = await db.pool.query('SELECT count(*)::int AS n FROM nebula_tasks');
    expect(rows[0].n).toBe(0);
  });

  it('runs a task once and marks it done', async () => {
    const seen: unknown[] = [];
    await startWorker([{ kind: 'echo', run: async (p) => void seen.push(p) }]);
    const id = (await enqueue(db.pool, { kind: 'echo', payload: { n: 1 } }))!;
    await waitFor(() => stateOf(id), (s) => s === 'done');
    expect(seen).toEqual([{ n: 1 }]);
  });

  it('retries with backoff, then dead-letters after max attempts; an admin retry runs it again', async () => {
    let calls = 0;
    let failing = true;
    await startWorker([
      {
        kind: 'flaky',
        run: async () => {
          calls++;
          if (failing) throw new Error('upstream down');
        },
      },
    ]);
    const id = (await enqueue(db.pool, { kind: 'flaky', maxAttempts: 2 }))!;
    await waitFor(() => stateOf(id), (s) => s === 'dead');
    expect(calls).toBe(2);
    const dead = await listDeadTasks(db.pool);
    expect(dead.map((t) => t.id)).toEqual([id]);
    expect(dead[0].last_error).toContain('upstream down');
    failing = false;
    expect(await retryDeadTask(db.pool, id)).toBe(true);
    await waitFor(() => stateOf(id), (s) => s === 'done');
    expect(calls).toBe(3);
    expect((await getTask(db.pool, id))!.attempt).toBe(3);
  });

  it('sends permanent failures, unparsable payloads and unknown kinds straight to dead-letter', async () => {
    await startWorker([
      { kind: 'bad', run: async () => { throw new PermanentTaskError('input is corrupt'); } },
      {
        kind: 'typed',
        parse: (p) => {
          if (typeof (p as { n?: unknown }).n !== 'number') throw new Error('n must be a number');
          return p as { n: number };
        },
        run: async () => {},
      },
    ]);
    const a = (await enqueue(db.pool, { kind: 'bad' }))!;
    const b = (await enqueue(db.pool, { kind: 'typed', payload: { n: 'x' } }))!;
    const c = (await enqueue(db.pool, { kind: 'no-such-kind' }))!;
    for (const id of [a, b, c]) await waitFor(() => stateOf(id), (s) => s === 'dead');
    const errors = Object.fromEntries((await listDeadTasks(db.pool)).map((t) => [t.id, t.last_error]));
    expect(errors[a]).toContain('input is corrupt');
    expect(errors[b]).toContain('n must be a number');
    expect(errors[c]).toContain('no handler for task kind "no-such-kind"');
    for (const id of [a, b, c]) expect((await getTask(db.pool, id))!.attempt).toBe(1);
  });

  it('deduplicates live tasks by unique key', async () => {
    const first = await enqueue(db.pool, { kind: 'x', uniqueKey: 'purge:1' });
    const second = await enqueue(db.pool, { kind: 'x', uniqueKey: 'purge:1' });
    expect(first).not.toBeNull();
    expect(second).toBeNull();
    await enqueueMany(db.pool, [{ kind: 'x', uniqueKey: 'purge:1' }, { kind: 'x', uniqueKey: 'purge:2' }]);
    const { rows } = await db.pool.query('SELECT unique_key FROM nebula_tasks ORDER BY id');
    expect(rows.map((r) => r.unique_key)).toEqual(['purge:1', 'purge:2']);
  });

  it('does not run a delayed task before its time', async () => {
    const ran: number[] = [];
    await startWorker([{ kind: 'later', run: async () => void ran.push(Date.now()) }]);
    const enqueuedAt = Date.now();
    const id = (await enqueue(db.pool, { kind: 'later', delaySeconds: 1.5 }))!;
    await new Promise((r) => setTimeout(r, 700));
    expect(await stateOf(id)).toBe('pending');
    await waitFor(() => stateOf(id), (s) => s === 'done');
    expect(ran[0] - enqueuedAt).toBeGreaterThanOrEqual(1400);
  });

  it('cancels a pending task, and aborts a running one whose completion is then refused', async () => {
    let aborted = false;
    await startWorker([
      {
        kind: 'long',
        run: async (_p, ctx) => {
          await new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve()));
          aborted = true;
        },
      },
    ]);
    const pending = (await enqueue(db.pool, { kind: 'long', delaySeconds: 60 }))!;
    expect(await cancelTask(db.pool, pending)).toBe(true);
    expect(await stateOf(pending)).toBe('cancelled');
    const running = (await enqueue(db.pool, { kind: 'long' }))!;
    await waitFor(() => stateOf(running), (s) => s === 'running');
    expect(await cancelTask(db.pool, running)).toBe(true);
    await waitFor(async () => aborted, (v) => v);
    expect(await stateOf(running)).toBe('cancelled');
  });

  it('fences a worker that lost its lease: its completion changes nothing', async () => {
    const id = (await enqueue(db.pool, { kind: 'fenced' }))!;
    const [ghost] = await claimTasks(db.pool, { owner: 'ghost', limit: 1, leaseSeconds: 1, queues: null });
    expect(ghost.id).toBe(id);
    // The ghost stops heart-beating (as if it were SIGKILLed); a live worker takes the task over.
    const attempts: number[] = [];
    await startWorker([{ kind: 'fenced', run: async (_p, ctx) => void attempts.push(ctx.attempt) }]);
    await waitFor(() => stateOf(id), (s) => s === 'done');
    expect(attempts).toEqual([2]);
    const completed = await completeTasks(db.pool, [{ id, attempt: ghost.attempt }]);
    expect(completed.size).toBe(0);
  });

  it('commits side effects and completion together with completeWith', async () => {
    await db.pool.query('CREATE TABLE IF NOT EXISTS effects (task_id bigint PRIMARY KEY)');
    await startWorker([
      {
        kind: 'effect',
        run: async (_p, ctx) => {
          await ctx.completeWith((c) => c.query('INSERT INTO effects VALUES ($1)', [ctx.id]));
        },
      },
    ]);
    const id = (await enqueue(db.pool, { kind: 'effect' }))!;
    await waitFor(() => stateOf(id), (s) => s === 'done');
    const { rows } = await db.pool.query('SELECT task_id FROM effects');
    expect(rows).toEqual([{ task_id: id }]);
  });

  it('keeps the lease of a task that blocks its event loop for longer than the lease', async () => {
    // Another process (this one's loop will be blocked) tries to take over any expired lease.
    const thief = spawn(process.execPath, ['--input-type=module', '-e', `
      import pg from 'pg';
      const c = new pg.Client(process.env.DB); await c.connect();
      const stolen = [];
      const end = Date.now() + 6000;
      while (Date.now() < end) {
        const { rows } = await c.query("UPDATE nebula_tasks SET lease_owner = 'thief', attempt = attempt + 1 " +
          "WHERE state = 'running' AND lease_expires_at < now() RETURNING id");
        stolen.push(...rows.map((r) => r.id));
        await new Promise((r) => setTimeout(r, 100));
      }
      console.log(JSON.stringify(stolen)); await c.end();`], { env: { ...process.env, DB: db.url }, cwd: process.cwd() });
    let out = '';
    thief.stdout.on('data', (d) => (out += d));
    const thiefDone = new Promise((r) => thief.on('exit', r));
    const attempts: number[] = [];
    await startWorker(
      [
        {
          kind: 'cpu',
          run: async (_p, ctx) => {
            attempts.push(ctx.attempt);
            const until = Date.now() + 3500; // the lease is 1 s
            while (Date.now() < until) {
              /* a synchronous, CPU-bound task */
            }
          },
        },
      ],
      { leaseSeconds: 1, heartbeatSeconds: 0.25 },
    );
    const id = (await enqueue(db.pool, { kind: 'cpu' }))!;
    await waitFor(() => stateOf(id), (s) => s === 'done', 20_000);
    await thiefDone;
    expect(JSON.parse(out)).toEqual([]);
    expect(attempts).toEqual([1]);
    expect((await getTask(db.pool, id))!.attempt).toBe(1);
  });

  it('runs a periodic task once per period across three workers', async () => {
    const runs: number[] = [];
    const def: TaskDefinition = { kind: 'tick', run: async () => void runs.push(Date.now()) };
    await schedulePeriodic(db.pool, { name: 'tick', kind: 'tick', everySeconds: 1 });
    await Promise.all([startWorker([def]), startWorker([def]), startWorker([def])]);
    await new Promise((r) => setTimeout(r, 3300));
    await Promise.all(workers.splice(0).map((w) => w.stop(1000)));
    const { rows } = await db.pool.query(`SELECT unique_key FROM nebula_tasks WHERE kind = 'tick'`);
    const keys = rows.map((r) => r.unique_key as string);
    expect(new Set(keys).size).toBe(keys.length);
    expect(keys.length).toBeGreaterThanOrEqual(3);
    expect(keys.length).toBeLessThanOrEqual(5);
    expect(runs.length).toBeLessThanOrEqual(keys.length);
  });

  it('on graceful stop hands unfinished leases back at once', async () => {
    const w = await startWorker([
      { kind: 'slow', run: (_p, ctx) => new Promise((r) => ctx.signal.addEventListener('abort', () => r())) },
    ]);
    const id = (await enqueue(db.pool, { kind: 'slow' }))!;
    await waitFor(() => stateOf(id), (s) => s === 'running');
    workers.splice(workers.indexOf(w), 1);
    const { released } = await w.stop(100);
    expect(released).toBe(1);
    const t = (await getTask(db.pool, id))!;
    expect(t.state).toBe('pending');
    expect(t.lease_owner).toBeNull();
  });

  it('reports cluster-wide gauges per queue with summed weights', async () => {
    await enqueueMany(db.pool, [
      { kind: 'a', queue: 'jobs', weight: { cores: 2, memoryMb: 1000 } },
      { kind: 'a', queue: 'jobs', weight: { cores: 4, memoryMb: 3000 } },
      { kind: 'a', queue: 'jobs', delaySeconds: 600 },
      { kind: 'b', queue: 'default' },
    ]);
    const gauges = await readQueueGauges(db.pool);
    const jobs = gauges.find((g) => g.queue === 'jobs')!;
    expect(jobs).toMatchObject({ pending: 2, scheduled: 1, running: 0, pendingCores: 6, pendingMemoryMb: 4000 });
    expect(gauges.find((g) => g.queue === 'default')!.pending).toBe(1);
  });
});
