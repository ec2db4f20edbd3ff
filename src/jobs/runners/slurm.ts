/**
 * The `slurm` runner: one batch job per attempt through sbatch, squeue, scontrol and scancel.
 *
 * The Slurm job name is the request's deterministic name, so a worker that crashed between
 * sbatch and the database commit finds the job on the next try and adopts it instead of
 * submitting a second one. Nothing is shared with the server: the executor stages its own data
 * and the batch output goes to a node-local directory or /dev/null.
 */
import type { AttemptStatus, DestinationConfig, JobRunner, SubmitRequest } from '../interfaces.ts';
import { attemptMark } from './attempt-mark.ts';
import { assertJobName, batchScript, sbatchArgs } from './slurm/batch-script.ts';
import { SlurmCommandError, firstLine, runSlurm } from './slurm/commands.ts';
import { attemptStatusFromScontrol, liveStatus, parseScontrolLine } from './slurm/job-state.ts';
import { listedState } from './slurm/queue-snapshot.ts';
import { parseSlurmParams, type SlurmParams } from './slurm/params.ts';

export { SlurmUnavailableError, SlurmCommandError } from './slurm/commands.ts';
export { SlurmConfigError } from './slurm/params.ts';

const NO_SUCH_JOB = /Invalid job id specified/i;
const ALREADY_FINISHED = /already completing or completed|Job\/step already completing/i;
const SLURM_JOB_ID = /^\d+(_\d+)?$/;

export function createSlurmRunner(): JobRunner {
  return {
    name: 'slurm',
    submit,
    status,
    cancel,
  };
}

async function submit(request: SubmitRequest): Promise<{ externalId: string }> {
  const params = parseSlurmParams(request.destination);
  assertJobName(request.name);
  const mark = attemptMark(request);
  const existing = await findByName(request.name, mark, params);
  if (existing) return { externalId: existing };

  const script = batchScript(request, params);
  const args = sbatchArgs(request, params);
  if (mark) args.push(`--comment=nebula:${mark}`);
  const result = await runSlurm('sbatch', args, params, script);
  if (result.exitCode !== 0) {
    throw new SlurmCommandError(`sbatch refused job ${request.name}: ${firstLine(result.stderr)}`, result.stderr);
  }
  // --parsable prints "<id>" or "<id>;<cluster>".
  const externalId = result.stdout.trim().split(';')[0] ?? '';
  if (!SLURM_JOB_ID.test(externalId)) {
    throw new SlurmCommandError(`sbatch printed no job id for ${request.name}: "${result.stdout.trim()}"`, result.stderr);
  }
  return { externalId };
}

/**
 * The Slurm job already submitted for this attempt, in any state the controller still remembers
 * (pending, running, or finished within MinJobAge): same name and, when the attempt has a mark,
 * the same mark in its comment (another installation's job may share the name). The lowest id
 * wins if there are several.
 */
async function findByName(name: string, mark: string | undefined, params: SlurmParams): Promise<string | undefined> {
  const result = await runSlurm('squeue', ['--noheader', '--states=all', `--name=${name}`, '--format=%i|%k'], params);
  if (result.exitCode !== 0) {
    throw new SlurmCommandError(`squeue could not look up job name ${name}: ${firstLine(result.stderr)}`, result.stderr);
  }
  const ids = result.stdout
    .split('\n')
    .map((line) => line.trim().split('|'))
    .filter(([id, comment]) => SLURM_JOB_ID.test(id ?? '') && (!mark || comment === `nebula:${mark}`))
    .map(([id]) => id!)
    .sort((a, b) => Number.parseInt(a, 10) - Number.parseInt(b, 10));
  return ids[0];
}

async function status(externalId: string, destination: DestinationConfig): Promise<AttemptStatus> {
  const params = parseSlurmParams(destination);
  assertJobId(externalId);
  const listed = await listedState(externalId, params).catch(() => undefined);
  const live = listed === undefined ? undefined : liveStatus(listed);
  if (live) return live;
  const result = await runSlurm('scontrol', ['show', 'job', '--oneliner', externalId], params);
  if (result.exitCode !== 0) {
    if (NO_SUCH_JOB.test(result.stderr)) return { state: 'gone' };
    throw new SlurmCommandError(`scontrol show job ${externalId} failed: ${firstLine(result.stderr)}`, result.stderr);
  }
  const line = result.stdout.split('\n').find((l) => l.startsWith(`JobId=${externalId} `) || l.startsWith('JobId='));
  if (!line) return { state: 'gone' };
  return attemptStatusFromScontrol(parseScontrolLine(line));
}

async function cancel(externalId: string, destination: DestinationConfig): Promise<void> {
  const params = parseSlurmParams(destination);
  assertJobId(externalId);
  const result = await runSlurm('scancel', [externalId], params);
  if (result.exitCode === 0) return;
  if (NO_SUCH_JOB.test(result.stderr) || ALREADY_FINISHED.test(result.stderr)) return;
  throw new SlurmCommandError(`scancel ${externalId} failed: ${firstLine(result.stderr)}`, result.stderr);
}

function assertJobId(externalId: string): void {
  if (!SLURM_JOB_ID.test(externalId)) throw new Error(`"${externalId}" is not a Slurm job id`);
}
