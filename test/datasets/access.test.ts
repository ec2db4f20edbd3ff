import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { History } from '../../src/model/histories.ts';
import { ADMIN_KEY, startTestApp, type TestApp } from '../helpers/app.ts';
import { makeDataset, makeHistory } from './fixtures.ts';

/**
 * The access matrix for every dataset and collection route: owner, another user, a user the
 * history is shared with, an admin and an anonymous client, against private, published and
 * shared histories. Readers of a history may read its contents and change nothing (403);
 * anyone else learns nothing (404); anonymous writes need a key (401).
 */

type Actor = 'owner' | 'other' | 'sharee' | 'admin' | 'anonymous';
type Visibility = 'private' | 'published' | 'shared';
interface Target {
  history: History;
  hda: string;
  hdca: string;
  collection: string;
}

let t: TestApp;
const keys: Partial<Record<Actor, string>> = {};
const targets = {} as Record<Visibility, Target>;
let ownScratch: History;
const enc = (id: number) => t.ctx.ids.encode(id);

beforeAll(async () => {
  t = await startTestApp();
  const owner = await t.user('owner');
  const other = await t.user('other');
  const sharee = await t.user('sharee');
  keys.owner = owner.key;
  keys.other = other.key;
  keys.sharee = sharee.key;
  keys.admin = ADMIN_KEY;
  for (const visibility of ['private', 'published', 'shared'] as Visibility[]) {
    const history = await makeHistory(t, owner.user.id, visibility);
    if (visibility === 'published') await t.db.pool.query('UPDATE histories SET published = true WHERE id = $1', [history.id]);
    if (visibility === 'shared') {
      await t.db.pool.query('INSERT INTO history_shares (history_id, user_id) VALUES ($1, $2)', [history.id, sharee.user.id]);
    }
    const hda = await makeDataset(t, history, 'secret\n');
    const res = await t.app.inject({
      method: 'POST',
      url: `/api/histories/${enc(history.id)}/contents`,
      headers: { 'x-api-key': owner.key },
      payload: { type: 'dataset_collection', name: 'c', collection_type: 'list', element_identifiers: [{ name: 'a', src: 'hda', id: enc(hda.id) }] },
    });
    targets[visibility] = { history, hda: enc(hda.id), hdca: res.json().id, collection: res.json().collection_id };
  }
  ownScratch = await makeHistory(t, other.user.id, 'scratch of other');
});
afterAll(async () => t.close());

function canRead(actor: Actor, visibility: Visibility): boolean {
  return actor === 'owner' || actor === 'admin' || visibility === 'published' || (visibility === 'shared' && actor === 'sharee');
}

function expectedRead(actor: Actor, visibility: Visibility): number {
  return canRead(actor, visibility) ? 200 : 404;
}

function expectedWrite(actor: Actor, visibility: Visibility): number {
  if (actor === 'anonymous') return 401;
  if (actor === 'owner' || actor === 'admin') return 200;
  return canRead(actor, visibility) ? 403 : 404;
}

interface RouteCase {
  name: string;
  kind: 'read' | 'write';
  request: (x: Target) => { method: 'GET' | 'PUT' | 'DELETE' | 'POST'; url: string; payload?: object };
}

const routes: RouteCase[] = [
  { name: 'GET /api/datasets/{id}', kind: 'read', request: (x) => ({ method: 'GET', url: `/api/datasets/${x.hda}` }) },
  { name: 'GET /api/datasets?history_id', kind: 'read', request: (x) => ({ method: 'GET', url: `/api/datasets?history_id=${enc(x.history.id)}` }) },
  { name: 'GET /api/datasets/{id}/display', kind: 'read', request: (x) => ({ method: 'GET', url: `/api/datasets/${x.hda}/display` }) },
  { name: 'GET contents/{id}', kind: 'read', request: (x) => ({ method: 'GET', url: `/api/histories/${enc(x.history.id)}/contents/${x.hda}` }) },
  { name: 'GET contents/datasets/{id}', kind: 'read', request: (x) => ({ method: 'GET', url: `/api/histories/${enc(x.history.id)}/contents/datasets/${x.hda}` }) },
  { name: 'GET contents/{id}/display', kind: 'read', request: (x) => ({ method: 'GET', url: `/api/histories/${enc(x.history.id)}/contents/${x.hda}/display` }) },
  { name: 'GET contents/{id}/extra_files', kind: 'read', request: (x) => ({ method: 'GET', url: `/api/histories/${enc(x.history.id)}/contents/${x.hda}/extra_files` }) },
  { name: 'GET contents/dataset_collections/{id}', kind: 'read', request: (x) => ({ method: 'GET', url: `/api/histories/${enc(x.history.id)}/contents/dataset_collections/${x.hdca}` }) },
  { name: 'GET /api/dataset_collections/{id}', kind: 'read', request: (x) => ({ method: 'GET', url: `/api/dataset_collections/${x.hdca}` }) },
  { name: 'GET /api/dataset_collections/{id}/contents/{c}', kind: 'read', request: (x) => ({ method: 'GET', url: `/api/dataset_collections/${x.hdca}/contents/${x.collection}` }) },
  { name: 'GET /api/dataset_collections/{id}/download', kind: 'read', request: (x) => ({ method: 'GET', url: `/api/dataset_collections/${x.hdca}/download` }) },
  { name: 'PUT contents/{id}', kind: 'write', request: (x) => ({ method: 'PUT', url: `/api/histories/${enc(x.history.id)}/contents/${x.hda}`, payload: { annotation: 'changed' } }) },
  { name: 'PUT contents/datasets/{id}', kind: 'write', request: (x) => ({ method: 'PUT', url: `/api/histories/${enc(x.history.id)}/contents/datasets/${x.hda}`, payload: { annotation: 'changed' } }) },
  { name: 'PUT /api/datasets/{id}', kind: 'write', request: (x) => ({ method: 'PUT', url: `/api/datasets/${x.hda}`, payload: { annotation: 'changed' } }) },
  { name: 'PUT contents/dataset_collections/{id}', kind: 'write', request: (x) => ({ method: 'PUT', url: `/api/histories/${enc(x.history.id)}/contents/dataset_collections/${x.hdca}`, payload: { name: 'renamed' } }) },
  { name: 'POST contents (collection)', kind: 'write', request: (x) => ({ method: 'POST', url: `/api/histories/${enc(x.history.id)}/contents`, payload: { type: 'dataset_collection', name: 'n', collection_type: 'list', element_identifiers: [{ name: 'a', src: 'hda', id: x.hda }] } }) },
  { name: 'POST contents (copy)', kind: 'write', request: (x) => ({ method: 'POST', url: `/api/histories/${enc(x.history.id)}/contents`, payload: { source: 'hda', content: x.hda, type: 'dataset' } }) },
  // Deletes last: they change what the other routes see (a deleted item is still readable).
  { name: 'DELETE contents/dataset_collections/{id}', kind: 'write', request: (x) => ({ method: 'DELETE', url: `/api/histories/${enc(x.history.id)}/contents/dataset_collections/${x.hdca}` }) },
  { name: 'DELETE contents/{id}', kind: 'write', request: (x) => ({ method: 'DELETE', url: `/api/histories/${enc(x.history.id)}/contents/${x.hda}` }) },
  { name: 'DELETE /api/datasets/{id}', kind: 'write', request: (x) => ({ method: 'DELETE', url: `/api/datasets/${x.hda}` }) },
];

const actors: Actor[] = ['anonymous', 'other', 'sharee', 'admin', 'owner'];

describe('access matrix', () => {
  for (const route of routes) {
    it(route.name, async () => {
      const seen: string[] = [];
      const wanted: string[] = [];
      for (const visibility of ['private', 'published', 'shared'] as Visibility[]) {
        for (const actor of actors) {
          const { method, url, payload } = route.request(targets[visibility]);
          const headers = keys[actor as Exclude<Actor, 'anonymous'>] ? { 'x-api-key': keys[actor as Exclude<Actor, 'anonymous'>]! } : {};
          const res = await t.app.inject({ method, url, headers, payload });
          let status = res.statusCode;
          // An anonymous listing without rights is an error; with rights, a non-empty list.
          if (route.name.startsWith('GET /api/datasets?') && status === 200 && (res.json() as unknown[]).length === 0) status = 0;
          seen.push(`${visibility}/${actor}: ${status}`);
          const expected = route.kind === 'read' ? expectedRead(actor, visibility) : expectedWrite(actor, visibility);
          wanted.push(`${visibility}/${actor}: ${expected}`);
        }
      }
      expect(seen).toEqual(wanted);
    });
  }

  it('copying a dataset one may not read into one own history is refused', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: `/api/histories/${enc(ownScratch.id)}/contents`,
      headers: { 'x-api-key': keys.other! },
      payload: { source: 'hda', content: targets.private.hda, type: 'dataset' },
    });
    expect(res.statusCode).toBe(404);
    const published = await t.app.inject({
      method: 'POST',
      url: `/api/histories/${enc(ownScratch.id)}/contents`,
      headers: { 'x-api-key': keys.other! },
      payload: { source: 'hda', content: targets.published.hda, type: 'dataset' },
    });
    expect(published.statusCode).toBe(200);
  });

  it('never lists another user\'s datasets in /api/datasets', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/datasets', headers: { 'x-api-key': keys.other! } });
    const ids = (res.json() as Array<{ id: string }>).map((d) => d.id);
    for (const v of ['private', 'published', 'shared'] as Visibility[]) expect(ids).not.toContain(targets[v].hda);
  });
});
