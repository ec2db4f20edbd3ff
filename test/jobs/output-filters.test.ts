/**
 * Output `<filter>`s and static collection elements at job creation, through POST /api/tools with
 * the fake runner (test/jobs/lifecycle-helpers.ts): only the outputs the parameters select get an
 * HDA, a job_outputs row and a slot in the job spec. The real executor runs the same tool in
 * output-filters-local.test.ts.
 */
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { JobSpec } from '../../src/jobs/interfaces.ts';
import { registerToolDirectory } from '../../src/toolstore/index.ts';
import { startJobsApp, type JobsTestApp } from './lifecycle-helpers.ts';

const FILTER_TOOL = path.join(import.meta.dirname, 'fixtures', 'filter_tool');

let t: JobsTestApp;
beforeAll(async () => {
  t = await startJobsApp();
  await registerToolDirectory(t.db.pool, t.store, FILTER_TOOL);
});
afterAll(async () => {
  await t?.close();
});

function request(history: string, input: unknown, extra: Record<string, unknown> = {}) {
  return { history_id: history, tool_id: 'nebula_test_filters', input_format: '21.01', inputs: { input, ...extra } };
}

async function jobOutputNames(encodedJob: string): Promise<string[]> {
  const { rows } = await t.db.pool.query('SELECT name FROM job_outputs WHERE job_id = $1 ORDER BY name', [t.ctx.ids.decode(encodedJob)]);
  return rows.map((r) => r.name);
}

/** Posts the request with the runner holding the job, reads the spec it was given, then lets it run. */
async function postAndReadSpec(body: unknown): Promise<{ res: { status: number; json: any }; spec: JobSpec }> {
  t.runner.behaviour = 'hold';
  try {
    const res = await t.call('POST', '/api/tools', body);
    expect(res.status).toBe(200);
    const jobId = res.json.jobs[0].id;
    const deadline = Date.now() + 20_000;
    let name: string | undefined;
    while (!name) {
      name = [...t.runner.attempts.entries()].find(([, a]) => a.request.environment.NEBULA_JOB_ID === jobId)?.[0];
      if (Date.now() > deadline) throw new Error(`job ${jobId} never reached the runner`);
      if (!name) await new Promise((r) => setTimeout(r, 50));
    }
    const spec = await t.runner.spec(t.runner.attempts.get(name)!.request);
    await t.runner.execute(name);
    return { res, spec };
  } finally {
    t.runner.behaviour = 'complete';
  }
}

it('creates only the outputs whose filters hold (a filter that raises keeps its output)', async () => {
  const h = await t.history();
  const input = await t.dataset(h.id, 'some text\n');
  const { res, spec } = await postAndReadSpec(request(h.encoded, { src: 'hda', id: input.encoded }));
  expect(res.json.outputs.map((o: any) => o.output_name).sort()).toEqual(['broken', 'main']);
  expect(res.json.output_collections).toEqual([]);
  const jobId = res.json.jobs[0].id;
  expect(await jobOutputNames(jobId)).toEqual(['broken', 'main']);
  const job = await t.waitForJob(jobId);
  expect(job.state).toBe('ok');
  expect(spec.outputs.map((o) => o.name)).toEqual(['broken', 'main']);
  // Nothing else appeared in the history: the input and the two outputs.
  const contents = (await t.call('GET', `/api/histories/${h.encoded}/contents`)).json;
  expect(contents).toHaveLength(3);
});

it('creates the outputs a boolean and a conditional select, and a paired collection with its static elements', async () => {
  const h = await t.history();
  const input = await t.dataset(h.id, 'some text\n');
  const { res, spec } = await postAndReadSpec(request(h.encoded, { src: 'hda', id: input.encoded }, {
    emit_copy: true, opts: { case: 'upper' }, emit_pair: true,
  }));
  const names = ['broken', 'copy', 'main', 'pair|__part__|forward', 'pair|__part__|reverse', 'upper'];
  expect(res.json.outputs.map((o: any) => o.output_name).sort()).toEqual(names);
  const parts = res.json.outputs.filter((o: any) => o.output_name.startsWith('pair|'));
  expect(parts.map((p: any) => [p.visible, p.extension])).toEqual([[false, 'txt'], [false, 'txt']]);
  expect(res.json.output_collections).toHaveLength(1);
  const pair = res.json.output_collections[0];
  expect(pair).toMatchObject({ output_name: 'pair', name: 'Pair', collection_type: 'paired', element_count: 2, populated_state: 'ok' });
  expect(pair.elements.map((e: any) => [e.element_identifier, e.object.id])).toEqual([
    ['forward', parts.find((p: any) => p.output_name.endsWith('forward')).id],
    ['reverse', parts.find((p: any) => p.output_name.endsWith('reverse')).id],
  ]);
  const jobId = res.json.jobs[0].id;
  expect(await jobOutputNames(jobId)).toEqual(names);
  const job = await t.waitForJob(jobId);
  expect(job.state).toBe('ok');
  expect(spec.outputs.map((o) => o.name)).toEqual(names);
  const shown = (await t.call('GET', `/api/histories/${h.encoded}/contents/dataset_collections/${pair.id}`)).json;
  expect(shown.elements.map((e: any) => e.object.state)).toEqual(['ok', 'ok']);
  const link = await t.db.pool.query('SELECT name FROM job_output_collections WHERE job_id = $1', [t.ctx.ids.decode(jobId)]);
  expect(link.rows).toEqual([{ name: 'pair' }]);
});

it('maps over a list: a filtered output has no implicit collection, a paired output nests as list:paired', async () => {
  const h = await t.history();
  const a = await t.dataset(h.id, 'A\n');
  const b = await t.dataset(h.id, 'B\n');
  const list = await t.list(h.id, [{ name: 'first', hdaId: a.id }, { name: 'second', hdaId: b.id }]);
  const res = await t.call('POST', '/api/tools', request(h.encoded, { batch: true, values: [{ src: 'hdca', id: list }] }, { emit_pair: true }));
  expect(res.status).toBe(200);
  expect(res.json.jobs).toHaveLength(2);
  expect(res.json.implicit_collections.map((c: any) => c.output_name).sort()).toEqual(['broken', 'main', 'pair']);
  const pair = res.json.implicit_collections.find((c: any) => c.output_name === 'pair');
  expect(pair).toMatchObject({ collection_type: 'list:paired', element_count: 2 });
  expect(pair.elements.map((e: any) => e.element_identifier)).toEqual(['first', 'second']);
  expect(pair.elements[0].object.elements.map((e: any) => e.element_identifier)).toEqual(['forward', 'reverse']);
  for (const job of res.json.jobs) expect((await t.waitForJob(job.id)).state).toBe('ok');
});

it('a remapping rerun that now selects an output the failed job did not have creates it', async () => {
  const h = await t.history();
  const input = await t.dataset(h.id, 'text\n');
  t.runner.behaviour = 'fail';
  try {
    const first = await t.call('POST', '/api/tools', request(h.encoded, { src: 'hda', id: input.encoded }));
    const failedId = first.json.jobs[0].id;
    expect((await t.waitForJob(failedId)).state).toBe('error');
    t.runner.behaviour = 'complete';
    const rerun = await t.call('POST', '/api/tools', request(h.encoded, { src: 'hda', id: input.encoded }, { emit_copy: true, rerun_remap_job_id: failedId }));
    expect(rerun.status).toBe(200);
    const main = (o: any) => o.output_name === 'main';
    expect(rerun.json.outputs.find(main).id).toBe(first.json.outputs.find(main).id);
    expect(rerun.json.outputs.map((o: any) => o.output_name).sort()).toEqual(['broken', 'copy', 'main']);
    expect((await t.waitForJob(rerun.json.jobs[0].id)).state).toBe('ok');
  } finally {
    t.runner.behaviour = 'complete';
  }
});
