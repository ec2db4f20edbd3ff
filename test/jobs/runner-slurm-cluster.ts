/**
 * The real single-node Slurm the Slurm runner tests use, started through scripts/slurm.sh.
 * If it cannot start, the calling test fails with the script's reason: never a silent skip.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import type { AttemptStatus, DestinationConfig, JobRunner } from '../../src/jobs/interfaces.ts';

const run = promisify(execFile);
const SCRIPT = path.resolve('scripts/slurm.sh');

export const SLURM_CONF = path.join(process.env.NEBULA_SLURM_DIR ?? '/tmp/nebula-slurm', 'slurm.conf');

/** Starts Slurm if needed (idempotent) and returns the path of its slurm.conf. */
export async function ensureSlurm(): Promise<string> {
  try {
    await run('bash', [SCRIPT, 'start'], { timeout: 120_000 });
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string; message: string };
    throw new Error(`Slurm could not be started by scripts/slurm.sh start: ${err.stderr || err.stdout || err.message}`);
  }
  return SLURM_CONF;
}

export async function slurmCommand(args: string[]): Promise<string> {
  const [cmd, ...rest] = args;
  const { stdout } = await run(cmd!, rest, { env: { ...process.env, SLURM_CONF } });
  return stdout;
}

export async function waitForStatus(
  runner: JobRunner,
  externalId: string,
  destination: DestinationConfig,
  want: (s: AttemptStatus) => boolean,
  timeoutMs = 60_000,
): Promise<AttemptStatus> {
  const end = Date.now() + timeoutMs;
  let last: AttemptStatus | undefined;
  while (Date.now() < end) {
    last = await runner.status(externalId, destination);
    if (want(last)) return last;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`Slurm job ${externalId} never reached the wanted state; last: ${JSON.stringify(last)}`);
}
