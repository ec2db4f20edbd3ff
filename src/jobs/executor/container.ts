/**
 * Wraps the tool's shell command in a container: the image read-only, the job directory bind-
 * mounted at the same path (so every rendered path stays valid), no network unless the tool or
 * destination asks, the job's cores and memory as limits. Only argv is built here; nothing is
 * quoted for a shell, because nothing goes through one.
 */
export type ContainerEngine = 'podman' | 'docker' | 'apptainer';

export interface ContainerRun {
  engine: ContainerEngine;
  /** Pinned by digest where possible (`repo@sha256:...`), or a local image name in tests. */
  image: string;
  /** Deterministic per (job, attempt), so a cancel or timeout can remove the container by name. */
  name: string;
  jobDirectory: string;
  workingDirectory: string;
  network: boolean;
  cores: number;
  memoryMb: number;
  env: Record<string, string>;
  /** The shell and its script, e.g. ['bash', '-c', 'set -e\nsort ...']. */
  command: string[];
  user?: { uid: number; gid: number };
  extraArgs?: string[];
}

export class ContainerConfigError extends Error {
  override name = 'ContainerConfigError';
}

export function parseEngine(value: unknown): ContainerEngine {
  if (value === 'podman' || value === 'docker' || value === 'apptainer') return value;
  throw new ContainerConfigError(`container engine must be podman, docker or apptainer, got ${JSON.stringify(value)}`);
}

const IMAGE_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._\/:@-]*$/;

export function containerArgv(run: ContainerRun): string[] {
  if (!IMAGE_PATTERN.test(run.image)) throw new ContainerConfigError(`not a container image reference: ${JSON.stringify(run.image)}`);
  const envArgs = (flag: string) => Object.entries(run.env).flatMap(([k, v]) => [flag, `${k}=${v}`]);
  if (run.engine === 'apptainer') {
    // Apptainer images are read-only by nature; --containall keeps the host's home and /tmp out.
    return [
      'apptainer', 'exec', '--containall', '--cleanenv', '--no-home',
      ...(run.network ? [] : ['--net', '--network', 'none']),
      '--bind', `${run.jobDirectory}:${run.jobDirectory}`,
      '--pwd', run.workingDirectory,
      ...envArgs('--env'),
      ...(run.extraArgs ?? []),
      `docker://${run.image}`,
      ...run.command,
    ];
  }
  const user = run.user ?? { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 };
  return [
    run.engine, 'run', '--rm', '--name', run.name,
    ...(run.network ? [] : ['--network', 'none']), // with network: the engine's default network
    '--read-only', '--tmpfs', '/tmp',
    '-v', `${run.jobDirectory}:${run.jobDirectory}`,
    '-w', run.workingDirectory,
    '--user', `${user.uid}:${user.gid}`,
    '--ulimit', 'nofile=20000:20000', '--ulimit', 'nproc=4096:4096',
    '--cpus', String(run.cores),
    ...(run.memoryMb > 0 ? ['--memory', `${run.memoryMb}m`] : []),
    ...envArgs('-e'),
    ...(run.extraArgs ?? []),
    run.image,
    ...run.command,
  ];
}

/** The command that removes a container left behind by a killed client; apptainer leaves none. */
export function containerRemoveArgv(engine: ContainerEngine, name: string): string[] | undefined {
  if (engine === 'apptainer') return undefined;
  return [engine, 'rm', '-f', ...(engine === 'podman' ? ['--time', '0'] : []), name];
}
