/**
 * job.monitor gives up an attempt whose executor heartbeat is stale and cancels it; the executor
 * may report in that very moment (it was alive, only its heartbeats were lost, e.g. while the
 * API was down). Found by the crash tests: that report must be applied, not superseded by a new
 * attempt, or the job runs to completion twice.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { catRequest, startJobsApp, type JobsTestApp } from './lifecycle-helpers.ts';

let t: JobsTestApp;
beforeAll(async () => {
  t = await startJobsApp();
});
afterAll(async () => {
  await t?.close();
});

it('applies a report that arrives while the monitor gives the attempt up, instead of starting another attempt', async () => {
  const h = await t.history();
  const input = await t.dataset(h.id, 'raced\n');
  t.runner.behaviour = 'hold';
  const originalCancel = t.runner.cancel.bind(t.runner);
  let cancels = 0;
  // The executor reports just as the monitor cancels it: the report commits before the monitor's retry.
  t.runner.cancel = async (externalId: string) => {
    cancels++;
    const attempt = t.runner.attempts.get(externalId)!;
    const report = await t.runner.produce(attempt.request);
    expect((await t.runner.report(attempt.request, report)).statusCode).toBe(200);
    // Its job.finish is not picked up yet (every worker slot busy): only the monitor can act now.
    await t.db.pool.query(`UPDATE nebula_tasks SET run_at = now() + interval '3 seconds' WHERE unique_key = $1 AND state = 'pending'`, [
      `job.finish:${attempt.request.jobId}:1`,
    ]);
    attempt.state = 'exited';
  };
  let id: string;
  try {
    const res = await t.call('POST', '/api/tools', catRequest(h.encoded, { src: 'hda', id: input.encoded }));
    id = res.json.jobs[0].id;
    await t.waitForJob(id, ['running']);
    await t.db.pool.query(`UPDATE jobs SET heartbeat_at = now() - interval '1 hour' WHERE id = $1`, [t.ctx.ids.decode(id)]);
    const job = await t.waitForJob(id);
    expect(cancels).toBe(1);
    expect(job).toMatchObject({ state: 'ok' });
  } finally {
    t.runner.behaviour = 'complete';
    t.runner.cancel = originalCancel;
  }
  const { rows } = await t.db.pool.query('SELECT attempt, state FROM jobs WHERE id = $1', [t.ctx.ids.decode(id!)]);
  expect(rows[0]).toEqual({ attempt: 1, state: 'ok' });
  const reports = await t.db.pool.query('SELECT attempt FROM job_reports WHERE job_id = $1', [t.ctx.ids.decode(id!)]);
  expect(reports.rows).toEqual([{ attempt: 1 }]);
});
