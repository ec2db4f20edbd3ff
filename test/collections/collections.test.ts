import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Hda } from '../../src/model/datasets.ts';
import type { History } from '../../src/model/histories.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { makeDataset, makeHistory } from '../datasets/fixtures.ts';

let t: TestApp;
let key: string;
let history: History;
let ds: Hda[];
const enc = (id: number) => t.ctx.ids.encode(id);

beforeAll(async () => {
  t = await startTestApp();
  const u = await t.user('carol');
  key = u.key;
  history = await makeHistory(t, u.user.id, 'collections');
  ds = [];
  for (let i = 0; i < 4; i++) ds.push(await makeDataset(t, history, `${i}\t2\t3\n`, { ext: 'bed', name: `d${i}` }));
});
afterAll(async () => t.close());

const hda = (name: string, d: Hda) => ({ name, src: 'hda', id: enc(d.id) });
const create = (payload: object, k = key) =>
  t.app.inject({ method: 'POST', url: `/api/histories/${enc(history.id)}/contents`, headers: { 'x-api-key': k }, payload });
const get = (url: string) => t.app.inject({ method: 'GET', url, headers: { 'x-api-key': key } });

describe('creating collections', () => {
  it('builds a list with elements in order and identifiers kept', async () => {
    const res = await create({
      type: 'dataset_collection',
      name: 'MyDatasetList',
      collection_type: 'list',
      element_identifiers: [hda('sample1', ds[0]), hda('sample2', ds[1]), hda('sample3', ds[2])],
    });
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({
      name: 'MyDatasetList',
      collection_type: 'list',
      hid: 5,
      history_content_type: 'dataset_collection',
      model_class: 'HistoryDatasetCollectionAssociation',
      element_count: 3,
      populated_state: 'ok',
      visible: true,
      deleted: false,
    });
    expect(body.elements.map((e: { element_index: number }) => e.element_index)).toEqual([0, 1, 2]);
    expect(body.elements.map((e: { element_identifier: string }) => e.element_identifier)).toEqual(['sample1', 'sample2', 'sample3']);
    expect(body.elements.map((e: { object: { id: string } }) => e.object.id)).toEqual([enc(ds[0].id), enc(ds[1].id), enc(ds[2].id)]);
    expect(body.elements[0].object.state).toBe('ok');
    expect(body.elements[0].element_type).toBe('hda');
  });

  it('builds list:paired, storing forward before reverse', async () => {
    const res = await create({
      type: 'dataset_collection',
      name: 'pairs',
      collection_type: 'list:paired',
      element_identifiers: [
        { name: 's1', src: 'new_collection', collection_type: 'paired', element_identifiers: [hda('reverse', ds[1]), hda('forward', ds[0])] },
        { name: 's2', src: 'new_collection', collection_type: 'paired', element_identifiers: [hda('forward', ds[2]), hda('reverse', ds[3])] },
      ],
    });
    expect(res.statusCode, res.body).toBe(200);
    const [s1, s2] = res.json().elements;
    expect(s1.element_type).toBe('dataset_collection');
    expect(s1.object.collection_type).toBe('paired');
    expect(s1.object.elements.map((e: { element_identifier: string }) => e.element_identifier)).toEqual(['forward', 'reverse']);
    expect(s1.object.elements[0].object.id).toBe(enc(ds[0].id));
    expect(s2.object.elements[1].object.id).toBe(enc(ds[3].id));
  });

  it('copies elements as hidden datasets when asked', async () => {
    const res = await create({
      type: 'dataset_collection',
      name: 'copied',
      collection_type: 'list',
      copy_elements: true,
      element_identifiers: [hda('a', ds[0])],
    });
    const element = res.json().elements[0].object;
    expect(element.id).not.toBe(enc(ds[0].id));
    expect(element.visible).toBe(false);
    expect(element.dataset_id).toBe(enc(ds[0].dataset_id));
  });

  it('rejects structures that do not fit the collection type', async () => {
    const bad: Array<[object, number, string]> = [
      [{ collection_type: 'paired', element_identifiers: [hda('forward', ds[0])] }, 400, 'forward'],
      [{ collection_type: 'paired', element_identifiers: [hda('left', ds[0]), hda('right', ds[1])] }, 400, 'forward'],
      [{ collection_type: 'list', element_identifiers: [hda('x', ds[0]), hda('x', ds[1])] }, 400, "'x'"],
      [{ collection_type: 'list:paired', element_identifiers: [hda('x', ds[0])] }, 400, 'paired'],
      [{ collection_type: 'list', element_identifiers: [{ name: 'x', src: 'new_collection', element_identifiers: [] }] }, 400, 'x'],
      [{ collection_type: 'matrix', element_identifiers: [] }, 400, 'matrix'],
      [{ element_identifiers: [] }, 400, 'collection_type'],
      [{ collection_type: 'list', element_identifiers: [{ name: 'x', src: 'ldda', id: enc(1) }] }, 400, 'ldda'],
      [{ collection_type: 'list', element_identifiers: [{ name: 'x', src: 'hda', id: 'nope' }] }, 400, 'x'],
      [{ collection_type: 'list', element_identifiers: [{ name: '', src: 'hda', id: enc(ds[0].id) }] }, 400, 'name'],
      [{ collection_type: 'list', element_identifiers: [{ name: 'x', src: 'hda', id: enc(987654) }] }, 404, 'not found'],
    ];
    for (const [payload, status, mention] of bad) {
      const res = await create({ type: 'dataset_collection', name: 'bad', ...payload });
      expect(res.statusCode, JSON.stringify(payload)).toBe(status);
      expect(res.json().err_msg, JSON.stringify(payload)).toContain(mention);
    }
    const { rows } = await t.db.pool.query("SELECT count(*)::int AS n FROM hdcas WHERE name = 'bad'");
    expect(rows[0].n).toBe(0);
  });
});

async function makePair(): Promise<{ id: string; collection_id: string }> {
  const res = await create({
    type: 'dataset_collection',
    name: 'MyTestPair',
    collection_type: 'paired',
    element_identifiers: [hda('forward', ds[0]), hda('reverse', ds[1])],
  });
  return res.json();
}

describe('showing, changing and deleting collections', () => {
  it('shows the same collection through the history and /api/dataset_collections', async () => {
    const pair = await makePair();
    const a = (await get(`/api/histories/${enc(history.id)}/contents/dataset_collections/${pair.id}`)).json();
    const b = (await get(`/api/dataset_collections/${pair.id}?instance_type=history`)).json();
    expect(a).toEqual(b);
    expect(a.elements).toHaveLength(2);
    const contents = (await get(`/api/dataset_collections/${pair.id}/contents/${pair.collection_id}`)).json();
    expect(contents.map((e: { element_identifier: string }) => e.element_identifier)).toEqual(['forward', 'reverse']);
    expect((await get(`/api/dataset_collections/${pair.id}?instance_type=library`)).statusCode).toBe(400);
    expect((await get('/api/dataset_collections/zzz')).statusCode).toBe(400);
    expect((await get(`/api/dataset_collections/${enc(424242)}`)).statusCode).toBe(404);
  });

  it('updates visibility and deletes with an empty JSON body (as BioBlend sends)', async () => {
    const pair = await makePair();
    const url = `/api/histories/${enc(history.id)}/contents/dataset_collections/${pair.id}`;
    const put = await t.app.inject({ method: 'PUT', url, headers: { 'x-api-key': key }, payload: { visible: false } });
    expect(put.json().visible).toBe(false);
    const del = await t.app.inject({
      method: 'DELETE',
      url,
      headers: { 'x-api-key': key, 'content-type': 'application/json', 'content-length': '0' },
    });
    expect(del.statusCode, del.body).toBe(200);
    expect(del.json().deleted).toBe(true);
    expect((await get(url)).json().deleted).toBe(true);
    // The datasets stay: only a recursive delete touches them.
    expect((await get(`/api/datasets/${enc(ds[0].id)}`)).json().deleted).toBe(false);
  });

  it('deletes the datasets too when recursive', async () => {
    const extra = await makeDataset(t, history, 'z\n');
    const res = await create({ type: 'dataset_collection', name: 'r', collection_type: 'list', element_identifiers: [hda('z', extra)] });
    const url = `/api/histories/${enc(history.id)}/contents/dataset_collections/${res.json().id}?recursive=true&purge=true`;
    const del = await t.app.inject({ method: 'DELETE', url, headers: { 'x-api-key': key } });
    expect(del.statusCode).toBe(200);
    expect((await get(`/api/datasets/${enc(extra.id)}`)).json()).toMatchObject({ deleted: true, purged: true });
  });
});

describe('GET /api/dataset_collections/{id}/download', () => {
  it('zips the collection: a top directory, <identifier>.<ext> files, nested directories', async () => {
    const res = await create({
      type: 'dataset_collection',
      name: 'nested',
      collection_type: 'list:paired',
      element_identifiers: [
        { name: 's1', src: 'new_collection', collection_type: 'paired', element_identifiers: [hda('forward', ds[0]), hda('reverse', ds[1])] },
      ],
    });
    const zip = await get(`/api/dataset_collections/${res.json().id}/download`);
    expect(zip.statusCode).toBe(200);
    expect(zip.headers['content-type']).toBe('application/zip');
    expect(zip.headers['content-disposition']).toContain('nested.zip');
    const dir = mkdtempSync(path.join(os.tmpdir(), 'nebula-zip-'));
    try {
      writeFileSync(path.join(dir, 'c.zip'), zip.rawPayload);
      const listing = execFileSync('/usr/bin/python3', [
        '-c',
        'import json,sys,zipfile; z=zipfile.ZipFile(sys.argv[1]); assert z.testzip() is None; print(json.dumps({n: z.read(n).decode() for n in z.namelist()}))',
        path.join(dir, 'c.zip'),
      ]).toString();
      expect(JSON.parse(listing)).toEqual({ 'nested/s1/forward.bed': '0\t2\t3\n', 'nested/s1/reverse.bed': '1\t2\t3\n' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
