/** A batch/v1 Job's status → the runner vocabulary (queued, running, exited). */
import type { V1Job } from '@kubernetes/client-node';
import type { AttemptStatus } from '../../interfaces.ts';

export function attemptStatusFromJob(job: V1Job): AttemptStatus {
  const status = job.status ?? {};
  const condition = (type: string) =>
    status.conditions?.find((c) => c.type === type && String(c.status) === 'True');

  const complete = condition('Complete');
  if (complete || (status.succeeded ?? 0) > 0) return { state: 'exited', exitCode: 0, reason: 'complete' };

  const failed = condition('Failed');
  if (failed || (status.failed ?? 0) > 0) {
    // DeadlineExceeded = walltime; BackoffLimitExceeded = the pod failed (exit code is in the report).
    const why = [failed?.reason, failed?.message].filter(Boolean).join(': ');
    return { state: 'exited', exitCode: null, reason: why ? `failed: ${why}` : 'failed' };
  }

  if (job.metadata?.deletionTimestamp) return { state: 'exited', exitCode: null, reason: 'deleted (cancelled)' };

  if ((status.active ?? 0) > 0) {
    // `ready` counts pods whose containers run; clusters older than 1.24 lack it, and then an
    // active pod is the best sign of running there is.
    if (status.ready === undefined || status.ready === null || status.ready > 0) return { state: 'running' };
  }
  return { state: 'queued' };
}
