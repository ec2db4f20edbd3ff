/**
 * The local runner's default isolation: the executor runs inside this (the worker's) process,
 * the tool as a process group of its own. Real executor, real bash, a stand-in jobs API over HTTP.
 * Also what any worker on the host does with the attempt of a worker that died: 'gone', and the
 * orphaned tool group killed.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { text } from 'node:stream/consumers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DestinationConfig, JobSpec, SubmitRequest } from '../../src/jobs/interfaces.ts';
import { DestinationFullError, getRunner } from '../../src/jobs/runners/index.ts';
import { formatInProcessId, inProcessDone, parseInProcessId, runningInProcess } from '../../src/jobs/runners/in-process.ts';
import { createMarkerExclusively } from '../../src/jobs/runners/markers.ts';
import { requestFingerprint } from '../../src/jobs/runners/local.ts';
import { identify, readProcStat, type ProcessIdentity } from '../../src/jobs/runners/proc.ts';
import { FileObjectStore } from '../../src/objectstore/index.ts';
import { makeSpec, putToolBundle, startFakeJobServer, type FakeJobServer } from './executor-helpers.ts';

let dir: string;
let store: FileObjectStore;
const servers: FakeJobServer[] = [];
const groups: number[] = [];

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'nebula-inproc-test-'));
  store = new FileObjectStore(path.join(dir, 'objects'));
});

afterAll(async () => {
  for (const g of groups) {
    try {
      process.kill(-g, 'SIGKILL');
    } catch {
      // gone
    }
  }
  await Promise.all(servers.map((s) => s.close()));
  await rm(dir, { recursive: true, force: true });
});

function destination(params: Record<string, unknown> = {}): DestinationConfig {
  return { id: `d${Math.random().toString(36).slice(2, 8)}`, runner: 'local', params: { stateDir: path.join(dir, 'runner'), ...params } };
}

async function waitFor(check: () => Promise<boolean>, ms = 15_000): Promise<void> {
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

/** A job whose tool runs `command` and writes out1; served by a stand-in jobs API. */
async function job(command: string, dest: DestinationConfig): Promise<{ spec: JobSpec; server: FakeJobServer; request: SubmitRequest }> {
  const bundleKey = await putToolBundle(store, {
    'tool.xml': { text: `<tool id="inproc" name="inproc" version="1" profile="21.01"><command><![CDATA[${command}]]></command><inputs/><outputs><data name="out1" format="txt"/></outputs></tool>` },
  });
  const spec = makeSpec({ bundleKey, toolState: {}, outputs: [{ name: 'out1', format: 'txt' }] });
  const server = await startFakeJobServer(spec);
  servers.push(server);
  const request: SubmitRequest = {
    jobId: 1,
    attempt: 1,
    name: `nebula-${Math.floor(Math.random() * 1e9)}-1`,
    executorCommand: [process.execPath, path.resolve('bin/nebula.js'), 'job-exec'],
    environment: {
      NEBULA_SERVER_URL: server.url,
      NEBULA_JOB_ID: spec.jobId,
      NEBULA_JOB_ATTEMPT: String(spec.attempt),
      NEBULA_JOB_TOKEN: server.token,
      NEBULA_OBJECT_STORE: 'file',
      NEBULA_OBJECT_STORE_PATH: path.join(dir, 'objects'),
      NEBULA_SCRATCH_PATH: path.join(dir, 'scratch'),
      NEBULA_NODE_CACHE_PATH: path.join(dir, 'node-cache'),
    },
    resources: { cores: 1, memoryMb: 100, walltimeSeconds: 60 },
    destination: dest,
  };
  return { spec, server, request };
}

/** The identity of a worker that has died: a process that ran and exited, so its (pid, start time) is dead. */
async function deadWorker(): Promise<ProcessIdentity> {
  const dead = spawn('sleep', ['0.2']);
  const exited = new Promise((r) => dead.once('exit', r));
  await new Promise((r) => dead.once('spawn', r));
  const id = (await identify(dead.pid!))!;
  await exited;
  return id;
}

describe('local runner, in-process (default)', () => {
  it('runs the executor inside this process and reports; status and a repeated submit follow it', async () => {
    const local = getRunner('local');
    const dest = destination();
    const { server, request } = await job(`echo "in process" > '$out1'`, dest);
    const reported = server.nextReport();
    const { externalId } = await local.submit(request);
    const id = parseInProcessId(externalId);
    expect(id.pid).toBe(process.pid);
    expect(id.host).toBe(os.hostname());
    expect((await local.submit(request)).externalId).toBe(externalId);
    const report = await reported;
    expect(report.state).toBe('ok');
    expect(await text(await store.get(report.outputs[0]!.objectKey))).toBe('in process\n');
    await inProcessDone(externalId);
    expect(await local.status(externalId, dest)).toEqual({ state: 'exited', exitCode: 0 });
    // A submit of the same attempt after it ended adopts it (no second run).
    expect((await local.submit(request)).externalId).toBe(externalId);
    expect(runningInProcess()).not.toContain(externalId);
    expect(server.reports).toHaveLength(1);
  }, 60_000);

  it('cancel kills the tool group; the attempt reports nothing', async () => {
    const local = getRunner('local');
    const dest = destination({ cancelGraceSeconds: 1 });
    const pidFile = path.join(dir, `cancel-${Date.now()}.pid`);
    const { server, request } = await job(`echo $$ > ${pidFile}; sleep 300; echo late > '$out1'`, dest);
    const { externalId } = await local.submit(request);
    await waitFor(async () => existsSync(pidFile) && (await readFile(pidFile, 'utf8')).trim() !== '');
    const toolPid = Number((await readFile(pidFile, 'utf8')).trim());
    groups.push(toolPid);
    expect(await local.status(externalId, dest)).toEqual({ state: 'running' });
    await local.cancel(externalId, dest);
    await waitFor(async () => !(await alive(toolPid)), 5000);
    await inProcessDone(externalId);
    expect((await local.status(externalId, dest)).state).toBe('exited');
    expect(server.reports).toHaveLength(0);
    await local.cancel(externalId, dest); // idempotent
  }, 60_000);

  it('params.concurrency counts in-process attempts', async () => {
    const local = getRunner('local');
    const dest = destination({ concurrency: 1, cancelGraceSeconds: 1 });
    const a = await job('sleep 300', dest);
    const b = await job(`echo b > '$out1'`, dest);
    const first = await local.submit(a.request);
    const refused = await local.submit(b.request).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(DestinationFullError);
    await local.cancel(first.externalId, dest);
    await inProcessDone(first.externalId);
    const reported = b.server.nextReport();
    await local.submit(b.request);
    expect((await reported).state).toBe('ok');
  }, 60_000);

  it('submits made at the same moment never run more attempts than params.concurrency', async () => {
    const local = getRunner('local');
    const dest = destination({ concurrency: 2, cancelGraceSeconds: 1 });
    const jobs = await Promise.all([1, 2, 3, 4].map(() => job('sleep 300', dest)));
    const outcomes = await Promise.allSettled(jobs.map((j) => local.submit(j.request)));
    const started = outcomes.flatMap((o) => (o.status === 'fulfilled' ? [o.value.externalId] : []));
    const refused = outcomes.flatMap((o) => (o.status === 'rejected' ? [o.reason] : []));
    expect(started).toHaveLength(2);
    expect(refused).toHaveLength(2);
    for (const error of refused) expect(error).toBeInstanceOf(DestinationFullError);
    for (const externalId of started) {
      await local.cancel(externalId, dest);
      await inProcessDone(externalId);
    }
  }, 60_000);

  it('a waiting submit that loses one freed slot to another submit takes the next one', async () => {
    const local = getRunner('local');
    const dest = destination({ concurrency: 1 });
    const first = await job(`sleep 0.2; echo a > '$out1'`, dest);
    const second = await job(`echo b > '$out1'`, dest);
    const third = await job(`echo c > '$out1'`, dest);
    const reports = [second, third].map((j) => j.server.nextReport());
    await local.submit(first.request);
    // Both wait for the first attempt's slot: one gets it, the other the slot that one frees.
    await Promise.all([local.submit(second.request), local.submit(third.request)]);
    expect((await Promise.all(reports)).map((r) => r.state)).toEqual(['ok', 'ok']);
  }, 60_000);

  it('refuses a bad params.isolation', async () => {
    const local = getRunner('local');
    const { request } = await job('true', destination({ isolation: 'thread' }));
    await expect(local.submit(request)).rejects.toThrow(/params.isolation must be "in-process" or "process"/);
  });

  it("an attempt of a dead worker on this host is 'gone' and its orphaned tool group is killed", async () => {
    const local = getRunner('local');
    const dest = destination();
    const deadId = await deadWorker();
    // Its tool, still running in a group of its own.
    const orphan = spawn('sleep', ['300'], { detached: true, stdio: 'ignore' });
    await new Promise((r) => orphan.once('spawn', r));
    groups.push(orphan.pid!);
    const orphanId = (await identify(orphan.pid!))!;
    const name = `nebula-${Date.now()}-1`;
    const fingerprint = '0123456789abcdef';
    const externalId = formatInProcessId({ host: os.hostname(), pid: deadId.pid, startTime: deadId.startTime, name, fingerprint });
    const stateDir = path.join(dir, 'runner', dest.id);
    await mkdir(stateDir, { recursive: true });
    await createMarkerExclusively(path.join(stateDir, `${name}-${fingerprint}.json`), {
      name, fingerprint, externalId, destination: dest.id, submittedAt: new Date().toISOString(),
      toolGroup: { pid: orphanId.pid, startTime: orphanId.startTime },
    });
    const status = await local.status(externalId, dest);
    expect(status.state).toBe('gone');
    expect(status.state === 'gone' && status.reason).toMatch(/worker that ran the executor in-process .* is gone/);
    await waitFor(async () => !(await alive(orphan.pid!)), 5000);
    expect(existsSync(path.join(stateDir, `${name}-${fingerprint}.json`))).toBe(false);
  }, 30_000);

  it('an attempt started by a worker that died is never started again by a repeated submit', async () => {
    // The worker started the attempt and died before the lifecycle committed it, so the submit
    // task runs again on another worker. The tool may have run to its end already: it must not run
    // a second time under the same attempt. The lifecycle learns 'gone' and starts a new attempt.
    const local = getRunner('local');
    const dest = destination();
    const ranFile = path.join(dir, `ran-${Date.now()}`);
    const { request } = await job(`echo ran >> '${ranFile}'; echo x > '$out1'`, dest);
    const fingerprint = requestFingerprint(request);
    const deadId = await deadWorker();
    const externalId = formatInProcessId({ host: os.hostname(), pid: deadId.pid, startTime: deadId.startTime, name: request.name, fingerprint });
    const stateDir = path.join(dir, 'runner', dest.id);
    await mkdir(stateDir, { recursive: true });
    await createMarkerExclusively(path.join(stateDir, `${request.name}-${fingerprint}.json`), {
      name: request.name, fingerprint, externalId, destination: dest.id, submittedAt: new Date().toISOString(),
    });

    expect((await local.submit(request)).externalId).toBe(externalId);
    expect(runningInProcess()).not.toContain(externalId);
    const status = await local.status(externalId, dest);
    expect(status).toMatchObject({ state: 'gone', hostLost: true });
    // The marker is gone now; a submit after the status check still finds the attempt ended.
    expect((await local.submit(request)).externalId).toBe(externalId);
    expect(await local.status(externalId, dest)).toMatchObject({ state: 'gone', hostLost: true });
    await new Promise((r) => setTimeout(r, 500));
    expect(existsSync(ranFile), 'the tool ran').toBe(false);
  }, 30_000);

  it('an attempt on another host is left to the heartbeat check', async () => {
    const local = getRunner('local');
    const externalId = formatInProcessId({ host: 'some-other-host', pid: 123, startTime: '456', name: 'nebula-9-1', fingerprint: '0123456789abcdef' });
    expect(await local.status(externalId, destination())).toEqual({ state: 'running' });
    await local.cancel(externalId, destination()); // nothing to do here
  });
});
