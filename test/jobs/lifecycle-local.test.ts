/**
 * End to end with the REAL local runner and the REAL executor (`nebula job-exec` as a detached
 * child process): the API listens on 127.0.0.1, the executor fetches its spec, stages the input
 * from the file object store, runs the tool's command with bash, uploads the output and reports.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { catRequest, startLocalJobsApp, type JobsTestApp } from './lifecycle-helpers.ts';

let t: JobsTestApp;
beforeAll(async () => {
  t = await startLocalJobsApp();
});
afterAll(async () => {
  await t?.close();
});

it('runs a registered tool through the local runner and the executor', async () => {
  const h = await t.history();
  const input = await t.dataset(h.id, 'real bytes\n');
  const res = await t.call('POST', '/api/tools', catRequest(h.encoded, { src: 'hda', id: input.encoded }));
  expect(res.status).toBe(200);
  const job = await t.waitForJob(res.json.jobs[0].id, ['ok', 'error', 'deleted'], 60_000);
  if (job.state !== 'ok') console.log(JSON.stringify({ info: job.info, stderr: job.stderr, stdout: job.stdout, msgs: job.job_messages }, null, 1));
  expect(job.state).toBe('ok');
  expect(job.command_line).toContain('cat');
  const out = res.json.outputs.find((o: any) => o.output_name === 'out_file1');
  const row = (await t.db.pool.query('SELECT d.object_key, d.state FROM hdas h JOIN datasets d ON d.id = h.dataset_id WHERE h.id = $1', [t.ctx.ids.decode(out.id)])).rows[0];
  expect(row.state).toBe('ok');
  expect(await t.bytes(row.object_key)).toBe('real bytes\n');
  const params = (await t.call('GET', `/api/jobs/${job.id}/destination_params`, undefined, 'test-admin-key-0123456789abcdef')).json;
  expect(params.Runner).toBe('local');
  expect(params['Runner Job ID']).toBeTruthy();
}, 90_000);
