/**
 * The few Kubernetes API calls the runner makes (Jobs: create, read, list, delete; Secrets:
 * create, read, replace), through @kubernetes/client-node 1.x (the 2.x line needs Node >= 22.19; this project
 * runs on Node 20). Every failure leaves here as one of the errors in ./errors.ts.
 */
import {
  BatchV1Api,
  CoreV1Api,
  IsomorphicFetchHttpLibrary,
  type HttpLibrary,
  type KubeConfig,
  type RequestContext,
  type V1Job,
  type V1Secret,
} from '@kubernetes/client-node';
import { translateError } from './errors.ts';
import { loadKubeConfig } from './kubeconfig.ts';
import type { KubernetesParams } from './params.ts';

/**
 * client-node sets no request timeout; a hung API server must not hold a worker's task, so each
 * request gets an abort signal (node-fetch then rejects with AbortError, see errors.ts).
 */
function timedHttp(timeoutSeconds: number): HttpLibrary {
  const fetchLibrary = new IsomorphicFetchHttpLibrary();
  return {
    send(request: RequestContext) {
      request.setSignal(AbortSignal.timeout(timeoutSeconds * 1000));
      return fetchLibrary.send(request);
    },
  };
}

export class KubeClient {
  private readonly batch: BatchV1Api;
  private readonly core: CoreV1Api;
  private readonly options: { httpApi: HttpLibrary };
  readonly server: string;

  constructor(
    kubeConfig: KubeConfig,
    private readonly timeoutSeconds: number,
  ) {
    this.batch = kubeConfig.makeApiClient(BatchV1Api);
    this.core = kubeConfig.makeApiClient(CoreV1Api);
    this.options = { httpApi: timedHttp(timeoutSeconds) };
    this.server = kubeConfig.getCurrentCluster()!.server;
  }

  createJob(namespace: string, job: V1Job): Promise<V1Job> {
    return this.call(`create Job ${job.metadata?.name}`, () =>
      this.batch.createNamespacedJob({ namespace, body: job }, this.options),
    );
  }
  readJob(namespace: string, name: string): Promise<V1Job> {
    return this.call(`read Job ${namespace}/${name}`, () => this.batch.readNamespacedJob({ namespace, name }, this.options));
  }
  /**
   * Every Job of the namespace matching the label selector, page by page (`limit`/`continue`),
   * so a namespace with thousands of Jobs is neither cut short nor read in one huge answer.
   */
  async listJobs(namespace: string, labelSelector: string, pageSize = 500): Promise<V1Job[]> {
    const jobs: V1Job[] = [];
    let next: string | undefined;
    let page = 0;
    do {
      page++;
      const what = `list Jobs in ${namespace} (${labelSelector}, page ${page})`;
      const list = await this.call(what, () =>
        this.batch.listNamespacedJob({ namespace, labelSelector, limit: pageSize, _continue: next }, this.options),
      );
      jobs.push(...list.items);
      next = list.metadata?._continue || undefined;
    } while (next);
    return jobs;
  }
  /** Background propagation: the Job goes now, its pods and Secret follow through the garbage collector. */
  async deleteJob(namespace: string, name: string): Promise<void> {
    await this.call(`delete Job ${namespace}/${name}`, () =>
      this.batch.deleteNamespacedJob({ namespace, name, propagationPolicy: 'Background' }, this.options),
    );
  }
  createSecret(namespace: string, secret: V1Secret): Promise<V1Secret> {
    return this.call(`create Secret ${secret.metadata?.name}`, () =>
      this.core.createNamespacedSecret({ namespace, body: secret }, this.options),
    );
  }
  readSecret(namespace: string, name: string): Promise<V1Secret> {
    return this.call(`read Secret ${namespace}/${name}`, () => this.core.readNamespacedSecret({ namespace, name }, this.options));
  }
  replaceSecret(namespace: string, name: string, secret: V1Secret): Promise<V1Secret> {
    return this.call(`replace Secret ${namespace}/${name}`, () =>
      this.core.replaceNamespacedSecret({ namespace, name, body: secret }, this.options),
    );
  }

  private async call<T>(what: string, request: () => Promise<T>): Promise<T> {
    try {
      return await request();
    } catch (error) {
      throw translateError(error, { server: this.server, what, timeoutSeconds: this.timeoutSeconds });
    }
  }
}

const clients = new Map<string, KubeClient>();

/** One client per (kubeconfig, context, timeout), reused across calls. */
export function kubeClient(params: KubernetesParams): KubeClient {
  const key = `${params.kubeconfig ?? ''}\0${params.context ?? ''}\0${params.requestTimeoutSeconds}`;
  let client = clients.get(key);
  if (!client) {
    client = new KubeClient(loadKubeConfig(params), params.requestTimeoutSeconds);
    clients.set(key, client);
  }
  return client;
}
