/**
 * Slurm job states → the runner vocabulary (queued, running, exited, gone).
 * Source: the JOB STATE CODES section of squeue(1).
 */
import type { AttemptStatus } from '../../interfaces.ts';

const QUEUED = new Set(['PENDING', 'CONFIGURING', 'REQUEUED', 'REQUEUE_HOLD', 'REQUEUE_FED', 'RESV_DEL_HOLD']);
const RUNNING = new Set(['RUNNING', 'COMPLETING', 'SIGNALING', 'STAGE_OUT', 'RESIZING', 'SUSPENDED', 'STOPPED']);
const EXITED = new Set([
  'COMPLETED',
  'FAILED',
  'TIMEOUT',
  'CANCELLED',
  'OUT_OF_MEMORY',
  'NODE_FAIL',
  'BOOT_FAIL',
  'DEADLINE',
  'PREEMPTED',
  'SPECIAL_EXIT',
  'REVOKED',
]);

/** Parses `scontrol show job -o` output (one line of Key=Value pairs). */
export function parseScontrolLine(line: string): Record<string, string> {
  const fields: Record<string, string> = {};
  // Values never contain spaces except in a few free-text fields we do not read.
  for (const token of line.trim().split(/\s+/)) {
    const eq = token.indexOf('=');
    if (eq > 0) fields[token.slice(0, eq)] = token.slice(eq + 1);
  }
  return fields;
}

/** A pending or running Slurm state → its status; undefined for any other state. */
export function liveStatus(slurmState: string): AttemptStatus | undefined {
  if (QUEUED.has(slurmState)) return { state: 'queued' };
  if (RUNNING.has(slurmState)) return { state: 'running' };
  return undefined;
}

export function attemptStatusFromScontrol(fields: Record<string, string>): AttemptStatus {
  // "CANCELLED by 0" in some versions' squeue; scontrol gives the bare word.
  const state = (fields.JobState ?? '').split(/[\s+]/)[0]!.toUpperCase();
  const live = liveStatus(state);
  if (live) return live;
  if (EXITED.has(state)) {
    const [code, signal] = (fields.ExitCode ?? '').split(':').map((n) => Number.parseInt(n, 10));
    const exitCode = Number.isInteger(code) ? code : null;
    const details = [state.toLowerCase()];
    if (signal) details.push(`signal ${signal}`);
    if (fields.Reason && fields.Reason !== 'None') details.push(fields.Reason);
    return { state: 'exited', exitCode, reason: details.join(', ') };
  }
  // A state this code does not know: keep waiting rather than start a second attempt; the
  // lifecycle's heartbeat bound catches a job that really is stuck.
  return { state: 'queued' };
}
