/**
 * The few Kubernetes API calls the runner makes (Jobs and Secrets: create, read, replace,
 * delete), over node:http/https, and the translation of failures into errors a worker can act
 * on: an API server that cannot be reached (or answers 429/5xx) is retryable and named; a
 * refusal (403, 422...) is not.
 *
 * Why not @kubernetes/client-node: v2.0.1 depends on undici 8, which needs Node >= 22.19 and
 * throws at import time on Node 20 (this project's runtime). Its model types are still used,
 * type-only. The paths and bodies here are exactly the ones that client would send.
 */
import http from 'node:http';
import https from 'node:https';
import type { V1Job, V1Secret } from '@kubernetes/client-node';
import { loadKubeAccess, type KubeAccess } from './access.ts';
import type { KubernetesParams } from './params.ts';

export class KubernetesUnavailableError extends Error {
  readonly retryable = true;
  constructor(message: string) {
    super(message);
    this.name = 'KubernetesUnavailableError';
  }
}

export class KubernetesApiError extends Error {
  readonly retryable = false;
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = 'KubernetesApiError';
  }
}

/** A 404 or 409 the caller handles itself (adoption, gone, idempotent delete). */
export class KubernetesHttpStatus extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
    message: string,
  ) {
    super(message);
    this.name = 'KubernetesHttpStatus';
  }
}

export function httpStatus(error: unknown): number | undefined {
  return error instanceof KubernetesHttpStatus ? error.status : undefined;
}

const jobsPath = (ns: string) => `/apis/batch/v1/namespaces/${encodeURIComponent(ns)}/jobs`;
const secretsPath = (ns: string) => `/api/v1/namespaces/${encodeURIComponent(ns)}/secrets`;
const one = (collection: string, name: string) => `${collection}/${encodeURIComponent(name)}`;

export class KubeClient {
  constructor(
    private readonly access: KubeAccess,
    private readonly timeoutSeconds: number,
  ) {}

  get server(): string {
    return this.access.server;
  }

  createJob(namespace: string, job: V1Job): Promise<V1Job> {
    return this.call('POST', jobsPath(namespace), `create Job ${job.metadata?.name}`, job);
  }
  readJob(namespace: string, name: string): Promise<V1Job> {
    return this.call('GET', one(jobsPath(namespace), name), `read Job ${namespace}/${name}`);
  }
  /** Background propagation: the Job goes now, its pods and Secret follow through the garbage collector. */
  deleteJob(namespace: string, name: string): Promise<unknown> {
    return this.call('DELETE', `${one(jobsPath(namespace), name)}?propagationPolicy=Background`, `delete Job ${namespace}/${name}`, {
      apiVersion: 'v1',
      kind: 'DeleteOptions',
      propagationPolicy: 'Background',
    });
  }
  createSecret(namespace: string, secret: V1Secret): Promise<V1Secret> {
    return this.call('POST', secretsPath(namespace), `create Secret ${secret.metadata?.name}`, secret);
  }
  readSecret(namespace: string, name: string): Promise<V1Secret> {
    return this.call('GET', one(secretsPath(namespace), name), `read Secret ${namespace}/${name}`);
  }
  replaceSecret(namespace: string, name: string, secret: V1Secret): Promise<V1Secret> {
    return this.call('PUT', one(secretsPath(namespace), name), `replace Secret ${namespace}/${name}`, secret);
  }

  private call<T>(method: string, path: string, what: string, body?: unknown): Promise<T> {
    const url = new URL(this.access.server + path);
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const headers: Record<string, string> = { accept: 'application/json' };
    if (payload) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = String(payload.length);
    }
    const authorization = this.access.authorization();
    if (authorization) headers.authorization = authorization;
    const transport = url.protocol === 'https:' ? https : http;

    return new Promise<T>((resolve, reject) => {
      const req = transport.request(
        url,
        {
          method,
          headers,
          ca: this.access.ca,
          cert: this.access.cert,
          key: this.access.key,
          rejectUnauthorized: this.access.rejectUnauthorized,
          timeout: this.timeoutSeconds * 1000,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', (e) => reject(this.unreachable(what, e)));
          res.on('end', () => {
            const status = res.statusCode ?? 0;
            const text = Buffer.concat(chunks).toString('utf8');
            let parsed: unknown;
            try {
              parsed = text ? JSON.parse(text) : undefined;
            } catch {
              parsed = undefined;
            }
            if (status >= 200 && status < 300) return resolve(parsed as T);
            reject(this.failure(status, what, parsed, text));
          });
        },
      );
      req.on('timeout', () => {
        req.destroy(
          new KubernetesUnavailableError(
            `Kubernetes API server ${this.server} did not answer ${what} within ${this.timeoutSeconds} s`,
          ),
        );
      });
      req.on('error', (e) => reject(e instanceof KubernetesUnavailableError ? e : this.unreachable(what, e)));
      req.end(payload);
    });
  }

  private unreachable(what: string, e: Error): KubernetesUnavailableError {
    const code = (e as NodeJS.ErrnoException).code;
    return new KubernetesUnavailableError(
      `Kubernetes API server ${this.server} unreachable (${what}): ${[code, e.message].filter(Boolean).join(' ')}`,
    );
  }

  private failure(status: number, what: string, parsed: unknown, text: string): Error {
    const body = (parsed ?? {}) as { message?: string; reason?: string };
    const message = body.message ?? text.slice(0, 200);
    if (status === 404 || status === 409) return new KubernetesHttpStatus(status, body.reason ?? '', `${what}: ${message}`);
    if (status === 429 || status >= 500) {
      return new KubernetesUnavailableError(`Kubernetes API server ${this.server} answered ${status} to ${what}: ${message}`);
    }
    return new KubernetesApiError(`Kubernetes refused ${what} (${status}): ${message}`, status);
  }
}

const clients = new Map<string, KubeClient>();

/** One client per (kubeconfig, context, timeout), reused across calls. */
export function kubeClient(params: KubernetesParams): KubeClient {
  const key = `${params.kubeconfig ?? ''}\0${params.context ?? ''}\0${params.requestTimeoutSeconds}`;
  let client = clients.get(key);
  if (!client) {
    client = new KubeClient(loadKubeAccess(params), params.requestTimeoutSeconds);
    clients.set(key, client);
  }
  return client;
}
