/**
 * Tool tests run through the job executor itself (`executeJob`, src/jobs/executor), not through a
 * copy of it. What the server provides to an executor is provided locally instead:
 *
 * - the object store is a temporary FileObjectStore holding the tool's bundle (made exactly as
 *   `nebula tool register` makes it) and the test's input files;
 * - the server's spec / heartbeat / report endpoints are a JobServerClient that hands out the
 *   test's JobSpec and keeps the report.
 *
 * So staging (node cache, tool bundle, inputs), rendering, running (process group, walltime,
 * GALAXY_SLOTS, `set -e`, stdio rules) and collecting (from_work_dir, discover_datasets, formats,
 * metadata) are the server's code path, step for step.
 */
import { randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { buffer } from 'node:stream/consumers';
import type { JobReport, JobSpec } from '../jobs/interfaces.ts';
import type { JobServerClient } from '../jobs/executor/client.ts';
import { executeJob } from '../jobs/executor/execute.ts';
import { NodeCache } from '../jobs/executor/node-cache.ts';
import { datasetKey } from '../objectstore/keys.ts';
import { FileObjectStore } from '../objectstore/file.ts';
import { makeBundle, putBundle, readToolDirectory } from '../toolstore/bundle.ts';

/** Inputs are hard-linked from the node cache, as on a job node; this bounds that cache. */
const NODE_CACHE_BYTES = 1024 * 1024 * 1024;

export interface ExecuteTestJobOptions {
  keepScratch: boolean;
  killGraceSeconds: number;
}

/** One `nebula tool test` run: a temporary store, node cache and scratch shared by its tests. */
export class LocalExecution {
  readonly store: FileObjectStore;
  private readonly cache: NodeCache;
  private readonly scratchRoot: string;
  private readonly bundles = new Map<string, Promise<string>>();
  private readonly files = new Map<string, Promise<{ objectKey: string; size: number }>>();

  private constructor(readonly root: string) {
    this.store = new FileObjectStore(path.join(root, 'objects'));
    this.cache = new NodeCache(path.join(root, 'node-cache'), NODE_CACHE_BYTES);
    this.scratchRoot = path.join(root, 'scratch');
  }

  static async create(): Promise<LocalExecution> {
    return new LocalExecution(await mkdtemp(path.join(os.tmpdir(), 'nebula-tooltest-')));
  }

  /** The bundle key of a tool directory, stored once per run as registration would store it. */
  toolBundle(toolDirectory: string): Promise<string> {
    const dir = path.resolve(toolDirectory);
    let key = this.bundles.get(dir);
    if (!key) {
      key = (async () => {
        const { bundle, gzipped } = makeBundle(await readToolDirectory(dir));
        await putBundle(this.store, bundle, gzipped);
        return bundle.key;
      })();
      this.bundles.set(dir, key);
    }
    return key;
  }

  /** A test-data file as a dataset object (each file stored once per run, like one upload). */
  putFile(file: string): Promise<{ objectKey: string; size: number }> {
    const source = path.resolve(file);
    let stored = this.files.get(source);
    if (!stored) {
      stored = (async () => {
        const objectKey = datasetKey(randomUUID());
        const { size } = await this.store.put(objectKey, createReadStream(source));
        return { objectKey, size };
      })();
      this.files.set(source, stored);
    }
    return stored;
  }

  async read(objectKey: string): Promise<Buffer> {
    return buffer(await this.store.get(objectKey));
  }

  /** The job directory executeJob uses for a spec (kept with keepScratch). */
  jobDirectory(spec: Pick<JobSpec, 'jobUuid' | 'attempt'>): string {
    return path.join(this.scratchRoot, `${spec.jobUuid}-${spec.attempt}`);
  }

  /** Runs one job through the executor and returns its report. */
  async execute(spec: JobSpec, options: ExecuteTestJobOptions): Promise<JobReport> {
    let report: JobReport | undefined;
    const client: JobServerClient = {
      getSpec: async () => spec,
      heartbeat: async () => undefined,
      postReport: async (r) => {
        report = r;
      },
    };
    const outcome = await executeJob({
      settings: { scratchRoot: this.scratchRoot, heartbeatSeconds: 3600, heartbeatFirstSeconds: 3600, killGraceSeconds: options.killGraceSeconds, keepScratch: options.keepScratch },
      store: this.store,
      cache: this.cache,
      client,
    });
    if (outcome.outcome !== 'reported' || !report) throw new Error(`the executor stopped without a report (${outcome.outcome})`);
    return report;
  }

  async close(options: { keep?: boolean } = {}): Promise<void> {
    if (!options.keep) await rm(this.root, { recursive: true, force: true });
  }
}
