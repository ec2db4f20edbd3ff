/**
 * Runs Slurm's client commands: always execFile with an argument array (never a shell), always
 * with a timeout, and with failures turned into errors a worker can act on: a controller that
 * cannot be reached is retryable and named; anything else is a plain Slurm error.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { SlurmParams } from './params.ts';

export class SlurmUnavailableError extends Error {
  /** The lifecycle should retry the task later rather than fail the job. */
  readonly retryable = true;
  constructor(message: string) {
    super(message);
    this.name = 'SlurmUnavailableError';
  }
}

export class SlurmCommandError extends Error {
  readonly retryable = false;
  constructor(
    message: string,
    readonly stderr: string,
  ) {
    super(message);
    this.name = 'SlurmCommandError';
  }
}

export interface CommandResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

const UNREACHABLE = /Unable to contact slurm controller|Socket timed out|Connection refused|Zero Bytes were transmitted|Communication connection failure/i;

/**
 * Runs one command. A non-zero exit comes back as a result (callers know which messages mean
 * "no such job"); a controller that is down, a missing binary or a timeout throw.
 */
export function runSlurm(
  command: string,
  args: string[],
  params: SlurmParams,
  input?: string,
): Promise<CommandResult> {
  const env = { ...process.env };
  if (params.slurmConf) env.SLURM_CONF = params.slurmConf;
  const timeoutMs = params.commandTimeoutSeconds * 1000;
  return new Promise((resolve, reject) => {
    const child = execFile(
      command,
      args,
      { env, timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 4 * 1024 * 1024, encoding: 'utf8' },
      (error, stdout, stderr) => {
        if (!error) return resolve({ stdout, stderr, exitCode: 0 });
        const err = error as NodeJS.ErrnoException & { killed?: boolean; code?: unknown };
        if (err.code === 'ENOENT') {
          return reject(
            new SlurmCommandError(`${command} not found on PATH: install the Slurm client (Debian package slurm-client)`, ''),
          );
        }
        if (err.killed) {
          return reject(
            new SlurmUnavailableError(
              `${command} did not answer within ${params.commandTimeoutSeconds} s: Slurm controller ${controllerName(params)} unreachable or overloaded`,
            ),
          );
        }
        if (UNREACHABLE.test(stderr)) {
          return reject(
            new SlurmUnavailableError(
              `Slurm controller ${controllerName(params)} unreachable (${command}: ${firstLine(stderr)})`,
            ),
          );
        }
        resolve({ stdout, stderr, exitCode: typeof err.code === 'number' ? err.code : 1 });
      },
    );
    // sbatch reads the batch script from stdin, so secrets in it never reach a command line.
    child.stdin?.on('error', () => {});
    child.stdin?.end(input ?? '');
  });
}

/** The controller named in slurm.conf, for error messages only. */
export function controllerName(params: SlurmParams): string {
  const file = params.slurmConf ?? process.env.SLURM_CONF ?? '/etc/slurm/slurm.conf';
  try {
    const hosts = readFileSync(file, 'utf8')
      .split('\n')
      .map((line) => /^\s*(?:SlurmctldHost|ControlMachine)\s*=\s*(\S+)/i.exec(line)?.[1])
      .filter((h): h is string => !!h);
    if (hosts.length > 0) return `${hosts.join(', ')} (from ${file})`;
  } catch {
    /* configless or unreadable: fall through */
  }
  return `(slurmctld of ${file})`;
}

export function firstLine(text: string): string {
  return text.trim().split('\n')[0] ?? '';
}
