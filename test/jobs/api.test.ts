import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_KEY } from '../helpers/app.ts';
import { catRequest, startJobsApp, type JobsTestApp } from './lifecycle-helpers.ts';

let t: JobsTestApp;
let jobId: string;
let historyId: string;
let inputId: string;
beforeAll(async () => {
  t = await startJobsApp();
  const h = await t.history();
  historyId = h.encoded;
  inputId = (await t.dataset(h.id, 'hello\n')).encoded;
  const res = await t.call('POST', '/api/tools', catRequest(historyId, { src: 'hda', id: inputId }, { suffix: 'x' }));
  jobId = res.json.jobs[0].id;
  await t.waitForJob(jobId);
});
afterAll(async () => {
  await t?.close();
});

describe('who may see and change a job', () => {
  it('shows a job to its owner and to an admin, to nobody else', async () => {
    expect((await t.call('GET', `/api/jobs/${jobId}`)).status).toBe(200);
    expect((await t.call('GET', `/api/jobs/${jobId}`, undefined, ADMIN_KEY)).status).toBe(200);
    expect((await t.call('GET', `/api/jobs/${jobId}`, undefined, t.other.key)).status).toBe(404);
    expect((await t.call('GET', `/api/jobs/${jobId}/outputs`, undefined, t.other.key)).status).toBe(404);
    expect((await t.call('DELETE', `/api/jobs/${jobId}`, undefined, t.other.key)).status).toBe(404);
    expect((await t.call('PUT', `/api/jobs/${jobId}/resume`, undefined, t.other.key)).status).toBe(404);
    expect((await t.call('GET', `/api/jobs/${jobId}`, undefined, null)).status).toBe(401);
    expect((await t.call('GET', '/api/jobs', undefined, null)).status).toBe(401);
    expect((await t.call('GET', '/api/jobs/not-an-id')).status).toBe(400);
  });

  it('lists only the caller\'s jobs; an admin sees everyone\'s', async () => {
    const mine = (await t.call('GET', '/api/jobs')).json.map((j: any) => j.id);
    expect(mine).toContain(jobId);
    expect((await t.call('GET', '/api/jobs', undefined, t.other.key)).json).toEqual([]);
    const all = (await t.call('GET', '/api/jobs?user_details=true', undefined, ADMIN_KEY)).json;
    expect(all.find((j: any) => j.id === jobId)).toMatchObject({ user_email: 'alice@example.org' });
  });

  it('keeps destination_params and job_lock for admins', async () => {
    expect((await t.call('GET', `/api/jobs/${jobId}/destination_params`)).status).toBe(403);
    const params = (await t.call('GET', `/api/jobs/${jobId}/destination_params`, undefined, ADMIN_KEY)).json;
    expect(params).toMatchObject({ Runner: 'fake', Destination: 'fake' });
    expect(params).toHaveProperty('Runner Job ID');
    expect(params).toHaveProperty('Handler');
    expect((await t.call('GET', '/api/job_lock')).status).toBe(403);
    expect((await t.call('GET', '/api/job_lock', undefined, ADMIN_KEY)).json).toEqual({ active: false });
  });
});

describe('listing and searching', () => {
  it('filters by state, tool, history and dates, and pages', async () => {
    const q = (s: string) => t.call('GET', `/api/jobs?${s}`).then((r) => r.json.map((j: any) => j.id));
    expect(await q(`history_id=${historyId}&tool_id=nebula_test_cat`)).toEqual([jobId]);
    expect(await q(`history_id=${historyId}&state=error`)).toEqual([]);
    expect(await q(`history_id=${historyId}&state=ok&state=error`)).toEqual([jobId]);
    const today = new Date().toISOString().slice(0, 10);
    const yesterday = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
    const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
    expect(await q(`history_id=${historyId}&date_range_min=${today}`)).toEqual([jobId]);
    expect(await q(`history_id=${historyId}&date_range_max=${yesterday}`)).toEqual([]);
    expect(await q(`date_range_min=${tomorrow}`)).toEqual([]);
    expect(await q(`history_id=${historyId}&limit=1&offset=1`)).toEqual([]);
    expect((await t.call('GET', '/api/jobs?date_range_min=soon')).status).toBe(400);
  });

  it('finds a job by tool and inputs (legacy flat keys), and not with other inputs', async () => {
    const found = await t.call('POST', '/api/jobs/search', { tool_id: 'nebula_test_cat', inputs: { input1: { src: 'hda', id: inputId }, suffix: 'x' } });
    expect(found.status).toBe(200);
    expect(found.json.map((j: any) => j.id)).toContain(jobId);
    const none = await t.call('POST', '/api/jobs/search', { tool_id: 'nebula_test_cat', inputs: JSON.stringify({ input1: { src: 'hda', id: inputId }, suffix: 'y' }) });
    expect(none.json).toEqual([]);
  });

  it('answers common_problems, error reports and the rerun form like Galaxy', async () => {
    const outputs = (await t.call('GET', `/api/jobs/${jobId}/outputs`)).json;
    const out = outputs.find((o: any) => o.name === 'out_file1');
    const report = await t.call('POST', `/api/jobs/${jobId}/error`, { dataset_id: out.dataset.id, message: 'Test error' });
    expect(report.json).toEqual({ messages: [['An error occurred sending the report by email: Mail is not configured for this Galaxy instance', 'danger']] });
    const rerun = (await t.call('GET', `/api/jobs/${jobId}/build_for_rerun`)).json;
    expect(rerun).toMatchObject({ id: 'nebula_test_cat', history_id: historyId, job_remap: false });
    expect(rerun.state_inputs.input1).toEqual({ values: [{ src: 'hda', id: inputId }] });
    // Rerun as BioBlend does: the state back through POST /api/tools in the 21.01 form.
    const again = await t.call('POST', '/api/tools', { history_id: historyId, tool_id: rerun.id, inputs: rerun.state_inputs, input_format: '21.01' });
    expect(again.status).toBe(200);
    expect((await t.waitForJob(again.json.jobs[0].id)).state).toBe('ok');
  });
});

describe('bad tool requests', () => {
  it('names an unknown tool or version', async () => {
    const unknown = await t.call('POST', '/api/tools', { history_id: historyId, tool_id: 'no_such_tool', inputs: {} });
    expect(unknown.status).toBe(400);
    expect(unknown.json.err_msg).toContain('no_such_tool');
    const version = await t.call('POST', '/api/tools', { ...catRequest(historyId, { src: 'hda', id: inputId }), tool_version: '9.9' });
    expect(version.status).toBe(400);
    expect(version.json.err_msg).toContain('9.9');
  });

  it('refuses another user\'s dataset, a deleted dataset, a bad parameter and a foreign history', async () => {
    const theirs = await t.history(t.other.userId);
    const foreign = await t.dataset(theirs.id, 'secret\n');
    const res = await t.call('POST', '/api/tools', catRequest(historyId, { src: 'hda', id: foreign.encoded }));
    expect(res.status).toBe(403);
    expect(res.json.err_msg).toContain('not accessible');

    const mine = await t.history();
    const gone = await t.dataset(mine.id, 'gone\n');
    await t.db.pool.query('UPDATE hdas SET deleted = true WHERE id = $1', [gone.id]);
    const deleted = await t.call('POST', '/api/tools', catRequest(mine.encoded, { src: 'hda', id: gone.encoded }));
    expect(deleted.status).toBe(400);
    expect(deleted.json.err_msg).toContain('deleted');

    const missing = await t.call('POST', '/api/tools', { history_id: historyId, tool_id: 'nebula_test_cat', inputs: {} });
    expect(missing.status).toBe(400);
    expect(missing.json.err_msg).toContain('input1');

    const intoTheirs = await t.call('POST', '/api/tools', catRequest(theirs.encoded, { src: 'hda', id: inputId }));
    expect(intoTheirs.status).toBe(404);
    const jobs = (await t.db.pool.query('SELECT count(*)::int AS n FROM jobs WHERE user_id = $1', [t.userId])).rows[0].n;
    expect(jobs).toBe(2);
  });
});

describe('the job lock', () => {
  it('holds new jobs in queued until released', async () => {
    expect((await t.call('PUT', '/api/job_lock', { active: true }, ADMIN_KEY)).json).toEqual({ active: true });
    try {
      const res = await t.call('POST', '/api/tools', catRequest(historyId, { src: 'hda', id: inputId }));
      await t.waitForJob(res.json.jobs[0].id, ['queued']);
      await new Promise((r) => setTimeout(r, 1000));
      expect((await t.call('GET', `/api/jobs/${res.json.jobs[0].id}`)).json.state).toBe('queued');
      expect((await t.call('PUT', '/api/job_lock', { active: false }, ADMIN_KEY)).json).toEqual({ active: false });
      expect((await t.waitForJob(res.json.jobs[0].id)).state).toBe('ok');
    } finally {
      await t.call('PUT', '/api/job_lock', { active: false }, ADMIN_KEY);
    }
  });
});
