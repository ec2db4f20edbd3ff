/**
 * Data tables in the database: .loc import and export, versioning, bad .loc lines, the
 * /api/tool_data routes BioBlend uses (admin only), and the build form's data table options.
 */
import { spawnSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataTableError, exportLoc, importTableConf, mergeRows, tableWithRows } from '../../src/datatables/index.ts';
import { withTransaction } from '../../src/db/pool.ts';
import { registerToolDirectory } from '../../src/toolstore/index.ts';
import { ADMIN_KEY, startTestApp, type TestApp } from '../helpers/app.ts';
import { NEBULA_BIN } from '../helpers/processes.ts';

const FIXTURES = path.join(import.meta.dirname, 'fixtures');
const CONF = path.join(FIXTURES, 'tool_data_table_conf.xml');

let t: TestApp;
let userKey: string;
beforeAll(async () => {
  t = await startTestApp();
  userKey = (await t.user('dt-user')).key;
});
afterAll(async () => {
  await t?.close();
});

async function call(method: string, url: string, body?: unknown, key: string = ADMIN_KEY) {
  const res = await t.app.inject({
    method: method as 'GET',
    url,
    headers: { 'x-api-key': key, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    payload: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.statusCode, json: res.json() as any };
}

describe('import and export', () => {
  it('imports tool_data_table_conf.xml with its .loc files, once', async () => {
    const first = await importTableConf(t.db.pool, CONF, path.join(FIXTURES, 'loc'));
    expect(first.map((r) => [r.table, r.definition, r.added])).toEqual([
      ['all_fasta', 'created', 3],
      ['fasta_indexes', 'created', 1],
    ]);
    const again = await importTableConf(t.db.pool, CONF, path.join(FIXTURES, 'loc'));
    expect(again.map((r) => [r.added, r.replaced, r.unchanged])).toEqual([[0, 0, 3], [0, 0, 1]]);
    expect(again[0]!.version).toBe(first[0]!.version); // nothing changed, no new version
    const found = await tableWithRows(t.db.pool, 'all_fasta');
    expect(found!.table.columns).toEqual(['value', 'dbkey', 'name', 'path']);
    expect(found!.rows[1]).toEqual(['mm10', 'mm10', 'Mouse (mm10)', '/refs/mm10/mm10.fa']);
  });

  it('exports a table back to .loc lines', async () => {
    const text = await exportLoc(t.db.pool, 'all_fasta');
    const rows = text.split('\n').filter((l) => l && !l.startsWith('#'));
    const original = (await readFile(path.join(FIXTURES, 'loc', 'all_fasta.loc'), 'utf8')).split('\n').filter((l) => l && !l.startsWith('#'));
    expect(rows).toEqual(original);
  });

  it('refuses a .loc line with the wrong number of columns, naming table and line, and changes nothing', async () => {
    const before = await tableWithRows(t.db.pool, 'all_fasta');
    const error = await importTableConf(t.db.pool, CONF, path.join(FIXTURES, 'bad-loc')).catch((e) => e);
    expect(error).toBeInstanceOf(DataTableError);
    expect(error.message).toContain('table all_fasta');
    expect(error.message).toContain('all_fasta.loc line 3');
    expect(error.message).toContain('expected 4');
    expect(await tableWithRows(t.db.pool, 'all_fasta')).toEqual(before);
  });

  it('merges by identity (the value column): same row twice adds nothing, a changed row replaces', async () => {
    const row = ['hg38', 'hg38', 'Human (hg38)', '/refs/hg38.fa'];
    const a = await withTransaction(t.db.pool, (c) => mergeRows(c, 'all_fasta', [row], 'test'));
    const b = await withTransaction(t.db.pool, (c) => mergeRows(c, 'all_fasta', [row], 'test'));
    expect([a.added, b.added, b.unchanged, b.version]).toEqual([1, 0, 1, a.version]);
    const c2 = await withTransaction(t.db.pool, (c) => mergeRows(c, 'all_fasta', [[...row.slice(0, 3), '/refs/hg38/new.fa']], 'test'));
    expect([c2.replaced, c2.version]).toEqual([1, a.version + 1]);
    const rows = (await tableWithRows(t.db.pool, 'all_fasta'))!.rows.filter((r) => r[0] === 'hg38');
    expect(rows).toEqual([['hg38', 'hg38', 'Human (hg38)', '/refs/hg38/new.fa']]);
    const { rows: log } = await t.db.pool.query("SELECT action FROM data_table_changes WHERE table_name = 'all_fasta' AND version > $1 ORDER BY id", [a.version - 1]);
    expect(log.map((l) => l.action)).toEqual(['add', 'replace']);
  });
});

describe('/api/tool_data', () => {
  it('is for admins only', async () => {
    expect((await call('GET', '/api/tool_data', undefined, userKey)).status).toBe(403);
    expect((await call('GET', '/api/tool_data/all_fasta', undefined, userKey)).status).toBe(403);
    expect((await call('DELETE', '/api/tool_data/all_fasta', { values: 'a\tb\tc\td' }, userKey)).status).toBe(403);
  });

  it('lists, shows and reloads in Galaxy\'s shape', async () => {
    const list = await call('GET', '/api/tool_data');
    expect(list.json).toEqual([
      { model_class: 'TabularToolDataTable', name: 'all_fasta' },
      { model_class: 'TabularToolDataTable', name: 'fasta_indexes' },
    ]);
    const show = await call('GET', '/api/tool_data/fasta_indexes');
    expect(show.status).toBe(200);
    expect(show.json).toMatchObject({ model_class: 'TabularToolDataTable', name: 'fasta_indexes', columns: ['value', 'dbkey', 'name', 'path'] });
    expect(show.json.fields).toEqual([['hg19', 'hg19', 'Human (hg19)', '/refs/hg19/hg19.fa']]);
    expect((await call('GET', '/api/tool_data/fasta_indexes/reload')).json.fields).toEqual(show.json.fields);
    expect((await call('GET', '/api/tool_data/nope')).status).toBe(404);
  });

  it('deletes a row given as tab-separated values, and the next read on any replica sees it', async () => {
    const before = (await call('GET', '/api/tool_data/all_fasta')).json;
    const res = await call('DELETE', '/api/tool_data/all_fasta', { values: 'sacCer3\tsacCer3\tYeast (sacCer3)\t/refs/sacCer3/sacCer3.fa' });
    expect(res.status).toBe(200);
    expect(res.json.fields.length).toBe(before.fields.length - 1);
    expect(res.json.version).toBe(before.version + 1);
    // Another replica is just another reader of the same database.
    const other = await tableWithRows(t.db.pool, 'all_fasta');
    expect(other!.rows.some((r) => r[0] === 'sacCer3')).toBe(false);
    expect((await call('DELETE', '/api/tool_data/all_fasta', { values: 'sacCer3\tsacCer3\tYeast (sacCer3)\t/refs/sacCer3/sacCer3.fa' })).status).toBe(400);
    const wrong = await call('DELETE', '/api/tool_data/all_fasta', { values: 'only\ttwo' });
    expect(wrong.status).toBe(400);
    expect(wrong.json.err_msg).toContain('table all_fasta');
  });
});

describe('tools use the tables', () => {
  it('lists a data table select\'s options in the build form, filtered and sorted', async () => {
    await withTransaction(t.db.pool, (c) =>
      mergeRows(c, 'fasta_indexes', [['aaa', 'aaa', 'Zebra', '/z.fa'], ['bbb', 'bbb', 'Ant', '/a.fa']], 'test'),
    );
    await registerToolDirectory(t.db.pool, t.store, path.join(FIXTURES, 'use_ref'));
    const form = await call('GET', '/api/tools/nebula_faidx_region/build', undefined, userKey);
    expect(form.status).toBe(200);
    const ref = form.json.inputs.find((i: any) => i.name === 'ref');
    expect(ref.options).toEqual([
      ['Ant', 'bbb', true],
      ['Human (hg19)', 'hg19', false],
      ['Zebra', 'aaa', false],
    ]);
    const bad = await call('POST', '/api/tools/nebula_faidx_region/build', { inputs: { ref: 'nope' } }, userKey);
    expect(bad.json.errors.ref).toContain('not a valid option');
  });
});

describe('nebula datatables (CLI)', () => {
  const run = (args: string[]) =>
    spawnSync(process.execPath, [NEBULA_BIN, 'datatables', ...args], {
      env: { ...process.env, DATABASE_URL: t.db.url, NEBULA_HOME: path.join(t.ctx.config.home, 'cli'), NEBULA_LOG_LEVEL: 'silent' },
      encoding: 'utf8',
    });

  it('imports, exports and names a bad .loc line with exit code 1', () => {
    const ok = run(['import', CONF, '--loc-dir', path.join(FIXTURES, 'loc')]);
    expect(ok.status, ok.stderr).toBe(0);
    expect(ok.stdout).toContain('fasta_indexes: unchanged');
    const out = run(['export', 'fasta_indexes']);
    expect(out.status).toBe(0);
    expect(out.stdout).toContain('hg19\thg19\tHuman (hg19)\t/refs/hg19/hg19.fa\n');
    const bad = run(['import', CONF, '--loc-dir', path.join(FIXTURES, 'bad-loc')]);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain('table all_fasta: all_fasta.loc line 3');
    expect(run(['export', 'nope']).stderr).toContain('data table "nope" does not exist');
  });
});
