import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFileServer } from './http-server.ts';
import { pastePayload, startUploadApp, type UploadTestApp } from './helpers.ts';

let t: UploadTestApp;
let files: Awaited<ReturnType<typeof startFileServer>>;

beforeAll(async () => {
  t = await startUploadApp();
  files = await startFileServer({ '/reads.fasta': { body: '>seq1\nACGT\n>seq2\nGGCC\n' } });
});
afterAll(async () => {
  if (t) t.ctx.config.uploads.allowPrivateUrls = false;
  await files?.close();
  await t?.close();
});

const countHdas = async (history: string) =>
  (await t.db.pool.query('SELECT count(*)::int AS n FROM hdas WHERE history_id = $1', [t.ctx.ids.decode(history)])).rows[0].n;

describe('POST /api/tools/fetch', () => {
  it('uploads pasted and url elements into datasets', async () => {
    t.ctx.config.uploads.allowPrivateUrls = true;
    const history = await t.history();
    const res = await t.post('/api/tools/fetch', {
      history_id: history,
      targets: [
        {
          destination: { type: 'hdas' },
          elements: [
            { src: 'pasted', paste_content: 'a b  c\n', ext: 'auto', space_to_tab: true, name: 'spaced' },
            { src: 'url', url: `${files.base}/reads.fasta`, ext: 'auto', dbkey: 'hg38' },
          ],
        },
      ],
    });
    expect(res.status).toBe(200);
    expect(res.json.outputs.map((o: { name: string }) => o.name)).toEqual(['spaced', 'reads.fasta']);
    expect(res.json.jobs[0].tool_id).toBe('__DATA_FETCH__');
    const [spaced, fasta] = await Promise.all(res.json.outputs.map((o: { id: string }) => t.waitForHda(o.id)));
    expect((await t.bytes(spaced)).toString()).toBe('a\tb\tc\n');
    expect(fasta.extension).toBe('fasta');
    expect(fasta.dbkey).toBe('hg38');
    expect(fasta.metadata).toMatchObject({ sequences: 2 });
  });

  it('builds a list:paired collection of hidden datasets with the given identifiers', async () => {
    const history = await t.history();
    const pair = (name: string) => ({
      name,
      elements: [
        { name: 'forward', src: 'pasted', paste_content: `@r1\nACGT\n+\nIIII\n`, ext: 'fastqsanger' },
        { name: 'reverse', src: 'pasted', paste_content: `@r1\nTTTT\n+\nIIII\n`, ext: 'fastqsanger' },
      ],
    });
    const res = await t.post('/api/tools/fetch', {
      history_id: history,
      targets: [{ destination: { type: 'hdca' }, collection_type: 'list:paired', name: 'my pairs', elements: [pair('s1'), pair('s2')] }],
    });
    expect(res.status).toBe(200);
    expect(res.json.outputs).toHaveLength(4);
    expect(res.json.outputs.every((o: { visible: boolean }) => !o.visible)).toBe(true);
    const hdca = res.json.output_collections[0];
    expect(hdca).toMatchObject({ name: 'my pairs', collection_type: 'list:paired', hid: 5 });
    for (const o of res.json.outputs) expect((await t.waitForHda(o.id)).state).toBe('ok');
    const { rows } = await t.db.pool.query(
      `SELECT e.element_identifier FROM collection_elements e JOIN hdcas h ON h.collection_id = e.collection_id
        WHERE h.id = $1 ORDER BY e.element_index`,
      [t.ctx.ids.decode(hdca.id)],
    );
    expect(rows.map((r) => r.element_identifier)).toEqual(['s1', 's2']);
  });

  it('rejects bad requests with 4xx and creates nothing', async () => {
    const history = await t.history();
    const bad: [unknown, RegExp][] = [
      [{ history_id: history, targets: [] }, /targets/],
      [{ history_id: history, targets: [{ destination: { type: 'library' }, elements: [] }] }, /destination/],
      [{ history_id: history, targets: [{ destination: { type: 'hdas' }, elements: [{ src: 'path', path: '/etc/passwd' }] }] }, /src/],
      [{ history_id: history, targets: [{ destination: { type: 'hdas' }, elements: [{ src: 'url', url: 'file:///etc/passwd' }] }] }, /scheme/],
      [{ history_id: history, targets: [{ destination: { type: 'hdas' }, elements: [{ src: 'pasted', paste_content: 'x', ext: 'nonsense' }] }] }, /datatype/],
      [{ history_id: history, targets: [{ destination: { type: 'hdas' }, elements: [{ src: 'files' }] }] }, /files_N/],
      [{ history_id: history, targets: [{ destination: { type: 'hdca' }, collection_type: 'paired', elements: [{ name: 'forward', src: 'pasted', paste_content: 'x' }] }] }, /paired/],
      [{ history_id: history, targets: [{ destination: { type: 'hdca' }, collection_type: 'list', elements: [{ name: 'a', src: 'pasted', paste_content: 'x' }, { name: 'a', src: 'pasted', paste_content: 'y' }] }] }, /duplicate/],
      [{ targets: [{ destination: { type: 'hdas' }, elements: [{ src: 'pasted', paste_content: 'x' }] }] }, /history_id/],
    ];
    for (const [body, message] of bad) {
      const res = await t.post('/api/tools/fetch', body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.json.err_msg).toMatch(message);
    }
    expect(await countHdas(history)).toBe(0);
  });
});

describe('bad input to POST /api/tools', () => {
  it('answers 4xx for malformed JSON, missing or bad history ids, foreign histories and unknown tools', async () => {
    const history = await t.history();
    expect((await t.post('/api/tools', '{"tool_id": "upload1", ')).status).toBe(400);
    const missing = await t.post('/api/tools', { tool_id: 'upload1', inputs: {}, 'files_0|url_paste': 'x' });
    expect(missing.status).toBe(400);
    expect(missing.json.err_msg).toMatch(/history_id/);
    expect((await t.post('/api/tools', pastePayload('not-an-id', 'x'))).status).toBe(400);
    expect((await t.post('/api/tools', pastePayload(t.ctx.ids.encode(999999), 'x'))).status).toBe(404);
    const other = await t.user('intruder');
    const foreign = await t.post('/api/tools', pastePayload(history, 'x'), other.key);
    expect(foreign.status).toBe(404);
    const tool = await t.post('/api/tools', { tool_id: 'cat1', history_id: history, inputs: {} });
    expect(tool.status).toBe(400);
    expect(tool.json.err_msg).toMatch(/cat1.*is not available/);
    const empty = await t.post('/api/tools', { tool_id: 'upload1', history_id: history, inputs: { file_type: 'auto' } });
    expect(empty.status).toBe(400);
    const noKey = await t.app.inject({ method: 'POST', url: '/api/tools', payload: pastePayload(history, 'x') });
    expect(noKey.statusCode).toBe(401);
    expect(await countHdas(history)).toBe(0);
  });

  it('answers 413 for a body over the server limit', async () => {
    const history = await t.history();
    const res = await t.post('/api/tools', pastePayload(history, 'x'.repeat(65 * 1024 * 1024)));
    expect(res.status).toBe(413);
    expect(await countHdas(history)).toBe(0);
  });

  it('stores an empty paste as an empty dataset', async () => {
    const res = await t.post('/api/tools/fetch', {
      history_id: await t.history(),
      targets: [{ destination: { type: 'hdas' }, elements: [{ src: 'pasted', paste_content: '' }] }],
    });
    expect(res.status).toBe(200);
    const hda = await t.waitForHda(res.json.outputs[0].id);
    expect(hda.state).toBe('empty');
    expect(hda.file_size).toBe(0);
  });
});
