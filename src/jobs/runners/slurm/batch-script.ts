/**
 * The sbatch argument list and the batch script for one attempt.
 *
 * The executor's environment (including the job token) goes into the script body, which sbatch
 * reads from stdin: it never appears on a command line (`ps`, `squeue`, `scontrol show job`
 * show neither) and never touches a disk we manage. `--export=NONE` keeps the worker's own
 * environment (database URL, secrets) out of the job.
 */
import type { SubmitRequest } from '../../interfaces.ts';
import type { SlurmParams } from './params.ts';

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const JOB_NAME = /^[A-Za-z0-9._-]{1,128}$/;

export function assertJobName(name: string): void {
  if (!JOB_NAME.test(name)) {
    throw new Error(`Slurm job name "${name}" must be 1-128 characters of letters, digits, '.', '_' or '-'`);
  }
}

/** POSIX single-quoting: the value reaches the executor byte for byte, whatever it contains. */
export function shellQuote(value: string): string {
  if (value.includes('\0')) throw new Error('a value for the batch script contains a NUL byte');
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

export function batchScript(request: SubmitRequest, params: SlurmParams): string {
  if (request.executorCommand.length === 0) throw new Error('executorCommand is empty');
  const environment = { ...params.environment, ...request.environment };
  const lines = ['#!/bin/bash', `# Nebula job ${request.jobId}, attempt ${request.attempt}`];
  for (const [key, value] of Object.entries(environment)) {
    if (!ENV_NAME.test(key)) throw new Error(`environment variable name "${key}" is not valid`);
    lines.push(`export ${key}=${shellQuote(value)}`);
  }
  lines.push(`exec ${request.executorCommand.map(shellQuote).join(' ')}`);
  return lines.join('\n') + '\n';
}

export function sbatchArgs(request: SubmitRequest, params: SlurmParams): string[] {
  const { cores, memoryMb, walltimeSeconds } = request.resources;
  const minutes = Math.max(1, Math.ceil((walltimeSeconds + params.walltimeGraceSeconds) / 60));
  const output = params.logDir ? `${params.logDir.replace(/\/+$/, '')}/%x-%j.out` : '/dev/null';
  const error = params.logDir ? `${params.logDir.replace(/\/+$/, '')}/%x-%j.err` : '/dev/null';
  const args = [
    '--parsable',
    `--job-name=${request.name}`,
    `--cpus-per-task=${Math.max(1, Math.ceil(cores))}`,
    `--mem=${Math.max(1, Math.ceil(memoryMb))}`,
    `--time=${minutes}`,
    `--output=${output}`,
    `--error=${error}`,
    `--chdir=${params.workDir}`,
    '--export=NONE',
    // A node failure must not silently run the same attempt again: the lifecycle decides retries.
    '--no-requeue',
  ];
  if (params.partition) args.push(`--partition=${params.partition}`);
  args.push(...params.extraArgs);
  return args;
}
