import { afterAll, beforeAll, expect, it } from 'vitest';
import { catRequest, startJobsApp, type JobsTestApp } from './lifecycle-helpers.ts';

let t: JobsTestApp;
beforeAll(async () => {
  t = await startJobsApp();
});
afterAll(async () => {
  await t?.close();
});

it('pauses the jobs downstream of a failed job, and a remapping rerun replaces its outputs and unpauses them', async () => {
  const h = await t.history();
  const input = await t.dataset(h.id, 'line 1\n');
  t.runner.behaviour = 'fail';
  let failedId: string;
  let failedOut: string;
  try {
    const first = await t.call('POST', '/api/tools', catRequest(h.encoded, { src: 'hda', id: input.encoded }));
    failedId = first.json.jobs[0].id;
    failedOut = first.json.outputs.find((o: any) => o.output_name === 'out_file1').id;
    // The downstream job is created before the first one ends: it waits, then is paused.
    const second = await t.call('POST', '/api/tools', catRequest(h.encoded, { src: 'hda', id: failedOut }));
    expect(second.status).toBe(200);
    const downstream = second.json.jobs[0].id;
    const failed = await t.waitForJob(failedId);
    expect(failed).toMatchObject({ state: 'error', exit_code: 1, stderr: 'tool failed' });
    expect((await t.call('GET', `/api/datasets/${failedOut}`)).json.state).toBe('error');
    await t.waitForJob(downstream, ['paused']);

    const form = (await t.call('GET', `/api/jobs/${failedId}/build_for_rerun`)).json;
    expect(form.job_remap).toBe(true);
    t.runner.behaviour = 'complete';
    const rerun = await t.call('POST', '/api/tools', {
      history_id: form.history_id,
      tool_id: form.id,
      input_format: '21.01',
      inputs: { ...form.state_inputs, rerun_remap_job_id: failedId },
    });
    expect(rerun.status).toBe(200);
    // The rerun writes into the same history item (same id and hid).
    expect(rerun.json.outputs.find((o: any) => o.output_name === 'out_file1').id).toBe(failedOut);
    expect((await t.waitForJob(rerun.json.jobs[0].id)).state).toBe('ok');
    expect((await t.waitForJob(downstream)).state).toBe('ok');
    expect((await t.call('GET', `/api/datasets/${failedOut}`)).json.state).toBe('ok');
    const shown = (await t.call('GET', `/api/datasets/${failedOut}`)).json;
    expect(shown.creating_job).toBe(rerun.json.jobs[0].id);
  } finally {
    t.runner.behaviour = 'complete';
  }
});

it('refuses to remap a job that did not fail', async () => {
  const h = await t.history();
  const input = await t.dataset(h.id, 'fine\n');
  const ok = await t.call('POST', '/api/tools', catRequest(h.encoded, { src: 'hda', id: input.encoded }));
  await t.waitForJob(ok.json.jobs[0].id);
  const res = await t.call('POST', '/api/tools', catRequest(h.encoded, { src: 'hda', id: input.encoded }, { rerun_remap_job_id: ok.json.jobs[0].id }));
  expect(res.status).toBe(400);
  expect(res.json.err_msg).toContain('Only a failed job can be remapped');
});
