/**
 * The Kubernetes objects for one attempt: a batch/v1 Job running the executor, and a Secret
 * holding the executor's secret environment (the job token, object-store keys), owner-referenced
 * to the Job so it is deleted with it.
 *
 * No volume is shared with the server: the pod gets one emptyDir for scratch and its node cache.
 */
import { createHash } from 'node:crypto';
import type { V1EnvVar, V1Job, V1Secret } from '@kubernetes/client-node';
import type { SubmitRequest } from '../../interfaces.ts';
import { attemptMark } from '../attempt-mark.ts';
import type { KubernetesParams } from './params.ts';

export const MANAGED_BY = 'nebula';
export const LABEL_JOB_ID = 'nebula/job-id';
export const LABEL_ATTEMPT = 'nebula/attempt';
/**
 * The destination a Job was submitted through: with managed-by, the label selector under which
 * status lists a namespace's Jobs (../kubernetes/job-listing.ts), so a namespace shared with other
 * destinations or applications lists only this destination's Jobs.
 */
export const LABEL_DESTINATION = 'nebula/destination';
export const ANNOTATION_REQUEST_NAME = 'nebula/request-name';
/** See ../attempt-mark.ts: tells this attempt's Job from a same-named one of another installation. */
export const ANNOTATION_ATTEMPT_MARK = 'nebula/attempt-mark';

/** Environment variables whose values go through the Secret, never into the Job spec. */
const SECRET_ENV = /TOKEN|SECRET|PASSWORD|ACCESS_KEY|CREDENTIAL/i;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

/**
 * A DNS-1123 label (lowercase alphanumerics and '-', at most 63 characters) derived only from
 * the request name, so every worker computes the same one. Names that had to be shortened or
 * changed get a hash suffix so two different requests never collide.
 */
export function kubernetesName(requestName: string): string {
  const cleaned = requestName
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/-+/g, '-')
    .replace(/^-+|-+$/g, '');
  if (cleaned === requestName && cleaned.length > 0 && cleaned.length <= 63) return cleaned;
  const hash = createHash('sha256').update(requestName).digest('hex').slice(0, 10);
  const head = cleaned.slice(0, 63 - hash.length - 1).replace(/-+$/, '');
  return head ? `${head}-${hash}` : `nebula-${hash}`;
}

export function isSecretEnv(name: string): boolean {
  return SECRET_ENV.test(name);
}

/**
 * A label value (at most 63 alphanumerics, '-', '_', '.', alphanumeric at both ends) for any
 * string; one that had to change gets a hash suffix so two different strings never share one.
 */
export function labelValue(text: string): string {
  if (text.length <= 63 && /^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/.test(text)) return text;
  const hash = createHash('sha256').update(text).digest('hex').slice(0, 10);
  const head = text
    .replace(/[^-A-Za-z0-9_.]+/g, '-')
    .slice(0, 63 - hash.length - 1)
    .replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, '');
  return head ? `${head}-${hash}` : hash;
}

export function labelsFor(request: SubmitRequest): Record<string, string> {
  return {
    'app.kubernetes.io/managed-by': MANAGED_BY,
    'app.kubernetes.io/name': 'nebula-executor',
    [LABEL_DESTINATION]: labelValue(request.destination.id),
    [LABEL_JOB_ID]: String(request.jobId),
    [LABEL_ATTEMPT]: String(request.attempt),
  };
}

/** Selects the Jobs Nebula submitted through this destination (those of every attempt). */
export function destinationSelector(destinationId: string): string {
  return `app.kubernetes.io/managed-by=${MANAGED_BY},${LABEL_DESTINATION}=${labelValue(destinationId)}`;
}

/** The executor's environment: plain variables in the spec, secret ones from the Secret. */
function environment(request: SubmitRequest, params: KubernetesParams, name: string): V1EnvVar[] {
  const merged: Record<string, string> = {
    ...params.environment,
    ...request.environment,
    // The pod's only writable, disposable place; the server's own paths mean nothing here.
    NEBULA_SCRATCH_PATH: params.scratchPath,
    NEBULA_NODE_CACHE_PATH: `${params.scratchPath.replace(/\/+$/, '')}/cache`,
  };
  return Object.entries(merged).map(([key, value]) => {
    if (!ENV_NAME.test(key)) throw new Error(`environment variable name "${key}" is not valid`);
    return isSecretEnv(key)
      ? { name: key, valueFrom: { secretKeyRef: { name, key, optional: false } } }
      : { name: key, value };
  });
}

function cpuQuantity(cores: number): string {
  return `${Math.max(1, Math.round(cores * 1000))}m`;
}

export function buildJob(request: SubmitRequest, params: KubernetesParams): V1Job {
  if (request.executorCommand.length === 0) throw new Error('executorCommand is empty');
  const name = kubernetesName(request.name);
  const labels = labelsFor(request);
  const { cores, memoryMb, walltimeSeconds } = request.resources;
  const resources = {
    cpu: cpuQuantity(cores),
    memory: `${Math.max(1, Math.ceil(memoryMb))}Mi`,
  };
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name,
      namespace: params.namespace,
      labels,
      annotations: {
        [ANNOTATION_REQUEST_NAME]: request.name,
        ...(attemptMark(request) ? { [ANNOTATION_ATTEMPT_MARK]: attemptMark(request)! } : {}),
      },
    },
    spec: {
      // Retries are the lifecycle's decision (a new attempt, a new token), never Kubernetes'.
      backoffLimit: 0,
      ttlSecondsAfterFinished: params.ttlSecondsAfterFinished,
      activeDeadlineSeconds: Math.max(1, Math.ceil(walltimeSeconds + params.walltimeGraceSeconds)),
      template: {
        metadata: { labels },
        spec: {
          restartPolicy: 'Never',
          // The executor talks to Nebula's API and the object store, never to Kubernetes.
          automountServiceAccountToken: false,
          enableServiceLinks: false,
          ...(params.serviceAccountName ? { serviceAccountName: params.serviceAccountName } : {}),
          ...(params.nodeSelector ? { nodeSelector: params.nodeSelector } : {}),
          containers: [
            {
              name: 'executor',
              image: params.image,
              ...(params.imagePullPolicy ? { imagePullPolicy: params.imagePullPolicy } : {}),
              command: request.executorCommand,
              env: environment(request, params, name),
              resources: { requests: resources, limits: resources },
              volumeMounts: [{ name: 'scratch', mountPath: params.scratchPath }],
              securityContext: { allowPrivilegeEscalation: false },
            },
          ],
          volumes: [
            {
              name: 'scratch',
              emptyDir: params.scratchSizeLimitMb ? { sizeLimit: `${params.scratchSizeLimitMb}Mi` } : {},
            },
          ],
        },
      },
    },
  };
}

/** The Secret for a Job already created (its uid makes the owner reference). */
export function buildSecret(request: SubmitRequest, params: KubernetesParams, job: V1Job): V1Secret {
  const name = job.metadata!.name!;
  const data: Record<string, string> = {};
  const merged = { ...params.environment, ...request.environment };
  for (const [key, value] of Object.entries(merged)) {
    if (isSecretEnv(key)) data[key] = Buffer.from(value, 'utf8').toString('base64');
  }
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    type: 'Opaque',
    metadata: {
      name,
      namespace: params.namespace,
      labels: labelsFor(request),
      ownerReferences: [{ apiVersion: 'batch/v1', kind: 'Job', name, uid: job.metadata!.uid! }],
    },
    data,
  };
}
