/**
 * The local runner: the job's executor runs on the worker's host, with a concurrency limit per
 * destination (`params.concurrency`, counted over every worker of the host). Two isolations:
 *
 * - `params.isolation: 'in-process'` (the default): the executor runs inside the worker process
 *   (in-process.ts), the tool as a child process group of the worker. No Node start per job, so
 *   trivial jobs run at tens per second; a worker that dies takes its running jobs with it and the
 *   lifecycle starts new attempts.
 * - `params.isolation: 'process'`: the executor as a detached child of a worker (a session and
 *   process group of its own, so a worker killed with SIGKILL leaves its running jobs alone); the
 *   external id is `<host>:<pid>:<start time>`. Costs a Node start per job.
 *
 * Any worker on the same host can ask about or cancel any local job of either kind.
 *
 * Submitting is idempotent by request.name (with a fingerprint of the request, see below): a marker
 * file `<stateDir>/<destination>/<name>-<fingerprint>.json` is created exclusively before the start.
 * A detached executor carries NEBULA_JOB_FINGERPRINT in its environment, so a worker that crashed
 * between spawn and commit finds the running executor again.
 *
 * A job on another host: status says 'running' (this host cannot see it) and cancel does nothing
 * here; the lifecycle declares it gone when its heartbeat goes stale, and the executor stops by
 * itself when the server answers its heartbeat with 409.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, openSync } from 'node:fs';
import { mkdir, open, readdir, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { AttemptStatus, DestinationConfig, JobRunner, SubmitRequest } from '../interfaces.ts';
import {
  cancelInProcess, inProcessMarkerLive, inProcessStatus, isInProcessId, ownMarkerFiles, submitInProcess, waitForAnyEnd,
} from './in-process.ts';
import { listMarkers, readMarker, writeMarker, type Marker } from './markers.ts';
import {
  descendantGroups, findProcessesByEnv, formatExternalId, identify, isAlive, parseExternalId, readProcStat, type ProcessIdentity,
} from './proc.ts';

/** Retryable: the destination runs as many jobs as `params.concurrency` allows; submit again later. */
export class DestinationFullError extends Error {
  override name = 'DestinationFullError';
  readonly retryable = true;
  constructor(
    readonly destination: string,
    readonly limit: number,
  ) {
    super(`destination ${destination} is full: ${limit} jobs already running on ${os.hostname()}`);
  }
}

export class RunnerConfigError extends Error {
  override name = 'RunnerConfigError';
}

export interface LocalRunnerOptions {
  /** Where markers, logs and exit records live; default `params.stateDir`, then `$TMPDIR/nebula-local-runner`. */
  stateDir?: string;
  /** Seconds between SIGTERM and SIGKILL on cancel (default `params.cancelGraceSeconds` or 5). */
  cancelGraceSeconds?: number;
}

/** What the executor inherits from the worker besides the request's own environment. */
const INHERITED_ENV = ['PATH', 'HOME', 'LANG', 'LC_ALL', 'TZ', 'TMPDIR', 'CONTAINERS_CONF', 'XDG_RUNTIME_DIR', 'NEBULA_CONFIG'];
const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;
/**
 * Names are unique per job database, not per host: two installations (or a test database that was
 * reset) can both submit `nebula-1-1`. The fingerprint of the whole request (its token included)
 * tells them apart, so an attempt is adopted only by a submit of that very attempt.
 */
export function requestFingerprint(request: SubmitRequest): string {
  const env = Object.entries(request.environment).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return createHash('sha256').update(JSON.stringify([request.name, request.jobId, request.attempt, request.destination.id, env])).digest('hex').slice(0, 16);
}

/** How long, in all, an in-process submit waits for one of this worker's attempts to free a full destination. */
const IN_PROCESS_SLOT_WAIT_MS = 1000;

/** A marker left empty this long by a crashed submitter is taken over. */
const STALE_CLAIM_MS = 10_000;

export function concurrencyOf(destination: DestinationConfig): number | undefined {
  const value = destination.params.concurrency;
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new RunnerConfigError(`destination ${destination.id}: params.concurrency must be a positive integer, got ${JSON.stringify(value)}`);
  }
  return value;
}

export type Isolation = 'in-process' | 'process';

export function isolationOf(destination: DestinationConfig, fallback: Isolation): Isolation {
  const value = destination.params.isolation ?? fallback;
  if (value !== 'in-process' && value !== 'process') {
    throw new RunnerConfigError(`destination ${destination.id}: params.isolation must be "in-process" or "process", got ${JSON.stringify(value)}`);
  }
  return value;
}

export interface LocalRunnerFlavour {
  name: string;
  /** Isolation when the destination does not set `params.isolation` (local: in-process). */
  defaultIsolation?: Isolation;
  /** Extra executor environment for this destination (the container runner's engine and image). */
  environment?(destination: DestinationConfig, request: SubmitRequest): Record<string, string>;
  /** Extra clean-up after the processes are killed (removing a container by name). */
  afterCancel?(destination: DestinationConfig, marker: Marker | undefined): Promise<void>;
}

export function createLocalRunner(options: LocalRunnerOptions = {}, flavour: LocalRunnerFlavour = { name: 'local' }): JobRunner {
  const stateDirFor = (destination: DestinationConfig) => {
    const base = options.stateDir ?? (typeof destination.params.stateDir === 'string' ? destination.params.stateDir : path.join(os.tmpdir(), 'nebula-local-runner'));
    return path.join(base, destination.id);
  };

  const liveCount = async (dir: string): Promise<number> => {
    const own = ownMarkerFiles();
    const names = (await readdir(dir).catch(() => [] as string[])).filter((n) => n.endsWith('.json'));
    let count = names.filter((n) => own.has(path.join(dir, n))).length;
    const others = await Promise.all(names.filter((n) => !own.has(path.join(dir, n))).map((n) => readMarker(path.join(dir, n))));
    for (const marker of others) {
      if (!marker) continue;
      if (isInProcessId(marker.externalId)) {
        if (await inProcessMarkerLive(marker)) count++;
        continue;
      }
      const id = parseExternalId(marker.externalId);
      if (id.host === os.hostname() && (await isAlive(id))) count++;
    }
    return count;
  };

  /**
   * Throws DestinationFullError when the destination runs its limit of attempts. Until
   * `waitUntil` (epoch ms), a full destination is counted again each time one of this process's
   * in-process attempts ends: the first end may go to another submit, the next to this one.
   */
  const checkCapacity = async (destination: DestinationConfig, dir: string, waitUntil = 0): Promise<void> => {
    const limit = concurrencyOf(destination);
    if (limit === undefined) return;
    for (;;) {
      if ((await liveCount(dir)) < limit) return;
      const left = waitUntil - Date.now();
      // Nothing of this process runs: no end to wait for here (other workers' slots free unseen).
      if (left <= 0 || !(await waitForAnyEnd(left))) throw new DestinationFullError(destination.id, limit);
    }
  };

  const executorEnvironment = (request: SubmitRequest): Record<string, string> => {
    const env: Record<string, string> = {};
    for (const name of INHERITED_ENV) if (process.env[name] !== undefined) env[name] = process.env[name]!;
    return Object.assign(env, request.environment, flavour.environment?.(request.destination, request) ?? {});
  };

  const graceOf = (destination: DestinationConfig) =>
    options.cancelGraceSeconds ?? (typeof destination.params.cancelGraceSeconds === 'number' ? destination.params.cancelGraceSeconds : 5);

  /** The executor already running under `name` on this host: the leader of its own process group. */
  const findRunning = async (fingerprint: string): Promise<ProcessIdentity | undefined> => {
    for (const pid of await findProcessesByEnv('NEBULA_JOB_FINGERPRINT', fingerprint)) {
      const stat = await readProcStat(pid);
      if (stat && stat.pgid === pid && stat.state !== 'Z') return identify(pid);
    }
    return undefined;
  };

  const markerFor = async (destination: DestinationConfig, externalId: string): Promise<Marker | undefined> =>
    (await listMarkers(stateDirFor(destination))).find((m) => m.externalId === externalId);

  return {
    name: flavour.name,

    async submit(request) {
      if (!NAME_PATTERN.test(request.name)) throw new RunnerConfigError(`job name ${JSON.stringify(request.name)} is not a safe runner name`);
      const dir = stateDirFor(request.destination);
      const fingerprint = requestFingerprint(request);
      if (isolationOf(request.destination, flavour.defaultIsolation ?? 'in-process') === 'in-process') {
        const waitUntil = Date.now() + IN_PROCESS_SLOT_WAIT_MS;
        return submitInProcess({
          name: request.name,
          fingerprint,
          destinationId: request.destination.id,
          dir,
          environment: executorEnvironment(request),
          checkCapacity: () => checkCapacity(request.destination, dir, waitUntil),
        });
      }
      if (request.executorCommand.length === 0) throw new RunnerConfigError('executorCommand is empty');
      await mkdir(dir, { recursive: true });
      const base = `${request.name}-${fingerprint}`;
      const markerFile = path.join(dir, `${base}.json`);
      const exitFile = path.join(dir, `${base}.exit`);
      const marker = (externalId: string): Marker => ({ name: request.name, fingerprint, externalId, destination: request.destination.id, submittedAt: new Date().toISOString() });

      const existing = await readMarker(markerFile);
      if (existing) return { externalId: existing.externalId };
      const running = await findRunning(fingerprint);
      if (running) {
        const externalId = formatExternalId(running);
        await writeMarker(markerFile, marker(externalId));
        return { externalId };
      }

      // Claim the name: only one submitter gets past an exclusive create.
      try {
        await (await open(markerFile, 'wx')).close();
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        const claimed = await stat(markerFile).catch(() => null);
        const adopted = (await readMarker(markerFile)) ?? undefined;
        if (adopted) return { externalId: adopted.externalId };
        if (claimed && Date.now() - claimed.mtimeMs < STALE_CLAIM_MS) {
          throw Object.assign(new Error(`job ${request.name} is being submitted by another worker`), { retryable: true });
        }
        // A claim left empty by a crashed submitter. Its executor may have run and ended already
        // (it leaves its exit record): then the attempt is over, never started a second time.
        if (await stat(exitFile).catch(() => null)) {
          const externalId = formatExternalId({ host: os.hostname(), pid: 0, startTime: '0' });
          await writeMarker(markerFile, marker(externalId));
          return { externalId };
        }
        // Its executor never started: take the claim over.
      }

      try {
        await checkCapacity(request.destination, dir);
        const env = Object.assign(executorEnvironment(request), {
          NEBULA_JOB_NAME: request.name,
          NEBULA_JOB_FINGERPRINT: fingerprint,
          NEBULA_DESTINATION: request.destination.id,
          NEBULA_RUNNER_EXIT_FILE: exitFile,
        });
        const logFd = openSync(path.join(dir, `${base}.log`), 'a');
        let pid: number | undefined;
        try {
          const child = spawn(request.executorCommand[0]!, request.executorCommand.slice(1), {
            detached: true,
            stdio: ['ignore', logFd, logFd],
            env,
            cwd: dir,
          });
          await new Promise<void>((resolve, reject) => {
            child.once('spawn', resolve);
            child.once('error', reject);
          });
          child.unref();
          pid = child.pid;
        } finally {
          closeSync(logFd);
        }
        const identity = pid === undefined ? undefined : await identify(pid);
        // A child that exited at once still has an identity of (pid, 0): status will say 'exited'.
        const externalId = formatExternalId(identity ?? { host: os.hostname(), pid: pid ?? 0, startTime: '0' });
        await writeMarker(markerFile, marker(externalId));
        return { externalId };
      } catch (error) {
        // Release the claim so a later submit can try again.
        if (!(await readMarker(markerFile))) await rm(markerFile, { force: true });
        throw error;
      }
    },

    async status(externalId, destination): Promise<AttemptStatus> {
      if (isInProcessId(externalId)) return inProcessStatus(externalId, stateDirFor(destination));
      const id = parseExternalId(externalId);
      if (id.host !== os.hostname()) return { state: 'running' };
      if (await isAlive(id)) return { state: 'running' };
      const marker = await markerFor(destination, externalId);
      if (!marker) return { state: 'gone' };
      const exit = await readFile(path.join(stateDirFor(destination), `${marker.name}-${marker.fingerprint}.exit`), 'utf8').catch(() => '');
      if (!exit) return { state: 'exited', exitCode: null, reason: 'the executor ended without an exit record (killed?)' };
      const record = JSON.parse(exit) as { exitCode: number; error?: string };
      return { state: 'exited', exitCode: record.exitCode, ...(record.error ? { reason: record.error } : {}) };
    },

    async cancel(externalId, destination) {
      if (isInProcessId(externalId)) {
        await cancelInProcess(externalId, stateDirFor(destination), graceOf(destination));
        await flavour.afterCancel?.(destination, await markerFor(destination, externalId));
        return;
      }
      const id = parseExternalId(externalId);
      if (id.host !== os.hostname()) return; // stops itself at its next heartbeat (409)
      const marker = await markerFor(destination, externalId);
      if (await isAlive(id)) {
        const groups = [id.pid, ...(await descendantGroups(id.pid))];
        for (const g of groups) signalGroup(g, 'SIGTERM');
        const deadline = Date.now() + graceOf(destination) * 1000;
        while (Date.now() < deadline && (await isAlive(id))) await new Promise((r) => setTimeout(r, 50));
        for (const g of groups) signalGroup(g, 'SIGKILL');
      }
      await flavour.afterCancel?.(destination, marker);
    },
  };
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // Already gone.
  }
}

export type { Marker as LocalRunnerMarker };
