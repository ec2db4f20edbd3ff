/**
 * A client for the OCI distribution API (registry v2), and nothing else: no quay v1 API.
 * Bearer-token challenges (with optional per-registry credentials), tags/list with Link paging,
 * and manifest HEAD for the digest the engine will pull (an index / manifest list keeps its own
 * digest: podman and docker pick the platform from it).
 */
import { createHash } from 'node:crypto';

export type FetchLike = (url: string, init?: RequestInit) => Promise<Response>;

export interface RegistryCredentials {
  username: string;
  password: string;
}

export interface RegistryEndpoint {
  /** Host (with port) the requests go to, after any override. */
  host: string;
  /** Plain http (loopback and configured insecure registries). */
  insecure: boolean;
  credentials?: RegistryCredentials;
}

/** A registry said no, or said something we cannot use. Names the image and the registry. */
export class RegistryError extends Error {
  override name = 'RegistryError';
  constructor(
    message: string,
    readonly kind: 'not_found' | 'unauthorized' | 'rate_limited' | 'unavailable' | 'bad_response',
    readonly status?: number,
  ) {
    super(message);
  }
}

export const MANIFEST_ACCEPT = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
].join(', ');

const MANIFEST_TYPES = new Set(MANIFEST_ACCEPT.split(', '));
const PAGE_SIZE = 1000;
const MAX_PAGES = 100;

/** `Bearer realm="...",service="...",scope="..."` → its parameters (quoted or bare values). */
export function parseChallenge(header: string): { scheme: string; params: Record<string, string> } | null {
  const m = /^\s*(\w+)\s*(.*)$/s.exec(header);
  if (!m) return null;
  const params: Record<string, string> = {};
  const re = /([A-Za-z_]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))\s*,?/g;
  for (const p of m[2]!.matchAll(re)) params[p[1]!.toLowerCase()] = (p[2] ?? p[3] ?? '').replace(/\\(.)/g, '$1');
  return { scheme: m[1]!.toLowerCase(), params };
}

/** `<url>; rel="next"` → the url (relative urls stay relative to the registry). */
export function nextLink(header: string | null): string | null {
  if (!header) return null;
  for (const part of header.split(',')) {
    const m = /<([^>]+)>\s*;\s*rel="?next"?/i.exec(part);
    if (m) return m[1]!;
  }
  return null;
}

export interface RegistryClientOptions {
  fetch?: FetchLike;
  timeoutMs?: number;
}

export class RegistryClient {
  private readonly fetchImpl: FetchLike;
  private readonly timeoutMs: number;
  /** Bearer tokens by host + scope, reused until they expire. */
  private readonly tokens = new Map<string, { token: string; expires: number }>();

  constructor(options: RegistryClientOptions = {}) {
    this.fetchImpl = options.fetch ?? ((url, init) => fetch(url, init));
    this.timeoutMs = options.timeoutMs ?? 10_000;
  }

  private base(endpoint: RegistryEndpoint): string {
    return `${endpoint.insecure ? 'http' : 'https'}://${endpoint.host}`;
  }

  private async send(url: string, init: RequestInit, what: string): Promise<Response> {
    try {
      return await this.fetchImpl(url, { ...init, redirect: 'follow', signal: AbortSignal.timeout(this.timeoutMs) });
    } catch (err) {
      const e = err as Error & { cause?: { code?: string; message?: string } };
      const why = e.name === 'TimeoutError' ? `no answer within ${this.timeoutMs} ms` : (e.cause?.code ?? e.cause?.message ?? e.message);
      throw new RegistryError(`${what}: registry unreachable (${why})`, 'unavailable');
    }
  }

  /** A request with the bearer dance: try, read the challenge on 401, fetch a token, retry once. */
  private async request(endpoint: RegistryEndpoint, repository: string, path: string, init: RequestInit, what: string): Promise<Response> {
    const url = path.startsWith('http') ? path : `${this.base(endpoint)}${path}`;
    const scope = `repository:${repository}:pull`;
    const cached = this.tokens.get(`${endpoint.host} ${scope}`);
    const headers = new Headers(init.headers);
    if (cached && cached.expires > Date.now()) headers.set('authorization', `Bearer ${cached.token}`);
    let response = await this.send(url, { ...init, headers }, what);
    if (response.status !== 401) return response;
    const challenge = parseChallenge(response.headers.get('www-authenticate') ?? '');
    await response.body?.cancel();
    if (challenge?.scheme === 'bearer' && challenge.params.realm) {
      const token = await this.fetchToken(endpoint, challenge.params, scope, what);
      headers.set('authorization', `Bearer ${token}`);
    } else if (challenge?.scheme === 'basic' && endpoint.credentials) {
      const { username, password } = endpoint.credentials;
      headers.set('authorization', `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`);
    } else {
      throw new RegistryError(`${what}: registry answered 401 Unauthorized${challenge ? ` (${challenge.scheme} challenge)` : ''}${endpoint.credentials ? '' : '; no credentials are configured for it'}`, 'unauthorized', 401);
    }
    response = await this.send(url, { ...init, headers }, what);
    if (response.status === 401) {
      await response.body?.cancel();
      throw new RegistryError(`${what}: registry refused the credentials (401 Unauthorized)`, 'unauthorized', 401);
    }
    return response;
  }

  private async fetchToken(endpoint: RegistryEndpoint, params: Record<string, string>, scope: string, what: string): Promise<string> {
    let realm: URL;
    try {
      realm = new URL(params.realm!);
    } catch {
      throw new RegistryError(`${what}: registry's token realm "${params.realm}" is not a URL`, 'bad_response', 401);
    }
    if (params.service) realm.searchParams.set('service', params.service);
    realm.searchParams.set('scope', params.scope ?? scope);
    const headers = new Headers();
    if (endpoint.credentials) {
      const { username, password } = endpoint.credentials;
      headers.set('authorization', `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`);
    }
    const response = await this.send(realm.toString(), { headers }, `${what}: token from ${realm.host}`);
    if (!response.ok) {
      await response.body?.cancel();
      const kind = response.status === 429 ? 'rate_limited' : response.status === 401 || response.status === 403 ? 'unauthorized' : 'unavailable';
      throw new RegistryError(`${what}: the token service ${realm.host} answered ${response.status}`, kind, response.status);
    }
    const body = await this.json(response, `${what}: token from ${realm.host}`);
    const token = (body as { token?: unknown; access_token?: unknown }).token ?? (body as { access_token?: unknown }).access_token;
    if (typeof token !== 'string' || !token) throw new RegistryError(`${what}: the token service ${realm.host} returned no token`, 'bad_response');
    const expiresIn = Number((body as { expires_in?: unknown }).expires_in) || 60;
    this.tokens.set(`${endpoint.host} ${scope}`, { token, expires: Date.now() + Math.max(10, expiresIn - 10) * 1000 });
    return token;
  }

  private async json(response: Response, what: string): Promise<unknown> {
    const text = await response.text();
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw new RegistryError(`${what}: registry answered with something that is not JSON (${JSON.stringify(text.slice(0, 80))})`, 'bad_response', response.status);
    }
  }

  private failure(response: Response, what: string): RegistryError {
    const s = response.status;
    if (s === 404) return new RegistryError(`${what}: not found (404)`, 'not_found', s);
    if (s === 429) return new RegistryError(`${what}: registry is rate limiting (429 Too Many Requests)`, 'rate_limited', s);
    if (s === 401 || s === 403) return new RegistryError(`${what}: access denied (${s})`, 'unauthorized', s);
    return new RegistryError(`${what}: registry answered ${s} ${response.statusText}`.trim(), s >= 500 ? 'unavailable' : 'bad_response', s);
  }

  /** Every tag of a repository, following `Link: <...>; rel="next"` pages. */
  async listTags(endpoint: RegistryEndpoint, repository: string): Promise<string[]> {
    const what = `tags of ${endpoint.host}/${repository}`;
    const tags: string[] = [];
    let path: string | null = `/v2/${repository}/tags/list?n=${PAGE_SIZE}`;
    for (let page = 0; path && page < MAX_PAGES; page++) {
      const response = await this.request(endpoint, repository, path, { headers: { accept: 'application/json' } }, what);
      if (response.status === 404) {
        await response.body?.cancel();
        return tags;
      }
      if (!response.ok) {
        await response.body?.cancel();
        throw this.failure(response, what);
      }
      const link = nextLink(response.headers.get('link'));
      const body = await this.json(response, what);
      const pageTags = (body as { tags?: unknown }).tags;
      if (pageTags !== null && pageTags !== undefined && (!Array.isArray(pageTags) || !pageTags.every((t) => typeof t === 'string'))) {
        throw new RegistryError(`${what}: the tag list is malformed (tags is not a list of strings)`, 'bad_response');
      }
      tags.push(...((pageTags as string[] | null) ?? []));
      path = link;
    }
    return tags;
  }

  /**
   * The digest of a tag's manifest (or image index), as the engine will pull it. HEAD first; a
   * registry that does not send Docker-Content-Digest gets a GET and the digest of the body.
   */
  async manifestDigest(endpoint: RegistryEndpoint, repository: string, reference: string): Promise<{ digest: string; mediaType: string }> {
    const what = `image ${endpoint.host}/${repository}:${reference}`;
    const path = `/v2/${repository}/manifests/${reference}`;
    const head = await this.request(endpoint, repository, path, { method: 'HEAD', headers: { accept: MANIFEST_ACCEPT } }, what);
    if (!head.ok) throw this.failure(head, what);
    const mediaType = (head.headers.get('content-type') ?? '').split(';')[0]!.trim();
    const digest = head.headers.get('docker-content-digest');
    if (digest && /^sha256:[a-f0-9]{64}$/.test(digest) && MANIFEST_TYPES.has(mediaType)) return { digest, mediaType };
    // No usable digest header: read the manifest and hash what the registry serves.
    const get = await this.request(endpoint, repository, path, { headers: { accept: MANIFEST_ACCEPT } }, what);
    if (!get.ok) throw this.failure(get, what);
    const bytes = Buffer.from(await get.arrayBuffer());
    let doc: { schemaVersion?: unknown; mediaType?: unknown; manifests?: unknown; config?: unknown; layers?: unknown };
    try {
      doc = JSON.parse(bytes.toString('utf8'));
    } catch {
      throw new RegistryError(`${what}: the manifest is not JSON`, 'bad_response', get.status);
    }
    const type = (get.headers.get('content-type') ?? '').split(';')[0]!.trim() || String(doc.mediaType ?? '');
    const isIndex = Array.isArray(doc.manifests);
    const isImage = typeof doc.config === 'object' && doc.config !== null && Array.isArray(doc.layers);
    if (doc.schemaVersion !== 2 || (!isIndex && !isImage)) {
      throw new RegistryError(`${what}: the manifest is malformed (not a schema 2 image manifest or index)`, 'bad_response', get.status);
    }
    return { digest: `sha256:${createHash('sha256').update(bytes).digest('hex')}`, mediaType: type };
  }
}
