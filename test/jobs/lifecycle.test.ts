import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configureJobs } from '../../src/jobs/lifecycle/settings.ts';
import { setDatasetState } from '../../src/model/datasets.ts';
import { catRequest, startJobsApp, type JobsTestApp } from './lifecycle-helpers.ts';

let t: JobsTestApp;
beforeAll(async () => {
  t = await startJobsApp();
});
afterAll(async () => {
  await t?.close();
});

const jobRow = async (encoded: string) =>
  (await t.db.pool.query('SELECT * FROM jobs WHERE id = $1', [t.ctx.ids.decode(encoded)])).rows[0];

describe('running a tool through POST /api/tools', () => {
  it('creates the job and its outputs, runs it to ok, and stores the outputs at the attempt keys', async () => {
    const h = await t.history();
    const input = await t.dataset(h.id, 'a\tb\n', { ext: 'tabular' });
    const res = await t.call('POST', '/api/tools', catRequest(h.encoded, { src: 'hda', id: input.encoded }));
    expect(res.status).toBe(200);
    expect(res.json.jobs).toHaveLength(1);
    expect(res.json.outputs.map((o: any) => o.output_name).sort()).toEqual(['log', 'out_file1']);
    const out = res.json.outputs.find((o: any) => o.output_name === 'out_file1');
    expect(out).toMatchObject({ name: 'Concatenate on data 1', hid: 2, extension: 'tabular', visible: true, state: 'new' });
    expect(res.json.outputs.find((o: any) => o.output_name === 'log')).toMatchObject({ visible: false, extension: 'txt' });
    expect(res.json).toMatchObject({ implicit_collections: [], output_collections: [], produces_entry_points: false });

    const job = await t.waitForJob(res.json.jobs[0].id);
    expect(job).toMatchObject({ state: 'ok', exit_code: 0, stdout: 'concatenated', tool_id: 'nebula_test_cat' });
    expect(job.command_line).toContain('cat');
    expect(job.job_metrics.length).toBeGreaterThan(0);
    const hda = (await t.call('GET', `/api/datasets/${out.id}`)).json;
    expect(hda.state).toBe('ok');
    const row = (await t.db.pool.query('SELECT d.object_key FROM hdas h JOIN datasets d ON d.id = h.dataset_id WHERE h.id = $1', [t.ctx.ids.decode(out.id)])).rows[0];
    expect(row.object_key).toMatch(/^jobs\/[0-9a-f]{2}\/[0-9a-f-]+\/1\/out-\d$/);
    expect(await t.bytes(row.object_key)).toBe('a\tb\n');

    expect((await t.call('GET', `/api/jobs/${job.id}/inputs`)).json).toEqual([{ name: 'input1', dataset: { src: 'hda', id: input.encoded } }]);
    const outputs = (await t.call('GET', `/api/jobs/${job.id}/outputs`)).json;
    expect(outputs).toContainEqual({ name: 'out_file1', dataset: { src: 'hda', id: out.id } });
    expect((await t.call('GET', `/api/jobs/${job.id}/common_problems`)).json).toEqual({ has_empty_inputs: false, has_duplicate_inputs: false });
  });

  it('lets a job wait in state new until its input is ready', async () => {
    const h = await t.history();
    const input = await t.dataset(h.id, 'later\n', { state: 'running' });
    const res = await t.call('POST', '/api/tools', catRequest(h.encoded, { src: 'hda', id: input.encoded }));
    expect(res.status).toBe(200);
    const id = res.json.jobs[0].id;
    // Several schedule rounds pass (0.3 s each) and the job still waits.
    await new Promise((r) => setTimeout(r, 1200));
    expect((await jobRow(id)).state).toBe('new');
    await setDatasetState(t.db.pool, input.datasetId, 'ok');
    expect((await t.waitForJob(id)).state).toBe('ok');
  });

  it('pauses a job whose input failed, and resumes it when asked once the input is fixed', async () => {
    const h = await t.history();
    const input = await t.dataset(h.id, 'bad\n', { state: 'error' });
    const res = await t.call('POST', '/api/tools', catRequest(h.encoded, { src: 'hda', id: input.encoded }));
    const id = res.json.jobs[0].id;
    const paused = await t.waitForJob(id, ['paused']);
    expect(paused.state).toBe('paused');
    const out = res.json.outputs.find((o: any) => o.output_name === 'out_file1');
    expect((await t.call('GET', `/api/datasets/${out.id}`)).json.state).toBe('paused');

    // Resuming while the input is still in error pauses it again; Galaxy answers with the outputs anyway.
    const resumed = await t.call('PUT', `/api/jobs/${id}/resume`);
    expect(resumed.status).toBe(200);
    expect(resumed.json).toContainEqual({ name: 'out_file1', dataset: { src: 'hda', id: out.id } });
    await t.waitForJob(id, ['paused']);

    await setDatasetState(t.db.pool, input.datasetId, 'ok');
    await t.call('PUT', `/api/jobs/${id}/resume`);
    expect((await t.waitForJob(id)).state).toBe('ok');
    expect((await t.call('GET', `/api/datasets/${out.id}`)).json.state).toBe('ok');
  });

  it('maps over a list: one job per element and an implicit collection per output', async () => {
    const h = await t.history();
    const a = await t.dataset(h.id, 'A\n');
    const b = await t.dataset(h.id, 'B\n');
    const list = await t.list(h.id, [{ name: 'first', hdaId: a.id }, { name: 'second', hdaId: b.id }]);
    const res = await t.call('POST', '/api/tools', {
      history_id: h.encoded,
      tool_id: 'nebula_test_cat',
      input_format: '21.01',
      inputs: { input1: { batch: true, values: [{ src: 'hdca', id: list }] } },
    });
    expect(res.status).toBe(200);
    expect(res.json.jobs).toHaveLength(2);
    expect(res.json.implicit_collections.map((c: any) => c.output_name).sort()).toEqual(['log', 'out_file1']);
    const implicit = res.json.implicit_collections.find((c: any) => c.output_name === 'out_file1');
    expect(implicit).toMatchObject({ collection_type: 'list', name: 'Concatenate on collection 3', element_count: 2 });
    expect(implicit.elements.map((e: any) => e.element_identifier)).toEqual(['first', 'second']);
    for (const job of res.json.jobs) expect((await t.waitForJob(job.id)).state).toBe('ok');
    const shown = (await t.call('GET', `/api/histories/${h.encoded}/contents/dataset_collections/${implicit.id}`)).json;
    const texts = [];
    for (const e of shown.elements ?? implicit.elements) {
      const row = (await t.db.pool.query('SELECT d.object_key, d.state FROM hdas h JOIN datasets d ON d.id = h.dataset_id WHERE h.id = $1', [t.ctx.ids.decode(e.object.id)])).rows[0];
      expect(row.state).toBe('ok');
      texts.push(await t.bytes(row.object_key));
    }
    expect(texts).toEqual(['A\n', 'B\n']);
  });

  it('cancels a running job through its runner and ends it deleted', async () => {
    const h = await t.history();
    const input = await t.dataset(h.id, 'slow\n');
    t.runner.behaviour = 'hold';
    try {
      const res = await t.call('POST', '/api/tools', catRequest(h.encoded, { src: 'hda', id: input.encoded }));
      const id = res.json.jobs[0].id;
      await t.waitForJob(id, ['running']);
      const del = await t.call('DELETE', `/api/jobs/${id}`);
      expect(del.status).toBe(200);
      expect(del.json).toBe(true);
      expect((await t.waitForJob(id, ['deleted'])).state).toBe('deleted');
      const row = await jobRow(id);
      expect(t.runner.attempts.get(row.external_id)!.cancelled).toBe(true);
      const out = res.json.outputs.find((o: any) => o.output_name === 'out_file1');
      expect((await t.call('GET', `/api/datasets/${out.id}`)).json).toMatchObject({ state: 'discarded', deleted: true });
      // Cancelling again changes nothing.
      expect((await t.call('DELETE', `/api/jobs/${id}`)).json).toBe(false);
    } finally {
      t.runner.behaviour = 'complete';
    }
  });
});

describe('attempts and reports', () => {
  it('rejects the report of a superseded attempt (409) and applies the current one once', async () => {
    const h = await t.history();
    const input = await t.dataset(h.id, 'fenced\n');
    t.runner.behaviour = 'hold';
    let id: string;
    try {
      const res = await t.call('POST', '/api/tools', catRequest(h.encoded, { src: 'hda', id: input.encoded }));
      id = res.json.jobs[0].id;
      await t.waitForJob(id, ['running']);
      const first = (await jobRow(id)).external_id as string;
      expect(first).toMatch(/-1$/);
      // The runner loses attempt 1 without a report: the monitor starts attempt 2.
      t.runner.attempts.get(first)!.state = 'gone';
      const deadline = Date.now() + 10_000;
      while ((await jobRow(id)).attempt < 2 || (await jobRow(id)).state !== 'running') {
        if (Date.now() > deadline) throw new Error('attempt 2 never started');
        await new Promise((r) => setTimeout(r, 50));
      }
      const second = (await jobRow(id)).external_id as string;
      expect(second).toMatch(/-2$/);

      const stale = t.runner.attempts.get(first)!.request;
      const staleSpec = await t.app.inject({
        method: 'GET',
        url: `/api/jobs/${id}/spec?attempt=1`,
        headers: { 'x-nebula-job-token': t.runner.token(first) },
      });
      expect(staleSpec.statusCode).toBe(409);
      const current = t.runner.attempts.get(second)!.request;
      const report = await t.runner.produce(current);
      const staleReport = await t.runner.report(stale, { ...report, attempt: 1 });
      expect(staleReport.statusCode).toBe(409);
      // A wrong token is refused outright.
      const forged = await t.app.inject({
        method: 'POST',
        url: `/api/jobs/${id}/heartbeat?attempt=2`,
        headers: { 'x-nebula-job-token': 'not-the-token' },
      });
      expect(forged.statusCode).toBe(403);
      const beat = await t.app.inject({
        method: 'POST',
        url: `/api/jobs/${id}/heartbeat?attempt=2`,
        headers: { 'x-nebula-job-token': t.runner.token(second) },
      });
      expect(beat.statusCode).toBe(200);
      expect((await jobRow(id)).heartbeat_at).not.toBeNull();

      const once = await t.runner.report(current, report);
      const twice = await t.runner.report(current, report);
      expect([once.statusCode, twice.statusCode]).toEqual([200, 200]);
      expect(twice.json()).toMatchObject({ duplicate: true });
    } finally {
      t.runner.behaviour = 'complete';
    }
    const job = await t.waitForJob(id!);
    expect(job.state).toBe('ok');
    expect(job.attempt).toBe(2);
    const { rows } = await t.db.pool.query('SELECT attempt FROM job_reports WHERE job_id = $1', [t.ctx.ids.decode(id!)]);
    expect(rows.map((r) => r.attempt)).toEqual([2]);
    const out = (await t.call('GET', `/api/jobs/${id!}/outputs`)).json.find((o: any) => o.name === 'out_file1');
    const row = (await t.db.pool.query('SELECT d.object_key FROM hdas h JOIN datasets d ON d.id = h.dataset_id WHERE h.id = $1', [t.ctx.ids.decode(out.dataset.id)])).rows[0];
    expect(row.object_key).toMatch(/\/2\/out-\d$/);
  });

  it('measures executor silence from when the runner last showed the attempt queued, not from submission', async () => {
    // A busy Slurm queue can hold an attempt for longer than the heartbeat bound; it must not be
    // retired the moment it starts, before its executor could possibly have beaten.
    configureJobs({ heartbeatStaleSeconds: 3 });
    const h = await t.history();
    const input = await t.dataset(h.id, 'queued a while\n');
    t.runner.behaviour = 'hold';
    let id: string;
    try {
      const res = await t.call('POST', '/api/tools', catRequest(h.encoded, { src: 'hda', id: input.encoded }));
      id = res.json.jobs[0].id;
      await t.waitForJob(id, ['running']);
      const name = (await jobRow(id)).external_id as string;
      t.runner.attempts.get(name)!.state = 'queued';
      await new Promise((r) => setTimeout(r, 5_000));
      t.runner.attempts.get(name)!.state = 'running';
      await new Promise((r) => setTimeout(r, 700));
      expect((await jobRow(id)).attempt).toBe(1);
      await t.runner.execute(name);
    } finally {
      t.runner.behaviour = 'complete';
      configureJobs({ heartbeatStaleSeconds: 600 });
    }
    const job = await t.waitForJob(id!);
    expect(job.state).toBe('ok');
    expect((await jobRow(id!)).attempt).toBe(1);
  });

  it('refuses executor calls without a token', async () => {
    const h = await t.history();
    const input = await t.dataset(h.id, 'x\n');
    const res = await t.call('POST', '/api/tools', catRequest(h.encoded, { src: 'hda', id: input.encoded }));
    const spec = await t.app.inject({ method: 'GET', url: `/api/jobs/${res.json.jobs[0].id}/spec?attempt=1` });
    expect(spec.statusCode).toBe(403);
    await t.waitForJob(res.json.jobs[0].id);
  });
});
