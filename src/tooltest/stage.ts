/**
 * Staging test inputs: each test file is copied into the scratch `inputs/` directory and becomes a
 * DatasetValue with its `ftype` (or a sniffed extension) and the metadata Galaxy would compute.
 */
import { copyFile } from 'node:fs/promises';
import path from 'node:path';
import { computeMetadata, sniff } from '../datatypes/index.ts';
import type { DatasetLocation } from '../tools/command/wrappers.ts';
import type { DatasetValue } from '../tools/parameters/values.ts';

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
  location: DatasetLocation;
}

export class Stager {
  private counter = 0;
  readonly byId = new Map<string, StagedDataset>();

  constructor(private readonly inputsDir: string) {}

  async stage(source: string, options: { name?: string; ftype?: string; dbkey?: string; metadata?: Record<string, string> } = {}): Promise<StagedDataset> {
    const n = ++this.counter;
    const id = `input${n}`;
    const target = path.join(this.inputsDir, `dataset_${n}.dat`);
    await copyFile(source, target);
    const ext = options.ftype ?? (await sniff(target));
    let metadata: Record<string, unknown> = {};
    try {
      metadata = galaxyMetadata(await computeMetadata(target, ext));
    } catch {
      // Unknown or unsupported datatypes (or a missing samtools) simply have no metadata.
    }
    Object.assign(metadata, options.metadata ?? {});
    const staged: StagedDataset = {
      value: { kind: 'dataset', id, name: options.name ?? path.basename(source), ext, dbkey: options.dbkey ?? '?', metadata },
      location: { path: target, extraFilesPath: path.join(this.inputsDir, `dataset_${n}_files`) },
    };
    this.byId.set(id, staged);
    return staged;
  }
}
