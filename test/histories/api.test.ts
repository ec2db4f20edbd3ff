import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHdas } from '../../src/model/datasets.ts';
import { ADMIN_KEY, startTestApp, type TestApp } from '../helpers/app.ts';

let t: TestApp;
let aliceKey: string;
let bobKey: string;

beforeAll(async () => {
  t = await startTestApp();
  aliceKey = (await t.user('alice')).key;
  bobKey = (await t.user('bob')).key;
});
afterAll(async () => t?.close());

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

async function call(method: string, url: string, key: string | null, body?: unknown) {
  const headers: Record<string, string> = {};
  if (key) headers['x-api-key'] = key;
  let payload: string | undefined;
  if (body !== undefined) {
    headers['content-type'] = 'application/json';
    payload = typeof body === 'string' ? body : JSON.stringify(body);
  }
  const res = await t.app.inject({ method: method as 'GET', url, headers, payload });
  return { status: res.statusCode, json: res.body ? (JSON.parse(res.body) as Json) : null };
}

describe('history lifecycle', () => {
  it('creates, shows, renames, tags, publishes, deletes and undeletes', async () => {
    const created = await call('POST', '/api/histories', aliceKey, { name: 'first' });
    expect(created.status).toBe(200);
    const id = created.json!.id as string;
    expect(created.json).toMatchObject({ name: 'first', model_class: 'History', state: 'new', deleted: false, url: `/api/histories/${id}` });

    const shown = await call('GET', `/api/histories/${id}`, aliceKey);
    expect(shown.json).toMatchObject({ id, state: 'new', count: 0, hid_counter: 1, contents_url: `/api/histories/${id}/contents` });
    expect(shown.json!.state_details.ok).toBe(0);

    const updated = await call('PUT', `/api/histories/${id}`, aliceKey, { name: 'renamed', annotation: 'note', tags: ['a', 'b'] });
    expect(updated.json).toMatchObject({ name: 'renamed', annotation: 'note', tags: ['a', 'b'] });

    const tag = await call('POST', `/api/histories/${id}/tags/group:x`, aliceKey, {});
    expect(tag.json).toMatchObject({ model_class: 'HistoryTagAssociation', user_tname: 'group', user_value: 'x' });
    expect((await call('GET', `/api/histories/${id}`, aliceKey)).json!.tags).toEqual(['a', 'b', 'group:x']);

    const published = await call('PUT', `/api/histories/${id}`, aliceKey, { published: true });
    expect(published.json).toMatchObject({ published: true, importable: true, slug: 'renamed', username_and_slug: 'u/alice/h/renamed' });
    const anonymous = await call('GET', '/api/histories/published?q=slug&qv=renamed', null);
    expect(anonymous.json!.map((h: Json) => h.id)).toEqual([id]);
    expect((await call('GET', '/api/histories?q=published&qv=true', aliceKey)).json!.map((h: Json) => h.id)).toEqual([id]);

    const deleted = await call('DELETE', `/api/histories/${id}`, aliceKey);
    expect(deleted.status).toBe(200);
    expect(deleted.json).toMatchObject({ id, deleted: true });
    expect((await call('GET', '/api/histories', aliceKey)).json!.some((h: Json) => h.id === id)).toBe(false);
    expect((await call('GET', '/api/histories?q=deleted&qv=True', aliceKey)).json!.map((h: Json) => h.id)).toEqual([id]);

    // BioBlend sends Content-Type: application/json with no body here.
    const undeleted = await t.app.inject({
      method: 'POST',
      url: `/api/histories/deleted/${id}/undelete`,
      headers: { 'x-api-key': aliceKey, 'content-type': 'application/json' },
    });
    expect(undeleted.statusCode).toBe(200);
    expect((await call('GET', '/api/histories', aliceKey)).json!.some((h: Json) => h.id === id)).toBe(true);
  });

  it('lists only the caller’s histories; admins see all with all=true', async () => {
    const bobs = (await call('POST', '/api/histories', bobKey, { name: 'bob history' })).json!.id;
    expect((await call('GET', '/api/histories', aliceKey)).json!.some((h: Json) => h.id === bobs)).toBe(false);
    expect((await call('GET', '/api/histories?all=true', aliceKey)).status).toBe(403);
    expect((await call('GET', '/api/histories?all=true', ADMIN_KEY)).json!.some((h: Json) => h.id === bobs)).toBe(true);
    const mru = await call('GET', '/api/histories/most_recently_used', bobKey);
    expect(mru.json!.id).toBe(bobs);
  });
});

describe('contents listing', () => {
  it('merges datasets and collections by hid with types, filters, order and paging', async () => {
    const id = (await call('POST', '/api/histories', aliceKey, { name: 'contents' })).json!.id as string;
    const historyId = t.ctx.ids.decode(id)!;
    const hdas = await createHdas(t.db.pool, historyId, [
      { name: 'one', state: 'ok' },
      { name: 'two', state: 'ok' },
      { name: 'three', state: 'queued', visible: false },
    ]);
    await t.db.pool.query('UPDATE hdas SET deleted = true WHERE id = $1', [hdas[1].id]);
    const { rows } = await t.db.pool.query(`INSERT INTO collections (collection_type, element_count) VALUES ('list', 0) RETURNING id`);
    await t.db.pool.query(
      `INSERT INTO hdcas (history_id, collection_id, hid, name) VALUES ($1, $2, (SELECT hid_counter FROM histories WHERE id = $1), 'coll');
       `.trim(),
      [historyId, rows[0].id],
    );
    await t.db.pool.query('UPDATE histories SET hid_counter = hid_counter + 1 WHERE id = $1', [historyId]);

    const all = (await call('GET', `/api/histories/${id}/contents`, aliceKey)).json as unknown as Json[];
    expect(all.map((c) => [c.hid, c.history_content_type])).toEqual([
      [1, 'dataset'],
      [2, 'dataset'],
      [3, 'dataset'],
      [4, 'dataset_collection'],
    ]);
    expect(all[0]).toMatchObject({ name: 'one', state: 'ok', history_id: id, deleted: false, visible: true });
    const datasets = (await call('GET', `/api/histories/${id}/contents?types=dataset`, aliceKey)).json as unknown as Json[];
    expect(datasets).toHaveLength(3);
    const colls = (await call('GET', `/api/histories/${id}/contents?types=dataset_collection`, aliceKey)).json as unknown as Json[];
    expect(colls.map((c) => c.collection_type)).toEqual(['list']);
    const both = await call('GET', `/api/histories/${id}/contents?types=dataset&types=dataset_collection`, aliceKey);
    expect(both.json).toHaveLength(4);
    const live = (await call('GET', `/api/histories/${id}/contents?deleted=false&visible=true`, aliceKey)).json as unknown as Json[];
    expect(live.map((c) => c.hid)).toEqual([1, 4]);
    const dev = (await call('GET', `/api/histories/${id}/contents?v=dev&q=hid-gt&qv=1&q=deleted&qv=false&order=hid-dsc&limit=2`, aliceKey))
      .json as unknown as Json[];
    expect(dev.map((c) => c.hid)).toEqual([4, 3]);
    const paged = (await call('GET', `/api/histories/${id}/contents?limit=2&offset=1`, aliceKey)).json as unknown as Json[];
    expect(paged.map((c) => c.hid)).toEqual([2, 3]);
    const detailed = (await call('GET', `/api/histories/${id}/contents?details=all&types=dataset`, aliceKey)).json as unknown as Json[];
    expect(detailed[0]).toHaveProperty('download_url');

    const shown = (await call('GET', `/api/histories/${id}`, aliceKey)).json!;
    expect(shown.state).toBe('queued');
    expect(shown.count).toBe(3);
    expect(shown.contents_active).toEqual({ active: 2, deleted: 1, hidden: 1 });
    expect(shown.state_ids.ok).toHaveLength(2);
  });

  it('rejects bad filters, types and orders with 400', async () => {
    const id = (await call('POST', '/api/histories', aliceKey, {})).json!.id as string;
    for (const q of ['types=bogus', 'v=dev&q=nope&qv=1', 'q=hid-gt&qv=x', 'order=sideways', 'q=deleted', 'limit=-1', 'deleted=maybe']) {
      const res = await call('GET', `/api/histories/${id}/contents?${q}`, aliceKey);
      expect(res.status, q).toBe(400);
      expect(res.json!.err_msg, q).toBeTruthy();
    }
  });
});

describe('bad input', () => {
  it('answers 400 for malformed ids, JSON and types, 404 for unknown ids', async () => {
    expect((await call('GET', '/api/histories/not-an-id', aliceKey)).status).toBe(400);
    expect((await call('GET', `/api/histories/${t.ctx.ids.encode(999999)}`, aliceKey)).status).toBe(404);
    expect((await call('POST', '/api/histories', aliceKey, '{"name": ')).status).toBe(400);
    const wrongType = await call('POST', '/api/histories', aliceKey, { name: { first: 'x' } });
    expect(wrongType.status).toBe(400);
    expect(wrongType.json!.err_msg).toContain('name');
    const id = (await call('POST', '/api/histories', aliceKey, { name: 'x' })).json!.id as string;
    const badTags = await call('PUT', `/api/histories/${id}`, aliceKey, { tags: { not: 'a list' } });
    expect(badTags.status).toBe(400);
    expect(badTags.json!.err_msg).toContain('tags');
    expect((await call('PUT', `/api/histories/${id}`, aliceKey, { published: 'perhaps' })).status).toBe(400);
    expect((await call('GET', '/api/histories?q=owner&qv=x', aliceKey)).status).toBe(400);
    expect((await call('GET', '/api/histories?order=bogus', aliceKey)).status).toBe(400);
    expect((await call('GET', '/api/histories?all=maybe', ADMIN_KEY)).status).toBe(400);
    const name = '../../etc/passwd';
    expect((await call('POST', '/api/histories', aliceKey, { name })).json!.name).toBe(name);
  });
});
