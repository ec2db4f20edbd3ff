/**
 * The container runner with real podman (runc, test/jobs/fixtures/containers.conf): a tiny image
 * made from the host's busybox with `podman import` (no registry), a tool run inside it through the
 * executor, and the argument building for docker and apptainer.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { text } from 'node:stream/consumers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createJobServerClient } from '../../src/jobs/executor/client.ts';
import { containerArgv, containerRemoveArgv } from '../../src/jobs/executor/container.ts';
import { executeJob } from '../../src/jobs/executor/execute.ts';
import { NodeCache } from '../../src/jobs/executor/node-cache.ts';
import { getRunner } from '../../src/jobs/runners/index.ts';
import { containerEnvironment } from '../../src/jobs/runners/container.ts';
import { FileObjectStore } from '../../src/objectstore/index.ts';
import { dataset, makeSpec, putToolBundle, startFakeJobServer } from './executor-helpers.ts';

const IMAGE = 'localhost/nebula-test-busybox:j2';
let work: string;
let store: FileObjectStore;

function busybox(): string {
  for (const candidate of ['/bin/busybox', '/usr/bin/busybox']) {
    try {
      execFileSync(candidate, ['true']);
      return candidate;
    } catch {
      // next
    }
  }
  throw new Error('busybox is not installed (Debian package busybox-static)');
}

beforeAll(async () => {
  process.env.CONTAINERS_CONF = path.resolve('test/jobs/fixtures/containers.conf');
  work = await mkdtemp(path.join(os.tmpdir(), 'nebula-container-test-'));
  store = new FileObjectStore(path.join(work, 'objects'));
  const rootfs = path.join(work, 'rootfs');
  for (const d of ['bin', 'tmp', 'etc', 'proc', 'sys', 'dev']) mkdirSync(path.join(rootfs, d), { recursive: true });
  copyFileSync(busybox(), path.join(rootfs, 'bin', 'busybox'));
  execFileSync('chmod', ['755', path.join(rootfs, 'bin', 'busybox')]);
  for (const applet of ['sh', 'cat', 'sort', 'echo', 'ls', 'touch', 'id', 'sleep', 'wc']) symlinkSync('busybox', path.join(rootfs, 'bin', applet));
  writeFileSync(path.join(rootfs, 'etc', 'passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
  execFileSync('tar', ['-C', rootfs, '--owner=0', '--group=0', '-cf', path.join(work, 'rootfs.tar'), '.']);
  execFileSync('podman', ['--log-level=error', 'import', '--change', 'ENV PATH=/bin', path.join(work, 'rootfs.tar'), IMAGE], { stdio: 'ignore' });
}, 120_000);

afterAll(async () => {
  try {
    execFileSync('podman', ['--log-level=error', 'rmi', '-f', IMAGE], { stdio: 'ignore' });
  } catch {
    // already gone
  }
  await rm(work, { recursive: true, force: true });
});

const TOOL = `<tool id="in_container" name="c" version="1" profile="21.01">
  <command><![CDATA[
    sort '$input1' > '$out_sorted' &&
    (touch /written-to-image 2>/dev/null && echo writable || echo read-only) > '$out_checks' &&
    ls /sys/class/net >> '$out_checks' &&
    echo "slots=\\\${GALAXY_SLOTS}" >> '$out_checks'
  ]]></command>
  <inputs><param name="input1" type="data" format="txt"/></inputs>
  <outputs><data name="out_sorted" format="txt"/><data name="out_checks" format="txt"/></outputs>
</tool>`;

async function containerSpec() {
  const bundleKey = await putToolBundle(store, { 'tool.xml': { text: TOOL } });
  await store.put('datasets/dd/unsorted', 'pear\napple\nfig\n');
  return makeSpec({
    bundleKey,
    toolState: { input1: dataset('in1', 'txt') },
    inputs: [{ id: 'in1', objectKey: 'datasets/dd/unsorted', size: 15, ext: 'txt', name: 'fruit' }],
    outputs: [{ name: 'out_sorted', format: 'txt' }, { name: 'out_checks', format: 'txt' }],
  });
}

describe('container runner (podman)', () => {
  it('runs the tool inside a read-only image with no network, the job directory bind-mounted', async () => {
    const spec = await containerSpec();
    const server = await startFakeJobServer(spec);
    try {
      const outcome = await executeJob({
        settings: {
          scratchRoot: path.join(work, 'scratch'),
          heartbeatSeconds: 1,
          killGraceSeconds: 2,
          keepScratch: false,
          container: { engine: 'podman', image: IMAGE, network: false, extraArgs: [], shell: 'sh' },
        },
        store,
        cache: new NodeCache(path.join(work, 'cache'), 1 << 30),
        client: createJobServerClient({ serverUrl: server.url, jobId: spec.jobId, attempt: spec.attempt, token: server.token }),
      });
      expect(outcome.outcome).toBe('reported');
    } finally {
      await server.close();
    }
    const report = server.reports[0]!;
    expect(report.messages).toEqual([]);
    expect(report.state).toBe('ok');
    const out = new Map(report.outputs.map((o) => [o.name, o.objectKey]));
    expect(await text(await store.get(out.get('out_sorted')!))).toBe('apple\nfig\npear\n');
    expect(await text(await store.get(out.get('out_checks')!))).toBe('read-only\nlo\nslots=2\n');
  }, 60_000);

  it('runs through the container runner and the real nebula job-exec', async () => {
    const spec = await containerSpec();
    const server = await startFakeJobServer(spec);
    try {
      const runner = getRunner('container', { stateDir: path.join(work, 'runner') });
      const destination = { id: 'podman', runner: 'container', params: { engine: 'podman', image: IMAGE, shell: 'sh' } };
      const reported = server.nextReport();
      await runner.submit({
        jobId: 1,
        attempt: 1,
        name: `nebula-c-1-${Date.now()}`,
        executorCommand: [process.execPath, path.resolve('bin/nebula.js'), 'job-exec'],
        environment: {
          NEBULA_SERVER_URL: server.url,
          NEBULA_JOB_ID: spec.jobId,
          NEBULA_JOB_ATTEMPT: '1',
          NEBULA_JOB_TOKEN: server.token,
          NEBULA_OBJECT_STORE: 'file',
          NEBULA_OBJECT_STORE_PATH: path.join(work, 'objects'),
          NEBULA_SCRATCH_PATH: path.join(work, 'scratch'),
          NEBULA_NODE_CACHE_PATH: path.join(work, 'cache'),
          NEBULA_HOME: path.join(work, 'home'),
        },
        resources: { cores: 1, memoryMb: 256, walltimeSeconds: 60 },
        destination,
      });
      const report = await reported;
      expect(report.messages).toEqual([]);
      expect(report.state).toBe('ok');
    } finally {
      await server.close();
    }
  }, 60_000);

  it('builds docker and apptainer command lines too', () => {
    const base = {
      image: 'quay.io/biocontainers/samtools@sha256:' + 'a'.repeat(64),
      name: 'nebula-9-1',
      jobDirectory: '/scratch/j',
      workingDirectory: '/scratch/j/working',
      network: false,
      cores: 4,
      memoryMb: 2048,
      env: { GALAXY_SLOTS: '4', HOME: '/scratch/j/home' },
      command: ['bash', '-c', 'samtools --version'],
      user: { uid: 1000, gid: 1000 },
    };
    expect(containerArgv({ ...base, engine: 'docker' })).toEqual([
      'docker', 'run', '--rm', '--name', 'nebula-9-1', '--network', 'none', '--read-only', '--tmpfs', '/tmp',
      '-v', '/scratch/j:/scratch/j', '-w', '/scratch/j/working', '--user', '1000:1000',
      '--ulimit', 'nofile=20000:20000', '--ulimit', 'nproc=4096:4096', '--cpus', '4', '--memory', '2048m',
      '-e', 'GALAXY_SLOTS=4', '-e', 'HOME=/scratch/j/home', base.image, 'bash', '-c', 'samtools --version',
    ]);
    expect(containerArgv({ ...base, engine: 'docker', network: true })).not.toContain('none');
    expect(containerArgv({ ...base, engine: 'apptainer' })).toEqual([
      'apptainer', 'exec', '--containall', '--cleanenv', '--no-home', '--net', '--network', 'none',
      '--bind', '/scratch/j:/scratch/j', '--pwd', '/scratch/j/working',
      '--env', 'GALAXY_SLOTS=4', '--env', 'HOME=/scratch/j/home', `docker://${base.image}`, 'bash', '-c', 'samtools --version',
    ]);
    expect(containerRemoveArgv('podman', 'nebula-9-1')).toEqual(['podman', 'rm', '-f', '--time', '0', 'nebula-9-1']);
    expect(containerRemoveArgv('apptainer', 'x')).toBeUndefined();
    expect(() => containerArgv({ ...base, engine: 'podman', image: 'bad image; rm -rf /' })).toThrow(/not a container image reference/);
    expect(() => containerEnvironment({ id: 'x', runner: 'container', params: { engine: 'lxc' } })).toThrow(/podman, docker or apptainer/);
    expect(containerEnvironment({ id: 'x', runner: 'container', params: { engine: 'docker', network: true } })).toEqual({ NEBULA_CONTAINER_ENGINE: 'docker', NEBULA_CONTAINER_NETWORK: 'true' });
  });
});
