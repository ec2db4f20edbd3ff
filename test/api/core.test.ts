import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enqueue } from '../../src/tasks/index.ts';
import { ADMIN_KEY, startTestApp, type TestApp } from '../helpers/app.ts';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => t.close());

const get = (url: string, key?: string) => t.app.inject({ method: 'GET', url, headers: key ? { 'x-api-key': key } : {} });

describe('core API', () => {
  it('answers liveness, readiness and the server root without a key', async () => {
    expect((await get('/healthz')).statusCode).toBe(200);
    expect((await get('/readyz')).json()).toEqual({ status: 'ready' });
    expect((await get('/')).statusCode).toBe(200);
    expect((await get('/api/version')).json()).toMatchObject({ version_major: '23.0' });
  });

  it('authenticates with the x-api-key header and the key query parameter', async () => {
    expect((await get('/api/whoami')).statusCode).toBe(401);
    expect((await get('/api/whoami', 'not-a-key')).statusCode).toBe(401);
    const byHeader = await get('/api/whoami', ADMIN_KEY);
    expect(byHeader.json()).toMatchObject({ username: 'admin', is_admin: true });
    expect((await get(`/api/whoami?key=${ADMIN_KEY}`)).json()).toEqual(byHeader.json());
  });

  it('lets an admin create users and fetch their keys, and a user see only itself', async () => {
    const created = await t.app.inject({
      method: 'POST',
      url: '/api/users',
      headers: { 'x-api-key': ADMIN_KEY },
      payload: { username: 'alice', email: 'alice@example.org' },
    });
    expect(created.statusCode).toBe(200);
    const alice = created.json();
    const key = (await get(`/api/users/${alice.id}/api_key`, ADMIN_KEY)).json();
    expect(typeof key).toBe('string');
    expect((await get('/api/whoami', key)).json()).toMatchObject({ id: alice.id, username: 'alice' });
    expect((await get('/api/users', key)).json()).toHaveLength(1);
    expect((await get(`/api/users/${t.ctx.ids.encode(t.admin.id)}`, key)).statusCode).toBe(403);
    const asUser = await t.app.inject({
      method: 'POST',
      url: '/api/users',
      headers: { 'x-api-key': key },
      payload: { username: 'mallory', email: 'm@example.org' },
    });
    expect(asUser.statusCode).toBe(403);
    const duplicate = await t.app.inject({
      method: 'POST',
      url: '/api/users',
      headers: { 'x-api-key': ADMIN_KEY },
      payload: { username: 'alice', email: 'alice@example.org' },
    });
    expect(duplicate.statusCode).toBe(409);
  });

  it('answers a client mistake with a 4xx that names it, never a 500', async () => {
    const bad = [
      await t.app.inject({ method: 'POST', url: '/api/users', headers: { 'x-api-key': ADMIN_KEY, 'content-type': 'application/json' }, payload: '{"username":' }),
      await t.app.inject({ method: 'POST', url: '/api/users', headers: { 'x-api-key': ADMIN_KEY }, payload: { username: 'Bad Name!', email: 'x@y' } }),
      await get('/api/users/not-an-id', ADMIN_KEY),
      await get('/api/no/such/route', ADMIN_KEY),
      await get('/api/admin/tasks/abc', ADMIN_KEY),
    ];
    expect(bad.map((r) => r.statusCode)).toEqual([400, 400, 400, 404, 400]);
    for (const r of bad) expect(r.json().err_msg).toEqual(expect.any(String));
    expect(bad[1].json().err_msg).toContain('username');
  });

  it('exposes cluster-wide task gauges on /metrics and the dead-letter to admins only', async () => {
    await enqueue(t.db.pool, { kind: 'x', queue: 'jobs', weight: { cores: 3, memoryMb: 2048 } });
    const metrics = (await get('/metrics')).body;
    expect(metrics).toContain('nebula_tasks_pending{queue="jobs"} 1');
    expect(metrics).toContain('nebula_tasks_pending_cores{queue="jobs"} 3');
    expect(metrics).toContain('nebula_tasks_pending_memory_mb{queue="jobs"} 2048');
    const { key } = await t.user('bob');
    expect((await get('/api/admin/tasks/dead', key)).statusCode).toBe(403);
    expect((await get('/api/admin/tasks/dead', ADMIN_KEY)).json()).toEqual([]);
  });

  it('serves an OpenAPI document covering the routes', async () => {
    const doc = (await get('/api/openapi.json')).json();
    expect(doc.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/api/users', '/api/users/{id}/api_key', '/api/version']));
  });
});
