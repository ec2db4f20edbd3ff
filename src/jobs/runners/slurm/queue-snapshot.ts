/**
 * One `squeue` answers the status of every Slurm job a worker process is watching.
 *
 * Each running job has its own job.monitor task polling every few seconds, and a worker runs
 * many of them at once: asking `scontrol show job` per job costs a process and a controller RPC
 * per job per poll (a hundred running jobs meant some 35 calls a second on the test cluster,
 * enough to starve a two-core node). Calls that arrive while a listing is fresh or in flight
 * share it. Only pending and running states are answered from the listing: a job missing from
 * it (submitted since, or already forgotten) or finished (its exit code is not in squeue's
 * output) is asked about with scontrol by the caller.
 */
import { SlurmCommandError, firstLine, runSlurm } from './commands.ts';
import type { SlurmParams } from './params.ts';
import { SharedListings } from '../shared-listing.ts';

/** How long a listing answers for; a job's state seen through it is at most this old. */
export const SNAPSHOT_MAX_AGE_MS = 1000;

const queues = new SharedListings<string>(SNAPSHOT_MAX_AGE_MS);
let listingsTaken = 0;

/** How many squeue listings this process has run (for tests and debugging). */
export const queueListingsTaken = (): number => listingsTaken;

async function listQueue(params: SlurmParams): Promise<Map<string, string>> {
  listingsTaken++;
  // --me: on a shared cluster, only Nebula's own jobs (the user it submits as).
  const result = await runSlurm('squeue', ['--noheader', '--me', '--states=all', '--format=%i|%T'], params);
  if (result.exitCode !== 0) throw new SlurmCommandError(`squeue could not list the queue: ${firstLine(result.stderr)}`, result.stderr);
  const states = new Map<string, string>();
  for (const line of result.stdout.split('\n')) {
    const [id, state] = line.trim().split('|');
    if (id && state) states.set(id, state.toUpperCase());
  }
  return states;
}

/** The job's state in a listing at most SNAPSHOT_MAX_AGE_MS old, or undefined if it is not listed. */
export async function listedState(externalId: string, params: SlurmParams): Promise<string | undefined> {
  // One listing per cluster (slurm.conf).
  return (await queues.get(params.slurmConf ?? '', () => listQueue(params))).get(externalId);
}
