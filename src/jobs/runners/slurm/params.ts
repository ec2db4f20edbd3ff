/**
 * The `params` of a destination whose runner is `slurm`, validated once per call so that a bad
 * configuration names the destination and the key instead of failing inside sbatch.
 */
import type { DestinationConfig } from '../../interfaces.ts';

export interface SlurmParams {
  /** `--partition`; the cluster's default partition when absent. */
  partition?: string;
  /** Path of slurm.conf for the client commands (SLURM_CONF); the system default when absent. */
  slurmConf?: string;
  /**
   * A directory that exists on every compute node for the batch output (`%x-%j.out/err`).
   * Node-local: nothing is shared with the server. `/dev/null` when absent.
   */
  logDir?: string;
  /** `--chdir` of the batch job; must exist on compute nodes (the executor makes its own scratch). */
  workDir: string;
  /** Added to the walltime for `--time`, so the executor can report after killing a tool at its walltime. */
  walltimeGraceSeconds: number;
  /** Bound on each sbatch/squeue/scontrol/scancel call. */
  commandTimeoutSeconds: number;
  /** Extra sbatch options such as `--account=lab` or `--qos=short`. */
  extraArgs: string[];
  /** Extra environment for the executor (e.g. PATH on the nodes); the request's environment wins. */
  environment: Record<string, string>;
}

export class SlurmConfigError extends Error {
  readonly retryable = false;
  constructor(message: string) {
    super(message);
    this.name = 'SlurmConfigError';
  }
}

export function parseSlurmParams(destination: DestinationConfig): SlurmParams {
  const p = destination.params ?? {};
  const where = `jobs.destinations[${destination.id}].params`;
  const optionalString = (key: string): string | undefined => {
    const v = p[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'string' || v.length === 0) throw new SlurmConfigError(`${where}.${key}: must be a non-empty string`);
    return v;
  };
  const positiveNumber = (key: string, fallback: number): number => {
    const v = p[key];
    if (v === undefined) return fallback;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
      throw new SlurmConfigError(`${where}.${key}: must be a number >= 0`);
    }
    return v;
  };

  const extraArgs = p.extraArgs ?? [];
  if (!Array.isArray(extraArgs) || extraArgs.some((a) => typeof a !== 'string' || !a.startsWith('--'))) {
    throw new SlurmConfigError(`${where}.extraArgs: must be a list of long sbatch options such as "--account=lab"`);
  }

  const environment = p.environment ?? {};
  if (typeof environment !== 'object' || environment === null || Array.isArray(environment)) {
    throw new SlurmConfigError(`${where}.environment: must be a map of variable names to strings`);
  }
  for (const [k, v] of Object.entries(environment)) {
    if (typeof v !== 'string') throw new SlurmConfigError(`${where}.environment.${k}: must be a string`);
  }

  const partition = optionalString('partition');
  if (partition !== undefined && !/^[A-Za-z0-9_.,-]+$/.test(partition)) {
    throw new SlurmConfigError(`${where}.partition: "${partition}" is not a partition name`);
  }

  return {
    partition,
    slurmConf: optionalString('slurmConf'),
    logDir: optionalString('logDir'),
    workDir: optionalString('workDir') ?? '/tmp',
    walltimeGraceSeconds: positiveNumber('walltimeGraceSeconds', 60),
    commandTimeoutSeconds: positiveNumber('commandTimeoutSeconds', 45) || 45,
    extraArgs: extraArgs as string[],
    environment: environment as Record<string, string>,
  };
}
