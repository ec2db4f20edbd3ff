/**
 * The tool store against real PostgreSQL and the file object store: bundles keep executable
 * bits and macros, registration is idempotent, tools load from the bundle alone (the source
 * directory is gone), and /api/tools serves the panel, tool details and forms.
 */
import { cp, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer } from '../../src/api/server.ts';
import { loadConfig } from '../../src/config/load.ts';
import { FileObjectStore } from '../../src/objectstore/index.ts';
import {
  compareVersions, extractBundle, loadRegisteredTool, registerToolDirectory, ToolBundleError, ToolNotFoundError,
} from '../../src/toolstore/index.ts';
import { packTar, unpackTar } from '../../src/toolstore/tar.ts';
import { IdCodec } from '../../src/util/ids.ts';
import { createLogger } from '../../src/util/log.ts';
import { freshDatabase, type TestDatabase } from '../helpers/db.ts';

const SUITE = path.resolve(import.meta.dirname, '../tools/fixtures-suite');

describe('tar bundles', () => {
  it('round-trips files, modes and long paths deterministically', () => {
    const long = `${'d'.repeat(120)}/${'f'.repeat(90)}.txt`;
    const entries = [
      { path: 'b.sh', mode: 0o755, data: Buffer.from('#!/bin/sh\necho hi\n') },
      { path: 'a/macros.xml', mode: 0o644, data: Buffer.from('<macros/>') },
      { path: long, mode: 0o644, data: Buffer.alloc(1500, 7) },
    ];
    const tar = packTar(entries);
    expect(packTar([...entries].reverse()).equals(tar)).toBe(true);
    const back = unpackTar(tar);
    expect(back.map((e) => e.path)).toEqual(['a/macros.xml', 'b.sh', long]);
    expect(back.find((e) => e.path === 'b.sh')!.mode).toBe(0o755);
    expect(back.find((e) => e.path === long)!.data.equals(entries[2]!.data)).toBe(true);
  });

  it('orders versions numerically', () => {
    expect(['1.10', '1.2', '1.2+galaxy1', '0.9'].sort(compareVersions)).toEqual(['0.9', '1.2', '1.2+galaxy1', '1.10']);
  });
});

describe('tool store', () => {
  let db: TestDatabase;
  let objects: string;
  let store: FileObjectStore;
  let work: string;
  let app: FastifyInstance;

  beforeAll(async () => {
    db = await freshDatabase();
    objects = await mkdtemp(path.join(os.tmpdir(), 'nebula-toolstore-'));
    work = await mkdtemp(path.join(os.tmpdir(), 'nebula-tooldir-'));
    store = new FileObjectStore(objects);
    const config = loadConfig({ NEBULA_HOME: work, NEBULA_LOG_LEVEL: 'silent', NEBULA_CACHE_MAX_BYTES: '0' });
    const ctx = { config, pool: db.pool, log: createLogger('silent'), ids: new IdCodec('test'), store, metrics: new Registry(), ready: { value: true } };
    app = await buildServer(ctx);
  });
  afterAll(async () => {
    await app?.close();
    await db?.drop();
    await rm(objects, { recursive: true, force: true });
    await rm(work, { recursive: true, force: true });
  });

  it('registers a directory once per content and loads tools from the bundle alone', async () => {
    const dir = path.join(work, 'text_ops');
    await cp(path.join(SUITE, 'text_ops'), dir, { recursive: true });
    const first = await registerToolDirectory(db.pool, store, dir, { section: 'Text Manipulation' });
    expect(first.tools).toEqual([{ id: 'nebula_text_ops', version: '1.0+galaxy0', toolPath: 'text_ops.xml' }]);
    expect(first.bundleWritten).toBe(true);
    expect(first.bundleKey).toMatch(/^tools\/[0-9a-f]{2}\/[0-9a-f]{64}\.tar\.gz$/);
    const again = await registerToolDirectory(db.pool, store, dir, { section: 'Text Manipulation' });
    expect(again.bundleWritten).toBe(false);
    expect(again.bundleKey).toBe(first.bundleKey);
    const keys: string[] = [];
    for await (const o of store.list('tools/')) keys.push(o.key);
    expect(keys).toEqual([first.bundleKey]);

    await rm(dir, { recursive: true, force: true }); // no shared disk: the source is gone
    const loaded = await loadRegisteredTool(db.pool, store, 'nebula_text_ops');
    expect(loaded.tool.version).toBe('1.0+galaxy0');
    expect(loaded.tool.requirements.map((r) => r.name)).toEqual(['python', 'coreutils']); // from the macro, with the yield
    expect(loaded.section).toEqual({ id: 'text_manipulation', name: 'Text Manipulation' });
    const extracted = path.join(work, 'extracted');
    await extractBundle(loaded.bundle!, extracted);
    expect((await stat(path.join(extracted, 'annotate.py'))).mode & 0o111).not.toBe(0);
    expect((await stat(path.join(extracted, 'macros.xml'))).mode & 0o111).toBe(0);
    expect(await readFile(path.join(extracted, 'test-data', 'input.tabular'), 'utf8')).toBe('c\t3\tz\na\t1\tx\nb\t2\ty\n');

    const row = await db.pool.query('SELECT requirements, profile, tool_path FROM tools WHERE id = $1', ['nebula_text_ops']);
    expect(row.rows[0]).toMatchObject({ profile: '21.01', tool_path: 'text_ops.xml' });
  });

  it('refuses a directory without tools or with a broken tool, storing nothing', async () => {
    const empty = await mkdtemp(path.join(work, 'empty-'));
    await expect(registerToolDirectory(db.pool, store, empty)).rejects.toThrow(ToolBundleError);
    const broken = await mkdtemp(path.join(work, 'broken-'));
    await cp(path.resolve(import.meta.dirname, '../tools/fixtures/missing_macro.xml'), path.join(broken, 'tool.xml'));
    const before = (await db.pool.query('SELECT count(*)::int AS n FROM tools')).rows[0].n;
    await expect(registerToolDirectory(db.pool, store, broken)).rejects.toThrow(/macro/i);
    expect((await db.pool.query('SELECT count(*)::int AS n FROM tools')).rows[0].n).toBe(before);
    await expect(loadRegisteredTool(db.pool, store, 'no_such_tool')).rejects.toThrow(ToolNotFoundError);
  });

  it('GET /api/tools lists upload1 and registered tools, in the panel and flat', async () => {
    await registerToolDirectory(db.pool, store, path.join(SUITE, 'split'));
    const flat = await app.inject({ method: 'GET', url: '/api/tools?in_panel=False' });
    expect(flat.statusCode).toBe(200);
    const list = flat.json() as { model_class: string; id: string; name: string; version: string; panel_section_id: string | null }[];
    expect(list.map((t) => t.id)).toEqual(expect.arrayContaining(['upload1', '__DATA_FETCH__', 'nebula_text_ops', 'nebula_split']));
    expect(list.find((t) => t.id === 'nebula_text_ops')).toMatchObject({ model_class: 'Tool', name: 'Text operations', version: '1.0+galaxy0', panel_section_id: 'text_manipulation' });

    const panel = (await app.inject({ method: 'GET', url: '/api/tools?in_panel=true' })).json() as { model_class: string; id: string; elems?: { id: string }[] }[];
    const sections = panel.filter((e) => e.model_class === 'ToolSection');
    expect(sections.find((s) => s.id === 'getext')!.elems!.map((e) => e.id)).toEqual(['upload1']); // __DATA_FETCH__ is hidden
    expect(sections.find((s) => s.id === 'text_manipulation')!.elems!.map((e) => e.id)).toEqual(['nebula_text_ops']);
    expect(panel.find((e) => e.id === 'nebula_split')?.model_class).toBe('Tool'); // no section: top level

    expect((await app.inject({ method: 'GET', url: '/api/tools?q=split' })).json()).toEqual(['nebula_split']);
    expect((await app.inject({ method: 'GET', url: '/api/tools?in_panel=maybe' })).statusCode).toBe(400);
  });

  it('GET /api/tools/{id} with io_details and the build form model', async () => {
    const show = await app.inject({ method: 'GET', url: '/api/tools/nebula_text_ops?io_details=true' });
    expect(show.statusCode).toBe(200);
    const body = show.json();
    expect(body.inputs.map((i: { name: string }) => i.name)).toEqual(['input', 'mode', 'extra']);
    expect(body.outputs.map((o: { name: string }) => o.name)).toEqual(['output', 'extra_out']);
    expect((await app.inject({ method: 'GET', url: '/api/tools/nope' })).statusCode).toBe(404);

    const form = (await app.inject({ method: 'GET', url: '/api/tools/nebula_text_ops/build' })).json();
    expect(form).toMatchObject({ id: 'nebula_text_ops', name: 'Text operations', version: '1.0+galaxy0', versions: ['1.0+galaxy0'] });
    const [input, mode, extra] = form.inputs;
    expect(input).toMatchObject({ name: 'input', type: 'data', extensions: ['tabular'], help: 'A tab-separated table' });
    expect(mode.type).toBe('conditional');
    expect(mode.test_param).toMatchObject({ name: 'op', type: 'select', value: 'sort' });
    expect(mode.test_param.options).toEqual([['Sort', 'sort', true], ['Head', 'head', false], ['Annotate', 'annotate', false]]);
    expect(mode.cases.map((c: { value: string }) => c.value)).toEqual(['sort', 'head', 'annotate']);
    expect(mode.cases[1].inputs[0]).toMatchObject({ name: 'lines', type: 'integer', value: 1, min: 1 });
    expect(extra).toMatchObject({ type: 'section', name: 'extra' });
    expect(extra.inputs[1]).toMatchObject({ type: 'repeat', name: 'tags', min: 0 });
    expect(form.state_inputs.mode).toEqual({ op: 'sort', reverse: false, __current_case__: 0 });

    const posted = await app.inject({ method: 'POST', url: '/api/tools/nebula_text_ops/build', payload: { inputs: { input: { src: 'hda', id: 'x' }, 'mode|op': 'head', 'mode|lines': '0' } } });
    expect(posted.statusCode).toBe(200);
    const p = posted.json();
    expect(p.state_inputs.mode).toEqual({ op: 'head', lines: '0', __current_case__: 1 });
    expect(p.inputs[1].test_param.options[1]).toEqual(['Head', 'head', true]);
    expect(Object.keys(p.errors)).toEqual(['mode|lines']);

    const upload = (await app.inject({ method: 'GET', url: '/api/tools/upload1/build' })).json();
    expect(upload.inputs.map((i: { name: string }) => i.name)).toEqual(['file_type', 'dbkey', 'files']);
  });
});
