/**
 * One `listNamespacedJob` answers the status of every Kubernetes Job a worker process is
 * watching in a namespace.
 *
 * Each running job has its own job.monitor task polling every few seconds, and a worker runs
 * many of them at once: one GET per Job per poll grows with the number of running jobs and
 * loads the API server for nothing. Calls that arrive while a listing of the same namespace and
 * selector is fresh or in flight share it. A Job missing from it (created after the listing,
 * created before the destination label existed, or gone) is read by name by the caller.
 */
import type { V1Job } from '@kubernetes/client-node';
import type { KubeClient } from './client.ts';

/** How long a listing answers for; a Job's status seen through it is at most this old. */
export const LISTING_MAX_AGE_MS = 1000;

interface Listing {
  takenAt: number;
  jobs: Promise<Map<string, V1Job>>;
}

/** Per client (credentials differ in what they may see), per namespace and selector. */
let listings = new WeakMap<KubeClient, Map<string, Listing>>();

async function listJobs(client: KubeClient, namespace: string, selector: string): Promise<Map<string, V1Job>> {
  const byName = new Map<string, V1Job>();
  for (const job of await client.listJobs(namespace, selector)) {
    const name = job.metadata?.name;
    if (name) byName.set(name, job);
  }
  return byName;
}

/** The Job as seen in a listing at most LISTING_MAX_AGE_MS old, or undefined if it is not listed. */
export async function listedJob(client: KubeClient, namespace: string, selector: string, name: string): Promise<V1Job | undefined> {
  const perClient = listings.get(client) ?? new Map<string, Listing>();
  listings.set(client, perClient);
  const key = `${namespace}\0${selector}`;
  let listing = perClient.get(key);
  if (!listing || Date.now() - listing.takenAt > LISTING_MAX_AGE_MS) {
    const fresh: Listing = { takenAt: Date.now(), jobs: listJobs(client, namespace, selector) };
    perClient.set(key, fresh);
    // A failed listing must not be served to the next callers.
    fresh.jobs.catch(() => perClient.get(key) === fresh && perClient.delete(key));
    listing = fresh;
  }
  return (await listing.jobs).get(name);
}

/** Drops every listing, so the next status call lists again (tests that move a Job along quickly). */
export function forgetJobListings(): void {
  listings = new WeakMap();
}
