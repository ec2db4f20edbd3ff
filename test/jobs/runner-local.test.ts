/**
 * The local runner with process isolation (a detached executor per attempt), with real processes: idempotent submit by name (also after a crash between
 * spawn and marker), status from /proc, cancel killing every process of the job, the
 * concurrency limit, and the real `nebula job-exec` run through it end to end.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { text } from 'node:stream/consumers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DestinationConfig, SubmitRequest } from '../../src/jobs/interfaces.ts';
import { DestinationFullError, getRunner } from '../../src/jobs/runners/index.ts';
import { requestFingerprint } from '../../src/jobs/runners/local.ts';
import { freshExecutorBundle } from '../../bin/executor-bundle.js';
import { findProcessesByEnv, parseExternalId, readProcStat } from '../../src/jobs/runners/proc.ts';
import { FileObjectStore } from '../../src/objectstore/index.ts';
import { makeSpec, putToolBundle, startFakeJobServer } from './executor-helpers.ts';

let stateDir: string;
const spawned: number[] = [];

beforeAll(async () => {
  stateDir = await mkdtemp(path.join(os.tmpdir(), 'nebula-local-runner-test-'));
});

afterAll(async () => {
  for (const pid of spawned) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
  await rm(stateDir, { recursive: true, force: true });
});

/** These tests are about the detached executor (`isolation: 'process'`); runner-local-inprocess.test.ts covers the default. */
function destination(params: Record<string, unknown> = {}): DestinationConfig {
  return { id: `d${Math.random().toString(36).slice(2, 8)}`, runner: 'local', params: { isolation: 'process', ...params } };
}

function request(name: string, dest: DestinationConfig, command: string[], environment: Record<string, string> = {}): SubmitRequest {
  return { jobId: 1, attempt: 1, name, executorCommand: command, environment, resources: { cores: 1, memoryMb: 100, walltimeSeconds: 60 }, destination: dest };
}

async function waitFor(check: () => Promise<boolean>, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('condition not reached in time');
}

const alive = async (pid: number) => {
  const stat = await readProcStat(pid);
  return !!stat && stat.state !== 'Z';
};

// The executors here are `sleep` itself, not `bash -c 'sleep …'`: bash execs sleep a moment after
// it starts, and /proc/<pid>/environ reads empty while a process is inside execve, so a look for
// the executor by its environment at that moment found nothing (failed once; reproduced apart: of
// 6,000 reads in the first moments after spawning `bash -c 'sleep 30'`, 124 lacked the variable).
// A real executor is Node itself and execs nothing after its start.
describe('local runner', () => {
  it('submit is idempotent by name and status follows the process', async () => {
    const local = getRunner('local', { stateDir });
    const dest = destination();
    const name = `nebula-1-1-${Date.now()}`;
    const first = await local.submit(request(name, dest, ['sleep', '30']));
    const second = await local.submit(request(name, dest, ['sleep', '30']));
    expect(second.externalId).toBe(first.externalId);
    const id = parseExternalId(first.externalId);
    spawned.push(id.pid);
    expect(id.host).toBe(os.hostname());
    expect(await findProcessesByEnv('NEBULA_JOB_NAME', name)).toEqual([id.pid]);
    expect(await local.status(first.externalId, dest)).toEqual({ state: 'running' });
    // The executor survives its worker: it leads its own process group.
    expect((await readProcStat(id.pid))!.pgid).toBe(id.pid);

    process.kill(id.pid, 'SIGKILL'); // the executor is killed outright
    await waitFor(async () => !(await alive(id.pid)));
    const status = await local.status(first.externalId, dest);
    expect(status.state).toBe('exited');
    expect(status.state === 'exited' && status.reason).toMatch(/without an exit record/);
  }, 30_000);

  it('adopts an executor started before a crash left its marker empty', async () => {
    const local = getRunner('local', { stateDir });
    const dest = destination();
    const name = `nebula-2-1-${Date.now()}`;
    // A worker crashed right after spawning: the claim exists, empty, and the executor runs.
    const req = request(name, dest, ['sleep', '30']);
    const fingerprint = requestFingerprint(req);
    await mkdir(path.join(stateDir, dest.id), { recursive: true });
    await writeFile(path.join(stateDir, dest.id, `${name}-${fingerprint}.json`), '');
    const orphan = spawn('sleep', ['30'], { detached: true, stdio: 'ignore', env: { ...process.env, NEBULA_JOB_NAME: name, NEBULA_JOB_FINGERPRINT: fingerprint } });
    spawned.push(orphan.pid!);
    await waitFor(async () => (await findProcessesByEnv('NEBULA_JOB_FINGERPRINT', fingerprint)).length === 1);
    const { externalId } = await local.submit(req);
    expect(parseExternalId(externalId).pid).toBe(orphan.pid);
    expect(await findProcessesByEnv('NEBULA_JOB_FINGERPRINT', fingerprint)).toEqual([orphan.pid]);
    // The same name from another installation (another token) is another job, not this one.
    const other = await local.submit(request(name, dest, ['sleep', '30'], { NEBULA_JOB_TOKEN: 'another' }));
    spawned.push(parseExternalId(other.externalId).pid);
    expect(parseExternalId(other.externalId).pid).not.toBe(orphan.pid);
  }, 30_000);

  it('an empty claim left by a crash whose executor already ended is not started again', async () => {
    const local = getRunner('local', { stateDir });
    const dest = destination();
    const name = `nebula-3-1-${Date.now()}`;
    const ranFile = path.join(stateDir, `${name}.ran`);
    const req = request(name, dest, ['bash', '-c', `echo ran >> '${ranFile}'`]);
    const base = path.join(stateDir, dest.id, `${name}-${requestFingerprint(req)}`);
    // A worker crashed right after spawning; the executor ran to its end and left its exit record.
    await mkdir(path.dirname(base), { recursive: true });
    await writeFile(`${base}.json`, '');
    const longAgo = new Date(Date.now() - 60_000);
    await utimes(`${base}.json`, longAgo, longAgo);
    await writeFile(`${base}.exit`, JSON.stringify({ exitCode: 0 }));

    const { externalId } = await local.submit(req);
    expect(await local.status(externalId, dest)).toEqual({ state: 'exited', exitCode: 0 });
    expect((await local.submit(req)).externalId).toBe(externalId);
    await new Promise((r) => setTimeout(r, 300));
    expect(existsSync(ranFile), 'the executor ran again').toBe(false);
  }, 30_000);

  it('cancel kills the whole process group, and the tool group under it', async () => {
    const local = getRunner('local', { stateDir });
    const dest = destination({ cancelGraceSeconds: 1 });
    const name = `nebula-3-1-${Date.now()}`;
    const pidFile = path.join(stateDir, `${name}.pids`);
    // An "executor" with a child in its group and a grandchild in a group of its own (like the tool).
    const script = `sleep 300 & echo $! >> ${pidFile}; setsid sleep 300 & echo $! >> ${pidFile}; trap '' TERM; wait`;
    const { externalId } = await local.submit(request(name, dest, ['bash', '-c', script]));
    spawned.push(parseExternalId(externalId).pid);
    await waitFor(async () => existsSync(pidFile) && (await readFile(pidFile, 'utf8')).trim().split('\n').length === 2);
    const pids = (await readFile(pidFile, 'utf8')).trim().split('\n').map(Number);
    await local.cancel(externalId, dest);
    for (const pid of [parseExternalId(externalId).pid, ...pids]) await waitFor(async () => !(await alive(pid)), 5000);
    expect((await local.status(externalId, dest)).state).toBe('exited');
    await local.cancel(externalId, dest); // idempotent
  }, 30_000);

  it('refuses a submit beyond params.concurrency with a retryable error', async () => {
    const local = getRunner('local', { stateDir });
    const dest = destination({ concurrency: 1 });
    const a = await local.submit(request(`nebula-4-1-${Date.now()}`, dest, ['bash', '-c', 'sleep 30']));
    spawned.push(parseExternalId(a.externalId).pid);
    const refused = await local.submit(request(`nebula-5-1-${Date.now()}`, dest, ['bash', '-c', 'sleep 30'])).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(DestinationFullError);
    expect((refused as DestinationFullError).retryable).toBe(true);
    await local.cancel(a.externalId, dest);
    const c = await local.submit(request(`nebula-6-1-${Date.now()}`, dest, ['bash', '-c', 'sleep 30']));
    spawned.push(parseExternalId(c.externalId).pid);
    await local.cancel(c.externalId, dest);
  }, 30_000);

  it('a job of another host is left to the heartbeat check', async () => {
    const local = getRunner('local', { stateDir });
    expect(await local.status('some-other-host:123:456', destination())).toEqual({ state: 'running' });
    await local.cancel('some-other-host:123:456', destination()); // no-op here
  });

  it.each([
    ['from its bundle', {}],
    ['from the sources through tsx', { NEBULA_EXECUTOR_FROM_SOURCES: '1' }],
  ])('runs the real nebula job-exec (%s) end to end and records its exit', async (from, variables: Record<string, string>) => {
    if (from === 'from its bundle') {
      expect(freshExecutorBundle(process.cwd()), 'dist/executor/job-exec.mjs is missing or older than src/: npm run build:executor').toBeDefined();
    }
    const objects = path.join(stateDir, 'objects');
    const store = new FileObjectStore(objects);
    const bundleKey = await putToolBundle(store, {
      'tool.xml': { text: `<tool id="e2e" name="e2e" version="1" profile="21.01"><command>echo "ran on \\$GALAXY_SLOTS" > '$out1'</command><inputs/><outputs><data name="out1" format="txt"/></outputs></tool>` },
    });
    const spec = makeSpec({ bundleKey, toolState: {}, outputs: [{ name: 'out1', format: 'txt' }] });
    const server = await startFakeJobServer(spec);
    try {
      const local = getRunner('local', { stateDir });
      const dest = destination();
      const name = `nebula-7-1-${Date.now()}`;
      const reported = server.nextReport();
      const { externalId } = await local.submit(
        request(name, dest, [process.execPath, path.resolve('bin/nebula.js'), 'job-exec'], {
          NEBULA_SERVER_URL: server.url,
          NEBULA_JOB_ID: spec.jobId,
          NEBULA_JOB_ATTEMPT: String(spec.attempt),
          NEBULA_JOB_TOKEN: server.token,
          NEBULA_OBJECT_STORE: 'file',
          NEBULA_OBJECT_STORE_PATH: objects,
          NEBULA_SCRATCH_PATH: path.join(stateDir, 'scratch'),
          NEBULA_NODE_CACHE_PATH: path.join(stateDir, 'node-cache'),
          NEBULA_HOME: path.join(stateDir, 'home'),
          ...variables,
        }),
      );
      const report = await reported;
      expect(report.state, JSON.stringify(report)).toBe('ok');
      expect(await text(await store.get(report.outputs[0]!.objectKey))).toBe('ran on 2\n');
      await waitFor(async () => (await local.status(externalId, dest)).state === 'exited', 15_000);
      expect(await local.status(externalId, dest)).toEqual({ state: 'exited', exitCode: 0 });
    } finally {
      await server.close();
    }
  }, 60_000);
});
