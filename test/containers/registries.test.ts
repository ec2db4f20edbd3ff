/**
 * Resolution against real registries: two Debian docker-registry instances on loopback
 * (scripts/registries.sh), an upstream playing quay.io with images pushed by
 * fixtures/push-test-images.sh, and a pull-through mirror in front of it that Nebula's host
 * override points at. skopeo gives the expected digests independently; podman pulls and runs.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveForJob } from '../../src/containers/jobs.ts';
import { neededImages } from '../../src/containers/needed.ts';
import { RegistryClient } from '../../src/containers/registry-client.ts';
import { newDeps, resolveToolContainer } from '../../src/containers/resolve.ts';
import { DEFAULT_CONTAINER_SETTINGS, type ContainerSettings } from '../../src/containers/settings.ts';
import { pullImages } from '../../src/containers/warm.ts';
import { createPool } from '../../src/db/pool.ts';
import { freshDatabase, type TestDatabase } from '../helpers/db.ts';
import { recordingFetch, toolWith } from './helpers.ts';

const run = promisify(execFile);
const repoRoot = path.resolve(import.meta.dirname, '../..');
const fixtures = path.join(repoRoot, 'test/containers/fixtures');
const UPSTREAM_PORT = 15201;
const MIRROR_PORT = 15200;
const UPSTREAM = `127.0.0.1:${UPSTREAM_PORT}`;
const MIRROR = `127.0.0.1:${MIRROR_PORT}`;
const root = mkdtempSync(path.join(tmpdir(), 'nebula-registries-'));
const env = { ...process.env, NEBULA_REGISTRY_ROOT: root, NEBULA_REGISTRY_UPSTREAM_PORT: String(UPSTREAM_PORT), NEBULA_REGISTRY_MIRROR_PORT: String(MIRROR_PORT), NEBULA_IMAGE_WORK: path.join(root, 'image') };
const podmanEnv = { ...process.env, CONTAINERS_CONF: path.join(fixtures, 'containers.conf') };
const registries = (cmd: string) => run(path.join(repoRoot, 'scripts/registries.sh'), [cmd], { env });

const MULLED = 'mulled-v2-fe8faa35dbf6dc65a0f7f5d4ea12e31a79f73e40';
const MULLED_TAG = '219b6c272b25e7e642ae3ff0bf0c5c81a5135ab4';
const pushed = new Map<string, string>();

async function push(refs: string[], index = false): Promise<void> {
  const args = [...(index ? ['--index'] : []), `http://${UPSTREAM}`, ...refs];
  const { stdout } = await run(path.join(fixtures, 'push-test-images.sh'), args, { env });
  for (const line of stdout.trim().split('\n')) {
    const [ref, digest] = line.split(' ');
    pushed.set(ref!, digest!);
  }
}

async function skopeoDigest(ref: string): Promise<string> {
  const { stdout } = await run('skopeo', ['inspect', '--raw', '--tls-verify=false', `docker://${ref}`]);
  const { createHash } = await import('node:crypto');
  return `sha256:${createHash('sha256').update(stdout).digest('hex')}`;
}

function settings(over: Partial<ContainerSettings> = {}): ContainerSettings {
  // quay.io → the mirror: discovery and the final reference both go there.
  return { ...DEFAULT_CONTAINER_SETTINGS, hostOverrides: { 'quay.io': MIRROR }, ...over };
}

const samtools = toolWith('samtools_view', { requirements: [{ type: 'package', name: 'samtools', version: '1.9' }] });
let db: TestDatabase;

beforeAll(async () => {
  await registries('start');
  await push(['biocontainers/samtools:1.9--h10a08f8_3', 'biocontainers/samtools:1.9--h10a08f8_12', 'biocontainers/samtools:1.9--h8571acd_11', 'biocontainers/samtools:1.10--h2e538c0_3']);
  await push([`biocontainers/${MULLED}:${MULLED_TAG}-0`, `biocontainers/${MULLED}:${MULLED_TAG}-1`, 'acme/tool:v1']);
  await push(['biocontainers/multiarch:1.0--0'], true);
  db = await freshDatabase();
}, 60_000);

afterAll(async () => {
  await db?.drop();
  await registries('stop').catch(() => {});
});

describe('resolution through the mirror', () => {
  it('one package: the highest build of the version, pinned by the digest skopeo sees', async () => {
    const resolved = await resolveToolContainer(samtools, newDeps(settings()));
    expect(resolved).toMatchObject({ image: `${MIRROR}/biocontainers/samtools:1.9--h10a08f8_12`, source: 'requirements', registry: MIRROR });
    expect(resolved!.digest).toBe(pushed.get('biocontainers/samtools:1.9--h10a08f8_12'));
    expect(resolved!.digest).toBe(await skopeoDigest(`${UPSTREAM}/biocontainers/samtools:1.9--h10a08f8_12`));
    expect(resolved!.pinned).toBe(`${MIRROR}/biocontainers/samtools@${resolved!.digest}`);
  });

  it('several packages: the mulled-v2 name, highest build', async () => {
    const tool = toolWith('bwa_mem', { requirements: [{ type: 'package', name: 'samtools', version: '1.16.1' }, { type: 'package', name: 'bwa', version: '0.7.17' }] });
    const resolved = await resolveToolContainer(tool, newDeps(settings()));
    expect(resolved!.image).toBe(`${MIRROR}/biocontainers/${MULLED}:${MULLED_TAG}-1`);
    expect(resolved!.digest).toBe(pushed.get(`biocontainers/${MULLED}:${MULLED_TAG}-1`));
  });

  it('an explicit container goes through the host override too', async () => {
    const tool = toolWith('explicit', { containers: [{ type: 'docker', identifier: 'quay.io/acme/tool:v1' }], requirements: [{ type: 'package', name: 'samtools', version: '1.9' }] });
    const resolved = await resolveToolContainer(tool, newDeps(settings()));
    expect(resolved).toMatchObject({ image: `${MIRROR}/acme/tool:v1`, source: 'explicit', digest: pushed.get('acme/tool:v1') });
  });

  it('an image index keeps the index digest (the engine picks the platform)', async () => {
    const tool = toolWith('multi', { requirements: [{ type: 'package', name: 'multiarch', version: '1.0' }] });
    const resolved = await resolveToolContainer(tool, newDeps(settings()));
    expect(resolved!.digest).toBe(pushed.get('biocontainers/multiarch:1.0--0'));
  });

  it('registries in order: a namespace without the image falls through to the next', async () => {
    const deps = newDeps(settings({ registries: [{ host: 'quay.io', namespace: 'nothere' }, { host: 'quay.io', namespace: 'biocontainers' }] }));
    const resolved = await resolveToolContainer(samtools, deps);
    expect(resolved!.image).toBe(`${MIRROR}/biocontainers/samtools:1.9--h10a08f8_12`);
  });

  it('an unknown image names the image and every registry asked', async () => {
    const tool = toolWith('nope', { requirements: [{ type: 'package', name: 'nosuchtool', version: '1.0' }] });
    await expect(resolveToolContainer(tool, newDeps(settings()))).rejects.toThrow(`no container image for requirements nosuchtool=1.0 (nosuchtool): ${MIRROR}/biocontainers/nosuchtool: no such repository`);
  });
});

describe('the shared cache', () => {
  it('a warm resolution makes no upstream request', async () => {
    const rec = recordingFetch();
    const deps = newDeps(settings(), new RegistryClient({ fetch: rec.fetch }));
    const first = await resolveForJob(db.pool, samtools, deps);
    expect(rec.requests.length).toBeGreaterThan(0);
    rec.reset();
    const second = await resolveForJob(db.pool, samtools, deps);
    expect(second).toEqual(first);
    expect(rec.requests).toEqual([]);
  });

  it('50 concurrent resolutions from two "replicas" cause exactly one manifest lookup', async () => {
    const tool = toolWith('bwa_mem', { requirements: [{ type: 'package', name: 'bwa', version: '0.7.17' }, { type: 'package', name: 'samtools', version: '1.16.1' }] });
    const secondPool = createPool(db.url, 20);
    const recA = recordingFetch();
    const recB = recordingFetch();
    const depsA = newDeps(settings(), new RegistryClient({ fetch: recA.fetch }));
    const depsB = newDeps(settings(), new RegistryClient({ fetch: recB.fetch }));
    try {
      const results = await Promise.all(Array.from({ length: 50 }, (_, i) => (i % 2 ? resolveForJob(secondPool, tool, depsB) : resolveForJob(db.pool, tool, depsA))));
      expect(new Set(results.map((r) => r!.pinned)).size).toBe(1);
      const manifestLookups = [...recA.requests, ...recB.requests].filter((r) => r.url.includes('/manifests/'));
      expect(manifestLookups).toHaveLength(1);
    } finally {
      await secondPool.end();
    }
  });

  it('needed images: pinned references of new and queued jobs', async () => {
    const resolved = (await resolveForJob(db.pool, samtools, newDeps(settings())))!;
    const { rows: [user] } = await db.pool.query<{ id: number }>(`INSERT INTO users (email, username) VALUES ('c@example.org', 'c') RETURNING id`);
    for (const state of ['new', 'queued', 'running']) {
      await db.pool.query(`INSERT INTO jobs (user_id, tool_id, tool_version, state, container_image, container_digest) VALUES ($1, 'samtools_view', '1', $2, $3, $4)`, [user!.id, state, resolved.image, resolved.pinned]);
    }
    expect(await neededImages(db.pool)).toEqual([{ image: resolved.pinned, jobs: 2 }]);
  });
});

describe('podman through the mirror', () => {
  it('pulls the pinned image and runs a command in it; still works with the upstream stopped', async () => {
    const resolved = (await resolveToolContainer(samtools, newDeps(settings())))!;
    await run('podman', ['rmi', '-f', resolved.pinned], { env: podmanEnv }).catch(() => {});
    const [pull] = await pullImages([resolved.pinned], 'podman', settings(), podmanEnv);
    expect(pull).toMatchObject({ ok: true });
    const { stdout } = await run('podman', ['--log-level=error', 'run', '--rm', '--network', 'none', resolved.pinned, 'sh', '-c', 'echo hello from $(cat /etc/passwd | wc -l) user'], { env: podmanEnv });
    expect(stdout.trim()).toBe('hello from 1 user');

    await registries('stop-upstream');
    try {
      // A fresh resolution (no cache) through the warm mirror, then a fresh pull.
      const again = await resolveToolContainer(samtools, newDeps(settings()));
      expect(again!.pinned).toBe(resolved.pinned);
      await run('podman', ['rmi', '-f', resolved.pinned], { env: podmanEnv });
      const [repull] = await pullImages([resolved.pinned], 'podman', settings(), podmanEnv);
      expect(repull).toMatchObject({ ok: true });
      // And the upstream really is gone.
      await expect(new RegistryClient({ timeoutMs: 2000 }).listTags({ host: UPSTREAM, insecure: true }, 'biocontainers/samtools')).rejects.toThrow(/unreachable/);
    } finally {
      await registries('start-upstream');
    }
  }, 120_000);
});
