/**
 * The standard tools run as real jobs: POST /api/tools with the payloads BioBlend sends (legacy
 * flat keys and the 21.01 nested form), the real local runner and the real executor, outputs read
 * back from the object store.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configureJobs } from '../../src/jobs/lifecycle/settings.ts';
import { registerStandardTools } from '../../src/toolstore/standard.ts';
import { createLogger } from '../../src/util/log.ts';
import { startJobsApp, type JobsTestApp } from '../jobs/lifecycle-helpers.ts';

let t: JobsTestApp;
beforeAll(async () => {
  t = await startJobsApp();
  await registerStandardTools(t.db.pool, t.store, createLogger('silent'));
  const address = await t.app.listen({ host: '127.0.0.1', port: 0 });
  t.ctx.config.jobs.serverUrl = address;
  t.ctx.config.jobs.destinations = [{ id: 'local', runner: 'local', params: { concurrency: 4 } }];
  t.ctx.config.jobs.defaultDestination = 'local';
  configureJobs({ runners: {} });
}, 60_000);
afterAll(async () => {
  await t?.close();
});

// What BioBlend's TestGalaxyJobs uploads (after upload1 has normalised the line endings).
const LINES = 'line 1\nline 2\nline 3\nline 4\n';
const hda = (id: string) => ({ src: 'hda', id });

interface RunResult {
  job: { id: string; state: string; stderr?: string; stdout?: string; info?: string };
  content: string;
  outputName: string;
  ext: string;
}

async function run(historyId: string, toolId: string, inputs: Record<string, unknown>, extra: Record<string, unknown> = {}): Promise<RunResult> {
  const res = await t.call('POST', '/api/tools', { history_id: historyId, tool_id: toolId, inputs, ...extra });
  expect(res.status, JSON.stringify(res.json)).toBe(200);
  expect(res.json.outputs).toHaveLength(1);
  const job = await t.waitForJob(res.json.jobs[0].id, ['ok', 'error', 'deleted', 'paused'], 60_000);
  const out = res.json.outputs[0];
  const row = (
    await t.db.pool.query('SELECT d.object_key, d.state, h.extension FROM hdas h JOIN datasets d ON d.id = h.dataset_id WHERE h.id = $1', [t.ctx.ids.decode(out.id)])
  ).rows[0];
  const content = job.state === 'ok' ? await t.bytes(row.object_key) : '';
  return { job, content, outputName: out.output_name, ext: row.extension };
}

describe('standard tools as real jobs', () => {
  it('random_lines1: legacy and 21.01 payloads with a seed give the same single line', async () => {
    const h = await t.history();
    const input = await t.dataset(h.id, LINES);
    const legacy = await run(h.encoded, 'random_lines1', {
      num_lines: '1',
      input: hda(input.encoded),
      'seed_source|seed_source_selector': 'set_seed',
      'seed_source|seed': 'asdf',
    });
    expect(legacy.job.state, legacy.job.stderr).toBe('ok');
    expect(legacy.outputName).toBe('out_file1');
    expect(legacy.content).toMatch(/^line [1-4]\n$/);
    const nested = await run(
      h.encoded,
      'random_lines1',
      { num_lines: '1', input: hda(input.encoded), seed_source: { seed_source_selector: 'set_seed', seed: 'asdf' } },
      { input_format: '21.01' },
    );
    expect(nested.job.state).toBe('ok');
    expect(nested.content).toBe(legacy.content);
  }, 120_000);

  it('cat1: input1 and the queries repeat as BioBlend flattens it', async () => {
    const h = await t.history();
    const [a, b, c] = [await t.dataset(h.id, '1 2 3\n'), await t.dataset(h.id, '4 5 6\n'), await t.dataset(h.id, '7 8 9\n')];
    const r = await run(h.encoded, 'cat1', { input1: hda(a.encoded), 'queries_0|input2': hda(b.encoded), 'queries_1|input2': hda(c.encoded) });
    expect(r.job.state, r.job.stderr).toBe('ok');
    expect(r.content).toBe('1 2 3\n4 5 6\n7 8 9\n');
    const single = await run(h.encoded, 'cat1', { input1: hda(a.encoded) });
    expect(single.content).toBe('1 2 3\n');
  }, 120_000);

  it('Show beginning1 then Paste1, as select_first.ga does; a lineNum of -1 fails the job', async () => {
    const h = await t.history();
    const input = await t.dataset(h.id, LINES);
    const first = await run(h.encoded, 'Show beginning1', { lineNum: '1', input: hda(input.encoded), header: 'false' });
    expect(first.job.state, first.job.stderr).toBe('ok');
    expect(first.content).toBe('line 1\n');
    const pasted = await run(h.encoded, 'Paste1', { input1: hda(input.encoded), input2: hda(input.encoded), delimiter: 'T' });
    expect(pasted.job.state, pasted.job.stderr).toBe('ok');
    expect(pasted.content).toBe('line 1\tline 1\nline 2\tline 2\nline 3\tline 3\nline 4\tline 4\n');
    const bad = await run(h.encoded, 'Show beginning1', { lineNum: '-1', input: hda(input.encoded) });
    expect(bad.job.state).toBe('error');
  }, 120_000);

  it('addValue, Cut1 and sort1 on a BED dataset', async () => {
    const h = await t.history();
    const bed = await t.dataset(h.id, 'chr1\t100\t200\tb\nchr1\t5\t50\ta\nchr2\t7\t9\tc\n', { ext: 'bed' });
    const added = await run(h.encoded, 'addValue', { exp: 'x', input: hda(bed.encoded), iterate: 'yes' });
    expect(added.job.state, added.job.stderr).toBe('ok');
    expect(added.content).toBe('chr1\t100\t200\tb\tx-0\nchr1\t5\t50\ta\tx-1\nchr2\t7\t9\tc\tx-2\n');
    expect(added.ext).toBe('bed');
    const cut = await run(h.encoded, 'Cut1', { columnList: 'c4,c1', delimiter: 'T', input: hda(bed.encoded) });
    expect(cut.job.state, cut.job.stderr).toBe('ok');
    expect(cut.content).toBe('b\tchr1\na\tchr1\nc\tchr2\n');
    expect(cut.ext).toBe('tabular');
    const sorted = await run(h.encoded, 'sort1', { input: hda(bed.encoded), column: '2', style: 'num', order: 'ASC' });
    expect(sorted.job.state, sorted.job.stderr ?? sorted.job.info).toBe('ok');
    expect(sorted.content).toBe('chr1\t5\t50\ta\nchr2\t7\t9\tc\nchr1\t100\t200\tb\n');
  }, 120_000);

  it('sort1 with every parameter left out sorts on column 1, numerically, descending (accept_default)', async () => {
    const h = await t.history();
    const numbers = await t.dataset(h.id, '2\tb\n10\ta\n1\tc\n', { ext: 'tabular' });
    const sorted = await run(h.encoded, 'sort1', { input: hda(numbers.encoded) });
    expect(sorted.job.state, sorted.job.stderr ?? sorted.job.info).toBe('ok');
    expect(sorted.content).toBe('10\ta\n2\tb\n1\tc\n');
  }, 120_000);
});
