/**
 * The registry protocol against an in-test HTTP server that speaks the parts the Debian
 * docker-registry cannot be made to (here): a bearer-token challenge with a token service,
 * tags/list paging with Link headers (distribution 2.8 ignores `n` on tags), and bad answers
 * (401, 429, garbage JSON, malformed manifests, a closed port). The real registries are in
 * registries.test.ts.
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveForJob } from '../../src/containers/jobs.ts';
import { RegistryClient, parseChallenge } from '../../src/containers/registry-client.ts';
import { newDeps } from '../../src/containers/resolve.ts';
import { DEFAULT_CONTAINER_SETTINGS, type ContainerSettings } from '../../src/containers/settings.ts';
import { freshDatabase, type TestDatabase } from '../helpers/db.ts';
import { recordingFetch, toolWith } from './helpers.ts';

const MANIFEST = JSON.stringify({
  schemaVersion: 2,
  mediaType: 'application/vnd.oci.image.manifest.v1+json',
  config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: `sha256:${'1'.repeat(64)}`, size: 2 },
  layers: [],
});
const MANIFEST_DIGEST = `sha256:${createHash('sha256').update(MANIFEST).digest('hex')}`;
const TAGS = Array.from({ length: 12 }, (_, i) => `2.0--h_${i}`);

let server: Server;
let host: string;
const seen: string[] = [];

function handle(req: IncomingMessage, res: ServerResponse): void {
  const url = new URL(req.url!, `http://${host}`);
  seen.push(`${req.method} ${url.pathname}${url.search}`);
  const send = (status: number, body: string, headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(req.method === 'HEAD' ? undefined : body);
  };
  if (url.pathname === '/token') {
    const basic = `Basic ${Buffer.from('alice:s3cret').toString('base64')}`;
    if (req.headers.authorization !== basic) return send(401, '{"errors":[{"code":"UNAUTHORIZED"}]}');
    return send(200, JSON.stringify({ token: `tok:${url.searchParams.get('scope')}`, expires_in: 300 }));
  }
  const m = /^\/v2\/(.+)\/(tags\/list|manifests\/(.+))$/.exec(url.pathname);
  if (!m) return send(404, '{}');
  const repo = m[1]!;
  if (repo.startsWith('private/')) {
    if (req.headers.authorization !== `Bearer tok:repository:${repo}:pull`) {
      return send(401, '{}', { 'www-authenticate': `Bearer realm="http://${host}/token",service="fake",scope="repository:${repo}:pull"` });
    }
  }
  if (repo.endsWith('/unauthorized')) return send(401, '{}', { 'www-authenticate': 'Basic realm="x"' });
  if (repo.endsWith('/ratelimited')) return send(429, '{"errors":[{"code":"TOOMANYREQUESTS"}]}');
  if (repo.endsWith('/garbage')) return send(200, '<html>surprise</html>', { 'content-type': 'text/html' });
  if (m[2] === 'tags/list') {
    const n = Number(url.searchParams.get('n') ?? 1000);
    const last = url.searchParams.get('last');
    const start = last ? TAGS.indexOf(last) + 1 : 0;
    const page = TAGS.slice(start, start + Math.min(n, 5));
    const more = start + page.length < TAGS.length;
    return send(200, JSON.stringify({ name: repo, tags: page }), more ? { link: `</v2/${repo}/tags/list?n=5&last=${page.at(-1)}>; rel="next"` } : {});
  }
  if (repo.endsWith('/malformed')) return send(200, '{"schemaVersion":1,"fsLayers":[]}', { 'content-type': 'application/vnd.docker.distribution.manifest.v1+prettyjws' });
  if (repo.endsWith('/missing')) return send(404, '{"errors":[{"code":"MANIFEST_UNKNOWN"}]}');
  // No Docker-Content-Digest on purpose for "nodigest": the client must hash the body.
  const digestHeader: Record<string, string> = repo.endsWith('/nodigest') ? {} : { 'docker-content-digest': MANIFEST_DIGEST };
  return send(200, MANIFEST, { 'content-type': 'application/vnd.oci.image.manifest.v1+json', ...digestHeader });
}

let db: TestDatabase;
beforeAll(async () => {
  server = createServer(handle);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  db = await freshDatabase();
});
afterAll(async () => {
  await new Promise((r) => server.close(r));
  await db?.drop();
});

function settings(over: Partial<ContainerSettings> = {}): ContainerSettings {
  return { ...DEFAULT_CONTAINER_SETTINGS, registries: [{ host: 'quay.io', namespace: 'biocontainers' }], hostOverrides: { 'quay.io': host }, ...over };
}

describe('bearer challenge', () => {
  it('parses quoted and bare parameters', () => {
    expect(parseChallenge('Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull,push"')).toEqual({
      scheme: 'bearer',
      params: { realm: 'https://auth.example/token', service: 'registry.example', scope: 'repository:a/b:pull,push' },
    });
  });

  it('fetches a token with the registry credentials, retries, and reuses the token', async () => {
    const rec = recordingFetch();
    const client = new RegistryClient({ fetch: rec.fetch });
    const endpoint = { host, insecure: true, credentials: { username: 'alice', password: 's3cret' } };
    const { digest } = await client.manifestDigest(endpoint, 'private/tool', '1.0');
    expect(digest).toBe(MANIFEST_DIGEST);
    expect(rec.requests.map((r) => `${r.method} ${new URL(r.url).pathname}`)).toEqual([
      'HEAD /v2/private/tool/manifests/1.0', 'GET /token', 'HEAD /v2/private/tool/manifests/1.0',
    ]);
    rec.reset();
    await client.manifestDigest(endpoint, 'private/tool', '1.0');
    expect(rec.requests).toHaveLength(1);
  });

  it('wrong credentials: a clear error naming the image and the registry', async () => {
    const client = new RegistryClient();
    await expect(client.manifestDigest({ host, insecure: true, credentials: { username: 'alice', password: 'nope' } }, 'private/tool', '1.0')).rejects.toThrow(
      new RegExp(`image ${host}/private/tool:1.0: the token service ${host} answered 401`),
    );
  });
});

describe('tags/list paging', () => {
  it('follows Link rel="next" until the last page', async () => {
    const client = new RegistryClient();
    seen.length = 0;
    const tags = await client.listTags({ host, insecure: true }, 'biocontainers/paged');
    expect(tags).toEqual(TAGS);
    expect(seen.filter((s) => s.includes('tags/list'))).toHaveLength(3);
  });
  it('picks the highest build across pages', async () => {
    const deps = newDeps(settings());
    const resolved = await resolveForJob(db.pool, toolWith('paged', { requirements: [{ type: 'package', name: 'paged', version: '2.0' }] }), deps);
    expect(resolved?.image).toBe(`${host}/biocontainers/paged:2.0--h_11`);
  });
});

describe('manifests', () => {
  it('hashes the manifest body when the registry sends no digest header', async () => {
    const { digest } = await new RegistryClient().manifestDigest({ host, insecure: true }, 'x/nodigest', '1');
    expect(digest).toBe(MANIFEST_DIGEST);
  });
});

describe('bad answers: clear errors, a negative cache entry, no retry storm', () => {
  const cases: Array<[string, RegExp]> = [
    ['missing', /no tag starts with|not found \(404\)/],
    ['unauthorized', /401 Unauthorized \(basic challenge\); no credentials are configured/],
    ['ratelimited', /rate limiting \(429/],
    ['garbage', /not JSON/],
  ];
  for (const [name, message] of cases) {
    it(`${name}`, async () => {
      const rec = recordingFetch();
      const deps = newDeps(settings(), new RegistryClient({ fetch: rec.fetch }));
      const tool = toolWith(name, { containers: [{ type: 'docker', identifier: `quay.io/biocontainers/${name}:1.0` }] });
      const error = await resolveForJob(db.pool, tool, deps).catch((e: Error) => e);
      expect(error).toBeInstanceOf(Error);
      expect((error as Error).message).toMatch(message);
      expect((error as Error).message).toContain(`${host}/biocontainers/${name}:1.0`);
      const first = rec.requests.length;
      expect(first).toBeGreaterThan(0);
      const again = await resolveForJob(db.pool, tool, deps).catch((e: Error) => e);
      expect((again as Error).message).toBe((error as Error).message);
      expect(rec.requests.length).toBe(first);
      const { rows } = await db.pool.query(`SELECT status, expires_at - resolved_at AS ttl FROM container_resolutions WHERE request_key LIKE $1`, [`%/${name}:1.0`]);
      expect(rows).toMatchObject([{ status: 'failed' }]);
    });
  }

  it('a malformed manifest', async () => {
    const deps = newDeps(settings());
    const tool = toolWith('malformed', { containers: [{ type: 'docker', identifier: 'quay.io/biocontainers/malformed:1.0' }] });
    await expect(resolveForJob(db.pool, tool, deps)).rejects.toThrow(new RegExp(`image ${host}/biocontainers/malformed:1.0: the manifest is malformed`));
  });

  it('a registry that is down', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const deps = newDeps(settings({ hostOverrides: { 'quay.io': `127.0.0.1:${port}` } }));
    const tool = toolWith('down', { requirements: [{ type: 'package', name: 'samtools', version: '1.9' }] });
    await expect(resolveForJob(db.pool, tool, deps)).rejects.toThrow(/no container image for requirements samtools=1.9 \(samtools\): tags of 127.0.0.1:\d+\/biocontainers\/samtools: registry unreachable \(ECONNREFUSED\)/);
  });

  it('a requirement with characters not allowed in a repository name', async () => {
    const deps = newDeps(settings());
    const tool = toolWith('badreq', { requirements: [{ type: 'package', name: 'sam;tools', version: '1' }] });
    await expect(resolveForJob(db.pool, tool, deps)).rejects.toThrow(/tool badreq: requirement "sam;tools" version "1": the name has characters not allowed/);
  });
});
