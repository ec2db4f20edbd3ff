/**
 * The `params` of a destination whose runner is `kubernetes`, validated so that a bad
 * configuration names the destination and the key.
 */
import type { DestinationConfig } from '../../interfaces.ts';

export interface KubernetesParams {
  /** The executor image (Nebula itself; the tool's own container is the executor's business). */
  image: string;
  namespace: string;
  /** A kubeconfig file; in-cluster service account credentials when absent and running in a pod. */
  kubeconfig?: string;
  /** A context of that kubeconfig; its current context when absent. */
  context?: string;
  imagePullPolicy?: 'Always' | 'IfNotPresent' | 'Never';
  serviceAccountName?: string;
  /** How long a finished Job (and its pod and Secret) stays for inspection. */
  ttlSecondsAfterFinished: number;
  /** Added to the walltime for activeDeadlineSeconds, so the executor can report after a timeout. */
  walltimeGraceSeconds: number;
  /** Where the emptyDir scratch volume is mounted in the pod. */
  scratchPath: string;
  /** Bound on the scratch emptyDir, if any. */
  scratchSizeLimitMb?: number;
  nodeSelector?: Record<string, string>;
  /** Bound on each API request. */
  requestTimeoutSeconds: number;
  /** Extra environment for the executor; the request's environment wins. */
  environment: Record<string, string>;
}

export class KubernetesConfigError extends Error {
  readonly retryable = false;
  constructor(message: string) {
    super(message);
    this.name = 'KubernetesConfigError';
  }
}

const DNS_1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

export function parseKubernetesParams(destination: DestinationConfig): KubernetesParams {
  const p = destination.params ?? {};
  const where = `jobs.destinations[${destination.id}].params`;
  const str = (key: string): string | undefined => {
    const v = p[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'string' || v.length === 0) throw new KubernetesConfigError(`${where}.${key}: must be a non-empty string`);
    return v;
  };
  const num = (key: string, fallback: number): number => {
    const v = p[key];
    if (v === undefined) return fallback;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) {
      throw new KubernetesConfigError(`${where}.${key}: must be a whole number >= 0`);
    }
    return v;
  };
  const stringMap = (key: string): Record<string, string> | undefined => {
    const v = p[key];
    if (v === undefined) return undefined;
    if (typeof v !== 'object' || v === null || Array.isArray(v) || Object.values(v).some((x) => typeof x !== 'string')) {
      throw new KubernetesConfigError(`${where}.${key}: must be a map of strings`);
    }
    return v as Record<string, string>;
  };

  const image = str('image');
  if (!image) throw new KubernetesConfigError(`${where}.image: required (the Nebula executor image)`);
  const namespace = str('namespace') ?? 'default';
  if (!DNS_1123_LABEL.test(namespace) || namespace.length > 63) {
    throw new KubernetesConfigError(`${where}.namespace: "${namespace}" is not a valid namespace name`);
  }
  const pull = str('imagePullPolicy');
  if (pull !== undefined && !['Always', 'IfNotPresent', 'Never'].includes(pull)) {
    throw new KubernetesConfigError(`${where}.imagePullPolicy: must be Always, IfNotPresent or Never`);
  }
  const scratchPath = str('scratchPath') ?? '/scratch';
  if (!scratchPath.startsWith('/')) throw new KubernetesConfigError(`${where}.scratchPath: must be an absolute path`);
  const sizeLimit = p.scratchSizeLimitMb === undefined ? undefined : num('scratchSizeLimitMb', 0);

  return {
    image,
    namespace,
    kubeconfig: str('kubeconfig'),
    context: str('context'),
    imagePullPolicy: pull as KubernetesParams['imagePullPolicy'],
    serviceAccountName: str('serviceAccountName'),
    ttlSecondsAfterFinished: num('ttlSecondsAfterFinished', 600),
    walltimeGraceSeconds: num('walltimeGraceSeconds', 60),
    scratchPath,
    scratchSizeLimitMb: sizeLimit,
    nodeSelector: stringMap('nodeSelector'),
    requestTimeoutSeconds: num('requestTimeoutSeconds', 30) || 30,
    environment: stringMap('environment') ?? {},
  };
}
