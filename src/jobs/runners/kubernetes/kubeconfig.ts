/**
 * Where the Kubernetes API server is and how to authenticate, as a client-node KubeConfig: from
 * the destination's `kubeconfig` file, else (inside a pod, no $KUBECONFIG) the service account,
 * else $KUBECONFIG or ~/.kube/config. Everything client-node supports works, exec plugins
 * included (`aws eks get-token`, `gke-gcloud-auth-plugin`...); in a pod the rotating
 * service-account token is re-read by client-node itself.
 *
 * Problems client-node would only report at the first request (a missing context, plain http
 * without insecure-skip-tls-verify) are found here and named as configuration errors.
 */
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { KubernetesConfigError, type KubernetesParams } from './params.ts';

export function loadKubeConfig(params: KubernetesParams): KubeConfig {
  const kc = new KubeConfig();
  const source = load(kc, params);
  if (params.context) {
    if (!kc.getContextObject(params.context)) throw new KubernetesConfigError(`${source}: no context "${params.context}"`);
    kc.setCurrentContext(params.context);
  }
  const cluster = kc.getCurrentCluster();
  if (!cluster?.server) {
    throw new KubernetesConfigError(`${source}: context "${kc.getCurrentContext()}" has no cluster with a server`);
  }
  // client-node refuses plain http at request time unless TLS checks are explicitly off.
  if (cluster.server.startsWith('http:') && !cluster.skipTLSVerify) {
    throw new KubernetesConfigError(
      `${source}: server ${cluster.server} is plain http, which client-node only accepts with insecure-skip-tls-verify: true`,
    );
  }
  return kc;
}

/** Loads kc and says where from, for error messages. */
function load(kc: KubeConfig, params: KubernetesParams): string {
  if (params.kubeconfig) {
    const source = `kubeconfig ${params.kubeconfig}`;
    wrap(source, () => kc.loadFromFile(params.kubeconfig!));
    return source;
  }
  if (process.env.KUBERNETES_SERVICE_HOST && !process.env.KUBECONFIG) {
    wrap('in-cluster service account', () => kc.loadFromCluster());
    return 'in-cluster service account';
  }
  const file = process.env.KUBECONFIG?.split(path.delimiter).find(Boolean) ?? path.join(os.homedir(), '.kube', 'config');
  // loadFromDefault would fall back to http://localhost:8080; say what is missing instead.
  if (!existsSync(file)) {
    throw new KubernetesConfigError(
      `no kubeconfig: ${file} does not exist, the destination sets no params.kubeconfig and this is not a pod`,
    );
  }
  wrap(`kubeconfig ${file}`, () => kc.loadFromDefault());
  return `kubeconfig ${file}`;
}

function wrap(source: string, loadIt: () => void): void {
  try {
    loadIt();
  } catch (e) {
    throw new KubernetesConfigError(`${source}: cannot be loaded (${(e as Error).message})`);
  }
}
