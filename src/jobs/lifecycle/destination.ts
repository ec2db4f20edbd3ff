import type { Config } from '../../config/schema.ts';
import type { DestinationConfig } from '../interfaces.ts';

/** `*` matches any run of characters; everything else literally. */
function globMatches(glob: string, value: string): boolean {
  const re = new RegExp(`^${glob.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
  return re.test(value);
}

/**
 * The destination of a job: the first rule whose conditions all hold (tool id or glob, at least
 * minCores cores, at least minMemoryMb memory requested), else the default destination.
 */
export function chooseDestination(
  jobs: Config['jobs'],
  job: { toolId: string; cores: number; memoryMb: number },
): DestinationConfig {
  const rule = jobs.rules.find(
    (r) =>
      (r.tool === undefined || globMatches(r.tool, job.toolId)) &&
      (r.minCores === undefined || job.cores >= r.minCores) &&
      (r.minMemoryMb === undefined || job.memoryMb >= r.minMemoryMb),
  );
  const id = rule?.destination ?? jobs.defaultDestination;
  const destination = jobs.destinations.find((d) => d.id === id);
  // Configuration loading checks every rule names a destination; a hand-built config may not.
  if (!destination) throw new Error(`job destination "${id}" is not configured`);
  return destination;
}

export function destinationById(jobs: Config['jobs'], id: string | null): DestinationConfig | undefined {
  return jobs.destinations.find((d) => d.id === id);
}
