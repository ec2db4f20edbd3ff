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

it('applies a report that arrives while the monitor looks at a silent attempt, instead of starting another', async () => {
  const h = await t.history();
  const input = await t.dataset(h.id, 'raced\n');
  t.runner.behaviour = 'hold';
  const originalStatus = t.runner.status.bind(t.runner);
  let looks = 0;
  // The executor reports just as the monitor asks the runner about it: the report commits
  // before the monitor retires the attempt, and the monitor's re-check under the row lock sees it.
  t.runner.status = async (externalId: string) => {
    looks++;
    const attempt = t.runner.attempts.get(externalId)!;
    if (looks === 1) {
      const report = await t.runner.produce(attempt.request);
      expect((await t.runner.report(attempt.request, report)).statusCode).toBe(200);
      // Its job.finish is not picked up yet (every worker slot busy): only the monitor can act now.
      await t.db.pool.query(`UPDATE nebula_tasks SET run_at = now() + interval '3 seconds' WHERE unique_key = $1 AND state = 'pending'`, [
        `job.finish:${attempt.request.jobId}:1`,
      ]);
    }
    return { state: 'running' as const };
  };
  let id: string;
  try {
    const res = await t.call('POST', '/api/tools', catRequest(h.encoded, { src: 'hda', id: input.encoded }));
    id = res.json.jobs[0].id;
    await t.waitForJob(id, ['running']);
    await t.db.pool.query(`UPDATE jobs SET heartbeat_at = now() - interval '1 hour' WHERE id = $1`, [t.ctx.ids.decode(id)]);
    expect(await t.waitForJob(id)).toMatchObject({ state: 'ok' });
  } finally {
    t.runner.behaviour = 'complete';
    t.runner.status = originalStatus;
  }
  const { rows } = await t.db.pool.query('SELECT attempt, state FROM jobs WHERE id = $1', [t.ctx.ids.decode(id!)]);
  expect(rows[0]).toEqual({ attempt: 1, state: 'ok' });
  const reports = await t.db.pool.query('SELECT attempt FROM job_reports WHERE job_id = $1', [t.ctx.ids.decode(id!)]);
  expect(reports.rows).toEqual([{ attempt: 1 }]);
});

it('retires a silent attempt before cancelling it: what its dying executor reports is refused', async () => {
  const h = await t.history();
  const input = await t.dataset(h.id, 'retired\n');
  t.runner.behaviour = 'hold';
  const originalCancel = t.runner.cancel.bind(t.runner);
  const originalStatus = t.runner.status.bind(t.runner);
  const lateReports: number[] = [];
  let dyingReport: Awaited<ReturnType<typeof t.runner.produce>> | undefined;
  // The executor has run its tool (outputs uploaded) but stays silent...
  t.runner.status = async (externalId: string) => {
    const attempt = t.runner.attempts.get(externalId)!;
    if (attempt.request.attempt === 1 && !dyingReport) dyingReport = await t.runner.produce(attempt.request);
    return originalStatus(externalId);
  };
  // ...and killing it kills its tool (exit 143), which it may still report.
  t.runner.cancel = async (externalId: string) => {
    const attempt = t.runner.attempts.get(externalId)!;
    const report = { ...dyingReport!, state: 'error' as const, exitCode: 143, messages: ['killed'] };
    lateReports.push((await t.runner.report(attempt.request, report)).statusCode);
    attempt.state = 'exited';
  };
  let id: string;
  try {
    const res = await t.call('POST', '/api/tools', catRequest(h.encoded, { src: 'hda', id: input.encoded }));
    id = res.json.jobs[0].id;
    await t.waitForJob(id, ['running']);
    await t.db.pool.query(`UPDATE jobs SET heartbeat_at = now() - interval '1 hour' WHERE id = $1`, [t.ctx.ids.decode(id)]);
    const deadline = Date.now() + 15_000;
    while (lateReports.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    t.runner.behaviour = 'complete';
    const second = t.runner.attempts.size > 1 ? [...t.runner.attempts.values()].find((a) => a.request.attempt === 2) : undefined;
    if (second && second.state !== 'exited') await t.runner.execute(second.request.name);
    expect(await t.waitForJob(id)).toMatchObject({ state: 'ok' });
  } finally {
    t.runner.behaviour = 'complete';
    t.runner.cancel = originalCancel;
    t.runner.status = originalStatus;
  }
  expect(lateReports).toEqual([409]);
  const { rows } = await t.db.pool.query('SELECT attempt, state FROM jobs WHERE id = $1', [t.ctx.ids.decode(id!)]);
  expect(rows[0]).toEqual({ attempt: 2, state: 'ok' });
});

it('does not count attempts lost with their host process (hostLost) against max_attempts, up to a bound', async () => {
  const h = await t.history();
  const input = await t.dataset(h.id, 'host lost\n');
  t.runner.behaviour = 'hold';
  const originalStatus = t.runner.status.bind(t.runner);
  // Every attempt's worker dies under it (status 'gone', hostLost), as in-process attempts do.
  t.runner.status = async (externalId: string) =>
    t.runner.attempts.get(externalId)?.state === 'gone' ? { state: 'gone', hostLost: true, reason: 'its worker died' } : originalStatus(externalId);
  let id: string;
  try {
    const res = await t.call('POST', '/api/tools', catRequest(h.encoded, { src: 'hda', id: input.encoded }));
    id = res.json.jobs[0].id;
    const jobId = t.ctx.ids.decode(id)!;
    const row = async () => (await t.db.pool.query('SELECT state, attempt, max_attempts, external_id FROM jobs WHERE id = $1', [jobId])).rows[0];
    for (let attempt = 1; attempt <= 5; attempt++) {
      const deadline = Date.now() + 10_000;
      let r = await row();
      while (r.state !== 'running' || r.attempt !== attempt) {
        if (Date.now() > deadline) throw new Error(`attempt ${attempt} never ran: ${JSON.stringify(r)}`);
        await new Promise((res) => setTimeout(res, 50));
        r = await row();
      }
      if (attempt < 5) t.runner.attempts.get(r.external_id)!.state = 'gone';
    }
    // Five attempts (the default max_attempts is 3), the job still running and able to finish.
    expect(await row()).toMatchObject({ state: 'running', attempt: 5, max_attempts: 7 });
    const current = t.runner.attempts.get((await row()).external_id)!;
    await t.runner.execute(current.request.name);
    expect(await t.waitForJob(id)).toMatchObject({ state: 'ok' });
  } finally {
    t.runner.behaviour = 'complete';
    t.runner.status = originalStatus;
  }
});
