/**
 * The runner registry: `destination.runner` → JobRunner. The lifecycle never names a runner; it
 * looks one up here. Each runner lives in its own file and exports a factory.
 */
import type { JobRunner } from '../interfaces.ts';
import { createContainerRunner } from './container.ts';
import { createLocalRunner, type LocalRunnerOptions } from './local.ts';
import { createSlurmRunner } from './slurm.ts';
import { createKubernetesRunner } from './kubernetes.ts';

export { DestinationFullError, RunnerConfigError } from './local.ts';

export interface RunnerOptions extends LocalRunnerOptions {}

type RunnerFactory = (options: RunnerOptions) => JobRunner;

const factories: Record<string, RunnerFactory> = {
  local: (options) => createLocalRunner(options),
  container: (options) => createContainerRunner(options),
  slurm: () => createSlurmRunner(),
  kubernetes: () => createKubernetesRunner(),
};

const instances = new Map<string, JobRunner>();

export class UnknownRunnerError extends Error {
  override name = 'UnknownRunnerError';
}

/** The runner named `name`, one shared instance per name and options. */
export function getRunner(name: string, options: RunnerOptions = {}): JobRunner {
  const factory = factories[name];
  if (!factory) throw new UnknownRunnerError(`unknown job runner ${JSON.stringify(name)} (known: ${Object.keys(factories).join(', ')})`);
  const cacheKey = `${name}\0${JSON.stringify(options)}`;
  let runner = instances.get(cacheKey);
  if (!runner) instances.set(cacheKey, (runner = factory(options)));
  return runner;
}

export function runnerNames(): string[] {
  return Object.keys(factories);
}
