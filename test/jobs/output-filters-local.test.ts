/**
 * Output filters end to end with the REAL local runner and executor: the tool's command writes
 * exactly the outputs its parameters select, so the job ends ok only when the server created
 * those outputs and no others, and `$pair.forward` / `$pair.reverse` reach the collection's
 * static elements.
 */
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { registerToolDirectory } from '../../src/toolstore/index.ts';
import { startLocalJobsApp, type JobsTestApp } from './lifecycle-helpers.ts';

let t: JobsTestApp;
beforeAll(async () => {
  t = await startLocalJobsApp();
  await registerToolDirectory(t.db.pool, t.store, path.join(import.meta.dirname, 'fixtures', 'filter_tool'));
});
afterAll(async () => {
  await t?.close();
});

async function contents(hdaEncoded: string): Promise<{ state: string; text: string }> {
  const row = (await t.db.pool.query('SELECT d.object_key, d.state FROM hdas h JOIN datasets d ON d.id = h.dataset_id WHERE h.id = $1', [t.ctx.ids.decode(hdaEncoded)])).rows[0];
  return { state: row.state, text: row.state === 'ok' ? await t.bytes(row.object_key) : '' };
}

async function run(inputs: Record<string, unknown>) {
  const h = await t.history();
  const input = await t.dataset(h.id, 'some text\n');
  const res = await t.call('POST', '/api/tools', {
    history_id: h.encoded, tool_id: 'nebula_test_filters', input_format: '21.01', inputs: { input: { src: 'hda', id: input.encoded }, ...inputs },
  });
  expect(res.status).toBe(200);
  const job = await t.waitForJob(res.json.jobs[0].id, ['ok', 'error', 'deleted'], 60_000);
  if (job.state !== 'ok') console.log(JSON.stringify({ info: job.info, stderr: job.stderr, command: job.command_line }, null, 1));
  const outputs: Record<string, { state: string; text: string }> = {};
  for (const o of res.json.outputs) outputs[o.output_name] = await contents(o.id);
  const items = (await t.call('GET', `/api/histories/${h.encoded}/contents`)).json;
  return { job, outputs, collections: res.json.output_collections, historyItems: items.length };
}

it('runs with the filtered outputs left out', async () => {
  const { job, outputs, collections, historyItems } = await run({});
  expect(job.state).toBe('ok');
  expect(outputs).toEqual({ main: { state: 'ok', text: 'some text\n' }, broken: { state: 'ok', text: 'kept\n' } });
  expect(collections).toEqual([]);
  // The split files the command wrote anyway were not discovered into loose datasets.
  expect(historyItems).toBe(3);
}, 90_000);

it('runs with every output selected, the paired collection filled through $pair.forward and $pair.reverse', async () => {
  const { job, outputs, collections } = await run({ emit_copy: true, opts: { case: 'upper' }, emit_pair: true, emit_split: true });
  expect(job.state).toBe('ok');
  expect(outputs).toEqual({
    main: { state: 'ok', text: 'some text\n' },
    copy: { state: 'ok', text: 'some text\n' },
    upper: { state: 'ok', text: 'SOME TEXT\n' },
    broken: { state: 'ok', text: 'kept\n' },
    'pair|__part__|forward': { state: 'ok', text: 'fwd\n' },
    'pair|__part__|reverse': { state: 'ok', text: 'rev\n' },
  });
  expect(collections.map((c: any) => [c.output_name, c.collection_type])).toEqual([['pair', 'paired'], ['split', 'list']]);
  const split = collections.find((c: any) => c.output_name === 'split');
  const shown = (await t.call('GET', `/api/histories/${split.history_id}/contents/dataset_collections/${split.id}`)).json;
  expect(shown.elements.map((e: any) => e.element_identifier)).toEqual(['a', 'b']);
}, 90_000);
