/**
 * The container runner: the local runner, with the executor told to wrap the tool's command in a
 * container (podman, docker or apptainer). Staging and collection stay on the host; only the
 * tool runs inside, with the job directory bind-mounted and the image read-only.
 *
 * Destination params: engine (podman|docker|apptainer, default podman), image (used when the job
 * spec names no container), network (default false; a tool's own request also allows it),
 * shell (default bash), args (extra engine arguments), plus the local runner's concurrency.
 */
import { spawn } from 'node:child_process';
import { containerRemoveArgv, parseEngine } from '../executor/container.ts';
import type { DestinationConfig } from '../interfaces.ts';
import { createLocalRunner, RunnerConfigError, type LocalRunnerOptions } from './local.ts';

export function containerEnvironment(destination: DestinationConfig): Record<string, string> {
  const p = destination.params;
  const engine = parseEngine(p.engine ?? 'podman');
  const env: Record<string, string> = { NEBULA_CONTAINER_ENGINE: engine };
  if (p.image !== undefined) {
    if (typeof p.image !== 'string' || !p.image) throw new RunnerConfigError(`destination ${destination.id}: params.image must be a non-empty string`);
    env.NEBULA_CONTAINER_IMAGE = p.image;
  }
  if (p.network !== undefined) env.NEBULA_CONTAINER_NETWORK = p.network === true ? 'true' : 'false';
  if (p.shell !== undefined) {
    if (typeof p.shell !== 'string' || !/^[A-Za-z0-9_./-]+$/.test(p.shell)) throw new RunnerConfigError(`destination ${destination.id}: params.shell must be a program name or path`);
    env.NEBULA_CONTAINER_SHELL = p.shell;
  }
  if (p.args !== undefined) {
    if (!Array.isArray(p.args) || !p.args.every((a) => typeof a === 'string')) throw new RunnerConfigError(`destination ${destination.id}: params.args must be a list of strings`);
    env.NEBULA_CONTAINER_ARGS = JSON.stringify(p.args);
  }
  return env;
}

export function createContainerRunner(options: LocalRunnerOptions = {}) {
  return createLocalRunner(options, {
    name: 'container',
    // The engine client inherits the executor's environment: keep it in a process of its own.
    defaultIsolation: 'process',
    environment: (destination) => containerEnvironment(destination),
    // A killed engine client can leave its container running: remove it by its deterministic name.
    async afterCancel(destination, marker) {
      if (!marker) return;
      const argv = containerRemoveArgv(parseEngine(destination.params.engine ?? 'podman'), `${marker.name}-${marker.fingerprint}`);
      if (!argv) return;
      await new Promise<void>((resolve) => {
        const child = spawn(argv[0]!, argv.slice(1), { stdio: 'ignore' });
        child.once('error', () => resolve());
        child.once('exit', () => resolve());
      });
    },
  });
}
