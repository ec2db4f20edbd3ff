/**
 * Reference data for one job: the `bundle:<sha>/<path>` values in the data table rows of the
 * spec are staged through the node cache (each bundle fetched and unpacked once per node, shared
 * by every job there) and linked into `<job dir>/reference/<sha>`, so an eviction while the job
 * runs cannot take files away from it and a container sees them inside the job directory.
 * And for data manager jobs, each output's extra files are stored as a reference bundle.
 */
import path from 'node:path';
// From the modules themselves, not the datatables barrel: that one brings the database layer
// (data managers), which the executor never uses, into its start-up.
import { bundlesIn, snapshotRecords } from '../../datatables/job-rows.ts';
import { storeDirectoryAsBundle } from '../../datatables/reference-bundle.ts';
import type { ObjectStore } from '../../objectstore/index.ts';
import { bundleKey } from '../../toolstore/bundle.ts';
import type { DataTableRow } from '../../tools/parameters/values.ts';
import type { JobSpec, ReportedOutput } from '../interfaces.ts';
import type { JobDirectory } from './job-dir.ts';
import { linkTree, type NodeCache } from './node-cache.ts';

export async function stageReferences(store: ObjectStore, cache: NodeCache, spec: JobSpec, dir: JobDirectory): Promise<Map<string, DataTableRow[]>> {
  const local = new Map<string, string>();
  for (const sha of bundlesIn(spec.dataTables)) {
    let unpacked: string;
    try {
      unpacked = await cache.bundle(store, bundleKey(sha));
    } catch (error) {
      throw new Error(`staging reference bundle ${sha.slice(0, 12)} failed: ${(error as Error).message}`, { cause: error });
    }
    const target = path.join(dir.root, 'reference', sha);
    await linkTree(unpacked, target);
    local.set(sha, target);
  }
  return snapshotRecords(spec.dataTables, (sha, rel) => (rel ? path.join(local.get(sha)!, rel) : local.get(sha)!));
}

/** Stores each output's extra files directory as a reference bundle and notes it in the report. */
export async function storeExtraFilesBundles(store: ObjectStore, spec: JobSpec, dir: JobDirectory, outputs: ReportedOutput[]): Promise<void> {
  for (const [index, out] of spec.outputs.entries()) {
    const reported = outputs.find((o) => o.name === out.name);
    if (!reported) continue;
    const root = path.join(dir.outputs, `output_${index}_files`);
    const stored = await storeDirectoryAsBundle(store, root);
    if (stored) reported.extraFiles = { ...stored, root };
  }
}
