/**
 * A fingerprint of one attempt that a runner stores with the job it submits (a Slurm comment, a
 * Kubernetes annotation) and checks before adopting a job found under the attempt's name.
 *
 * Names like `nebula-<job id>-<attempt>` repeat across installations and across databases that
 * share a cluster (job ids restart at 1), so a name alone could adopt someone else's job. The job
 * token is derived from the installation's secret and the job's uuid, so a one-way hash of it
 * tells our attempt apart without revealing the token.
 */
import { createHash } from 'node:crypto';
import type { SubmitRequest } from '../interfaces.ts';

export function attemptMark(request: SubmitRequest): string | undefined {
  const token = request.environment.NEBULA_JOB_TOKEN;
  if (!token) return undefined;
  return createHash('sha256').update(`nebula-attempt-mark:${token}`).digest('hex').slice(0, 32);
}
