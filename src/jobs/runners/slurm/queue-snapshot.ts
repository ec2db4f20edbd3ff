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

/** How long a listing answers for; a job's state seen through it is at most this old. */
export const SNAPSHOT_MAX_AGE_MS = 1000;

interface Snapshot {
  takenAt: number;
  states: Promise<Map<string, string>>;
}

const snapshots = new Map<string, Snapshot>();
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
  const key = params.slurmConf ?? '';
  let snapshot = snapshots.get(key);
  if (!snapshot || Date.now() - snapshot.takenAt > SNAPSHOT_MAX_AGE_MS) {
    snapshot = { takenAt: Date.now(), states: listQueue(params) };
    snapshots.set(key, snapshot);
    // A failed listing must not be served to the next callers.
    snapshot.states.catch(() => snapshots.get(key) === snapshot && snapshots.delete(key));
  }
  return (await snapshot.states).get(externalId);
}
