/**
 * job.sweep: objects written by attempts other than a job's final one are deleted once the job
 * has ended and the configured delay has passed; the final attempt's outputs stay and read back,
 * and an attempt a dataset points into is never touched.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHdas } from '../../src/model/datasets.ts';
import { jobObjectsPrefix } from '../../src/objectstore/keys.ts';
import { enqueueAttemptSweep } from '../../src/jobs/lifecycle/sweep.ts';
import { catRequest, startJobsApp, type JobsTestApp } from './lifecycle-helpers.ts';

let t: JobsTestApp;
beforeAll(async () => {
  t = await startJobsApp();
});
afterAll(async () => {
  await t?.close();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const jobRow = async (encoded: string) =>
  (await t.db.pool.query('SELECT * FROM jobs WHERE id = $1', [t.ctx.ids.decode(encoded)])).rows[0];

async function keysOf(uuid: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const o of t.store.list(jobObjectsPrefix(uuid))) keys.push(o.key);
  return keys.sort();
}

const attemptKeys = (keys: string[], uuid: string, attempt: number) => keys.filter((k) => k.startsWith(`${jobObjectsPrefix(uuid)}${attempt}/`));

async function sweeps(jobId: number): Promise<Array<{ state: string; run_at: Date; last_error: string | null }>> {
  const { rows } = await t.db.pool.query(
    `SELECT state, run_at, last_error FROM nebula_tasks WHERE kind = 'job.sweep' AND (payload->>'jobId')::bigint = $1 ORDER BY id`,
    [jobId],
  );
  return rows;
}

/** Waits until every sweep task of the job has run (there must be one). */
async function swept(jobId: number): Promise<void> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const rows = await sweeps(jobId);
    if (rows.length > 0 && rows.every((r) => r.state === 'done')) return;
    if (Date.now() > deadline) throw new Error(`job ${jobId}: sweep tasks ${JSON.stringify(rows)}`);
    await sleep(100);
  }
}

/** Brings the job's pending sweep forward instead of waiting out the (default) delay. */
const sweepNow = (jobId: number) =>
  t.db.pool.query(`UPDATE nebula_tasks SET run_at = now() WHERE kind = 'job.sweep' AND (payload->>'jobId')::bigint = $1 AND state = 'pending'`, [jobId]);

/**
 * A held job whose attempt 1 writes its outputs and is then lost: the monitor starts attempt 2,
 * which completes. Returns once the job is ok.
 */
async function supersededThenCompleted(text: string) {
  const h = await t.history();
  const input = await t.dataset(h.id, text);
  t.runner.behaviour = 'hold';
  try {
    const res = await t.call('POST', '/api/tools', catRequest(h.encoded, { src: 'hda', id: input.encoded }));
    expect(res.status).toBe(200);
    const id = res.json.jobs[0].id as string;
    await t.waitForJob(id, ['running']);
    const first = (await jobRow(id)).external_id as string;
    await t.runner.produce(t.runner.attempts.get(first)!.request);
    t.runner.attempts.get(first)!.state = 'gone';
    const deadline = Date.now() + 10_000;
    while ((await jobRow(id)).attempt < 2 || (await jobRow(id)).state !== 'running') {
      if (Date.now() > deadline) throw new Error('attempt 2 never started');
      await sleep(50);
    }
    await t.runner.execute((await jobRow(id)).external_id as string);
    const job = await t.waitForJob(id);
    expect(job).toMatchObject({ state: 'ok', attempt: 2 });
    const out = res.json.outputs.find((o: any) => o.output_name === 'out_file1');
    return { id, row: await jobRow(id), out };
  } finally {
    t.runner.behaviour = 'complete';
  }
}

describe('sweeping the objects of other attempts', () => {
  it('deletes what a superseded attempt wrote, after the configured delay, and keeps the final outputs', async () => {
    t.ctx.config.jobs.supersededSweepDelaySeconds = 1;
    try {
      const { row, out } = await supersededThenCompleted('superseded\n');
      const [sweep] = await sweeps(row.id);
      expect(sweep, 'a sweep is enqueued with the terminal state').toBeDefined();
      const delay = (sweep!.run_at.getTime() - row.finished_at.getTime()) / 1000;
      expect(delay).toBeGreaterThanOrEqual(0.5);
      expect(delay).toBeLessThan(10);

      await swept(row.id);
      const keys = await keysOf(row.uuid);
      expect(attemptKeys(keys, row.uuid, 1)).toEqual([]);
      expect(attemptKeys(keys, row.uuid, 2)).toHaveLength(2); // out_file1 and log
      expect(keys).toEqual(attemptKeys(keys, row.uuid, 2));
      const shown = await t.app.inject({ method: 'GET', url: `/api/datasets/${out.id}/display`, headers: { 'x-api-key': t.key } });
      expect(shown.statusCode).toBe(200);
      expect(shown.body).toBe('superseded\n');

      // Running it again finds nothing to do and changes nothing.
      await enqueueAttemptSweep(t.db.pool, row, 0);
      await swept(row.id);
      expect(await sweeps(row.id)).toHaveLength(2);
      expect(await keysOf(row.uuid)).toEqual(keys);
    } finally {
      t.ctx.config.jobs.supersededSweepDelaySeconds = 600;
    }
  });

  it('waits the default 600 s, and never deletes an attempt a dataset points into', async () => {
    const { row } = await supersededThenCompleted('pointed at\n');
    const [sweep] = await sweeps(row.id);
    expect(sweep!.state).toBe('pending');
    expect((sweep!.run_at.getTime() - row.finished_at.getTime()) / 1000).toBeGreaterThan(590);
    const before = await keysOf(row.uuid);
    const stale = attemptKeys(before, row.uuid, 1);
    expect(stale).toHaveLength(2);

    // No code path does this today; if one ever does, the sweep must not break the dataset.
    const [hda] = await createHdas(t.db.pool, row.history_id, [{ name: 'points at attempt 1', extension: 'txt', state: 'ok' }]);
    await t.db.pool.query('UPDATE datasets SET object_key = $2 WHERE id = $1', [hda!.dataset_id, stale[0]]);
    await sweepNow(row.id);
    await swept(row.id);
    expect(await keysOf(row.uuid)).toEqual(before);
  });

  it('deletes what the attempt of a cancelled job wrote', async () => {
    const h = await t.history();
    const input = await t.dataset(h.id, 'cancelled\n');
    t.runner.behaviour = 'hold';
    let id: string;
    try {
      const res = await t.call('POST', '/api/tools', catRequest(h.encoded, { src: 'hda', id: input.encoded }));
      id = res.json.jobs[0].id as string;
      await t.waitForJob(id, ['running']);
      const running = await jobRow(id);
      await t.runner.produce(t.runner.attempts.get(running.external_id)!.request);
      expect(await keysOf(running.uuid)).toHaveLength(2);
      expect((await t.call('DELETE', `/api/jobs/${id}`)).json).toBe(true);
      await t.waitForJob(id, ['deleted']);
    } finally {
      t.runner.behaviour = 'complete';
    }
    const row = await jobRow(id!);
    await sweepNow(row.id);
    await swept(row.id);
    expect(await keysOf(row.uuid)).toEqual([]);
  });
});
