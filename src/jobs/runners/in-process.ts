/**
 * In-process attempts of the local runner: the executor (`runExecutor`) runs inside the worker
 * process instead of a new `nebula job-exec` process, which spares every job a Node start (the
 * cost that capped the local runner near 1 job/s). Nothing else changes: the executor still gets
 * its spec, heartbeats and reports over HTTP with the attempt's token, and the tool still runs
 * as a child process group of its own.
 *
 * externalId = `inproc:<host>:<worker pid>:<worker start time>:<name>:<fingerprint>`. While the
 * attempt runs, its marker file (markers.ts) names it and, once the tool runs, the tool's process
 * group. When it ends, an exit record `<name>-<fingerprint>.exit` is written and the marker removed.
 *
 * A worker that dies takes its in-process executors with it. Any worker on the same host then sees
 * the marker of a dead owner: status says 'gone' (the lifecycle starts a new attempt) and the
 * orphaned tool group is killed. On another host status says 'running', and the lifecycle's
 * heartbeat check declares the attempt lost (jobs.heartbeat_at stale).
 */
import { mkdir, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../config/load.ts';
import type { Config } from '../../config/schema.ts';
import { runExecutor } from '../executor/index.ts';
import { ExecutorSettingsError, readExecutorSettings, type ExecutorSettings } from '../executor/settings.ts';
import { createObjectStore, type ObjectStore } from '../../objectstore/index.ts';
import type { AttemptStatus } from '../interfaces.ts';
import { createMarkerExclusively, readMarker, writeMarker, type Marker } from './markers.ts';
import { identify, isAlive, readProcStat, type ProcessIdentity } from './proc.ts';

const PREFIX = 'inproc:';

export interface InProcessId extends ProcessIdentity {
  name: string;
  fingerprint: string;
}

export function isInProcessId(externalId: string): boolean {
  return externalId.startsWith(PREFIX);
}

export function formatInProcessId(id: InProcessId): string {
  return `${PREFIX}${id.host}:${id.pid}:${id.startTime}:${id.name}:${id.fingerprint}`;
}

export function parseInProcessId(externalId: string): InProcessId {
  const match = /^inproc:(.+):(\d+):(\d+):([A-Za-z0-9][A-Za-z0-9_.-]*):([0-9a-f]{16})$/.exec(externalId);
  if (!match) throw new Error(`not an in-process external id (inproc:host:pid:starttime:name:fingerprint): ${JSON.stringify(externalId)}`);
  return { host: match[1]!, pid: Number(match[2]), startTime: match[3]!, name: match[4]!, fingerprint: match[5]! };
}

/** Thrown when the attempt is being claimed by another submit right now; try again later. */
export class SubmitRaceError extends Error {
  override name = 'SubmitRaceError';
  readonly retryable = true;
}

export class InProcessConfigError extends Error {
  override name = 'InProcessConfigError';
}

interface ExitRecord {
  externalId: string;
  exitCode: number;
  error?: string;
  /** Written by another worker for an attempt whose worker died: why it is 'gone'. */
  lost?: string;
  at: string;
}

interface RunningAttempt {
  externalId: string;
  markerFile: string;
  marker: Marker;
  controller: AbortController;
  done: Promise<void>;
  toolGroup?: ProcessIdentity;
  /** The marker rewrite that records the tool group; the marker is removed only after it. */
  markerWrite: Promise<void>;
}

const running = new Map<string, RunningAttempt>();
/** Recently ended attempts of this process (bounded): answers status without touching the disk. */
const ended = new Map<string, ExitRecord>();
const ENDED_KEPT = 2000;
const stores = new Map<string, Promise<ObjectStore>>();
let self: Promise<ProcessIdentity> | undefined;
let exitHookInstalled = false;
const lastPrune = new Map<string, number>();
const EXIT_RECORD_DAYS = 2;

function selfIdentity(): Promise<ProcessIdentity> {
  self ??= identify(process.pid).then((id) => {
    if (!id) throw new Error('cannot read this process in /proc: in-process attempts need Linux /proc');
    return id;
  });
  return self;
}

/** Per-attempt variables: everything else in the executor's environment is the same for every job. */
const PER_ATTEMPT_ENV = new Set(['NEBULA_JOB_ID', 'NEBULA_JOB_ATTEMPT', 'NEBULA_JOB_TOKEN', 'NEBULA_JOB_NAME', 'NEBULA_JOB_FINGERPRINT']);
const configs = new Map<string, Config>();

/** The configuration an executor environment resolves to, loaded once per distinct environment. */
function configFor(env: Record<string, string>): Config {
  const key = JSON.stringify(Object.entries(env).filter(([name]) => !PER_ATTEMPT_ENV.has(name)).sort(([a], [b]) => (a < b ? -1 : 1)));
  let config = configs.get(key);
  if (!config) {
    config = loadConfig(env);
    if (configs.size > 50) configs.clear();
    configs.set(key, config);
  }
  return config;
}

/** One object store per configuration for every executor of this process (one S3 client, one connection pool). */
function sharedStore(config: Config['objectStore']): Promise<ObjectStore> {
  const key = JSON.stringify(config);
  let store = stores.get(key);
  if (!store) {
    store = createObjectStore(config);
    store.catch(() => stores.delete(key));
    stores.set(key, store);
  }
  return store;
}

/**
 * A worker that exits (SIGTERM, a crash it notices) takes its executors along: kill their tools
 * too, so nothing runs on that nobody will report. A SIGKILLed worker cannot do this; the next
 * status check on the host does (killOrphanedTool).
 */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const attempt of running.values()) if (attempt.toolGroup) signalGroup(attempt.toolGroup.pid, 'SIGKILL');
  });
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // Already gone.
  }
}

/** The tool group of an attempt whose worker died: killed if it is still ours beyond doubt. */
async function killOrphanedTool(marker: Marker): Promise<void> {
  const group = marker.toolGroup;
  if (!group) return; // the worker died before the tool started, or before it could say so
  const leader = { host: os.hostname(), ...group };
  // The leader alive with its start time: our group. No process with that pid at all: only our
  // group's members can still carry that group id (a new group needs a leader with that pid).
  if ((await isAlive(leader)) || !(await readProcStat(group.pid))) signalGroup(group.pid, 'SIGKILL');
}

async function readExitRecord(file: string): Promise<ExitRecord | undefined> {
  const text = await readFile(file, 'utf8').catch(() => '');
  if (!text) return undefined;
  try {
    return JSON.parse(text) as ExitRecord;
  } catch {
    return undefined;
  }
}

function remember(record: ExitRecord): void {
  ended.set(record.externalId, record);
  if (ended.size > ENDED_KEPT) ended.delete(ended.keys().next().value!);
}

/** Exit records are tiny but one per job: drop those older than a couple of days, now and then. */
async function pruneExitRecords(dir: string): Promise<void> {
  const now = Date.now();
  if (now - (lastPrune.get(dir) ?? 0) < 3600_000) return;
  lastPrune.set(dir, now);
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    if (!name.endsWith('.exit')) continue;
    const file = path.join(dir, name);
    const info = await stat(file).catch(() => null);
    if (info && now - info.mtimeMs > EXIT_RECORD_DAYS * 86400_000) await rm(file, { force: true });
  }
}

export interface InProcessSubmit {
  name: string;
  fingerprint: string;
  destinationId: string;
  /** The runner's state directory for the destination. */
  dir: string;
  /** The executor's environment, as a detached `nebula job-exec` would get it. */
  environment: Record<string, string>;
  /** Checked after the attempt is known not to run yet: throws when the destination is full. */
  checkCapacity: () => Promise<void>;
}

const files = (dir: string, name: string, fingerprint: string) => ({
  marker: path.join(dir, `${name}-${fingerprint}.json`),
  exit: path.join(dir, `${name}-${fingerprint}.exit`),
});

export async function submitInProcess(request: InProcessSubmit): Promise<{ externalId: string }> {
  const { dir, name, fingerprint } = request;
  const f = files(dir, name, fingerprint);
  for (const attempt of running.values()) if (attempt.markerFile === f.marker) return { externalId: attempt.externalId };
  await mkdir(dir, { recursive: true });
  void pruneExitRecords(dir).catch(() => undefined);

  // This attempt already ran here (a submit retried after its first try lost the race to commit).
  const exit = await readExitRecord(f.exit);
  if (exit) return { externalId: exit.externalId };
  // Started once already, by this worker or one that has since died: never started again. The
  // attempt may have run its tool to the end before its worker died between starting it and the
  // lifecycle's commit (a fast tool needs milliseconds); starting it again would run the tool twice
  // under one attempt. A dead owner's attempt is 'gone' to status, and the lifecycle starts a new one.
  const existing = await readMarker(f.marker);
  if (existing) return { externalId: existing.externalId };

  let settings: ExecutorSettings;
  try {
    const env = { ...request.environment, NEBULA_JOB_NAME: name, NEBULA_JOB_FINGERPRINT: fingerprint, NEBULA_DESTINATION: request.destinationId };
    settings = readExecutorSettings(env, configFor(env));
  } catch (error) {
    if (error instanceof ExecutorSettingsError) throw new InProcessConfigError(`cannot run job ${name} in-process: ${error.message}`);
    throw error;
  }
  // The lifecycle stamps heartbeat_at when the attempt starts running: a short job needs no beat.
  settings.heartbeatFirstSeconds = settings.heartbeatSeconds;

  const externalId = formatInProcessId({ ...(await selfIdentity()), name, fingerprint });
  const marker: Marker = { name, fingerprint, externalId, destination: request.destinationId, submittedAt: new Date().toISOString() };
  const attempt: RunningAttempt = {
    externalId,
    markerFile: f.marker,
    marker,
    controller: new AbortController(),
    done: Promise.resolve(),
    markerWrite: Promise.resolve(),
  };
  await oneAtATime(dir, async () => {
    await request.checkCapacity();
    attempt.marker = { ...marker, submittedAt: new Date().toISOString() };
    if (!(await createMarkerExclusively(f.marker, attempt.marker))) {
      throw new SubmitRaceError(`job ${name} is being submitted by another worker`);
    }
    // Counted as live from here on (ownMarkerFiles), by the next submit too.
    running.set(externalId, attempt);
  });
  installExitHook();
  attempt.done = (async () => {
    let record: ExitRecord;
    try {
      const result = await runExecutor(settings, {
        stop: attempt.controller.signal,
        store: await sharedStore(settings.objectStore),
        onToolStart: (pgid) => {
          attempt.markerWrite = recordToolGroup(attempt, pgid);
        },
      });
      record = { externalId, exitCode: result.exitCode, ...(result.error ? { error: result.error } : {}), at: new Date().toISOString() };
    } catch (error) {
      record = { externalId, exitCode: 1, error: error instanceof Error ? error.message : String(error), at: new Date().toISOString() };
    }
    if (record.error) process.stderr.write(`nebula local runner: ${name}: ${record.error}\n`);
    remember(record);
    await attempt.markerWrite;
    await writeFile(f.exit, JSON.stringify(record)).catch(() => undefined);
    await rm(f.marker, { force: true });
    running.delete(externalId);
    for (const wake of [...endWaiters]) wake();
  })();
  return { externalId };
}

async function recordToolGroup(attempt: RunningAttempt, pgid: number): Promise<void> {
  const id = await identify(pgid);
  if (!id) return; // the tool already ended
  attempt.toolGroup = id;
  attempt.marker = { ...attempt.marker, toolGroup: { pid: id.pid, startTime: id.startTime } };
  await writeMarker(attempt.markerFile, attempt.marker).catch(() => undefined);
}

/** Whether an in-process marker's attempt still runs (its worker is alive on this host). */
export async function inProcessMarkerLive(marker: Marker): Promise<boolean> {
  if (running.has(marker.externalId)) return true;
  const owner = parseInProcessId(marker.externalId);
  return owner.host === os.hostname() && (await isAlive(owner));
}

/**
 * The marker files of the attempts this process runs now: live without reading them (a submit
 * counts the destination's live attempts every time, and most are usually its own).
 */
export function ownMarkerFiles(): Set<string> {
  return new Set([...running.values()].map((a) => a.markerFile));
}

export async function inProcessStatus(externalId: string, dir: string): Promise<AttemptStatus> {
  const id = parseInProcessId(externalId);
  if (id.host !== os.hostname()) return { state: 'running' }; // the heartbeat check decides
  if (running.has(externalId)) return { state: 'running' };
  const f = files(dir, id.name, id.fingerprint);
  const record = ended.get(externalId) ?? (await readExitRecord(f.exit));
  if (record && record.externalId === externalId) {
    if (record.lost) return { state: 'gone', hostLost: true, reason: record.lost };
    return { state: 'exited', exitCode: record.exitCode, ...(record.error ? { reason: record.error } : {}) };
  }
  const marker = await readMarker(f.marker);
  const ownerAlive = await isAlive(id);
  if (marker && marker.externalId === externalId) {
    if (ownerAlive) return { state: 'running' };
    await retireDeadAttempt(marker, f);
  }
  if (ownerAlive) return { state: 'gone', reason: 'the runner has no record of the attempt' };
  return { state: 'gone', hostLost: true, reason: lostReason(id) };
}

const lostReason = (id: InProcessId) => `the worker that ran the executor in-process (pid ${id.pid} on ${id.host}) is gone`;

/**
 * The attempt of a dead worker: its orphaned tool is killed and a 'lost' exit record replaces the
 * marker, so a late submit of the same attempt finds it ended and does not run it again.
 */
async function retireDeadAttempt(marker: Marker, f: ReturnType<typeof files>): Promise<void> {
  await killOrphanedTool(marker);
  const record: ExitRecord = { externalId: marker.externalId, exitCode: 1, lost: lostReason(parseInProcessId(marker.externalId)), at: new Date().toISOString() };
  await writeFile(f.exit, JSON.stringify(record));
  await rm(f.marker, { force: true });
}

export async function cancelInProcess(externalId: string, dir: string, graceSeconds: number): Promise<void> {
  const id = parseInProcessId(externalId);
  if (id.host !== os.hostname()) return; // stops itself at its next heartbeat (409)
  const mine = running.get(externalId);
  if (mine) {
    mine.controller.abort(); // the executor kills the tool's group and reports nothing
    const timeout = new Promise<void>((resolve) => setTimeout(resolve, (graceSeconds + 1) * 1000).unref());
    await Promise.race([mine.done, timeout]);
    if (running.has(externalId) && mine.toolGroup) signalGroup(mine.toolGroup.pid, 'SIGKILL');
    return;
  }
  const f = files(dir, id.name, id.fingerprint);
  const marker = await readMarker(f.marker);
  if (!marker || marker.externalId !== externalId) return;
  if (!(await isAlive(id))) {
    await retireDeadAttempt(marker, f);
    return;
  }
  // Another live worker on this host runs it: kill its tool; that executor's report is refused.
  const group = marker.toolGroup;
  if (!group) return;
  const leader = { host: os.hostname(), ...group };
  if (!(await isAlive(leader))) return;
  signalGroup(group.pid, 'SIGTERM');
  const deadline = Date.now() + graceSeconds * 1000;
  while (Date.now() < deadline && (await isAlive(leader))) await new Promise((r) => setTimeout(r, 50));
  if (await isAlive(leader)) signalGroup(group.pid, 'SIGKILL');
}

const endWaiters = new Set<() => void>();

/**
 * Resolves when one of this process's in-process attempts ends, or after `ms`; false at once when
 * none runs (nothing here can free a slot). A submit that finds the destination full waits this
 * long at most: the job that just reported (and woke this submit) usually frees its slot a moment
 * later.
 */
export function waitForAnyEnd(ms: number): Promise<boolean> {
  if (running.size === 0) return Promise.resolve(false);
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      endWaiters.delete(done);
      resolve(true);
    };
    const timer = setTimeout(done, ms);
    endWaiters.add(done);
  });
}

/** Per runner state directory: the submit that is counting the destination's slots and taking one. */
const admissions = new Map<string, Promise<void>>();

/**
 * Runs `admit` (count the live attempts, then claim a slot with a marker) for one submit of this
 * process at a time per directory. Concurrent submits that counted together would all see the
 * same free slot and all take it, running more attempts than the destination's limit; in turn,
 * each sees the slot its predecessor took.
 */
async function oneAtATime<T>(dir: string, admit: () => Promise<T>): Promise<T> {
  const before = admissions.get(dir) ?? Promise.resolve();
  let release!: () => void;
  const mine = before.then(() => new Promise<void>((resolve) => (release = resolve)));
  admissions.set(dir, mine);
  await before;
  try {
    return await admit();
  } finally {
    release();
    if (admissions.get(dir) === mine) admissions.delete(dir);
  }
}

/** For tests: the in-process attempts this process runs now. */
export function runningInProcess(): string[] {
  return [...running.keys()];
}

/** Resolves when this process's in-process attempt has ended (tests, graceful shutdown). */
export async function inProcessDone(externalId: string): Promise<void> {
  await running.get(externalId)?.done;
}
