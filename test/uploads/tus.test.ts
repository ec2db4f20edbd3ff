import { randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3ObjectStore } from '../../src/objectstore/s3.ts';
import { startS3rver, type S3rverHandle } from '../helpers/s3rver.ts';
import { startUploadApp, type UploadTestApp } from './helpers.ts';

let s3: S3rverHandle;
let t: UploadTestApp;

beforeAll(async () => {
  s3 = await startS3rver();
  t = await startUploadApp({ store: new S3ObjectStore(s3.s3Config('tus')) });
}, 60_000);
afterAll(async () => {
  await t?.close();
  await s3?.stop();
});

const tusHeaders = (extra: Record<string, string> = {}, key = t.key) => ({ 'x-api-key': key, 'tus-resumable': '1.0.0', ...extra });

async function create(length: number, key = t.key): Promise<string> {
  const res = await t.app.inject({ method: 'POST', url: '/api/upload/resumable_upload', headers: tusHeaders({ 'upload-length': String(length) }, key) });
  expect(res.statusCode).toBe(201);
  expect(res.headers['tus-resumable']).toBe('1.0.0');
  expect(res.headers.location).toMatch(/^\/api\/upload\/resumable_upload\/[0-9a-f-]{36}$/);
  return res.headers.location as string;
}

function patch(location: string, offset: number, body: Buffer, key = t.key) {
  return t.app.inject({
    method: 'PATCH',
    url: location,
    headers: tusHeaders({ 'upload-offset': String(offset), 'content-type': 'application/offset+octet-stream' }, key),
    payload: body,
  });
}

describe('tus protocol', () => {
  it('announces its version and extensions on OPTIONS', async () => {
    const res = await t.app.inject({ method: 'OPTIONS', url: '/api/upload/resumable_upload/' });
    expect(res.statusCode).toBe(204);
    expect(res.headers['tus-version']).toBe('1.0.0');
    expect(res.headers['tus-extension']).toContain('creation');
  });

  it('takes a file in chunks into S3, reports offsets on HEAD, and turns it into a dataset through fetch', async () => {
    const lines = Array.from({ length: 20000 }, (_, i) => `chr1\t${i * 10}\t${i * 10 + 5}\tf${i}`).join('\n') + '\n';
    const data = Buffer.from(lines);
    const location = await create(data.length);
    const chunk = 64 * 1024 + 7;
    for (let offset = 0; offset < data.length; offset += chunk) {
      const head = await t.app.inject({ method: 'HEAD', url: location, headers: tusHeaders() });
      expect(head.statusCode).toBe(200);
      expect(Number(head.headers['upload-offset'])).toBe(offset);
      expect(Number(head.headers['upload-length'])).toBe(data.length);
      const res = await patch(location, offset, data.subarray(offset, offset + chunk));
      expect(res.statusCode).toBe(204);
      expect(Number(res.headers['upload-offset'])).toBe(Math.min(offset + chunk, data.length));
    }
    const sessionId = location.split('/').at(-1)!;
    const history = await t.history();
    const res = await t.post('/api/tools/fetch', {
      history_id: history,
      targets: [{ destination: { type: 'hdas' }, elements: [{ src: 'files', ext: 'auto', dbkey: '?', to_posix_lines: true, space_to_tab: false, name: 'regions.bed' }] }],
      'files_0|file_data': { session_id: sessionId, name: 'regions.bed' },
      auto_decompress: false,
    });
    expect(res.status).toBe(200);
    expect(res.json.outputs[0]).toMatchObject({ name: 'regions.bed', hid: 1 });
    const hda = await t.waitForHda(res.json.outputs[0].id);
    expect(hda.state).toBe('ok');
    expect(hda.extension).toBe('bed');
    expect((await t.bytes(hda)).equals(data)).toBe(true);
    // A session is used once; its parts are removed afterwards by the discard task.
    const again = await t.post('/api/tools/fetch', {
      history_id: history,
      targets: [{ destination: { type: 'hdas' }, elements: [{ src: 'files' }] }],
      'files_0|file_data': { session_id: sessionId, name: 'x' },
    });
    expect(again.status).toBeGreaterThanOrEqual(400);
    expect(again.status).toBeLessThan(500);
    const deadline = Date.now() + 10_000;
    let left = 1;
    while (left > 0 && Date.now() < deadline) {
      left = 0;
      for await (const _ of t.store.list(`tus/${sessionId}/`)) left++;
      if (left) await new Promise((r) => setTimeout(r, 100));
    }
    expect(left).toBe(0);
  });

  it('auto-decompresses a gzipped tus upload when asked', async () => {
    const text = 'Just some prose\nover two lines\n';
    const sessionId = await t.tusUpload(gzipSync(Buffer.from(text)), 10);
    const res = await t.post('/api/tools/fetch', {
      history_id: await t.history(),
      targets: [{ destination: { type: 'hdas' }, elements: [{ src: 'files', ext: 'auto' }] }],
      'files_0|file_data': { session_id: sessionId, name: 'notes.txt.gz' },
      auto_decompress: true,
    });
    expect(res.status).toBe(200);
    expect(res.json.outputs[0].name).toBe('notes.txt.gz');
    const hda = await t.waitForHda(res.json.outputs[0].id);
    expect(hda.extension).toBe('txt');
    expect((await t.bytes(hda)).toString()).toBe(text);
  });

  it('answers 409 for a wrong offset, 413 past the length, 404 for unknown or foreign sessions', async () => {
    const location = await create(10);
    expect((await patch(location, 3, Buffer.from('abc'))).statusCode).toBe(409);
    expect((await patch(location, 0, Buffer.from('0123456789AB'))).statusCode).toBe(413);
    expect((await patch(location, 0, Buffer.from('01234'))).statusCode).toBe(204);
    const head = await t.app.inject({ method: 'HEAD', url: location, headers: tusHeaders() });
    expect(head.headers['upload-offset']).toBe('5');
    const unknown = '/api/upload/resumable_upload/00000000-0000-4000-8000-000000000000';
    expect((await t.app.inject({ method: 'HEAD', url: unknown, headers: tusHeaders() })).statusCode).toBe(404);
    expect((await patch(unknown, 0, Buffer.from('x'))).statusCode).toBe(404);
    expect((await patch('/api/upload/resumable_upload/..%2F..%2Fetc', 0, Buffer.from('x'))).statusCode).toBe(404);
    const other = await t.user('someone-else');
    expect((await t.app.inject({ method: 'HEAD', url: location, headers: tusHeaders({}, other.key) })).statusCode).toBe(404);
    expect((await patch(location, 5, Buffer.from('x'), other.key)).statusCode).toBe(404);
    // Bad creation requests.
    const noLength = await t.app.inject({ method: 'POST', url: '/api/upload/resumable_upload', headers: tusHeaders() });
    expect(noLength.statusCode).toBe(400);
    const huge = await t.app.inject({ method: 'POST', url: '/api/upload/resumable_upload', headers: tusHeaders({ 'upload-length': String(2 ** 50) }) });
    expect(huge.statusCode).toBe(413);
    const wrongType = await t.app.inject({
      method: 'PATCH',
      url: location,
      headers: tusHeaders({ 'upload-offset': '5', 'content-type': 'application/octet-stream' }),
      payload: Buffer.from('x'),
    });
    expect(wrongType.statusCode).toBe(415);
    // Termination removes the session and its parts.
    const del = await t.app.inject({ method: 'DELETE', url: location, headers: tusHeaders() });
    expect(del.statusCode).toBe(204);
    expect((await t.app.inject({ method: 'HEAD', url: location, headers: tusHeaders() })).statusCode).toBe(404);
  });

  it('removes abandoned sessions and all their objects in the expire task', async () => {
    const location = await create(100);
    await patch(location, 0, randomBytes(40));
    const id = location.split('/').at(-1)!;
    // An unrecorded part, as a replica killed after storing but before recording leaves behind.
    await t.store.put(`tus/${id}/0000000000000040-orphan`, randomBytes(10));
    await t.db.pool.query(`UPDATE upload_sessions SET update_time = now() - interval '2 days' WHERE id = $1`, [id]);
    const fresh = await create(10);
    await t.db.pool.query(`INSERT INTO nebula_tasks (kind, payload) VALUES ('nebula.uploads.expire-sessions', '{}')`);
    const deadline = Date.now() + 10_000;
    while ((await t.db.pool.query('SELECT 1 FROM upload_sessions WHERE id = $1', [id])).rowCount && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
    }
    expect((await t.db.pool.query('SELECT 1 FROM upload_sessions WHERE id = $1', [id])).rowCount).toBe(0);
    const left = [];
    for await (const o of t.store.list(`tus/${id}/`)) left.push(o.key);
    expect(left).toEqual([]);
    expect((await t.app.inject({ method: 'HEAD', url: fresh, headers: tusHeaders() })).statusCode).toBe(200);
  });

  it('refuses to fetch an incomplete or foreign session, creating nothing', async () => {
    const location = await create(100);
    await patch(location, 0, randomBytes(10));
    const history = await t.history();
    const res = await t.post('/api/tools/fetch', {
      history_id: history,
      targets: [{ destination: { type: 'hdas' }, elements: [{ src: 'files' }] }],
      'files_0|file_data': { session_id: location.split('/').at(-1), name: 'x' },
    });
    expect(res.status).toBe(400);
    expect(res.json.err_msg).toMatch(/incomplete/);
    const { rows } = await t.db.pool.query('SELECT count(*)::int AS n FROM hdas WHERE history_id = $1', [t.ctx.ids.decode(history)]);
    expect(rows[0].n).toBe(0);
  });
});
