/**
 * The `kubernetes` runner: one batch/v1 Job per attempt, through @kubernetes/client-node 1.x
 * (kubernetes/client.ts).
 *
 * The Job's name is derived from the request name alone, so after a crash between creation and
 * the database commit the next try gets 409 AlreadyExists and adopts the Job. Secret environment
 * (the job token) goes through a per-attempt Secret owner-referenced to the Job; finished Jobs
 * are cleaned up by ttlSecondsAfterFinished, and their Secrets with them.
 *
 * Verified only against the fake API server in test/helpers/fake-kube.ts, not a real cluster.
 */
import type { V1Job, V1Secret } from '@kubernetes/client-node';
import type { AttemptStatus, DestinationConfig, JobRunner, SubmitRequest } from '../interfaces.ts';
import { kubeClient, type KubeClient } from './kubernetes/client.ts';
import { KubernetesApiError, httpStatus } from './kubernetes/errors.ts';
import { listedJob } from './kubernetes/job-listing.ts';
import { attemptStatusFromJob } from './kubernetes/job-status.ts';
import { attemptMark } from './attempt-mark.ts';
import { ANNOTATION_ATTEMPT_MARK, LABEL_JOB_ID, MANAGED_BY, buildJob, buildSecret, destinationSelector } from './kubernetes/manifest.ts';
import { parseKubernetesParams, type KubernetesParams } from './kubernetes/params.ts';

export { KubernetesApiError, KubernetesCredentialsError, KubernetesUnavailableError } from './kubernetes/errors.ts';
export { KubernetesConfigError } from './kubernetes/params.ts';
export { kubernetesName } from './kubernetes/manifest.ts';

export function createKubernetesRunner(): JobRunner {
  return { name: 'kubernetes', submit, status, cancel };
}

/** externalId is `<namespace>/<job name>`: a Job stays findable if the destination's namespace changes. */
function parseExternalId(externalId: string): { namespace: string; name: string } {
  const match = /^([a-z0-9-]{1,63})\/([a-z0-9-]{1,63})$/.exec(externalId);
  if (!match) throw new Error(`"${externalId}" is not a Kubernetes job id (<namespace>/<name>)`);
  return { namespace: match[1]!, name: match[2]! };
}

async function submit(request: SubmitRequest): Promise<{ externalId: string }> {
  const params = parseKubernetesParams(request.destination);
  const client = kubeClient(params);
  const wanted = buildJob(request, params);
  const name = wanted.metadata!.name!;

  let job: V1Job;
  try {
    job = await client.createJob(params.namespace, wanted);
  } catch (error) {
    if (httpStatus(error) !== 409) throw error;
    job = await client.readJob(params.namespace, name);
    assertOurs(job, request, name);
  }
  await ensureSecret(client, params, request, job);
  return { externalId: `${params.namespace}/${name}` };
}

/**
 * A Job with our name but not our labels and attempt mark is someone else's (another
 * installation, or a database whose job ids started again at 1): never adopt it.
 */
function assertOurs(job: V1Job, request: SubmitRequest, name: string): void {
  const labels = job.metadata?.labels ?? {};
  const mark = attemptMark(request);
  if (
    labels['app.kubernetes.io/managed-by'] !== MANAGED_BY ||
    labels[LABEL_JOB_ID] !== String(request.jobId) ||
    (mark !== undefined && job.metadata?.annotations?.[ANNOTATION_ATTEMPT_MARK] !== mark)
  ) {
    throw new KubernetesApiError(
      `a Job named ${name} already exists in namespace ${job.metadata?.namespace} but was not created by Nebula for job ${request.jobId} of this installation`,
      409,
    );
  }
}

/**
 * Creates the attempt's Secret, or brings an existing one up to date (a crash may have left it
 * from a try whose token was never committed). Until it exists the pod waits
 * (CreateContainerConfigError, retried by the kubelet), so the order Job → Secret is safe.
 */
async function ensureSecret(client: KubeClient, params: KubernetesParams, request: SubmitRequest, job: V1Job): Promise<void> {
  const secret = buildSecret(request, params, job);
  if (Object.keys(secret.data ?? {}).length === 0) return;
  const name = secret.metadata!.name!;
  try {
    await client.createSecret(params.namespace, secret);
    return;
  } catch (error) {
    if (httpStatus(error) !== 409) throw error;
  }
  const existing: V1Secret = await client.readSecret(params.namespace, name);
  const sameData = JSON.stringify(existing.data ?? {}) === JSON.stringify(secret.data);
  const sameOwner = existing.metadata?.ownerReferences?.some((o) => o.uid === job.metadata?.uid);
  if (sameData && sameOwner) return;
  secret.metadata!.resourceVersion = existing.metadata?.resourceVersion;
  await client.replaceSecret(params.namespace, name, secret);
}

/**
 * From the namespace's shared listing (kubernetes/job-listing.ts) when the Job is in it, else
 * by name. A listing the server refuses (403: the credentials may get but not list Jobs) falls
 * back to the read; an unavailable server fails the call as the read would.
 */
async function status(externalId: string, destination: DestinationConfig): Promise<AttemptStatus> {
  const params = parseKubernetesParams(destination);
  const { namespace, name } = parseExternalId(externalId);
  const client = kubeClient(params);
  const listed = await listedJob(client, namespace, destinationSelector(destination.id), name).catch((error: unknown) => {
    if (error instanceof KubernetesApiError) return undefined;
    throw error;
  });
  if (listed) return attemptStatusFromJob(listed);
  try {
    return attemptStatusFromJob(await client.readJob(namespace, name));
  } catch (error) {
    if (httpStatus(error) === 404) return { state: 'gone' };
    throw error;
  }
}

async function cancel(externalId: string, destination: DestinationConfig): Promise<void> {
  const params = parseKubernetesParams(destination);
  const { namespace, name } = parseExternalId(externalId);
  try {
    await kubeClient(params).deleteJob(namespace, name);
  } catch (error) {
    if (httpStatus(error) !== 404) throw error;
  }
}
