import { randomUUID } from 'node:crypto';
import type { Queryable } from '../db/pool.ts';
import { PermanentTaskError, type TaskDefinition } from '../tasks/interfaces.ts';
import { enqueueMany } from '../tasks/sql/enqueue.ts';

export interface SelftestPayload {
  batch: string;
  sleepMs: number;
}

/**
 * A diagnostic task whose only effect is one row, written in the same transaction as the
 * task's completion. Operators run it to check a cluster end to end; the crash tests count
 * its rows to prove every task took effect exactly once.
 */
export const selftestTask: TaskDefinition<SelftestPayload> = {
  kind: 'nebula.selftest',
  parse(payload) {
    const p = payload as Partial<SelftestPayload>;
    if (typeof p?.batch !== 'string' || typeof p.sleepMs !== 'number') {
      throw new PermanentTaskError('selftest payload needs a string batch and a numeric sleepMs');
    }
    return p as SelftestPayload;
  },
  async run(payload, ctx) {
    if (payload.sleepMs > 0) await new Promise((r) => setTimeout(r, payload.sleepMs));
    await ctx.completeWith((client) =>
      client.query('INSERT INTO nebula_selftest_effects (task_id, batch, attempt, worker) VALUES ($1, $2, $3, $4)', [
        ctx.id,
        payload.batch,
        ctx.attempt,
        process.pid.toString(),
      ]),
    );
  },
};

/** Enqueues `count` self-test tasks, some sleeping up to `maxSleepMs`; returns the batch id. */
export async function enqueueSelftest(db: Queryable, count: number, maxSleepMs: number): Promise<string> {
  const batch = randomUUID();
  const specs = Array.from({ length: count }, () => ({
    kind: selftestTask.kind,
    queue: 'selftest',
    payload: { batch, sleepMs: Math.random() < 0.5 ? 0 : Math.floor(Math.random() * maxSleepMs) },
  }));
  for (let i = 0; i < specs.length; i += 1000) await enqueueMany(db, specs.slice(i, i + 1000));
  return batch;
}

export async function selftestReport(db: Queryable, batch: string) {
  const { rows } = await db.query(
    `SELECT
       (SELECT count(*) FROM nebula_tasks WHERE kind = 'nebula.selftest' AND payload->>'batch' = $1)::int AS tasks,
       (SELECT count(*) FROM nebula_tasks WHERE kind = 'nebula.selftest' AND payload->>'batch' = $1 AND state = 'done')::int AS done,
       (SELECT count(*) FROM nebula_tasks WHERE kind = 'nebula.selftest' AND payload->>'batch' = $1 AND state = 'dead')::int AS dead,
       (SELECT count(*) FROM nebula_selftest_effects WHERE batch = $1)::int AS effects,
       (SELECT count(*) FROM nebula_tasks t WHERE kind = 'nebula.selftest' AND payload->>'batch' = $1
          AND NOT EXISTS (SELECT 1 FROM nebula_selftest_effects e WHERE e.task_id = t.id))::int AS without_effect,
       (SELECT count(*) FROM nebula_tasks WHERE kind = 'nebula.selftest' AND payload->>'batch' = $1 AND attempt > 1)::int AS retried`,
    [batch],
  );
  return rows[0] as { tasks: number; done: number; dead: number; effects: number; without_effect: number; retried: number };
}
