/**
 * The Kubernetes runner against test/helpers/fake-kube.ts (no API server can run on these
 * machines). This checks what the runner sends and how it reads answers; it says nothing about
 * how a real cluster schedules the Job.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { DestinationConfig, SubmitRequest } from '../../src/jobs/interfaces.ts';
import {
  KubernetesApiError,
  KubernetesConfigError,
  KubernetesCredentialsError,
  KubernetesUnavailableError,
  createKubernetesRunner,
  kubernetesName,
} from '../../src/jobs/runners/kubernetes.ts';
import { forgetJobListings } from '../../src/jobs/runners/kubernetes/job-listing.ts';
import { labelValue } from '../../src/jobs/runners/kubernetes/manifest.ts';
import { FakeKube } from '../helpers/fake-kube.ts';
import { freePort } from '../helpers/processes.ts';

const NS = 'nebula-jobs';
const runner = createKubernetesRunner();
let kube: FakeKube;
let destination: DestinationConfig;

function request(jobId: number, attempt = 1, extra: Partial<SubmitRequest> = {}): SubmitRequest {
  return {
    jobId,
    attempt,
    name: `nebula-${jobId}-${attempt}`,
    executorCommand: ['node', '/app/bin/nebula.js', 'job-exec'],
    environment: {
      NEBULA_SERVER_URL: 'http://nebula-api.nebula.svc:8080',
      NEBULA_JOB_ID: `enc${jobId}`,
      NEBULA_JOB_ATTEMPT: String(attempt),
      NEBULA_JOB_TOKEN: `token-${jobId}-${attempt}`,
      NEBULA_OBJECT_STORE: 's3',
      NEBULA_S3_SECRET_ACCESS_KEY: 'object-store-secret',
      NEBULA_SCRATCH_PATH: '/var/lib/nebula/server-scratch',
    },
    resources: { cores: 2, memoryMb: 3072, walltimeSeconds: 3600 },
    destination,
    ...extra,
  };
}

beforeAll(async () => {
  kube = await new FakeKube().start();
  destination = {
    id: 'k8s',
    runner: 'kubernetes',
    params: { namespace: NS, kubeconfig: kube.writeKubeconfig(), image: 'registry.example/nebula:1.0', ttlSecondsAfterFinished: 900 },
  };
});

afterAll(async () => {
  await kube.stop();
});

// Each test starts without a listing left by the one before (they are at most 1 s old anyway).
beforeEach(() => forgetJobListings());

describe('kubernetes runner against a fake API server', () => {
  it('creates one batch/v1 Job per attempt with a deterministic name, labels, resources, TTL and deadline', async () => {
    const { externalId } = await runner.submit(request(7));
    expect(externalId).toBe(`${NS}/nebula-7-1`);
    const job = kube.job(NS, 'nebula-7-1')!;
    expect(job).toBeDefined();
    expect(job.metadata.labels).toMatchObject({
      'app.kubernetes.io/managed-by': 'nebula',
      'nebula/destination': 'k8s',
      'nebula/job-id': '7',
      'nebula/attempt': '1',
    });
    expect(job.spec.backoffLimit).toBe(0);
    expect(job.spec.ttlSecondsAfterFinished).toBe(900);
    expect(job.spec.activeDeadlineSeconds).toBe(3600 + 60);
    const pod = job.spec.template.spec;
    expect(pod.restartPolicy).toBe('Never');
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(pod.containers).toHaveLength(1);
    const container = pod.containers[0];
    expect(container.image).toBe('registry.example/nebula:1.0');
    expect(container.command).toEqual(['node', '/app/bin/nebula.js', 'job-exec']);
    expect(container.resources).toEqual({
      requests: { cpu: '2000m', memory: '3072Mi' },
      limits: { cpu: '2000m', memory: '3072Mi' },
    });
  });

  it('shares no volume with the server: one emptyDir scratch, no hostPath, PVC or NFS', async () => {
    const pod = kube.job(NS, 'nebula-7-1')!.spec.template.spec;
    expect(pod.volumes).toEqual([{ name: 'scratch', emptyDir: {} }]);
    for (const volume of pod.volumes) {
      expect(Object.keys(volume).sort()).toEqual(['emptyDir', 'name']);
    }
    expect(pod.containers[0].volumeMounts).toEqual([{ name: 'scratch', mountPath: '/scratch' }]);
  });

  it('keeps secrets out of the Job spec: the token comes from a Secret owned by the Job', async () => {
    const job = kube.job(NS, 'nebula-7-1')!;
    const env = job.spec.template.spec.containers[0].env as { name: string; value?: string; valueFrom?: any }[];
    const byName = Object.fromEntries(env.map((e) => [e.name, e]));
    expect(byName.NEBULA_JOB_ID).toEqual({ name: 'NEBULA_JOB_ID', value: 'enc7' });
    expect(byName.NEBULA_SERVER_URL!.value).toBe('http://nebula-api.nebula.svc:8080');
    expect(byName.NEBULA_SCRATCH_PATH!.value).toBe('/scratch');
    expect(byName.NEBULA_JOB_TOKEN).toEqual({
      name: 'NEBULA_JOB_TOKEN',
      valueFrom: { secretKeyRef: { name: 'nebula-7-1', key: 'NEBULA_JOB_TOKEN', optional: false } },
    });
    expect(byName.NEBULA_S3_SECRET_ACCESS_KEY!.valueFrom.secretKeyRef.name).toBe('nebula-7-1');
    expect(JSON.stringify(job)).not.toContain('token-7-1');
    expect(JSON.stringify(job)).not.toContain('object-store-secret');

    const secret = kube.secrets.get(`${NS}/nebula-7-1`)!;
    expect(Buffer.from(secret.data!.NEBULA_JOB_TOKEN!, 'base64').toString()).toBe('token-7-1');
    expect(secret.metadata.ownerReferences).toEqual([
      { apiVersion: 'batch/v1', kind: 'Job', name: 'nebula-7-1', uid: job.metadata.uid },
    ]);
  });

  it('adopts the Job on 409 AlreadyExists instead of creating a second one, and repairs its Secret', async () => {
    const before = kube.requests.length;
    const again = await runner.submit(request(7));
    expect(again.externalId).toBe(`${NS}/nebula-7-1`);
    const sent = kube.requests.slice(before).map((r) => `${r.method} ${r.path}`);
    expect(sent).toContain(`POST /apis/batch/v1/namespaces/${NS}/jobs`);
    expect(sent).toContain(`GET /apis/batch/v1/namespaces/${NS}/jobs/nebula-7-1`);
    expect([...kube.jobs.keys()].filter((k) => k.endsWith('/nebula-7-1'))).toHaveLength(1);

    // A crash after creating the Job but before the Secret: the retry creates it.
    kube.secrets.delete(`${NS}/nebula-7-1`);
    await runner.submit(request(7));
    expect(kube.secrets.has(`${NS}/nebula-7-1`)).toBe(true);

    // Object-store keys rotated between the tries: the Secret follows the retry.
    await runner.submit(request(7, 1, { environment: { ...request(7).environment, NEBULA_S3_SECRET_ACCESS_KEY: 'rotated' } }));
    const secret = kube.secrets.get(`${NS}/nebula-7-1`)!;
    expect(Buffer.from(secret.data!.NEBULA_S3_SECRET_ACCESS_KEY!, 'base64').toString()).toBe('rotated');
    expect(Buffer.from(secret.data!.NEBULA_JOB_TOKEN!, 'base64').toString()).toBe('token-7-1');
  });

  it('refuses to adopt a same-named Job of another installation (same job id, different token)', async () => {
    const other = request(7, 1, { environment: { ...request(7).environment, NEBULA_JOB_TOKEN: 'another-installation' } });
    await expect(runner.submit(other)).rejects.toThrow(/not created by Nebula for job 7/);
    expect(Buffer.from(kube.secrets.get(`${NS}/nebula-7-1`)!.data!.NEBULA_JOB_TOKEN!, 'base64').toString()).toBe('token-7-1');
  });

  it('refuses to adopt a Job of the same name that Nebula did not create for this job', async () => {
    kube.jobs.set(`${NS}/nebula-8-1`, { metadata: { name: 'nebula-8-1', namespace: NS, labels: { app: 'other' } } });
    await expect(runner.submit(request(8))).rejects.toThrow(KubernetesApiError);
    await expect(runner.submit(request(8))).rejects.toThrow(/not created by Nebula/);
  });

  it('maps Job status to queued, running and exited; an unknown Job is gone', async () => {
    const { externalId } = await runner.submit(request(9));
    // Each step must see the Job as it is now, not through a listing up to 1 s old.
    const now = () => {
      forgetJobListings();
      return runner.status(externalId, destination);
    };
    expect(await now()).toEqual({ state: 'queued' });
    kube.setJobStatus(NS, 'nebula-9-1', { active: 1, ready: 0 });
    expect(await now()).toEqual({ state: 'queued' });
    kube.setJobStatus(NS, 'nebula-9-1', { active: 1, ready: 1 });
    expect(await now()).toEqual({ state: 'running' });
    kube.setJobStatus(NS, 'nebula-9-1', { succeeded: 1, conditions: [{ type: 'Complete', status: 'True' }] });
    expect(await now()).toEqual({ state: 'exited', exitCode: 0, reason: 'complete' });
    kube.setJobStatus(NS, 'nebula-9-1', {
      failed: 1,
      conditions: [{ type: 'Failed', status: 'True', reason: 'DeadlineExceeded', message: 'Job was active longer than specified deadline' }],
    });
    const failed = await now();
    expect(failed).toMatchObject({ state: 'exited', exitCode: null });
    expect((failed as { reason: string }).reason).toContain('DeadlineExceeded');
    expect(await runner.status(`${NS}/nebula-404-1`, destination)).toEqual({ state: 'gone' });
  });

  it('cancels by deleting the Job with propagationPolicy Background; 404 is fine', async () => {
    const { externalId } = await runner.submit(request(10));
    await runner.cancel(externalId, destination);
    const del = kube.requests.filter((r) => r.method === 'DELETE' && r.path.endsWith('/jobs/nebula-10-1'));
    expect(del).toHaveLength(1);
    const policy = del[0]!.query.get('propagationPolicy') ?? (del[0]!.body as { propagationPolicy?: string })?.propagationPolicy;
    expect(policy).toBe('Background');
    expect(kube.job(NS, 'nebula-10-1')).toBeUndefined();
    expect(kube.secrets.has(`${NS}/nebula-10-1`)).toBe(false);
    expect(await runner.status(externalId, destination)).toEqual({ state: 'gone' });
    await runner.cancel(externalId, destination);
  });

  it('derives DNS-1123 names of at most 63 characters, deterministically', () => {
    expect(kubernetesName('nebula-12-3')).toBe('nebula-12-3');
    const long = kubernetesName(`Nebula_${'x'.repeat(100)}-1`);
    expect(long.length).toBeLessThanOrEqual(63);
    expect(long).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
    expect(kubernetesName(`Nebula_${'x'.repeat(100)}-1`)).toBe(long);
    expect(kubernetesName(`Nebula_${'x'.repeat(100)}-2`)).not.toBe(long);
    expect(kubernetesName('Nebula_5_1')).not.toBe(kubernetesName('nebula-5-1'));
  });

  it('gives a retryable error naming the API server when it answers 5xx or cannot be reached', async () => {
    kube.failNext = 1;
    const err = await runner.status(`${NS}/nebula-9-1`, destination).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KubernetesUnavailableError);
    expect((err as Error).message).toContain(kube.url);

    const port = await freePort();
    const downKube = new FakeKube();
    downKube.port = port;
    const down: DestinationConfig = {
      id: 'k8s-down',
      runner: 'kubernetes',
      params: { namespace: NS, kubeconfig: downKube.writeKubeconfig(), image: 'x' },
    };
    const unreachable = await runner.submit(request(11, 1, { destination: down })).catch((e: unknown) => e);
    expect(unreachable).toBeInstanceOf(KubernetesUnavailableError);
    expect((unreachable as KubernetesUnavailableError).retryable).toBe(true);
    expect((unreachable as Error).message).toMatch(new RegExp(`Kubernetes API server http://127\\.0\\.0\\.1:${port} unreachable.*ECONNREFUSED`));
  });

  it('sends the kubeconfig user token', async () => {
    const withToken: DestinationConfig = {
      id: 'k8s-token',
      runner: 'kubernetes',
      params: { namespace: NS, image: 'x', kubeconfig: kube.writeKubeconfig(undefined, '  user: { token: sa-token-1 }') },
    };
    await runner.status(`${NS}/nebula-9-1`, withToken);
    expect(kube.requests.at(-1)!.authorization).toBe('Bearer sa-token-1');
  });

  it('runs a kubeconfig exec credential plugin and sends its token; a failing plugin gives a clear error', async () => {
    const credential = {
      apiVersion: 'client.authentication.k8s.io/v1',
      kind: 'ExecCredential',
      status: { token: 'exec-token-1' },
    };
    const plugin = (args: string[]) => ({ exec: { apiVersion: 'client.authentication.k8s.io/v1', command: process.execPath, args } });
    const withExec: DestinationConfig = {
      id: 'k8s-exec',
      runner: 'kubernetes',
      params: {
        namespace: NS,
        image: 'x',
        kubeconfig: kube.writeKubeconfig(undefined, `  user: ${JSON.stringify(plugin(['-e', `console.log(${JSON.stringify(JSON.stringify(credential))})`]))}`),
      },
    };
    await runner.status(`${NS}/nebula-9-1`, withExec);
    expect(kube.requests.at(-1)!.authorization).toBe('Bearer exec-token-1');

    const before = kube.requests.length;
    const broken: DestinationConfig = {
      id: 'k8s-exec-broken',
      runner: 'kubernetes',
      params: {
        namespace: NS,
        image: 'x',
        kubeconfig: kube.writeKubeconfig(undefined, `  user: ${JSON.stringify(plugin(['-e', 'console.error("token service down"); process.exit(1)']))}`),
      },
    };
    const err = await runner.status(`${NS}/nebula-9-1`, broken).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KubernetesCredentialsError);
    expect((err as Error).message).toContain(kube.url);
    expect((err as Error).message).toContain('token service down');
    expect(kube.requests.length).toBe(before);
  });

  it('sends JSON bodies the API server accepts (it answers 415 to any other content type)', async () => {
    const before = kube.requests.length;
    await runner.submit(request(13));
    const posts = kube.requests.slice(before).filter((r) => r.method === 'POST');
    expect(posts.map((r) => r.path)).toEqual([`/apis/batch/v1/namespaces/${NS}/jobs`, `/api/v1/namespaces/${NS}/secrets`]);
    for (const post of posts) expect(post.contentType).toMatch(/^application\/json/);
    expect(kube.job(NS, 'nebula-13-1')).toBeDefined();
  });

  it('gives up on a request the API server never answers, with a retryable error naming it', async () => {
    const impatient: DestinationConfig = {
      id: 'k8s-timeout',
      runner: 'kubernetes',
      params: { namespace: NS, image: 'x', kubeconfig: kube.writeKubeconfig(), requestTimeoutSeconds: 1 },
    };
    kube.hangNext = 1;
    const err = await runner.status(`${NS}/nebula-9-1`, impatient).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KubernetesUnavailableError);
    expect((err as Error).message).toMatch(new RegExp(`${kube.url.replace(/\./g, '\\.')} did not answer list Jobs in ${NS}`));
  });

  it('names kubeconfig problems as configuration errors before sending anything', async () => {
    const withKubeconfig = (kubeconfig: string, extra: Record<string, unknown> = {}): DestinationConfig => ({
      id: 'k8s-cfg',
      runner: 'kubernetes',
      params: { namespace: NS, image: 'x', kubeconfig, ...extra },
    });
    await expect(runner.status(`${NS}/nebula-9-1`, withKubeconfig('/nonexistent/kubeconfig'))).rejects.toThrow(
      /kubeconfig \/nonexistent\/kubeconfig: cannot be loaded/,
    );
    await expect(runner.status(`${NS}/nebula-9-1`, withKubeconfig(kube.writeKubeconfig(), { context: 'staging' }))).rejects.toThrow(
      /no context "staging"/,
    );
    const plainHttp = kube.writeKubeconfig();
    writeFileSync(plainHttp, readFileSync(plainHttp, 'utf8').replace(', insecure-skip-tls-verify: true', ''));
    const err = await runner.status(`${NS}/nebula-9-1`, withKubeconfig(plainHttp)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KubernetesConfigError);
    expect((err as Error).message).toMatch(/plain http.*insecure-skip-tls-verify/);
  });

  it('rejects bad destination params with an error naming the key', async () => {
    const bad = (params: Record<string, unknown>): DestinationConfig => ({ id: 'k', runner: 'kubernetes', params });
    await expect(runner.submit(request(12, 1, { destination: bad({ namespace: NS }) }))).rejects.toThrow(
      /jobs\.destinations\[k\]\.params\.image: required/,
    );
    await expect(runner.submit(request(12, 1, { destination: bad({ image: 'x', namespace: 'Bad_NS' }) }))).rejects.toThrow(
      KubernetesConfigError,
    );
    await expect(runner.status('no-slash', destination)).rejects.toThrow(/not a Kubernetes job id/);
  });
});

describe('kubernetes status from one shared listing per namespace', () => {
  const jobsPath = (ns: string) => `/apis/batch/v1/namespaces/${ns}/jobs`;
  const lists = (ns: string) => kube.count('GET', jobsPath(ns));
  const reads = (ns: string) => kube.count('GET', new RegExp(`^${jobsPath(ns)}/`));

  it('answers the status of 40 watched Jobs from one list request, shared by concurrent calls and at most 1 s old', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 40; i++) ids.push((await runner.submit(request(100 + i))).externalId);
    for (let i = 0; i < 40; i += 2) kube.setJobStatus(NS, `nebula-${100 + i}-1`, { active: 1, ready: 1 });

    // Only Date is faked: the listing's age is read from it, so a slow machine cannot age it.
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      const [listsBefore, readsBefore] = [lists(NS), reads(NS)];
      const states = await Promise.all(ids.map((id) => runner.status(id, destination)));
      expect(states.map((s) => s.state)).toEqual(ids.map((_, i) => (i % 2 === 0 ? 'running' : 'queued')));
      expect(lists(NS) - listsBefore).toBe(1);
      expect(reads(NS) - readsBefore).toBe(0);
      const list = kube.requests.filter((r) => r.method === 'GET' && r.path === jobsPath(NS)).at(-1)!;
      expect(list.query.get('labelSelector')).toBe('app.kubernetes.io/managed-by=nebula,nebula/destination=k8s');
      expect(Number(list.query.get('limit'))).toBeGreaterThan(0);

      // Still fresh: answered from the same listing.
      await Promise.all(ids.map((id) => runner.status(id, destination)));
      expect(lists(NS) - listsBefore).toBe(1);

      // Older than 1 s: listed again, and the change shows.
      kube.setJobStatus(NS, 'nebula-101-1', { succeeded: 1, conditions: [{ type: 'Complete', status: 'True' }] });
      vi.setSystemTime(Date.now() + 1100);
      expect(await runner.status(ids[1]!, destination)).toEqual({ state: 'exited', exitCode: 0, reason: 'complete' });
      expect(lists(NS) - listsBefore).toBe(2);
    } finally {
      vi.useRealTimers();
    }
  });

  it('reads a Job missing from the listing by name (created since, or gone: 404)', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      const first = await runner.submit(request(150));
      expect(await runner.status(first.externalId, destination)).toEqual({ state: 'queued' });
      const [listsBefore, readsBefore] = [lists(NS), reads(NS)];

      const later = await runner.submit(request(151));
      kube.setJobStatus(NS, 'nebula-151-1', { active: 1, ready: 1 });
      expect(await runner.status(later.externalId, destination)).toEqual({ state: 'running' });
      expect(await runner.status(`${NS}/nebula-152-1`, destination)).toEqual({ state: 'gone' });
      expect(lists(NS) - listsBefore).toBe(0);
      expect(reads(NS) - readsBefore).toBe(2);
    } finally {
      vi.useRealTimers();
    }
  });

  it('reads a namespace of thousands of Jobs completely, page by page, listing only this destination', async () => {
    const ns = 'bulk';
    const labels = (destinationId: string) => ({ 'app.kubernetes.io/managed-by': 'nebula', 'nebula/destination': destinationId });
    for (let i = 0; i < 2300; i++) {
      const name = `nebula-${5000 + i}-1`;
      kube.jobs.set(`${ns}/${name}`, { metadata: { name, namespace: ns, labels: labels('k8s') }, status: { active: 1, ready: 1 } });
    }
    kube.jobs.set(`${ns}/nebula-other-1`, { metadata: { name: 'nebula-other-1', namespace: ns, labels: labels('elsewhere') }, status: {} });
    kube.setJobStatus(ns, 'nebula-7299-1', { succeeded: 1 });
    const [listsBefore, readsBefore] = [lists(ns), reads(ns)];

    expect(await runner.status(`${ns}/nebula-7299-1`, destination)).toMatchObject({ state: 'exited', exitCode: 0 });
    expect(await runner.status(`${ns}/nebula-5000-1`, destination)).toEqual({ state: 'running' });
    const pages = kube.requests.filter((r) => r.method === 'GET' && r.path === jobsPath(ns)).slice(-(lists(ns) - listsBefore));
    expect(pages.length).toBeGreaterThan(1);
    expect(pages[0]!.query.get('continue')).toBeNull();
    for (const page of pages.slice(1)) expect(page.query.get('continue')).toBeTruthy();
    expect(reads(ns) - readsBefore).toBe(0);

    // Another destination's Job is not in this destination's listing: read by name.
    expect(await runner.status(`${ns}/nebula-other-1`, destination)).toEqual({ state: 'queued' });
    expect(reads(ns) - readsBefore).toBe(1);
    for (const key of [...kube.jobs.keys()]) if (key.startsWith(`${ns}/`)) kube.jobs.delete(key);
  });

  it('does not keep a failed listing for the next callers', async () => {
    const { externalId } = await runner.submit(request(160));
    const listsBefore = lists(NS);
    kube.failNext = 1;
    const failed = await Promise.all(Array.from({ length: 5 }, () => runner.status(externalId, destination).catch((e: unknown) => e)));
    for (const err of failed) expect(err).toBeInstanceOf(KubernetesUnavailableError);
    expect(lists(NS) - listsBefore).toBe(1);

    expect(await runner.status(externalId, destination)).toEqual({ state: 'queued' });
    expect(lists(NS) - listsBefore).toBe(2);
  });

  it('falls back to reading each Job when the credentials may not list Jobs (403)', async () => {
    const { externalId } = await runner.submit(request(161));
    const readsBefore = reads(NS);
    kube.refuseLists = 403;
    try {
      expect(await runner.status(externalId, destination)).toEqual({ state: 'queued' });
      expect(await runner.status(`${NS}/nebula-162-1`, destination)).toEqual({ state: 'gone' });
    } finally {
      kube.refuseLists = undefined;
    }
    expect(reads(NS) - readsBefore).toBe(2);
  });

  it('labels Jobs with their destination as a valid label value', () => {
    expect(labelValue('k8s')).toBe('k8s');
    for (const id of ['GPU pool #1', '-x-', 'a'.repeat(80), '###']) {
      const value = labelValue(id);
      expect(value.length).toBeLessThanOrEqual(63);
      expect(value).toMatch(/^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/);
    }
    expect(labelValue('a'.repeat(80))).not.toBe(labelValue(`${'a'.repeat(79)}b`));
  });
});
