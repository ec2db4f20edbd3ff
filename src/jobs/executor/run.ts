/**
 * Runs the tool's shell command in its own process group, stdout and stderr going to files in
 * the job directory (never into memory), with a walltime: when it passes, the whole group gets
 * SIGTERM, then SIGKILL after a grace period, so children the tool started die with it.
 */
import { spawn } from 'node:child_process';
import { openSync, closeSync } from 'node:fs';

export interface RunOptions {
  argv: string[];
  cwd: string;
  env: Record<string, string>;
  stdoutFile: string;
  stderrFile: string;
  walltimeSeconds: number;
  killGraceSeconds: number;
  /** Aborted when the attempt is superseded or the executor is told to stop. */
  signal?: AbortSignal;
  /** Extra clean-up when the group is killed (e.g. `podman rm -f` of the container). */
  onKill?: () => Promise<void>;
  /** Told the pid (= process group id) of the tool's shell once it runs: who runs the executor in-process records it to kill orphans. */
  onStart?: (pid: number) => void;
}

export interface RunResult {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  aborted: boolean;
  startedAt: Date;
  finishedAt: Date;
}

export function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // The group is already gone.
  }
}

export async function runInProcessGroup(options: RunOptions): Promise<RunResult> {
  const stdout = openSync(options.stdoutFile, 'w');
  const stderr = openSync(options.stderrFile, 'w');
  const startedAt = new Date();
  let child;
  try {
    child = spawn(options.argv[0]!, options.argv.slice(1), {
      cwd: options.cwd,
      env: options.env,
      stdio: ['ignore', stdout, stderr],
      detached: true, // setsid: a group of its own, so one kill reaches every descendant
    });
  } finally {
    closeSync(stdout);
    closeSync(stderr);
  }
  const pid = child.pid;
  if (pid !== undefined) options.onStart?.(pid);
  let timedOut = false;
  let aborted = false;
  let graceTimer: NodeJS.Timeout | undefined;

  const stop = (why: 'timeout' | 'abort') => {
    if (pid === undefined) return;
    if (why === 'timeout') timedOut = true;
    else aborted = true;
    killGroup(pid, 'SIGTERM');
    void options.onKill?.().catch(() => undefined);
    graceTimer ??= setTimeout(() => killGroup(pid, 'SIGKILL'), options.killGraceSeconds * 1000);
  };
  const walltimeTimer = setTimeout(() => stop('timeout'), options.walltimeSeconds * 1000);
  const onAbort = () => stop('abort');
  options.signal?.addEventListener('abort', onAbort, { once: true });
  if (options.signal?.aborted) onAbort();

  const { exitCode, signal } = await new Promise<{ exitCode: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code, sig) => resolve({ exitCode: code, signal: sig }));
  });
  clearTimeout(walltimeTimer);
  options.signal?.removeEventListener('abort', onAbort);
  // The shell is gone; anything it left behind in its group goes with it.
  if (pid !== undefined) killGroup(pid, 'SIGKILL');
  if (graceTimer) clearTimeout(graceTimer);
  return { exitCode, signal, timedOut, aborted, startedAt, finishedAt: new Date() };
}
