import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pastePayload, startUploadApp, type UploadTestApp } from './helpers.ts';

let t: UploadTestApp;
beforeAll(async () => {
  t = await startUploadApp();
});
afterAll(async () => {
  await t?.close();
});

describe('upload1 paste through POST /api/tools', () => {
  it('answers Galaxy-shaped outputs and jobs, then sniffs "1\\t2\\t3" as bed with hid 1', async () => {
    const history = await t.history();
    const res = await t.post('/api/tools', pastePayload(history, '1\t2\t3'));
    expect(res.status).toBe(200);
    expect(res.json.outputs).toHaveLength(1);
    const out = res.json.outputs[0];
    expect(out).toMatchObject({ name: 'Pasted Entry', hid: 1, history_id: history, output_name: 'output0', genome_build: '?' });
    expect(['queued', 'running', 'ok']).toContain(out.state);
    expect(res.json.jobs[0]).toMatchObject({ tool_id: 'upload1' });
    expect(res.json.implicit_collections).toEqual([]);
    expect(res.json.output_collections).toEqual([]);
    const hda = await t.waitForHda(out.id);
    expect(hda.state).toBe('ok');
    expect(hda.extension).toBe('bed');
    expect((await t.bytes(hda)).toString()).toBe('1\t2\t3\n');
    expect(hda.file_size).toBe(6);
    const { rows } = await t.db.pool.query('SELECT state FROM jobs WHERE id = $1', [t.ctx.ids.decode(res.json.jobs[0].id)]);
    expect(rows[0].state).toBe('ok');
  });

  it('sniffs prose as txt and normalises \\r\\n and \\r line endings with a final newline', async () => {
    const history = await t.history();
    const res = await t.post('/api/tools', pastePayload(history, 'Hello world,\r\nthis is prose.\rThe end'));
    expect(res.status).toBe(200);
    const hda = await t.waitForHda(res.json.outputs[0].id);
    expect(hda.extension).toBe('txt');
    expect((await t.bytes(hda)).toString()).toBe('Hello world,\nthis is prose.\nThe end\n');
    expect(hda.peek).toContain('Hello world');
  });

  it('converts runs of spaces to tabs when space_to_tab is "Yes", and keeps the given name', async () => {
    const history = await t.history();
    const res = await t.post(
      '/api/tools',
      pastePayload(history, 'chr1  10   20\nchr2 30 40\n', { 'files_0|space_to_tab': 'Yes', 'files_0|NAME': '../../etc/passwd' }),
    );
    expect(res.status).toBe(200);
    expect(res.json.outputs[0].name).toBe('../../etc/passwd');
    const hda = await t.waitForHda(res.json.outputs[0].id);
    expect((await t.bytes(hda)).toString()).toBe('chr1\t10\t20\nchr2\t30\t40\n');
    expect(hda.extension).toBe('bed');
    expect(hda.name).toBe('../../etc/passwd');
    expect(hda.object_key).toMatch(/^datasets\//);
  });

  it('leaves line endings alone when to_posix_lines is false, and honours an explicit file_type', async () => {
    const history = await t.history();
    const res = await t.post(
      '/api/tools',
      pastePayload(history, 'a\r\nb', { 'files_0|to_posix_lines': false, file_type: 'tabular' }),
    );
    const hda = await t.waitForHda(res.json.outputs[0].id);
    expect(hda.extension).toBe('tabular');
    expect((await t.bytes(hda)).toString()).toBe('a\r\nb');
  });

  it('accepts files_0|url_paste inside inputs too, and gives consecutive hids', async () => {
    const history = await t.history();
    const first = await t.post('/api/tools', pastePayload(history, 'one'));
    const body = pastePayload(history, 'x');
    delete (body as Record<string, unknown>)['files_0|url_paste'];
    (body.inputs as Record<string, unknown>)['files_0|url_paste'] = 'two';
    const second = await t.post('/api/tools', body);
    expect(second.status).toBe(200);
    expect([first.json.outputs[0].hid, second.json.outputs[0].hid]).toEqual([1, 2]);
    expect((await t.bytes(await t.waitForHda(second.json.outputs[0].id))).toString()).toBe('two\n');
  });
});
