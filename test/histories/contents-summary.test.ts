import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serializeHda } from '../../src/api/serializers/hda.ts';
import { serializeHdca } from '../../src/api/serializers/hdca.ts';
import { listContents, type ContentOrder, type ContentFilter, type ContentType } from '../../src/histories/contents.ts';
import { createCollection, createHdca } from '../../src/model/collections.ts';
import { createHdas } from '../../src/model/datasets.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';

// The summary listing has its own fast path (contents-summary.ts); it must answer exactly what
// the general serializers answer, byte for byte.
let t: TestApp;
let key: string;
let historyId: number;

beforeAll(async () => {
  t = await startTestApp();
  const alice = await t.user('alice');
  key = alice.key;
  const { rows } = await t.db.pool.query(`INSERT INTO histories (user_id, name) VALUES ($1, 'h') RETURNING id`, [alice.user.id]);
  historyId = rows[0].id;
  const hdas = await createHdas(t.db.pool, historyId, [
    { name: 'plain', extension: 'bed', state: 'ok' },
    { name: 'quote " backslash \\ newline \n tab \t', extension: 'txt', state: 'queued' },
    { name: 'ünïcødé ✓ 🚀', extension: 'fasta', state: 'error', dbkey: 'hg38', visible: false },
    { name: '</script><b>', extension: 'tabular', state: 'ok' },
  ]);
  await t.db.pool.query(`UPDATE hdas SET tags = ARRAY['name:x', 'group:"y"'], deleted = true WHERE id = $1`, [hdas[0]!.id]);
  await t.db.pool.query(`UPDATE hdas SET purged = true, deleted = true WHERE id = $1`, [hdas[1]!.id]);
  await t.db.pool.query(`UPDATE datasets SET purged = true WHERE id = $1`, [hdas[3]!.dataset_id]);
  // Times with every kind of fraction, including ones a float cannot hold exactly.
  const times = ['2021-06-14 17:24:42.291+00', '2021-06-14 17:24:42.000001+00', '1999-12-31 23:59:59.999999+00', '2030-01-02 03:04:05.07+00'];
  for (const [i, hda] of hdas.entries()) {
    await t.db.pool.query('UPDATE hdas SET create_time = $2, update_time = $3 WHERE id = $1', [hda.id, times[i], times[(i + 1) % 4]]);
  }
  const { rows: jobs } = await t.db.pool.query(`INSERT INTO jobs (user_id, history_id, tool_id) VALUES ($1, $2, 'cat1') RETURNING id`, [alice.user.id, historyId]);
  const c1 = await createCollection(t.db.pool, { collection_type: 'list', elements: [{ identifier: 'a', hdaId: hdas[0]!.id }] });
  await createHdca(t.db.pool, historyId, 'a "list"', c1, { tags: ['t1'] });
  const c2 = await createCollection(t.db.pool, { collection_type: 'paired', elements: [{ identifier: 'forward', hdaId: hdas[0]!.id }, { identifier: 'reverse', hdaId: hdas[2]!.id }] });
  await createHdca(t.db.pool, historyId, 'pair', c2, { jobSourceId: jobs[0].id, visible: false });
});
afterAll(async () => t?.close());

async function reference(order: ContentOrder, filters: ContentFilter[], limit?: number, offset?: number, types: ContentType[] = ['dataset', 'dataset_collection']): Promise<string> {
  const items = await listContents(t.db.pool, { historyId, types, filters, order, limit, offset, full: false });
  return JSON.stringify(items.map((i) => (i.type === 'dataset' ? serializeHda(t.ctx.ids, i.hda, 'summary') : serializeHdca(t.ctx.ids, i.hdca, 'summary'))));
}

describe('summary contents listing', () => {
  it.each([
    ['', 'hid-asc' as ContentOrder, [] as ContentFilter[], undefined, undefined],
    ['?order=name-dsc', 'name-dsc' as ContentOrder, [], undefined, undefined],
    ['?order=create_time-asc', 'create_time-asc' as ContentOrder, [], undefined, undefined],
    ['?q=deleted&qv=false&q=visible&qv=true', 'hid-asc' as ContentOrder, [{ field: 'deleted', value: false }, { field: 'visible', value: true }] as ContentFilter[], undefined, undefined],
    ['?limit=2&offset=1&order=hid-dsc', 'hid-dsc' as ContentOrder, [], 2, 1],
    ['?types=dataset_collection', 'hid-asc' as ContentOrder, [], undefined, undefined, ['dataset_collection'] as ContentType[]],
    ['?types=dataset&order=update_time-dsc', 'update_time-dsc' as ContentOrder, [], undefined, undefined, ['dataset'] as ContentType[]],
  ])('GET contents%s is byte-identical to the general serializers', async (query, order, filters, limit, offset, types?: ContentType[]) => {
    const res = await t.app.inject({ method: 'GET', url: `/api/histories/${t.ctx.ids.encode(historyId)}/contents${query}`, headers: { 'x-api-key': key } });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    const expected = await reference(order, filters, limit, offset, types);
    expect(JSON.parse(res.body).length).toBeGreaterThan(0);
    expect(res.body).toBe(expected);
  });
});
