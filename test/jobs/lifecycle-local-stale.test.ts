/**
 * An in-process attempt of a worker on ANOTHER host cannot be checked through /proc: the local
 * runner says 'running', and the lifecycle must rely on the executor's heartbeat. When that goes
 * stale the monitor gives the attempt up and starts a new one (here: in-process on this host,
 * the real executor, through the API listening on 127.0.0.1).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { withTransaction } from '../../src/db/pool.ts';
import { getJob, setJobLock } from '../../src/jobs/lifecycle/queries.ts';
import { enqueueJobTask } from '../../src/jobs/lifecycle/requeue.ts';
import { configureJobs } from '../../src/jobs/lifecycle/settings.ts';
import { formatInProcessId, parseInProcessId } from '../../src/jobs/runners/in-process.ts';
import { catRequest, startLocalJobsApp, type JobsTestApp } from './lifecycle-helpers.ts';

let t: JobsTestApp;
let stateDir: string;
beforeAll(async () => {
  // A directory of its own per run: `nebula-stale-<pid>` was shared with any earlier run whose pid
  // came round again, and never removed.
  stateDir = mkdtempSync(path.join(os.tmpdir(), 'nebula-stale-'));
  t = await startLocalJobsApp({ concurrency: 2, stateDir });
  configureJobs({ monitorSeconds: 0.3, heartbeatStaleSeconds: 2 });
});
afterAll(async () => {
  await setJobLock(t.db.pool, false).catch(() => undefined);
  await t?.close();
  if (stateDir) rmSync(stateDir, { recursive: true, force: true });
});

it('gives up an in-process attempt of another host whose heartbeat went stale, and runs a new attempt', async () => {
  // Hold submission so that attempt 1 can be made to "run" on another host.
  await setJobLock(t.db.pool, true);
  const h = await t.history();
  const input = await t.dataset(h.id, 'stale heartbeat\n');
  const res = await t.call('POST', '/api/tools', catRequest(h.encoded, { src: 'hda', id: input.encoded }));
  expect(res.status).toBe(200);
  const encoded = res.json.jobs[0].id as string;
  const jobId = t.ctx.ids.decode(encoded)!;
  await t.waitForJob(encoded, ['queued']);

  const farAway = formatInProcessId({ host: `not-${os.hostname()}`, pid: 4242, startTime: '1234', name: `nebula-${jobId}-1`, fingerprint: '0123456789abcdef' });
  // As a real submit does, in one transaction: the job running, its job.submit task gone, a
  // job.monitor task queued. A job.submit task left behind (held back by the lock) could be running
  // at the moment the monitor gives attempt 1 up; the monitor's job.submit for attempt 2 would then
  // meet that live task's unique key and be dropped, and attempt 2 never submitted (seen once).
  for (let done = false; !done; ) {
    done = await withTransaction(t.db.pool, async (client) => {
      const job = (await getJob(client, jobId, { forUpdate: true }))!;
      expect(job.attempt).toBe(1);
      const { rows: submits } = await client.query<{ state: string }>(
        `SELECT state FROM nebula_tasks WHERE unique_key = $1 AND state IN ('pending', 'running') FOR UPDATE`,
        [`job.submit:${jobId}`],
      );
      if (submits.some((task) => task.state === 'running')) return false; // it is requeueing itself: look again
      await client.query(`DELETE FROM nebula_tasks WHERE unique_key = $1 AND state = 'pending'`, [`job.submit:${jobId}`]);
      await client.query(
        `UPDATE jobs SET state = 'running', external_id = $2, started_at = now() - interval '1 hour',
                heartbeat_at = now() - interval '1 hour' WHERE id = $1`,
        [jobId, farAway],
      );
      await enqueueJobTask(client, 'job.monitor', job);
      return true;
    });
    if (!done) await new Promise((r) => setTimeout(r, 50));
  }
  await setJobLock(t.db.pool, false);

  const job = await t.waitForJob(encoded, ['ok', 'error', 'deleted'], 60_000);
  expect(job.state, JSON.stringify({ info: job.info, stderr: job.stderr })).toBe('ok');
  const row = (await getJob(t.db.pool, jobId))!;
  expect(row.attempt).toBe(2);
  expect(parseInProcessId(row.external_id!).host).toBe(os.hostname());
  const { rows: reports } = await t.db.pool.query('SELECT attempt FROM job_reports WHERE job_id = $1', [jobId]);
  expect(reports).toEqual([{ attempt: 2 }]);
  const out = res.json.outputs.find((o: any) => o.output_name === 'out_file1');
  const dataset = (await t.db.pool.query('SELECT d.object_key FROM hdas h JOIN datasets d ON d.id = h.dataset_id WHERE h.id = $1', [t.ctx.ids.decode(out.id)])).rows[0];
  expect(await t.bytes(dataset.object_key)).toBe('stale heartbeat\n');
}, 90_000);
