import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import type { History } from '../../src/model/histories.ts';
import type { Hda } from '../../src/model/datasets.ts';
import { makeDataset, makeHistory, startDatasetWorker, waitFor } from './fixtures.ts';

let t: TestApp;
let key: string;
let history: History;
let first: Hda;
let second: Hda;
const enc = (id: number) => t.ctx.ids.encode(id);

beforeAll(async () => {
  t = await startTestApp();
  const u = await t.user('alice');
  key = u.key;
  history = await makeHistory(t, u.user.id, 'TestDataset');
  first = await makeDataset(t, history, 'line 1\nline 2\nline 3\nline 4\n');
  second = await makeDataset(t, history, '1\t2\t3\n', { name: 'regions', ext: 'bed', tool: 'cat1' });
});
afterAll(async () => t.close());

const get = (url: string, headers: Record<string, string> = {}) =>
  t.app.inject({ method: 'GET', url, headers: { 'x-api-key': key, ...headers } });
const list = async (query: string) => {
  const res = await get(`/api/datasets?history_id=${enc(history.id)}&${query}`);
  expect(res.statusCode, res.body).toBe(200);
  return (res.json() as Array<{ id: string }>).map((d) => d.id);
};

describe('GET /api/datasets/{id}', () => {
  it('answers with the detailed view under Galaxy field names', async () => {
    const res = await get(`/api/datasets/${enc(first.id)}?hda_ldda=hda`);
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({
      id: enc(first.id),
      hid: 1,
      name: 'Pasted Entry',
      history_id: enc(history.id),
      history_content_type: 'dataset',
      type_id: `dataset-${enc(first.id)}`,
      state: 'ok',
      extension: 'txt',
      file_ext: 'txt',
      file_size: 28,
      deleted: false,
      purged: false,
      visible: true,
      model_class: 'HistoryDatasetAssociation',
      download_url: `/api/datasets/${enc(first.id)}/display`,
      genome_build: '?',
      api_type: 'file',
      hda_ldda: 'hda',
    });
    expect(body.creating_job).toMatch(/^[0-9a-f]{16}$/);
    expect(body.create_time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}$/);
    expect(body).not.toHaveProperty('file_name');
  });

  it('answers the history contents routes the same way, and the summary view on request', async () => {
    const a = (await get(`/api/histories/${enc(history.id)}/contents/${enc(first.id)}`)).json();
    const b = (await get(`/api/histories/${enc(history.id)}/contents/datasets/${enc(first.id)}`)).json();
    expect(a.id).toBe(enc(first.id));
    expect(b).toEqual(a);
    const summary = (await get(`/api/datasets/${enc(first.id)}?view=summary`)).json();
    expect(summary).not.toHaveProperty('file_size');
    const keyed = (await get(`/api/datasets/${enc(first.id)}?keys=id,state`)).json();
    expect(keyed).toEqual({ id: enc(first.id), state: 'ok' });
  });

  it('rejects malformed ids with 400 and unknown ones with 404, and a dataset of another history with 404', async () => {
    expect((await get('/api/datasets/nonexistent_id')).statusCode).toBe(400);
    expect((await get(`/api/datasets/${enc(999999)}`)).statusCode).toBe(404);
    const other = await makeHistory(t, history.user_id, 'other');
    expect((await get(`/api/histories/${enc(other.id)}/contents/${enc(first.id)}`)).statusCode).toBe(404);
    expect((await get(`/api/datasets/${enc(first.id)}?hda_ldda=ldda`)).statusCode).toBe(400);
  });

  it('lists no extra files', async () => {
    const res = await get(`/api/histories/${enc(history.id)}/contents/${enc(first.id)}/extra_files`);
    expect(res.json()).toEqual([]);
  });
});

describe('GET /api/datasets filters', () => {
  it('filters by name, state, extension, visibility, tool and time', async () => {
    expect(await list('q=name&qv=Pasted%20Entry')).toEqual([enc(first.id)]);
    expect(await list('q=name&qv=Wrong')).toEqual([]);
    expect(await list('q=name-contains&qv=regi')).toEqual([enc(second.id)]);
    expect((await list('q=state-eq&qv=ok')).length).toBe(2);
    expect(await list('q=state-eq&qv=queued')).toEqual([]);
    expect((await list('q=state-in&qv=ok,queued')).length).toBe(2);
    expect(await list('q=extension-eq&qv=txt')).toEqual([enc(first.id)]);
    expect(await list('q=extension-in&qv=bam,bed')).toEqual([enc(second.id)]);
    expect((await list('q=visible&qv=True')).length).toBe(2);
    expect(await list('q=visible&qv=False')).toEqual([]);
    expect(await list('q=deleted&qv=True')).toEqual([]);
    expect(await list('q=purged&qv=False')).toHaveLength(2);
    expect(await list('q=tool_id&qv=upload1')).toEqual([enc(first.id)]);
    expect(await list('q=tool_id&qv=nothing')).toEqual([]);
    const shown = (await get(`/api/datasets/${enc(first.id)}`)).json();
    for (const field of ['create_time', 'update_time']) {
      expect(await list(`q=${field}-ge&qv=${shown[field]}`)).toContain(enc(first.id));
      expect(await list(`q=${field}-le&qv=${shown[field]}`)).toContain(enc(first.id));
      expect(await list(`q=${field}-ge&qv=2100-01-01T00:00:00`)).toEqual([]);
      expect(await list(`q=${field}-le&qv=2000-01-01T00:00:00`)).toEqual([]);
    }
  });

  it('orders, limits and pages', async () => {
    expect(await list('order=hid-asc')).toEqual([enc(first.id), enc(second.id)]);
    expect(await list('order=hid-dsc')).toEqual([enc(second.id), enc(first.id)]);
    expect(await list('order=create_time-asc')).toEqual([enc(first.id), enc(second.id)]);
    expect(await list('order=create_time-dsc')).toEqual([enc(second.id), enc(first.id)]);
    expect(await list('order=hid-asc&limit=1')).toEqual([enc(first.id)]);
    expect(await list('order=hid-asc&offset=1')).toEqual([enc(second.id)]);
    expect(await list('offset=2')).toEqual([]);
  });

  it("lists only the caller's own datasets without history_id", async () => {
    const bob = await t.user('bob-list');
    const res = await t.app.inject({ method: 'GET', url: '/api/datasets', headers: { 'x-api-key': bob.key } });
    expect(res.json()).toEqual([]);
    const mine = (await get('/api/datasets')).json() as Array<{ id: string }>;
    expect(mine.map((d) => d.id)).toContain(enc(first.id));
  });

  it('answers bad filters with a 400 naming them', async () => {
    const cases: Array<[string, string]> = [
      ['q=state-eq&qv=nonexistent_state', 'state-eq'],
      ['q=state-in&qv=ok,bogus', 'state-in'],
      ['q=colour&qv=red', 'colour'],
      ['q=visible&qv=maybe', 'visible'],
      ['q=create_time-ge&qv=yesterday', 'create_time-ge'],
      ['q=name-gt&qv=x', 'name-gt'],
      ['q=name', "'q'"],
      ['order=size-asc', 'size-asc'],
      ['order=hid-up', 'hid-up'],
    ];
    for (const [query, named] of cases) {
      const res = await get(`/api/datasets?history_id=${enc(history.id)}&${query}`);
      expect(res.statusCode, query).toBe(400);
      expect(res.json().err_msg, query).toContain(named);
    }
    expect((await get('/api/datasets?history_id=zzz')).statusCode).toBe(400);
    expect((await get('/api/datasets?limit=-1')).statusCode).toBe(400);
  });
});

describe('GET /api/datasets/{id}/display', () => {
  const url = () => `/api/datasets/${enc(first.id)}/display`;
  const content = 'line 1\nline 2\nline 3\nline 4\n';

  it('streams the whole dataset with a download name for to_ext', async () => {
    const res = await get(`${url()}?to_ext=txt`);
    expect(res.statusCode).toBe(200);
    expect(res.body).toBe(content);
    expect(res.headers['content-length']).toBe(String(content.length));
    expect(res.headers['accept-ranges']).toBe('bytes');
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    expect(res.headers['content-disposition']).toBe('attachment; filename="Galaxy1-[Pasted_Entry].txt"');
    const viaHistory = await get(`/api/histories/${enc(history.id)}/contents/${enc(first.id)}/display`);
    expect(viaHistory.body).toBe(content);
  });

  it('answers ranges with 206 and Content-Range, and impossible ones with 416', async () => {
    const part = await get(url(), { range: 'bytes=7-12' });
    expect(part.statusCode).toBe(206);
    expect(part.body).toBe('line 2');
    expect(part.headers['content-range']).toBe(`bytes 7-12/${content.length}`);
    const open = await get(url(), { range: 'bytes=21-' });
    expect(open.body).toBe('line 4\n');
    const suffix = await get(url(), { range: 'bytes=-3' });
    expect(suffix.body).toBe(' 4\n');
    const clamped = await get(url(), { range: 'bytes=21-1000' });
    expect(clamped.body).toBe('line 4\n');
    const beyond = await get(url(), { range: `bytes=${content.length}-` });
    expect(beyond.statusCode).toBe(416);
    expect(beyond.headers['content-range']).toBe(`bytes */${content.length}`);
    const garbage = await get(url(), { range: 'pages=1-2' });
    expect(garbage.statusCode).toBe(200);
    expect((await get(`${url()}?to_ext=../../etc`)).statusCode).toBe(400);
  });
});

describe('changing datasets', () => {
  const put = (url: string, payload: unknown) =>
    t.app.inject({ method: 'PUT', url, headers: { 'x-api-key': key }, payload: payload as object });

  it('updates name, info, annotation, genome build, visibility and tags', async () => {
    const h = await makeDataset(t, history, 'x\n');
    const res = await put(`/api/histories/${enc(history.id)}/contents/${enc(h.id)}`, {
      name: 'renamed',
      info: 'some info',
      annotation: 'a note',
      genome_build: 'hg38',
      visible: false,
      tags: ['test', '#group'],
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({
      name: 'renamed',
      misc_info: 'some info',
      annotation: 'a note',
      genome_build: 'hg38',
      visible: false,
      tags: ['test', 'name:group'],
    });
    expect(await list('q=tag&qv=test')).toEqual([enc(h.id)]);
    expect((await put(`/api/histories/${enc(history.id)}/contents/${enc(h.id)}`, { datatype: 'nonsense' })).statusCode).toBe(400);
    expect((await put(`/api/histories/${enc(history.id)}/contents/${enc(h.id)}`, { name: '' })).statusCode).toBe(400);
    const malformed = await t.app.inject({
      method: 'PUT',
      url: `/api/histories/${enc(history.id)}/contents/${enc(h.id)}`,
      headers: { 'x-api-key': key, 'content-type': 'application/json' },
      payload: '{"name": ',
    });
    expect(malformed.statusCode).toBe(400);
  });

  it('changes the datatype and recomputes metadata in a task', async () => {
    const worker = await startDatasetWorker(t);
    try {
      const h = await makeDataset(t, history, 'chr1\t10\t20\tx\nchr1\t30\t40\ty\n', { ext: 'txt' });
      const res = await put(`/api/datasets/${enc(h.id)}`, { datatype: 'bed' });
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json().file_ext).toBe('bed');
      const shown = await waitFor(
        async () => (await get(`/api/datasets/${enc(h.id)}`)).json(),
        (d) => d.metadata_columns !== undefined,
      );
      expect(shown.metadata_columns).toBe(4);
      expect(shown.metadata_data_lines).toBe(2);
    } finally {
      await worker.stop(1000);
    }
  });

  it('deletes, purges (freeing bytes no other HDA uses) and copies', async () => {
    const worker = await startDatasetWorker(t);
    try {
      const h = await makeDataset(t, history, 'shared bytes\n');
      const copy = await t.app.inject({
        method: 'POST',
        url: `/api/histories/${enc(history.id)}/contents`,
        headers: { 'x-api-key': key },
        payload: { source: 'hda', content: enc(h.id), type: 'dataset' },
      });
      expect(copy.statusCode, copy.body).toBe(200);
      const copied = copy.json();
      expect(copied.id).not.toBe(enc(h.id));
      expect(copied.hid).toBeGreaterThan(h.hid);
      expect(copied.dataset_id).toBe(enc(h.dataset_id));

      const del = await t.app.inject({
        method: 'DELETE',
        url: `/api/histories/${enc(history.id)}/contents/${enc(h.id)}`,
        headers: { 'x-api-key': key },
      });
      expect(del.statusCode).toBe(200);
      expect(del.json()).toMatchObject({ deleted: true, purged: false });
      expect(await list('q=deleted&qv=True')).toContain(enc(h.id));

      const purge = await t.app.inject({
        method: 'DELETE',
        url: `/api/histories/${enc(history.id)}/contents/${enc(h.id)}`,
        headers: { 'x-api-key': key },
        payload: { purge: true },
      });
      expect(purge.json()).toMatchObject({ deleted: true, purged: true });
      expect(await list('q=purged&qv=True')).toEqual([enc(h.id)]);
      // The copy still needs the bytes: they stay.
      await new Promise((r) => setTimeout(r, 500));
      expect(await t.store.head(h.object_key!)).not.toBeNull();
      expect((await get(`/api/datasets/${copied.id}/display`)).body).toBe('shared bytes\n');

      await t.app.inject({
        method: 'DELETE',
        url: `/api/histories/${enc(history.id)}/contents/${copied.id}?purge=true`,
        headers: { 'x-api-key': key },
      });
      await waitFor(() => t.store.head(h.object_key!), (info) => info === null);
      expect((await get(`/api/datasets/${copied.id}/display`)).statusCode).toBe(404);
    } finally {
      await worker.stop(1000);
    }
  });
});
