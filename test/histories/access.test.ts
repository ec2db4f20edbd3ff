import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHdas } from '../../src/model/datasets.ts';
import { ADMIN_KEY, startTestApp, type TestApp } from '../helpers/app.ts';

/**
 * The access matrix: for every history route, each caller (owner, another user, the user it
 * is shared with, an admin, anonymous) against each kind of history (private, published,
 * shared). Invisible → 404, visible but read-only → 403 for writes, no key → 401 for routes
 * that need one.
 */
let t: TestApp;
const keys: Record<string, string | null> = {};
const histories: Record<string, { id: string; hda: string }> = {};
let shareeId = '';

type Caller = 'owner' | 'other' | 'sharee' | 'admin' | 'anonymous';
type Kind = 'private' | 'published' | 'shared';
const CALLERS: Caller[] = ['owner', 'other', 'sharee', 'admin', 'anonymous'];
const KINDS: Kind[] = ['private', 'published', 'shared'];

function canRead(caller: Caller, kind: Kind): boolean {
  if (caller === 'owner' || caller === 'admin') return true;
  if (kind === 'published') return true;
  return kind === 'shared' && caller === 'sharee';
}

interface Route {
  name: string;
  method: string;
  url: (h: { id: string; hda: string }) => string;
  body?: unknown;
  write: boolean;
  /** Needs a key even to read (auth 'user'). */
  needsUser: boolean;
}

const ROUTES: Route[] = [
  { name: 'show', method: 'GET', url: (h) => `/api/histories/${h.id}`, write: false, needsUser: false },
  { name: 'contents', method: 'GET', url: (h) => `/api/histories/${h.id}/contents`, write: false, needsUser: false },
  { name: 'provenance', method: 'GET', url: (h) => `/api/histories/${h.id}/contents/${h.hda}/provenance`, write: false, needsUser: false },
  { name: 'update', method: 'PUT', url: (h) => `/api/histories/${h.id}`, body: { annotation: 'x' }, write: true, needsUser: true },
  { name: 'tag', method: 'POST', url: (h) => `/api/histories/${h.id}/tags/t1`, body: {}, write: true, needsUser: true },
  { name: 'sharing', method: 'GET', url: (h) => `/api/histories/${h.id}/sharing`, write: true, needsUser: true },
  { name: 'share', method: 'PUT', url: (h) => `/api/histories/${h.id}/share_with_users`, body: 'share-with-sharee', write: true, needsUser: true },
  { name: 'delete', method: 'DELETE', url: (h) => `/api/histories/${h.id}`, body: {}, write: true, needsUser: true },
  { name: 'undelete', method: 'POST', url: (h) => `/api/histories/deleted/${h.id}/undelete`, write: true, needsUser: true },
];

function expected(route: Route, caller: Caller, kind: Kind): number {
  if (caller === 'anonymous' && route.needsUser) return 401;
  if (!canRead(caller, kind)) return 404;
  if (route.write && caller !== 'owner' && caller !== 'admin') return 403;
  return 200;
}

async function call(method: string, url: string, key: string | null, body?: unknown) {
  const headers: Record<string, string> = {};
  if (key) headers['x-api-key'] = key;
  if (body !== undefined) headers['content-type'] = 'application/json';
  return t.app.inject({ method: method as 'GET', url, headers, payload: body === undefined ? undefined : JSON.stringify(body) });
}

beforeAll(async () => {
  t = await startTestApp();
  const owner = await t.user('owner');
  const other = await t.user('other');
  const sharee = await t.user('sharee');
  shareeId = t.ctx.ids.encode(sharee.user.id);
  Object.assign(keys, { owner: owner.key, other: other.key, sharee: sharee.key, admin: ADMIN_KEY, anonymous: null });
  for (const kind of KINDS) {
    const res = await call('POST', '/api/histories', owner.key, { name: kind });
    const id = res.json().id as string;
    const [hda] = await createHdas(t.db.pool, t.ctx.ids.decode(id)!, [{ name: 'd', state: 'ok' }]);
    histories[kind] = { id, hda: t.ctx.ids.encode(hda.id) };
    if (kind === 'published') expect((await call('PUT', `/api/histories/${id}`, owner.key, { published: true })).statusCode).toBe(200);
    if (kind === 'shared') {
      const share = await call('PUT', `/api/histories/${id}/share_with_users`, owner.key, { user_ids: [t.ctx.ids.encode(sharee.user.id)] });
      expect(share.statusCode).toBe(200);
    }
  }
});
afterAll(async () => t?.close());

describe('history access matrix', () => {
  for (const route of ROUTES) {
    it(`${route.method} ${route.name}`, async () => {
      const failures: string[] = [];
      for (const kind of KINDS) {
        for (const caller of CALLERS) {
          // Sharing again with the same user keeps the matrix's shared history shared.
          const body = route.body === 'share-with-sharee' ? { user_ids: kind === 'shared' ? [shareeId] : [] } : route.body;
          const res = await call(route.method, route.url(histories[kind]), keys[caller], body);
          const want = expected(route, caller, kind);
          if (res.statusCode !== want) failures.push(`${caller} × ${kind}: ${res.statusCode} (want ${want}) ${res.body.slice(0, 120)}`);
          // Undo a successful delete so that later callers see the same history.
          if (route.name === 'delete' && res.statusCode === 200) {
            await t.db.pool.query('UPDATE histories SET deleted = false WHERE id = $1', [t.ctx.ids.decode(histories[kind].id)]);
          }
        }
      }
      expect(failures).toEqual([]);
    });
  }

  it('lists: a user sees only own histories; published ones for everyone; shared ones for the sharee', async () => {
    const ids = (res: { json(): unknown }) => (res.json() as { id: string }[]).map((h) => h.id).sort();
    expect(ids(await call('GET', '/api/histories', keys.other))).toEqual([]);
    expect(ids(await call('GET', '/api/histories', null))).toEqual([]);
    expect(ids(await call('GET', '/api/histories/published', null))).toEqual([histories.published.id]);
    expect(ids(await call('GET', '/api/histories/shared_with_me', keys.sharee))).toEqual([histories.shared.id]);
    expect(ids(await call('GET', '/api/histories/shared_with_me', keys.other))).toEqual([]);
    expect((await call('GET', '/api/histories/shared_with_me', null)).statusCode).toBe(401);
    expect(ids(await call('GET', '/api/histories', keys.owner))).toHaveLength(3);
  });
});
