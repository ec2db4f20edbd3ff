/**
 * One `listNamespacedJob` answers the status of every Kubernetes Job a worker process is
 * watching in a namespace (why: ../shared-listing.ts). A Job missing from it (created after the
 * listing, created before the destination label existed, or gone) is read by name by the caller.
 */
import type { V1Job } from '@kubernetes/client-node';
import type { KubeClient } from './client.ts';
import { SharedListings } from '../shared-listing.ts';

/** How long a listing answers for; a Job's status seen through it is at most this old. */
export const LISTING_MAX_AGE_MS = 1000;

/** Per client (credentials differ in what they may see), then per namespace and selector. */
let listings = new WeakMap<KubeClient, SharedListings<V1Job>>();

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
  let perClient = listings.get(client);
  if (!perClient) listings.set(client, (perClient = new SharedListings<V1Job>(LISTING_MAX_AGE_MS)));
  return (await perClient.get(`${namespace}\0${selector}`, () => listJobs(client, namespace, selector))).get(name);
}

/** Drops every listing, so the next status call lists again (tests that move a Job along quickly). */
export function forgetJobListings(): void {
  listings = new WeakMap();
}
