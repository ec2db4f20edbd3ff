import { readFileSync } from 'node:fs';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCollection, createHdca } from '../../src/model/collections.ts';
import { createHdas } from '../../src/model/datasets.ts';
import { readTar, TAR_END, tarHeader, tarPadding } from '../../src/util/tar.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';

const FIXTURE = '/usr/lib/python3/dist-packages/bioblend/_tests/data/Galaxy-History-Test-history-for-export.tar.gz';

let t: TestApp;
let aliceKey: string;
let aliceId: number;
let bobKey: string;

beforeAll(async () => {
  t = await startTestApp({ worker: true });
  const alice = await t.user('alice');
  aliceKey = alice.key;
  aliceId = alice.user.id;
  bobKey = (await t.user('bob')).key;
});
afterAll(async () => t?.close());

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

async function call(method: string, url: string, key: string, body?: unknown) {
  const headers: Record<string, string> = { 'x-api-key': key, 'content-type': 'application/json' };
  const res = await t.app.inject({ method: method as 'GET', url, headers, payload: body === undefined ? undefined : JSON.stringify(body) });
  return { status: res.statusCode, json: res.body && res.headers['content-type']?.toString().includes('json') ? (JSON.parse(res.body) as Json) : null, raw: res.rawPayload };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function untilReady<T>(probe: () => Promise<T | null>, what: string): Promise<T> {
  for (let i = 0; i < 200; i++) {
    const value = await probe();
    if (value !== null) return value;
    await sleep(100);
  }
  throw new Error(`${what} did not finish`);
}

/** Multipart body as BioBlend's MultipartEncoder sends it. */
function multipart(fields: Record<string, string>, file: { name: string; filename: string; data: Buffer }) {
  const boundary = 'nebula-test-boundary-1234';
  const parts: Buffer[] = [];
  for (const [k, v] of Object.entries(fields)) {
    parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`));
  }
  parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${file.name}"; filename="${file.filename}"\r\nContent-Type: application/octet-stream\r\n\r\n`));
  parts.push(file.data, Buffer.from(`\r\n--${boundary}--\r\n`));
  return { payload: Buffer.concat(parts), contentType: `multipart/form-data; boundary=${boundary}` };
}

/** Posts an archive for import and waits for the import's outcome. */
async function importArchive(data: Buffer, key = aliceKey): Promise<Json> {
  const body = multipart({ archive_source: '', archive_type: 'file' }, { name: 'archive_file', filename: 'a.tar.gz', data });
  const res = await t.app.inject({ method: 'POST', url: '/api/histories', headers: { 'x-api-key': key, 'content-type': body.contentType }, payload: body.payload });
  expect(res.statusCode).toBe(200);
  const started = JSON.parse(res.body) as Json;
  expect(started).toMatchObject({ model_class: 'Job', state: 'queued' });
  return untilReady(async () => {
    const status = await call('GET', started.import_url, key);
    return status.json!.state === 'queued' ? null : status.json!;
  }, 'import');
}

async function datasetBytes(encodedId: string): Promise<string> {
  const id = t.ctx.ids.decode(encodedId)!;
  const { rows } = await t.db.pool.query('SELECT d.object_key FROM hdas h JOIN datasets d ON d.id = h.dataset_id WHERE h.id = $1', [id]);
  const chunks: Buffer[] = [];
  for await (const c of await t.store.get(rows[0].object_key)) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString();
}

async function tarEntries(tar: Buffer): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for await (const e of readTar([tar])) {
    const parts: Buffer[] = [];
    for await (const c of e.body()) parts.push(c);
    out.set(e.path, Buffer.concat(parts).toString());
  }
  return out;
}

async function counts() {
  const { rows } = await t.db.pool.query(
    `SELECT (SELECT count(*) FROM histories WHERE user_id = $1)::int AS histories, (SELECT count(*) FROM datasets)::int AS datasets`,
    [aliceId],
  );
  let objects = 0;
  for await (const _ of t.store.list('datasets/')) objects++;
  return { ...rows[0], objects };
}

describe('history export', () => {
  let historyId: string;

  beforeAll(async () => {
    historyId = (await call('POST', '/api/histories', aliceKey, { name: 'To export' })).json!.id;
    const hid = t.ctx.ids.decode(historyId)!;
    const hdas = await createHdas(t.db.pool, hid, [
      { name: 'first.bed', extension: 'bed', state: 'ok' },
      { name: '../sneaky name', extension: 'txt', state: 'ok' },
      { name: 'hidden element', extension: 'txt', state: 'ok', visible: false },
    ]);
    const contents = ['chr1\t1\t2\n', 'hello\n', 'element\n'];
    for (const [i, hda] of hdas.entries()) {
      await t.store.put(hda.object_key!, contents[i]!);
      await t.db.pool.query('UPDATE datasets SET file_size = $2 WHERE id = $1', [hda.dataset_id, contents[i]!.length]);
    }
    await t.db.pool.query(`UPDATE hdas SET metadata = '{"dataLines": 1, "columns": 3}' WHERE id = $1`, [hdas[0]!.id]);
    const collectionId = await createCollection(t.db.pool, { collection_type: 'list', elements: [{ identifier: 'only', hdaId: hdas[2]!.id }] });
    await createHdca(t.db.pool, hid, 'my list', collectionId);
  });

  it('answers 202 until the archive is ready, then 200 with a download_url; the same archive is reused', async () => {
    const first = await call('PUT', `/api/histories/${historyId}/exports`, aliceKey);
    expect([200, 202]).toContain(first.status);
    const ready = await untilReady(async () => {
      const r = await call('PUT', `/api/histories/${historyId}/exports`, aliceKey);
      return r.status === 200 ? r.json! : null;
    }, 'export');
    expect(ready.download_url).toMatch(new RegExp(`^/api/histories/${historyId}/exports/[0-9a-f]{16}$`));
    expect(ready.id).toBe(first.json!.id);
    const listed = await call('GET', `/api/histories/${historyId}/exports`, aliceKey);
    expect(listed.json!.map((e: Json) => e.id)).toEqual([ready.id]);
    expect(listed.json![0]).toMatchObject({ ready: true, up_to_date: true });

    const download = await call('GET', ready.download_url, aliceKey);
    expect(download.status).toBe(200);
    const entries = await tarEntries(gunzipSync(download.raw));
    const history = JSON.parse(entries.get('history_attrs.txt')!);
    expect(history.name).toBe('To export');
    const datasets = JSON.parse(entries.get('datasets_attrs.txt')!) as Json[];
    // The hidden dataset is exported because the (visible) collection holds it.
    expect(datasets.map((d) => d.name)).toEqual(['first.bed', '../sneaky name', 'hidden element']);
    expect(datasets[0]!.metadata).toMatchObject({ data_lines: 1, columns: 3, dbkey: '?' });
    for (const d of datasets) {
      expect(d.file_name).toMatch(/^datasets\/[A-Za-z0-9_.-]+$/);
      expect(d.file_name).not.toContain('..');
    }
    expect(entries.get(datasets[0]!.file_name)).toBe('chr1\t1\t2\n');
    const collections = JSON.parse(entries.get('collections_attrs.txt')!) as Json[];
    expect(collections[0]).toMatchObject({ display_name: 'my list', collection: { type: 'list' } });
    expect(collections[0]!.collection.elements[0].hda.encoded_id).toBe(datasets[2]!.encoded_id);
  });

  it('round-trips: the exported archive imports into a new history with the same contents', async () => {
    const ready = (await call('PUT', `/api/histories/${historyId}/exports`, aliceKey)).json!;
    const archive = (await call('GET', ready.download_url, aliceKey)).raw;
    const done = await importArchive(archive);
    expect(done.state).toBe('ok');
    const imported = (await call('GET', `/api/histories/${done.history_id}`, aliceKey)).json!;
    expect(imported.name).toBe('To export');
    const contents = (await call('GET', `/api/histories/${done.history_id}/contents`, aliceKey)).json! as Json[];
    expect(contents.map((c) => [c.hid, c.name, c.history_content_type, c.visible])).toEqual([
      [1, 'first.bed', 'dataset', true],
      [2, '../sneaky name', 'dataset', true],
      [3, 'hidden element', 'dataset', false],
      [4, 'my list', 'dataset_collection', true],
    ]);
    expect(await datasetBytes(contents[1]!.id)).toBe('hello\n');
    const shown = (await call('GET', `/api/datasets/${contents[0]!.id}`, aliceKey)).json!;
    expect(shown).toMatchObject({ state: 'ok', extension: 'bed', metadata_data_lines: 1, file_size: 9 });
    const list = (await call('GET', `/api/histories/${done.history_id}/contents/dataset_collections/${contents[3]!.id}`, aliceKey)).json!;
    expect(list.elements[0]).toMatchObject({ element_identifier: 'only', object: { id: contents[2]!.id } });
  });

  it('a new export is made once the history changes', async () => {
    const before = (await call('PUT', `/api/histories/${historyId}/exports`, aliceKey)).json!;
    await call('PUT', `/api/histories/${historyId}`, aliceKey, { name: 'Renamed' });
    const after = await call('PUT', `/api/histories/${historyId}/exports`, aliceKey);
    expect(after.json!.id).not.toBe(before.id);
    // Uncompressed exports are separate archives.
    const tar = await untilReady(async () => {
      const r = await call('PUT', `/api/histories/${historyId}/exports?gzip=false`, aliceKey);
      return r.status === 200 ? r.json! : null;
    }, 'tar export');
    const raw = (await call('GET', tar.download_url, aliceKey)).raw;
    expect(JSON.parse((await tarEntries(raw)).get('history_attrs.txt')!).name).toBe('Renamed');
  });

  it('another user can neither export nor download a private history (404)', async () => {
    const exports = (await call('GET', `/api/histories/${historyId}/exports`, aliceKey)).json! as Json[];
    expect((await call('PUT', `/api/histories/${historyId}/exports`, bobKey)).status).toBe(404);
    expect((await call('GET', `/api/histories/${historyId}/exports`, bobKey)).status).toBe(404);
    expect((await call('GET', exports[0]!.download_url, bobKey)).status).toBe(404);
    expect((await call('PUT', '/api/histories/not-an-id/exports', aliceKey)).status).toBe(400);
  });
});

describe('history import', () => {
  it('imports the archive Galaxy exported (BioBlend test data)', async () => {
    const done = await importArchive(readFileSync(FIXTURE));
    expect(done.state).toBe('ok');
    const history = (await call('GET', `/api/histories/${done.history_id}`, aliceKey)).json!;
    expect(history.name).toBe('Test history for export');
    const contents = (await call('GET', `/api/histories/${done.history_id}/contents`, aliceKey)).json! as Json[];
    // hids 1-5 of the archive; hid 2 and 3 are a hidden copy and its original.
    expect(contents.map((c) => [c.hid, c.name, c.visible])).toEqual([
      [1, '1.bed', true],
      [2, 'Select first on data 1', true],
      [3, 'Select first on data 1', false],
      [4, '1.bed', false],
      [5, 'Bed list', true],
    ]);
    const bed = (await call('GET', `/api/datasets/${contents[0]!.id}`, aliceKey)).json!;
    expect(bed).toMatchObject({ extension: 'bed', state: 'ok', file_size: 4202, metadata_data_lines: 65, misc_blurb: '65 regions' });
    const fixtureFiles = await tarEntries(gunzipSync(readFileSync(FIXTURE)));
    expect(await datasetBytes(contents[1]!.id)).toBe(fixtureFiles.get('datasets/Select_first_on_data_1_3.bed'));
    // Copies in the archive (same file) share one dataset here too.
    expect(contents[0]!.dataset_id).toBe(contents[3]!.dataset_id);
    expect(contents[1]!.dataset_id).toBe(contents[2]!.dataset_id);
    const list = (await call('GET', `/api/histories/${done.history_id}/contents/dataset_collections/${contents[4]!.id}`, aliceKey)).json!;
    expect(list.elements.map((e: Json) => [e.element_identifier, e.object.id])).toEqual([
      ['Select first on data 1', contents[2]!.id],
      ['1.bed', contents[3]!.id],
    ]);
  });

  function tarOf(entries: Array<{ path: string; data?: string; type?: string; link?: string }>): Buffer {
    const parts: Buffer[] = [];
    for (const e of entries) {
      const data = Buffer.from(e.data ?? '');
      const header = tarHeader({ path: 'placeholder', size: e.type ? 0 : data.length });
      // Write the hostile name and type by hand: our own writer never makes such entries.
      header.fill(0, 0, 100);
      header.write(e.path, 0, 'utf8');
      if (e.type) header.write(e.type, 156, 'ascii');
      if (e.link) header.write(e.link, 157, 'utf8');
      header.fill(0x20, 148, 156);
      let sum = 0;
      for (const b of header) sum += b;
      header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'ascii');
      parts.push(header, ...(e.type ? [] : [data, tarPadding(data.length)]));
    }
    parts.push(TAR_END);
    return gzipSync(Buffer.concat(parts));
  }

  const history = { path: 'history_attrs.txt', data: JSON.stringify({ name: 'evil' }) };
  const datasets = (file: string) => ({ path: 'datasets_attrs.txt', data: JSON.stringify([{ name: 'x', hid: 1, encoded_id: 'a', file_name: file, extension: 'txt' }]) });

  it.each([
    ['a ../ path', [history, datasets('datasets/x'), { path: 'datasets/x', data: 'ok\n' }, { path: 'datasets/../../escape', data: 'bad' }], /escapes the archive with "\.\."/],
    ['an absolute path', [history, { path: '/etc/cron.d/evil', data: 'bad' }], /absolute path/],
    ['a symbolic link', [history, datasets('datasets/x'), { path: 'datasets/x', type: '2', link: '/etc/passwd' }], /symbolic link \(to \/etc\/passwd\)/],
    ['a hard link', [history, { path: 'datasets/x', type: '1', link: 'history_attrs.txt' }], /hard link/],
    ['no history_attrs.txt', [{ path: 'datasets/x', data: 'x' }], /history_attrs\.txt is missing/],
    ['a collection pointing outside the archive', [history, datasets('datasets/x'), { path: 'datasets/x', data: 'x' }, { path: 'collections_attrs.txt', data: JSON.stringify([{ display_name: 'c', collection: { type: 'list', elements: [{ element_identifier: 'e', hda: { encoded_id: 'zzz' } }] } }]) }], /not in the archive/],
  ])('refuses an archive with %s, with a clear error, creating nothing', async (_what, entries, message) => {
    const before = await counts();
    const done = await importArchive(tarOf(entries));
    expect(done.state).toBe('error');
    expect(done.message).toMatch(message);
    expect(done.history_id).toBeNull();
    expect(await counts()).toEqual(before);
  });

  it('refuses what is not an archive at all, and bad requests up front', async () => {
    const done = await importArchive(Buffer.from('just some text, not a tar'));
    expect(done).toMatchObject({ state: 'error' });
    expect(done.message).toMatch(/not a tar archive|truncated/);
    expect((await call('POST', '/api/histories', aliceKey, { archive_type: 'url', archive_source: 'file:///etc/passwd' })).status).toBe(400);
    expect((await call('POST', '/api/histories', aliceKey, { archive_type: 'file', archive_file: 'inline text' })).status).toBe(400);
  });

  it('another user cannot see an import', async () => {
    const body = multipart({ archive_type: 'file' }, { name: 'archive_file', filename: 'f.tar.gz', data: readFileSync(FIXTURE) });
    const res = await t.app.inject({ method: 'POST', url: '/api/histories', headers: { 'x-api-key': aliceKey, 'content-type': body.contentType }, payload: body.payload });
    const url = JSON.parse(res.body).import_url as string;
    expect((await call('GET', url, bobKey)).status).toBe(404);
  });
});
