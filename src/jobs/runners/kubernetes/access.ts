/**
 * Where the Kubernetes API server is and how to authenticate: from a kubeconfig file (the
 * destination's `kubeconfig`, else $KUBECONFIG or ~/.kube/config) or, inside a pod, from the
 * service account. Supported credentials: bearer token (inline or file), client certificate,
 * basic auth; exec plugins and auth-providers are not (they would run programs from a config).
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { KubernetesConfigError, type KubernetesParams } from './params.ts';

export interface KubeAccess {
  server: string;
  /** Read per request: projected service-account tokens rotate. */
  authorization(): string | undefined;
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  rejectUnauthorized: boolean;
}

const SERVICE_ACCOUNT = '/var/run/secrets/kubernetes.io/serviceaccount';

export function loadKubeAccess(params: KubernetesParams): KubeAccess {
  if (!params.kubeconfig && process.env.KUBERNETES_SERVICE_HOST && !process.env.KUBECONFIG) return inCluster();
  const file = params.kubeconfig ?? process.env.KUBECONFIG?.split(path.delimiter)[0] ?? path.join(os.homedir(), '.kube', 'config');
  return fromKubeconfig(file, params.context);
}

function inCluster(): KubeAccess {
  const host = process.env.KUBERNETES_SERVICE_HOST!;
  const port = process.env.KUBERNETES_SERVICE_PORT ?? '443';
  const tokenFile = path.join(SERVICE_ACCOUNT, 'token');
  return {
    server: `https://${host.includes(':') ? `[${host}]` : host}:${port}`,
    authorization: () => `Bearer ${readFileSync(tokenFile, 'utf8').trim()}`,
    ca: readFileSync(path.join(SERVICE_ACCOUNT, 'ca.crt')),
    rejectUnauthorized: true,
  };
}

type Named<T> = { name: string } & Record<string, T>;
interface Kubeconfig {
  'current-context'?: string;
  contexts?: Named<{ cluster?: string; user?: string }>[];
  clusters?: Named<Record<string, unknown>>[];
  users?: Named<Record<string, unknown>>[];
}

function fromKubeconfig(file: string, contextName?: string): KubeAccess {
  let doc: Kubeconfig;
  try {
    doc = parseYaml(readFileSync(file, 'utf8')) as Kubeconfig;
  } catch (e) {
    throw new KubernetesConfigError(`kubeconfig ${file}: cannot be read (${(e as Error).message})`);
  }
  const dir = path.dirname(file);
  const wanted = contextName ?? doc['current-context'];
  const context = doc.contexts?.find((c) => c.name === wanted)?.context;
  if (!context) throw new KubernetesConfigError(`kubeconfig ${file}: no context "${wanted ?? ''}"`);
  const cluster = doc.clusters?.find((c) => c.name === context.cluster)?.cluster;
  if (!cluster || typeof cluster.server !== 'string') {
    throw new KubernetesConfigError(`kubeconfig ${file}: context "${wanted}" has no cluster with a server`);
  }
  const user = (doc.users?.find((u) => u.name === context.user)?.user ?? {}) as Record<string, unknown>;
  if (user.exec || user['auth-provider']) {
    throw new KubernetesConfigError(
      `kubeconfig ${file}: user "${context.user}" uses an exec plugin or auth-provider, which Nebula does not run; use a service-account token`,
    );
  }

  const bytes = (dataKey: string, fileKey: string, from: Record<string, unknown>): Buffer | undefined => {
    if (typeof from[dataKey] === 'string') return Buffer.from(from[dataKey] as string, 'base64');
    if (typeof from[fileKey] === 'string') return readFileSync(path.resolve(dir, from[fileKey] as string));
    return undefined;
  };

  let authorization: () => string | undefined = () => undefined;
  if (typeof user.token === 'string') {
    const token = user.token;
    authorization = () => `Bearer ${token}`;
  } else if (typeof user.tokenFile === 'string') {
    const tokenFile = path.resolve(dir, user.tokenFile);
    authorization = () => `Bearer ${readFileSync(tokenFile, 'utf8').trim()}`;
  } else if (typeof user.username === 'string') {
    const basic = Buffer.from(`${user.username}:${String(user.password ?? '')}`).toString('base64');
    authorization = () => `Basic ${basic}`;
  }

  return {
    server: cluster.server.replace(/\/+$/, ''),
    authorization,
    ca: bytes('certificate-authority-data', 'certificate-authority', cluster),
    cert: bytes('client-certificate-data', 'client-certificate', user),
    key: bytes('client-key-data', 'client-key', user),
    rejectUnauthorized: cluster['insecure-skip-tls-verify'] !== true,
  };
}
