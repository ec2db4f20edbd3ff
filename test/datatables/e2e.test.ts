/**
 * End to end, issue 7 item 6: a data manager (a real job: the local runner and the executor in
 * worker process A) builds a small reference — a FASTA and its `samtools faidx` index — which is
 * merged into all_fasta / fasta_indexes and stored as a reference bundle in S3 (s3rver). Then a
 * tool selects that reference from its table and runs on worker process B, which has its own
 * NEBULA_HOME, scratch and node cache: nothing on disk in common with A, only PostgreSQL and S3.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { registerDataManagers, tableWithRows } from '../../src/datatables/index.ts';
import { createHdas } from '../../src/model/datasets.ts';
import { createHistory } from '../../src/model/histories.ts';
import { createObjectStore } from '../../src/objectstore/index.ts';
import { registerToolDirectory } from '../../src/toolstore/index.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { NebulaProcess } from '../helpers/processes.ts';
import { startS3rver, type S3rverHandle } from '../helpers/s3rver.ts';

const FIXTURES = path.join(import.meta.dirname, 'fixtures');
const hasSamtools = (() => {
  try {
    execFileSync('samtools', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

let s3: S3rverHandle;
let t: TestApp;
let key: string;
let historyId: number;
let fastaId: string;
const homes: string[] = [];
const workers: NebulaProcess[] = [];

function worker(name: string, serverUrl: string): { proc: NebulaProcess; home: string } {
  const home = mkdtempSync(path.join(os.tmpdir(), `nebula-dt-${name}-`));
  homes.push(home);
  const cfg = s3.s3Config();
  const proc = new NebulaProcess(['serve', '--role', 'worker'], {
    DATABASE_URL: t.db.url,
    NEBULA_HOME: home,
    NEBULA_ID_SECRET: 'test-secret',
    NEBULA_LOG_LEVEL: 'warn',
    NEBULA_OBJECT_STORE: 's3',
    NEBULA_S3_BUCKET: cfg.bucket,
    NEBULA_S3_ENDPOINT: cfg.endpoint,
    NEBULA_S3_REGION: cfg.region,
    NEBULA_S3_ACCESS_KEY_ID: cfg.accessKeyId,
    NEBULA_S3_SECRET_ACCESS_KEY: cfg.secretAccessKey,
    NEBULA_S3_FORCE_PATH_STYLE: 'true',
    NEBULA_CACHE_MAX_BYTES: '0',
    NEBULA_SERVER_URL: serverUrl,
    NEBULA_TASK_POLL_MS: '200',
  });
  workers.push(proc);
  return { proc: proc.start(), home };
}

async function call(method: string, url: string, body?: unknown) {
  const res = await t.app.inject({
    method: method as 'GET',
    url,
    headers: { 'x-api-key': key, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    payload: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.statusCode, json: res.json() as any };
}

async function runTool(toolId: string, inputs: Record<string, unknown>, proc: NebulaProcess) {
  const res = await call('POST', '/api/tools', { history_id: t.ctx.ids.encode(historyId), tool_id: toolId, inputs });
  expect(res.status, JSON.stringify(res.json)).toBe(200);
  const jobId = res.json.jobs[0].id;
  const deadline = Date.now() + 90_000;
  for (;;) {
    const job = (await call('GET', `/api/jobs/${jobId}?full=true`)).json;
    if (['ok', 'error', 'deleted'].includes(job.state)) return { job, outputs: res.json.outputs };
    if (Date.now() > deadline) throw new Error(`job ${jobId} still ${job.state}; worker output:\n${proc.output}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function outputText(hdaEncoded: string): Promise<string> {
  const { rows } = await t.db.pool.query('SELECT d.object_key FROM hdas h JOIN datasets d ON d.id = h.dataset_id WHERE h.id = $1', [t.ctx.ids.decode(hdaEncoded)]);
  const chunks: Buffer[] = [];
  for await (const c of await t.store.get(rows[0].object_key)) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString();
}

beforeAll(async () => {
  s3 = await startS3rver();
  const store = await createObjectStore({ backend: 's3', path: '', s3: { ...s3.s3Config(), forcePathStyle: true }, cache: { path: '', maxBytes: 0 } } as never);
  t = await startTestApp({ store });
  await t.app.listen({ host: '127.0.0.1', port: 0 });
  const me = await t.user('refs');
  key = me.key;
  historyId = (await createHistory(t.db.pool, me.user.id, 'refs')).id;
  const fasta = readFileSync(path.join(FIXTURES, 'small.fa'));
  const [hda] = await createHdas(t.db.pool, historyId, [{ name: 'small.fa', extension: 'fasta', state: 'ok' }]);
  await t.store.put(hda!.object_key!, fasta);
  await t.db.pool.query('UPDATE datasets SET file_size = $2 WHERE id = $1', [hda!.dataset_id, fasta.length]);
  fastaId = t.ctx.ids.encode(hda!.id);
  // Registering twice (a reinstall) must change nothing.
  await registerDataManagers(t.db.pool, t.store, path.join(FIXTURES, 'dm_fasta'));
  await registerDataManagers(t.db.pool, t.store, path.join(FIXTURES, 'dm_fasta'));
  await registerToolDirectory(t.db.pool, t.store, path.join(FIXTURES, 'use_ref'));
}, 120_000);

afterAll(async () => {
  for (const w of workers) await w.kill('SIGKILL');
  await t?.close();
  await s3?.stop();
  for (const h of homes) rmSync(h, { recursive: true, force: true });
});

it('a data manager builds a reference on worker A; a tool uses it on worker B (no shared disk)', async () => {
  expect(hasSamtools, 'samtools is missing: install it (scripts/system-deps.sh does)').toBe(true);
  const address = `http://127.0.0.1:${(t.app.server.address() as { port: number }).port}`;
  const a = worker('a', address);
  const dmInputs = (mode: string) => ({ input: { src: 'hda', id: fastaId }, dbkey: 'small', display_name: 'Small genome', mode });

  // ---- the data manager, twice: one row per table, no duplicate
  const first = await runTool('nebula_dm_fasta', dmInputs('good'), a.proc);
  expect(first.job.state, `${first.job.info}\n${first.job.stderr}\n${a.proc.output}`).toBe('ok');
  const indexes = (await tableWithRows(t.db.pool, 'fasta_indexes'))!;
  expect(indexes.rows).toHaveLength(1);
  const [value, dbkey, name, refPath] = indexes.rows[0]!;
  expect([value, dbkey, name]).toEqual(['small', 'small', 'Small genome']);
  expect(refPath).toMatch(/^bundle:[0-9a-f]{64}\/small\/small\.fa$/);
  expect((await tableWithRows(t.db.pool, 'all_fasta'))!.rows).toEqual([['small', 'small', 'Small genome', refPath]]);
  const versions = { all: (await tableWithRows(t.db.pool, 'all_fasta'))!.table.version, idx: indexes.table.version };

  const second = await runTool('nebula_dm_fasta', dmInputs('good'), a.proc);
  expect(second.job.state).toBe('ok');
  // An absolute path inside the output's extra files is the same entry.
  const third = await runTool('nebula_dm_fasta', dmInputs('absolute'), a.proc);
  expect(third.job.state, third.job.info).toBe('ok');
  const after = (await tableWithRows(t.db.pool, 'fasta_indexes'))!;
  expect(after.rows).toEqual(indexes.rows);
  expect(after.table.version).toBe(versions.idx);
  expect((await tableWithRows(t.db.pool, 'all_fasta'))!.table.version).toBe(versions.all);

  // ---- bad data manager output: a clear error naming table and entry, tables unchanged
  const outside = await runTool('nebula_dm_fasta', dmInputs('outside'), a.proc);
  expect(outside.job.state).toBe('error');
  expect(outside.job.info).toContain('table all_fasta entry 1');
  expect(outside.job.info).toContain('outside the extra files');
  const unknown = await runTool('nebula_dm_fasta', dmInputs('unknown_column'), a.proc);
  expect(unknown.job.state).toBe('error');
  expect(unknown.job.info).toContain('table all_fasta entry 1: unknown column colour');
  expect((await tableWithRows(t.db.pool, 'all_fasta'))!.table.version).toBe(versions.all);
  expect((await tableWithRows(t.db.pool, 'fasta_indexes'))!.rows).toEqual(indexes.rows);

  // ---- worker B, its own home, scratch and node cache
  await a.proc.kill('SIGTERM');
  const b = worker('b', address);
  const form = await call('GET', '/api/tools/nebula_faidx_region/build');
  expect(form.json.inputs.find((i: any) => i.name === 'ref').options).toEqual([['Small genome', 'small', true]]);
  const used = await runTool('nebula_faidx_region', { ref: 'small', region: 'chr1:1-5' }, b.proc);
  expect(used.job.state, `${used.job.info}\n${used.job.stderr}\n${b.proc.output}`).toBe('ok');
  expect(await outputText(used.outputs[0].id)).toBe('reference Small genome (small)\n>chr1:1-5\nACGTA\n');
  expect(used.job.command_line).toContain(path.join(b.home, 'scratch'));

  // Fetched once per node: the second job on B uses the unpacked bundle already in its cache.
  const sha = /^bundle:([0-9a-f]{64})/.exec(refPath!)![1]!;
  const cached = path.join(b.home, 'node-cache', 'bundles', sha);
  const inode = statSync(cached).ino;
  const again = await runTool('nebula_faidx_region', { ref: 'small', region: 'chr2:1-4' }, b.proc);
  expect(again.job.state).toBe('ok');
  expect(await outputText(again.outputs[0].id)).toBe('reference Small genome (small)\n>chr2:1-4\nTTTT\n');
  expect(statSync(cached).ino).toBe(inode);
  expect(statSync(path.join(cached, 'small', 'small.fa.fai')).isFile()).toBe(true);
  // A built the reference but never staged it: B got it from the object store, not from A's disk.
  expect(existsSync(path.join(a.home, 'node-cache', 'bundles', sha))).toBe(false);
}, 300_000);
