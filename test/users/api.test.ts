/**
 * The users API beyond the basics (test/api/core.test.ts): Basic login, the API key and
 * information forms, deletion, and who may call what. Real server in process, real PostgreSQL.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey, createUser } from '../../src/model/users.ts';
import { ADMIN_KEY, startTestApp, type TestApp } from '../helpers/app.ts';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => t?.close());

async function call(method: string, url: string, opts: { key?: string; body?: unknown; raw?: string; headers?: Record<string, string> } = {}) {
  const hasBody = opts.body !== undefined || opts.raw !== undefined;
  const res = await t.app.inject({
    method: method as 'GET',
    url,
    headers: {
      ...(opts.key ? { 'x-api-key': opts.key } : {}),
      ...(hasBody ? { 'content-type': 'application/json' } : {}),
      ...opts.headers,
    },
    payload: opts.raw ?? (opts.body === undefined ? undefined : JSON.stringify(opts.body)),
  });
  return { status: res.statusCode, json: res.body ? (res.json() as any) : undefined };
}

const basic = (identity: string, password: string, scheme = 'Basic ') => ({
  authorization: `${scheme}${Buffer.from(`${identity}:${password}`).toString('base64')}`,
});

/** A user created through the API, as BioBlend's create_local_user does, with its id and a key. */
async function localUser(name: string, password?: string) {
  const created = await call('POST', '/api/users', { key: ADMIN_KEY, body: { username: name, email: `${name}@example.org`, ...(password ? { password } : {}) } });
  expect(created.status, JSON.stringify(created.json)).toBe(200);
  const id: string = created.json.id;
  const key = await createApiKey(t.db.pool, t.ctx.ids.decode(id)!);
  return { id, key, email: `${name}@example.org` };
}

describe('GET /api/authenticate/baseauth', () => {
  it('answers a key that works for the user named by email or username, with or without the Basic scheme', async () => {
    const u = await localUser('basic-ann', 'secret1');
    for (const headers of [basic(u.email, 'secret1'), basic(u.email, 'secret1', ''), basic('basic-ann', 'secret1'), basic('BASIC-ANN@example.org', 'secret1', 'basic ')]) {
      const res = await call('GET', '/api/authenticate/baseauth', { headers });
      expect(res.status, JSON.stringify(res.json)).toBe(200);
      expect(Object.keys(res.json)).toEqual(['api_key']);
      expect((await call('GET', '/api/whoami', { key: res.json.api_key })).json).toMatchObject({ id: u.id, email: u.email });
    }
  });

  it('keeps a password with colons whole', async () => {
    const u = await localUser('basic-colon', 'a:b:c:d');
    expect((await call('GET', '/api/authenticate/baseauth', { headers: basic(u.email, 'a:b:c:d') })).status).toBe(200);
    expect((await call('GET', '/api/authenticate/baseauth', { headers: basic(u.email, 'a') })).status).toBe(401);
  });

  it('answers 401 in Galaxy error form, the same for a wrong password, an unknown user, no password and a deleted user', async () => {
    const u = await localUser('basic-bob', 'secret2');
    const noPassword = await localUser('basic-nopw');
    const gone = await localUser('basic-gone', 'secret3');
    expect((await call('DELETE', `/api/users/${gone.id}`, { key: ADMIN_KEY })).status).toBe(200);
    const answers = [
      await call('GET', '/api/authenticate/baseauth', { headers: basic(u.email, 'wrong-password') }),
      await call('GET', '/api/authenticate/baseauth', { headers: basic('nobody@example.org', 'secret2') }),
      await call('GET', '/api/authenticate/baseauth', { headers: basic(noPassword.email, '') }),
      await call('GET', '/api/authenticate/baseauth', { headers: basic(gone.email, 'secret3') }),
    ];
    for (const a of answers) {
      expect(a.status).toBe(401);
      expect(a.json).toEqual({ err_msg: 'Invalid email, username or password.', err_code: 401001 });
    }
    // The API key header plays no part: this route is about the Basic credentials only.
    const withKey = await call('GET', '/api/authenticate/baseauth', { key: ADMIN_KEY, headers: basic(u.email, 'wrong-password') });
    expect(withKey.status).toBe(401);
  });

  it('answers 400 naming what is wrong with a missing or malformed Authorization header', async () => {
    const cases: Array<[Record<string, string>, string]> = [
      [{}, 'Authentication is missing'],
      [{ authorization: 'Bearer abc def' }, 'Invalid authorization line'],
      [{ authorization: 'Basic a b' }, 'Invalid authorization line'],
      [{ authorization: 'Basic !!!not-base64' }, 'not base64'],
      [{ authorization: `Basic ${Buffer.from('no-colon-here').toString('base64')}` }, 'email:password'],
      [{ authorization: `Basic ${Buffer.from(':password-only').toString('base64')}` }, 'email:password'],
    ];
    for (const [headers, message] of cases) {
      const res = await call('GET', '/api/authenticate/baseauth', { headers });
      expect(res.status, JSON.stringify(headers)).toBe(400);
      expect(res.json.err_msg).toContain(message);
      expect(res.json.err_code).toBe(400008);
    }
  });
});

describe('passwords at user creation', () => {
  it('are stored only as a salted hash', async () => {
    const a = await localUser('hash-a', 'same-password');
    const b = await localUser('hash-b', 'same-password');
    const { rows } = await t.db.pool.query<{ password_hash: string }>('SELECT password_hash FROM users WHERE id = ANY($1) ORDER BY id', [
      [a.id, b.id].map((id) => t.ctx.ids.decode(id)),
    ]);
    expect(rows).toHaveLength(2);
    for (const r of rows) {
      expect(r.password_hash).toMatch(/^scrypt\$/);
      expect(r.password_hash).not.toContain('same-password');
    }
    expect(rows[0]!.password_hash).not.toBe(rows[1]!.password_hash);
    // Never part of a user's JSON.
    const shown = await call('GET', `/api/users/${a.id}`, { key: ADMIN_KEY });
    expect(JSON.stringify(shown.json)).not.toContain('scrypt');
  });

  it('shorter than 6 characters or not a string is a 400 naming the field', async () => {
    for (const password of ['12345', 123456789012]) {
      const res = await call('POST', '/api/users', { key: ADMIN_KEY, body: { username: 'shortpw', email: 'shortpw@example.org', password } });
      if (typeof password === 'number') {
        // Numbers are coerced to strings by the schema, like every Galaxy client expects; a long one is a fine password.
        expect(res.status).toBe(200);
        continue;
      }
      expect(res.status).toBe(400);
      expect(res.json.err_msg).toContain('password');
    }
  });
});

describe('GET /api/users/{id}/api_key/inputs', () => {
  it("shows its owner the key of the request, in Galaxy's form; an admin looking at another user gets 'Not available.'", async () => {
    const u = await localUser('keys-carol');
    const own = await call('GET', `/api/users/${u.id}/api_key/inputs`, { key: u.key });
    expect(own.status).toBe(200);
    expect(own.json.inputs[0]).toMatchObject({ name: 'api-key', type: 'text', label: 'Current API key:', value: u.key });
    expect((await call('GET', '/api/users/current/api_key/inputs', { key: u.key })).json.inputs[0].value).toBe(u.key);
    const byAdmin = await call('GET', `/api/users/${u.id}/api_key/inputs`, { key: ADMIN_KEY });
    expect(byAdmin.status).toBe(200);
    expect(byAdmin.json.inputs[0].value).toBe('Not available.');
    expect((await call('GET', `/api/users/current/api_key/inputs?key=${ADMIN_KEY}`)).json.inputs[0].value).toBe(ADMIN_KEY);
  });
});

describe('/api/users/{id}/information/inputs', () => {
  it('lets a user change its own username and email, and shows them', async () => {
    const u = await localUser('info-dave', 'secret4');
    const res = await call('PUT', `/api/users/${u.id}/information/inputs`, { key: u.key, body: { username: 'info-david', email: 'david@example.org' } });
    expect(res.status, JSON.stringify(res.json)).toBe(200);
    expect(res.json).toEqual({ message: 'User information has been saved.' });
    expect((await call('GET', '/api/whoami', { key: u.key })).json).toMatchObject({ username: 'info-david', email: 'david@example.org' });
    const form = await call('GET', `/api/users/${u.id}/information/inputs`, { key: u.key });
    expect(form.json).toMatchObject({ email: 'david@example.org', username: 'info-david' });
    expect(form.json.inputs.map((i: { name: string; value: string }) => [i.name, i.value])).toEqual([
      ['email', 'david@example.org'],
      ['username', 'info-david'],
    ]);
    // The new email logs in; the old one no longer names anybody.
    expect((await call('GET', '/api/authenticate/baseauth', { headers: basic('david@example.org', 'secret4') })).status).toBe(200);
    expect((await call('GET', '/api/authenticate/baseauth', { headers: basic(u.email, 'secret4') })).status).toBe(401);
    // Only one field, and an empty body, are fine too.
    expect((await call('PUT', `/api/users/${u.id}/information/inputs`, { key: u.key, body: { username: 'info-dave' } })).status).toBe(200);
    expect((await call('PUT', `/api/users/${u.id}/information/inputs`, { key: u.key, body: {} })).status).toBe(200);
    expect((await call('GET', '/api/whoami', { key: u.key })).json).toMatchObject({ username: 'info-dave', email: 'david@example.org' });
  });

  it('lets an admin change anyone', async () => {
    const u = await localUser('info-erin');
    expect((await call('PUT', `/api/users/${u.id}/information/inputs`, { key: ADMIN_KEY, body: { email: 'erin2@example.org' } })).status).toBe(200);
    expect((await call('GET', `/api/users/${u.id}`, { key: ADMIN_KEY })).json.email).toBe('erin2@example.org');
  });

  it('answers a malformed payload with a 400 naming the field, a taken name with a 409 naming it', async () => {
    const u = await localUser('info-frank');
    const other = await localUser('info-grace');
    const put = (body: unknown, raw?: string) => call('PUT', `/api/users/${u.id}/information/inputs`, { key: u.key, body, raw });
    const cases: Array<[Awaited<ReturnType<typeof put>>, number, string]> = [
      [await put({ email: 'not-an-email' }), 400, 'email'],
      [await put({ email: 'a@b', username: 'Bad Name!' }), 400, 'username'],
      [await put({ username: 'ab' }), 400, 'username'],
      [await put({ username: 'info-frank', address_0: 'Main Street' }), 400, 'address_0'],
      [await put(undefined, '["email"]'), 400, 'body'],
      [await put(undefined, '{"email":'), 400, ''],
      [await put({ username: 'info-grace' }), 409, 'username'],
      [await put({ email: other.email.toUpperCase() }), 409, 'email'],
    ];
    for (const [res, status, field] of cases) {
      expect(res.status, JSON.stringify(res.json)).toBe(status);
      expect(res.json.err_msg).toContain(field);
    }
    // Nothing changed.
    expect((await call('GET', '/api/whoami', { key: u.key })).json).toMatchObject({ username: 'info-frank', email: u.email });
  });

  it("refuses to change the bootstrap admin's email (it finds the admin at every start)", async () => {
    const res = await call('PUT', '/api/users/current/information/inputs', { key: ADMIN_KEY, body: { email: 'boss@example.org' } });
    expect(res.status).toBe(403);
    expect((await call('GET', '/api/whoami', { key: ADMIN_KEY })).json.email).toBe('admin@nebula.local');
  });
});

describe('who may call what', () => {
  it("another user's key can neither read nor change someone's key, information or account", async () => {
    const victim = await localUser('authz-victim', 'victim-pw');
    const mallory = await localUser('authz-mallory');
    const missing = t.ctx.ids.encode(987654);
    const attempts = [
      ['GET', `/api/users/${victim.id}`],
      ['GET', `/api/users/${victim.id}/api_key`],
      ['POST', `/api/users/${victim.id}/api_key`],
      ['GET', `/api/users/${victim.id}/api_key/inputs`],
      ['GET', `/api/users/${victim.id}/information/inputs`],
      ['PUT', `/api/users/${victim.id}/information/inputs`, { email: 'mallory@evil.example' }],
      ['DELETE', `/api/users/${victim.id}`],
      // An id that does not exist answers the same 403: no probing which ids exist.
      ['GET', `/api/users/${missing}/api_key/inputs`],
      ['PUT', `/api/users/${missing}/information/inputs`, { username: 'xyz' }],
    ] as const;
    for (const [method, url, body] of attempts) {
      const res = await call(method, url, { key: mallory.key, body });
      expect(res.status, `${method} ${url}`).toBe(403);
      expect(res.json.err_code).toBe(403002);
      expect(JSON.stringify(res.json)).not.toContain(victim.key);
    }
    // Without any key: 401.
    for (const [method, url, body] of attempts.slice(0, 7)) expect((await call(method, url, { body })).status, `${method} ${url}`).toBe(401);
    // The victim is untouched and its key and password still work.
    const me = await call('GET', '/api/whoami', { key: victim.key });
    expect(me.json).toMatchObject({ email: victim.email, deleted: false });
    expect((await call('GET', '/api/authenticate/baseauth', { headers: basic(victim.email, 'victim-pw') })).status).toBe(200);
  });

  it('an admin reaching a user that does not exist gets 404, a malformed id 400', async () => {
    const missing = t.ctx.ids.encode(987654);
    expect((await call('GET', `/api/users/${missing}/api_key/inputs`, { key: ADMIN_KEY })).status).toBe(404);
    expect((await call('PUT', `/api/users/${missing}/information/inputs`, { key: ADMIN_KEY, body: {} })).status).toBe(404);
    expect((await call('DELETE', `/api/users/${missing}`, { key: ADMIN_KEY })).status).toBe(404);
    const bad = await call('PUT', '/api/users/not-an-id/information/inputs', { key: ADMIN_KEY, body: {} });
    expect(bad.status).toBe(400);
    expect(bad.json.err_msg).toContain('not-an-id');
  });
});

describe('DELETE /api/users/{id}', () => {
  it("marks the user deleted, stops its keys and its unfinished jobs, and answers the user as Galaxy does", async () => {
    const u = await localUser('del-heidi');
    const uid = t.ctx.ids.decode(u.id)!;
    const { rows: jobs } = await t.db.pool.query<{ id: string; state: string }>(
      `INSERT INTO jobs (user_id, tool_id, state) VALUES ($1, 'cat1', 'new'), ($1, 'cat1', 'paused'), ($1, 'cat1', 'queued'), ($1, 'cat1', 'ok')
       RETURNING id, state`,
      [uid],
    );
    const res = await call('DELETE', `/api/users/${u.id}`, { key: ADMIN_KEY });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ id: u.id, email: u.email, deleted: true, purged: false });
    expect((await call('GET', '/api/whoami', { key: u.key })).status).toBe(401);
    const { rows: after } = await t.db.pool.query<{ id: string; state: string }>('SELECT id, state FROM jobs WHERE user_id = $1 ORDER BY id', [uid]);
    expect(after.map((j) => j.state)).toEqual(['deleted', 'deleted', 'deleting', 'ok']);
    const { rows: tasks } = await t.db.pool.query("SELECT payload FROM nebula_tasks WHERE kind = 'job.cancel'");
    expect(tasks.map((r) => Number(r.payload.jobId))).toContain(Number(jobs[2]!.id));
    // Listed among deleted users; deleting again changes nothing.
    expect((await call('GET', '/api/users?deleted=true', { key: ADMIN_KEY })).json.map((x: { id: string }) => x.id)).toContain(u.id);
    expect((await call('DELETE', `/api/users/${u.id}`, { key: ADMIN_KEY })).json.deleted).toBe(true);
  });

  it('lets a user delete itself (BioBlend sends a JSON content type and no body)', async () => {
    const u = await localUser('del-ivan');
    const res = await call('DELETE', `/api/users/${u.id}`, { key: u.key, raw: '' });
    expect(res.status).toBe(200);
    expect(res.json.deleted).toBe(true);
    expect((await call('GET', '/api/whoami', { key: u.key })).status).toBe(401);
  });

  it('refuses purge (501, nothing changed) and the bootstrap admin (403)', async () => {
    const u = await localUser('del-judy');
    for (const [url, body] of [[`/api/users/${u.id}?purge=true`, undefined], [`/api/users/${u.id}`, { purge: true }]] as const) {
      const res = await call('DELETE', url, { key: ADMIN_KEY, body });
      expect(res.status).toBe(501);
      expect(res.json.err_msg).toContain('Purging');
    }
    expect((await call('GET', '/api/whoami', { key: u.key })).json.deleted).toBe(false);
    const self = await call('DELETE', '/api/users/current', { key: ADMIN_KEY });
    expect(self.status).toBe(403);
    expect((await call('GET', '/api/whoami', { key: ADMIN_KEY })).status).toBe(200);
  });

  it('is announced in /api/configuration, which BioBlend reads before deleting', async () => {
    expect((await call('GET', '/api/configuration')).json.allow_user_deletion).toBe(true);
  });
});

it('a user created outside the API (admin CLI) has no password and cannot use Basic login', async () => {
  const user = await createUser(t.db.pool, { email: 'cli@example.org', username: 'cli-user' });
  expect(user).not.toHaveProperty('password_hash');
  expect((await call('GET', '/api/authenticate/baseauth', { headers: basic('cli@example.org', '') })).status).toBe(401);
});
