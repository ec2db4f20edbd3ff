/**
 * Containers end to end (issue 6, item 6): two real Debian docker-registry instances on loopback
 * (scripts/registries.sh), an upstream playing quay.io with busybox images built from the host's
 * static busybox (fixtures/push-test-images.sh) and a pull-through mirror in front of it that the
 * host override points quay.io at. Jobs go through POST /api/tools, a real task worker, the real
 * container runner and executor (`nebula job-exec`), and podman (runc) pulls the pinned image
 * through the mirror. Then the upstream is stopped and the local image removed: resolution (from
 * the shared cache, and afresh through the mirror) and the run still work.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { containerArgv } from '../../src/jobs/executor/container.ts';
import { buildJobSpec } from '../../src/jobs/lifecycle/spec.ts';
import { getJob } from '../../src/jobs/lifecycle/queries.ts';
import { configureJobs } from '../../src/jobs/lifecycle/settings.ts';
import { registerToolDirectory } from '../../src/toolstore/index.ts';
import { ADMIN_KEY } from '../helpers/app.ts';
import { startJobsApp, type JobsTestApp } from '../jobs/lifecycle-helpers.ts';

const run = promisify(execFile);
const repoRoot = path.resolve(import.meta.dirname, '../..');
const fixtures = path.join(repoRoot, 'test/containers/fixtures');
// Ports of their own: registries.test.ts runs its registries (15200/15201) at the same time.
const MIRROR = '127.0.0.1:15210';
const UPSTREAM = '127.0.0.1:15211';
const root = mkdtempSync(path.join(tmpdir(), 'nebula-containers-e2e-'));
const registryEnv = { ...process.env, NEBULA_REGISTRY_ROOT: root, NEBULA_REGISTRY_UPSTREAM_PORT: '15211', NEBULA_REGISTRY_MIRROR_PORT: '15210', NEBULA_IMAGE_WORK: path.join(root, 'image') };
const registries = (cmd: string) => run(path.join(repoRoot, 'scripts/registries.sh'), [cmd], { env: registryEnv });
const podman = (...args: string[]) => run('podman', ['--log-level=error', ...args]);
const imageExists = (ref: string) => podman('image', 'exists', ref).then(() => true, () => false);

const PACKAGE_TAGS = ['1.36--h0_0', '1.36--h0_1'];
const pushed = new Map<string, string>();
const pinnedImages = new Set<string>();
let t: JobsTestApp;
let address: string;

async function push(refs: string[]): Promise<void> {
  const { stdout } = await run(path.join(fixtures, 'push-test-images.sh'), [`http://${UPSTREAM}`, ...refs], { env: registryEnv });
  for (const line of stdout.trim().split('\n')) {
    const [ref, digest] = line.split(' ');
    pushed.set(ref!, digest!);
  }
}

/** Submits a tool on a fresh one-line dataset; returns the encoded job id and output HDA id. */
async function submit(toolId: string, text = 'hello container\n', inputState?: 'running'): Promise<{ jobId: string; outputId: string }> {
  const h = await t.history();
  const input = await t.dataset(h.id, text, inputState ? { state: inputState } : {});
  const res = await t.call('POST', '/api/tools', { history_id: h.encoded, tool_id: toolId, inputs: { input1: { src: 'hda', id: input.encoded } } });
  expect(res.status, JSON.stringify(res.json)).toBe(200);
  return { jobId: res.json.jobs[0].id, outputId: res.json.outputs[0].id };
}

async function finished(jobId: string): Promise<any> {
  return t.waitForJob(jobId, ['ok', 'error', 'deleted', 'paused'], 90_000);
}

async function output(outputId: string): Promise<string> {
  const { rows } = await t.db.pool.query('SELECT d.object_key FROM hdas h JOIN datasets d ON d.id = h.dataset_id WHERE h.id = $1', [t.ctx.ids.decode(outputId)]);
  return t.bytes(rows[0].object_key);
}

async function containerColumns(jobId: string): Promise<{ container_image: string | null; container_digest: string | null }> {
  const { rows } = await t.db.pool.query('SELECT container_image, container_digest FROM jobs WHERE id = $1', [t.ctx.ids.decode(jobId)]);
  return rows[0];
}

/** Requests the mirror logged for a path (distribution logs one "response completed" per request). */
function mirrorRequests(pathPart: string): number {
  return readFileSync(path.join(root, 'mirror.log'), 'utf8')
    .split('\n')
    .filter((l) => l.includes('response completed') && l.includes(pathPart)).length;
}

beforeAll(async () => {
  // podman with runc (this machine has no crun); the executor inherits it through the runner.
  process.env.CONTAINERS_CONF = path.join(fixtures, 'containers.conf');
  await registries('start');
  await push([...PACKAGE_TAGS.map((tag) => `biocontainers/nebula-busybox:${tag}`), 'acme/busybox-tool:v1']);

  t = await startJobsApp();
  address = await t.app.listen({ host: '127.0.0.1', port: 0 });
  const config = t.ctx.config;
  config.jobs.serverUrl = address;
  const podmanParams = { engine: 'podman', shell: 'sh', args: ['--tls-verify=false'] };
  config.jobs.destinations = [
    { id: 'podman', runner: 'container', params: { ...podmanParams, requireContainer: true } },
    { id: 'podman-optional', runner: 'container', params: podmanParams },
  ];
  config.jobs.defaultDestination = 'podman';
  config.jobs.rules = [];
  config.containers = {
    enabled: true,
    registries: [{ host: 'quay.io', namespace: 'biocontainers' }],
    hostOverrides: { 'quay.io': MIRROR },
    insecureHosts: [],
    credentials: {},
    positiveTtlSeconds: 3600,
    negativeTtlSeconds: 60,
    requestTimeoutSeconds: 3,
  };
  configureJobs({ runners: {} }); // the real container runner
  await registerToolDirectory(t.db.pool, t.store, path.join(fixtures, 'tools'));
}, 120_000);

afterAll(async () => {
  await t?.close();
  await registries('stop').catch(() => {});
  for (const ref of pinnedImages) await podman('rmi', '-f', ref).catch(() => {});
  rmSync(root, { recursive: true, force: true });
});

const IMAGE_PASSWD = 'root:x:0:0:root:/root:/bin/sh\n';

describe('jobs on a container destination', () => {
  it('requirements → the highest build through the mirror; the job records and runs image@sha256', async () => {
    const expectedDigest = pushed.get('biocontainers/nebula-busybox:1.36--h0_1')!;
    const pinned = `${MIRROR}/biocontainers/nebula-busybox@${expectedDigest}`;
    pinnedImages.add(pinned);
    await podman('rmi', '-f', pinned).catch(() => {});

    const { jobId, outputId } = await submit('nebula_ct_requirements');
    const job = await finished(jobId);
    expect(job.state, `${job.info} ${job.stderr}`).toBe('ok');
    expect(await output(outputId)).toBe(`HELLO CONTAINER\n${IMAGE_PASSWD}`);
    expect(await containerColumns(jobId)).toEqual({ container_image: `${MIRROR}/biocontainers/nebula-busybox:1.36--h0_1`, container_digest: pinned });

    // What the executor is told to run, and the podman command line it builds from it.
    const row = (await getJob(t.db.pool, t.ctx.ids.decode(jobId)!))!;
    const spec = await buildJobSpec(t.db.pool, t.ctx.ids, row, t.ctx.config.jobs.destinations[0]);
    expect(spec.container?.image).toBe(pinned);
    const argv = containerArgv({ engine: 'podman', image: spec.container!.image, name: 'n', jobDirectory: '/j', workingDirectory: '/j/w', network: false, cores: 1, memoryMb: 0, env: {}, command: ['sh', '-c', 'true'] });
    expect(argv).toContain(pinned);
    expect(argv.some((a) => a.includes(':1.36--'))).toBe(false);
    // podman pulled it by digest: the local image carries no tag.
    expect(await imageExists(pinned)).toBe(true);
    const { stdout } = await podman('image', 'inspect', '--format', '{{json .RepoTags}}', pinned);
    expect(JSON.parse(stdout.trim()) ?? []).toEqual([]);
  }, 120_000);

  it('an explicit <container> goes through the host override and is pinned too', async () => {
    const pinned = `${MIRROR}/acme/busybox-tool@${pushed.get('acme/busybox-tool:v1')}`;
    pinnedImages.add(pinned);
    const { jobId, outputId } = await submit('nebula_ct_explicit', 'twice\n');
    const job = await finished(jobId);
    expect(job.state, `${job.info} ${job.stderr}`).toBe('ok');
    expect(await output(outputId)).toBe(`twice\ntwice\n${IMAGE_PASSWD}`);
    expect(await containerColumns(jobId)).toEqual({ container_image: `${MIRROR}/acme/busybox-tool:v1`, container_digest: pinned });
  }, 120_000);

  it('a tool without a container: an error naming it where required, a run without one where not', async () => {
    const refused = await submit('nebula_ct_none');
    const job = await finished(refused.jobId);
    expect(job.state).toBe('error');
    expect(job.info).toBe('Tool nebula_ct_none has no container (no <container type="docker"> and no package requirements), and destination podman requires one (params.requireContainer)');
    expect(job.job_stderr).toBe(job.info);

    t.ctx.config.jobs.rules = [{ tool: 'nebula_ct_none', destination: 'podman-optional' }];
    try {
      const allowed = await submit('nebula_ct_none', 'on the host\n');
      expect(await finished(allowed.jobId)).toMatchObject({ state: 'ok' });
      expect(await output(allowed.outputId)).toBe('on the host\n');
      expect(await containerColumns(allowed.jobId)).toEqual({ container_image: null, container_digest: null });
    } finally {
      t.ctx.config.jobs.rules = [];
    }
  }, 120_000);
});

describe('resolution failures end the job with a clear error, once', () => {
  it('an unknown package: both jobs error naming image and registry; the registry is asked once', async () => {
    const first = await submit('nebula_ct_unknown');
    const one = await finished(first.jobId);
    const second = await submit('nebula_ct_unknown');
    const two = await finished(second.jobId);
    const message = `Container resolution failed: no container image for requirements nosuchpkg=1.0 (nosuchpkg): ${MIRROR}/biocontainers/nosuchpkg: no such repository`;
    for (const job of [one, two]) {
      expect(job.state).toBe('error');
      expect(job.info).toBe(message);
    }
    // GET /api/jobs/{id}?full=true shows it as stderr and a job message too.
    expect(two.job_stderr).toBe(message);
    expect(two.job_messages[0].desc).toBe(message);
    // The second job failed from the negative cache: one tags/list request reached the mirror.
    expect(mirrorRequests('/v2/biocontainers/nosuchpkg/tags/list')).toBe(1);
    const { rows } = await t.db.pool.query(`SELECT status, error FROM container_resolutions WHERE request_key LIKE '%nosuchpkg%'`);
    expect(rows).toEqual([{ status: 'failed', error: message.replace('Container resolution failed: ', '') }]);
    // The output datasets are in error, nothing ran.
    const out = await t.call('GET', `/api/datasets/${second.outputId}`);
    expect(out.json.state).toBe('error');
  }, 60_000);

  it('a registry that is down and a requirement that cannot name an image', async () => {
    const down = await finished((await submit('nebula_ct_registry_down')).jobId);
    expect(down.state).toBe('error');
    expect(down.info).toMatch(/^Container resolution failed: image 127\.0\.0\.1:9\/acme\/gone:v1: .*unreachable/);

    const bad = await finished((await submit('nebula_ct_bad_name')).jobId);
    expect(bad.state).toBe('error');
    expect(bad.info).toBe('Container resolution failed: tool nebula_ct_bad_name: requirement "samtools;rm -rf" version "1.0": the name has characters not allowed in an image repository name (allowed: a-z 0-9 and single . _ - between them)');
  }, 60_000);
});

describe('warm nodes', () => {
  it('lists the pinned image of pending jobs (route and gauge); `nebula containers warm` pulls it', async () => {
    const pinned = `${MIRROR}/biocontainers/nebula-busybox@${pushed.get('biocontainers/nebula-busybox:1.36--h0_1')}`;
    // Inputs still being made: the jobs wait (state new), pinned by their first schedule.
    const waiting = [await submit('nebula_ct_requirements', 'a\n', 'running'), await submit('nebula_ct_requirements', 'b\n', 'running')];
    for (const w of waiting) {
      await expect.poll(async () => (await containerColumns(w.jobId)).container_digest, { timeout: 20_000 }).toBe(pinned);
      expect((await t.call('GET', `/api/jobs/${w.jobId}`)).json.state).toBe('new');
    }
    const needed = await t.call('GET', '/api/containers/needed', undefined, ADMIN_KEY);
    expect(needed.status).toBe(200);
    expect(needed.json).toEqual([{ image: pinned, jobs: 2 }]);
    expect(await t.ctx.metrics.metrics()).toContain(`nebula_container_images_needed{image="${pinned}"} 2`);

    await podman('rmi', '-f', pinned).catch(() => {});
    expect(await imageExists(pinned)).toBe(false);
    const { stdout } = await run(process.execPath, [path.join(repoRoot, 'bin/nebula.js'), 'containers', 'warm', '--api', address, '--key', ADMIN_KEY], { env: { ...process.env, NEBULA_LOG_LEVEL: 'silent' } });
    expect(stdout).toBe(`pulled ${pinned}\n`);
    expect(await imageExists(pinned)).toBe(true);

    for (const w of waiting) await t.call('DELETE', `/api/jobs/${w.jobId}`);
  }, 120_000);
});

describe('with the mirror warm and the upstream stopped', () => {
  it('resolution (cached, then afresh through the mirror) and runs still work', async () => {
    const pinned = `${MIRROR}/biocontainers/nebula-busybox@${pushed.get('biocontainers/nebula-busybox:1.36--h0_1')}`;
    await registries('stop-upstream');
    try {
      await expect(run('curl', ['-sf', `http://${UPSTREAM}/v2/`])).rejects.toThrow();
      await podman('rmi', '-f', pinned);

      const cached = await submit('nebula_ct_requirements', 'from the cache\n');
      expect(await finished(cached.jobId)).toMatchObject({ state: 'ok' });
      expect(await output(cached.outputId)).toBe(`FROM THE CACHE\n${IMAGE_PASSWD}`);
      expect((await containerColumns(cached.jobId)).container_digest).toBe(pinned);

      // No cache at all: the mirror answers the tag list and the manifest from its own store.
      await t.db.pool.query('DELETE FROM container_resolutions');
      await podman('rmi', '-f', pinned);
      const fresh = await submit('nebula_ct_requirements', 'afresh\n');
      expect(await finished(fresh.jobId)).toMatchObject({ state: 'ok' });
      expect(await output(fresh.outputId)).toBe(`AFRESH\n${IMAGE_PASSWD}`);
      expect((await containerColumns(fresh.jobId)).container_digest).toBe(pinned);
    } finally {
      await registries('start-upstream');
    }
  }, 180_000);
});
