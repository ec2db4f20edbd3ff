/**
 * A fake Kubernetes API server on 127.0.0.1 for the Kubernetes runner's tests. No API server can
 * run on these machines, so this speaks exactly the endpoints the runner uses, with in-memory
 * state and Kubernetes-shaped Status objects for errors:
 *
 *   POST/GET/DELETE /apis/batch/v1/namespaces/{ns}/jobs[/{name}]
 *   POST/GET/PUT    /api/v1/namespaces/{ns}/secrets[/{name}]
 *   GET             /apis/batch/v1/namespaces/{ns}/jobs?labelSelector=&limit=&continue=
 *
 * A list answers as the API server does: items in name order, equality- and set-based label
 * selectors (`a=b`, `a!=b`, `a`, `!a`, `a in (x,y)`, `a notin (x,y)`), at most `limit` items with
 * an opaque `metadata.continue` (and `remainingItemCount`) while more remain, 400 for a selector
 * or continue token it cannot parse.
 *
 * As a real API server does, it answers 415 to a body that is not application/json, persists
 * nothing for `?dryRun=All`, and rejects an unknown `propagationPolicy`.
 *
 * It does not schedule pods: a test moves a Job along with `setJobStatus`. Deleting a Job also
 * deletes the Secrets owner-referenced to it, as the garbage collector would (except with
 * `propagationPolicy=Orphan`).
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

type KubeObject = {
  apiVersion?: string;
  kind?: string;
  metadata: {
    name: string;
    namespace?: string;
    uid?: string;
    labels?: Record<string, string>;
    ownerReferences?: { uid: string; kind: string; name: string }[];
    deletionTimestamp?: string;
    [key: string]: unknown;
  };
  spec?: any;
  status?: any;
  data?: Record<string, string>;
  [key: string]: unknown;
};

export interface RecordedRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  body: unknown;
  contentType?: string;
  authorization?: string;
}

const JOBS = /^\/apis\/batch\/v1\/namespaces\/([^/]+)\/jobs(?:\/([^/]+))?$/;
const SECRETS = /^\/api\/v1\/namespaces\/([^/]+)\/secrets(?:\/([^/]+))?$/;

export class FakeKube {
  readonly jobs = new Map<string, KubeObject>();
  readonly secrets = new Map<string, KubeObject>();
  readonly requests: RecordedRequest[] = [];
  /** Answer every list request with this status (e.g. 403, credentials that may not list). */
  refuseLists?: number;
  /** Answer the next N requests with 500, to test error paths. */
  failNext = 0;
  /** Never answer the next N requests (the connection stays open until the client gives up). */
  hangNext = 0;
  private server?: Server;
  port = 0;

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((e: unknown) => this.send(res, 500, status(500, 'InternalError', String(e))));
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as { port: number }).port;
    return this;
  }

  async stop(): Promise<void> {
    // Requests left hanging by hangNext would otherwise keep close() waiting.
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /**
   * A kubeconfig file pointing at this server, no authentication. The server speaks plain http,
   * which client-node accepts only with insecure-skip-tls-verify.
   */
  writeKubeconfig(dir = mkdtempSync(path.join(os.tmpdir(), 'fake-kube-')), user = '  user: {}'): string {
    const file = path.join(dir, 'kubeconfig.yaml');
    writeFileSync(
      file,
      [
        'apiVersion: v1',
        'kind: Config',
        'clusters:',
        `- name: fake`,
        `  cluster: { server: "${this.url}", insecure-skip-tls-verify: true }`,
        'users:',
        '- name: nobody',
        user,
        'contexts:',
        '- name: fake',
        '  context: { cluster: fake, user: nobody }',
        'current-context: fake',
        '',
      ].join('\n'),
    );
    return file;
  }

  /** How many requests this server has received with that method on a path matching `path`. */
  count(method: string, path: RegExp | string): number {
    return this.requests.filter((r) => r.method === method && (typeof path === 'string' ? r.path === path : path.test(r.path))).length;
  }

  job(namespace: string, name: string): KubeObject | undefined {
    return this.jobs.get(`${namespace}/${name}`);
  }

  /** Moves a Job along, as the Job controller and kubelet would. */
  setJobStatus(namespace: string, name: string, jobStatus: Record<string, unknown>): void {
    const job = this.job(namespace, name);
    if (!job) throw new Error(`fake-kube: no job ${namespace}/${name}`);
    job.status = jobStatus;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake');
    const raw = await readBody(req);
    const body = raw ? JSON.parse(raw) : undefined;
    this.requests.push({
      method: req.method ?? '',
      path: url.pathname,
      query: url.searchParams,
      body,
      contentType: req.headers['content-type'],
      authorization: req.headers.authorization,
    });
    if (this.hangNext > 0) {
      this.hangNext--;
      return;
    }
    if (this.failNext > 0) {
      this.failNext--;
      return this.send(res, 500, status(500, 'InternalError', 'fake-kube: injected failure'));
    }

    if (raw && !/^application\/json\b/.test(req.headers['content-type'] ?? '')) {
      const type = req.headers['content-type'] ?? 'none';
      return this.send(res, 415, status(415, 'UnsupportedMediaType', `the body of the request was in an unknown format: ${type}`));
    }
    const dryRun = url.searchParams.get('dryRun');
    if (dryRun !== null && dryRun !== 'All') return this.send(res, 400, status(400, 'BadRequest', `invalid dry run directive "${dryRun}"`));
    const policy = url.searchParams.get('propagationPolicy') ?? (body as { propagationPolicy?: string } | undefined)?.propagationPolicy;
    if (policy !== undefined && !['Orphan', 'Background', 'Foreground'].includes(policy)) {
      return this.send(res, 422, status(422, 'Invalid', `propagationPolicy: Unsupported value: "${policy}"`));
    }
    const how = { dryRun: dryRun === 'All', orphan: policy === 'Orphan' };

    const jobs = JOBS.exec(url.pathname);
    if (jobs) return this.resource(req.method, res, this.jobs, 'jobs', 'batch', jobs[1]!, jobs[2], body, how, url.searchParams);
    const secrets = SECRETS.exec(url.pathname);
    if (secrets) return this.resource(req.method, res, this.secrets, 'secrets', '', secrets[1]!, secrets[2], body, how, url.searchParams);
    this.send(res, 404, status(404, 'NotFound', `fake-kube does not serve ${req.method} ${url.pathname}`));
  }

  private resource(
    method: string | undefined,
    res: ServerResponse,
    store: Map<string, KubeObject>,
    kind: string,
    group: string,
    namespace: string,
    name: string | undefined,
    body: KubeObject | undefined,
    how: { dryRun: boolean; orphan: boolean },
    query: URLSearchParams,
  ): void {
    const what = group ? `${kind}.${group}` : kind;
    if (method === 'POST' && !name) {
      if (!body?.metadata?.name) return this.send(res, 422, status(422, 'Invalid', `${what}: metadata.name required`));
      const key = `${namespace}/${body.metadata.name}`;
      if (store.has(key)) {
        return this.send(res, 409, status(409, 'AlreadyExists', `${what} "${body.metadata.name}" already exists`, body.metadata.name, group, kind));
      }
      const created: KubeObject = {
        ...body,
        metadata: { ...body.metadata, namespace, uid: randomUUID(), creationTimestamp: new Date().toISOString() },
      };
      if (kind === 'jobs') created.status = {};
      if (!how.dryRun) store.set(key, created);
      return this.send(res, 201, created);
    }
    if (method === 'GET' && !name) return this.list(res, store, kind, group, namespace, query);
    if (!name) return this.send(res, 405, status(405, 'MethodNotAllowed', `${method} on a collection`));
    const key = `${namespace}/${name}`;
    const existing = store.get(key);
    if (!existing) return this.send(res, 404, status(404, 'NotFound', `${what} "${name}" not found`, name, group, kind));
    if (method === 'GET') return this.send(res, 200, existing);
    if (method === 'PUT' && body) {
      const replaced = { ...body, metadata: { ...body.metadata, namespace, uid: existing.metadata.uid } };
      if (!how.dryRun) store.set(key, replaced);
      return this.send(res, 200, replaced);
    }
    if (method === 'DELETE') {
      if (how.dryRun) return this.send(res, 200, existing);
      store.delete(key);
      // The garbage collector's part: dependents of a deleted owner go too.
      if (!how.orphan) {
        for (const [k, obj] of this.secrets) {
          if (obj.metadata.ownerReferences?.some((o) => o.uid === existing.metadata.uid)) this.secrets.delete(k);
        }
      }
      return this.send(res, 200, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details: { name, group, kind, uid: existing.metadata.uid } });
    }
    this.send(res, 405, status(405, 'MethodNotAllowed', `${method} not served`));
  }

  private list(
    res: ServerResponse,
    store: Map<string, KubeObject>,
    kind: string,
    group: string,
    namespace: string,
    query: URLSearchParams,
  ): void {
    if (this.refuseLists !== undefined) {
      const what = group ? `${kind}.${group}` : kind;
      return this.send(res, this.refuseLists, status(this.refuseLists, 'Forbidden', `${what} is forbidden: cannot list resource "${kind}" in the namespace "${namespace}"`));
    }
    let matches: (labels: Record<string, string>) => boolean;
    try {
      matches = parseSelector(query.get('labelSelector') ?? '');
    } catch (e) {
      return this.send(res, 400, status(400, 'BadRequest', `unable to parse requirement: ${(e as Error).message}`));
    }
    const limitText = query.get('limit');
    const limit = limitText === null ? 0 : Number(limitText);
    if (!Number.isInteger(limit) || limit < 0) return this.send(res, 400, status(400, 'BadRequest', `limit: invalid value "${limitText}"`));
    let after = '';
    const token = query.get('continue');
    if (token) {
      try {
        const decoded = JSON.parse(Buffer.from(token, 'base64').toString('utf8')) as { start?: unknown };
        if (typeof decoded.start !== 'string') throw new Error('no start');
        after = decoded.start;
      } catch {
        return this.send(res, 400, status(400, 'BadRequest', 'continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)'));
      }
    }
    const all = [...store.values()]
      .filter((o) => o.metadata.namespace === namespace && matches(o.metadata.labels ?? {}))
      .sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : a.metadata.name > b.metadata.name ? 1 : 0))
      .filter((o) => o.metadata.name > after);
    const page = limit > 0 ? all.slice(0, limit) : all;
    const remaining = all.length - page.length;
    const metadata: Record<string, unknown> = { resourceVersion: String(this.requests.length) };
    if (remaining > 0) {
      metadata.continue = Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', start: page.at(-1)!.metadata.name })).toString('base64');
      metadata.remainingItemCount = remaining;
    }
    // Items of a list carry no kind/apiVersion of their own; the list does.
    const items = page.map(({ kind: _k, apiVersion: _a, ...rest }) => rest);
    const listKind = kind === 'jobs' ? 'JobList' : 'SecretList';
    this.send(res, 200, { kind: listKind, apiVersion: group ? `${group}/v1` : 'v1', metadata, items });
  }

  private send(res: ServerResponse, code: number, body: unknown): void {
    res.writeHead(code, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  }
}

function status(code: number, reason: string, message: string, name?: string, group?: string, kind?: string) {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason,
    details: name ? { name, group, kind } : undefined,
    code,
  };
}

/** A label selector → a predicate on labels; throws on a requirement it cannot parse. */
function parseSelector(selector: string): (labels: Record<string, string>) => boolean {
  const requirements: ((labels: Record<string, string>) => boolean)[] = [];
  // Commas separate requirements, except inside the parentheses of `in (...)`.
  for (const raw of selector.split(/,(?![^(]*\))/)) {
    const part = raw.trim();
    if (!part) continue;
    let m: RegExpExecArray | null;
    if ((m = /^([\w./-]+)\s*(==|=|!=)\s*([\w.-]*)$/.exec(part))) {
      const [, key, op, value] = m as unknown as [string, string, string, string];
      requirements.push(op === '!=' ? (l) => l[key] !== value : (l) => l[key] === value);
    } else if ((m = /^([\w./-]+)\s+(in|notin)\s*\(([^)]*)\)$/.exec(part))) {
      const [, key, op, list] = m as unknown as [string, string, string, string];
      const values = list.split(',').map((v) => v.trim());
      requirements.push(op === 'in' ? (l) => key in l && values.includes(l[key]!) : (l) => !(key in l) || !values.includes(l[key]!));
    } else if ((m = /^(!?)([\w./-]+)$/.exec(part))) {
      const [, not, key] = m as unknown as [string, string, string];
      requirements.push(not ? (l) => !(key in l) : (l) => key in l);
    } else {
      throw new Error(`"${part}"`);
    }
  }
  return (labels) => requirements.every((r) => r(labels));
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let data = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (data += c));
    req.on('end', () => resolve(data));
    req.on('error', reject);
  });
}
