/**
 * Staging test inputs: each test file becomes a dataset object in the run's object store (the
 * executor stages it from there, as it stages any job input) and a DatasetValue with its `ftype`
 * (or a sniffed extension) and the metadata Galaxy would compute.
 */
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { computeMetadata, sniff } from '../datatypes/index.ts';
import { outputMetadataKey } from '../jobs/executor/output-keys.ts';
import type { SpecInput } from '../jobs/interfaces.ts';
import type { DatasetValue } from '../tools/parameters/values.ts';
import type { LocalExecution } from './local-execution.ts';

/** Our metadata keys → Galaxy's metadata element names (what `$input.metadata.x` uses). */
const GALAXY_METADATA_NAMES: Record<string, string> = {
  dataLines: 'data_lines',
  commentLines: 'comment_lines',
  columnTypes: 'column_types',
  columnNames: 'column_names',
  bamIndex: 'bam_index',
};

export function galaxyMetadata(metadata: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(metadata)) {
    if (k === 'peek' || k === 'blurb' || v === undefined) continue;
    out[GALAXY_METADATA_NAMES[k] ?? k] = v;
  }
  return out;
}

export interface StagedDataset {
  value: DatasetValue;
  input: SpecInput;
}

export class Stager {
  private counter = 0;
  readonly byId = new Map<string, StagedDataset>();

  constructor(private readonly execution: LocalExecution) {}

  /** The job's inputs, in staging order. */
  get inputs(): SpecInput[] {
    return [...this.byId.values()].map((s) => s.input);
  }

  async stage(source: string, options: { name?: string; ftype?: string; dbkey?: string; metadata?: Record<string, string> } = {}): Promise<StagedDataset> {
    const id = `input${++this.counter}`;
    const { objectKey, size } = await this.execution.putFile(source);
    const ext = options.ftype ?? (await sniff(source));
    let metadata: Record<string, unknown> = {};
    try {
      metadata = galaxyMetadata(await computeMetadata(source, ext));
    } catch {
      // Unknown or unsupported datatypes (or a missing samtools) simply have no metadata.
    }
    const input: SpecInput = { id, objectKey, size, ext, name: options.name ?? path.basename(source) };
    if (typeof metadata.bam_index === 'string') {
      // As for a dataset on the server: the index is an object beside the dataset, which the
      // executor stages into the job directory and puts into `$input.metadata.bam_index`.
      const indexKey = outputMetadataKey(objectKey, 'bai');
      await this.execution.store.put(indexKey, await readFile(metadata.bam_index));
      await rm(path.dirname(metadata.bam_index), { recursive: true, force: true });
      metadata.bam_index = indexKey;
      input.metadataFiles = { bam_index: indexKey };
    }
    Object.assign(metadata, options.metadata ?? {});
    const staged: StagedDataset = {
      value: { kind: 'dataset', id, name: input.name, ext, dbkey: options.dbkey ?? '?', metadata },
      input,
    };
    this.byId.set(id, staged);
    return staged;
  }
}
