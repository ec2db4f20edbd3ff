/**
 * Staging: the tool bundle and every input, from the object store into the job directory,
 * through the node cache. Streams only; a 10 GiB input costs no more memory than a 10 byte one.
 */
import path from 'node:path';
import type { ObjectStore } from '../../objectstore/index.ts';
import type { DatasetLocation } from '../../tools/command/wrappers.ts';
import type { ToolState } from '../../tools/parameters/values.ts';
import type { JobSpec } from '../interfaces.ts';
import type { JobDirectory } from './job-dir.ts';
import { linkTree, type NodeCache } from './node-cache.ts';
import { datasetsIn } from './state-walk.ts';

export interface StagedInputs {
  /** DatasetValue id → where the tool finds it. */
  locations: Map<string, DatasetLocation>;
  cacheHits: number;
  bytes: number;
}

export async function stageTool(store: ObjectStore, cache: NodeCache, spec: JobSpec, dir: JobDirectory): Promise<string> {
  const unpacked = await cache.bundle(store, spec.tool.bundleKey);
  await linkTree(unpacked, dir.tool);
  const toolXml = path.resolve(dir.tool, spec.tool.toolPath);
  if (!toolXml.startsWith(dir.tool + path.sep)) throw new Error(`tool path ${JSON.stringify(spec.tool.toolPath)} leaves the tool bundle`);
  return toolXml;
}

export async function stageInputs(store: ObjectStore, cache: NodeCache, spec: JobSpec, dir: JobDirectory): Promise<StagedInputs> {
  const locations = new Map<string, DatasetLocation>();
  let cacheHits = 0;
  let bytes = 0;
  for (const [index, input] of spec.inputs.entries()) {
    const file = path.join(dir.inputs, `dataset_${index}.dat`);
    try {
      const { hit } = await cache.stage(store, input.objectKey, input.size, file);
      if (hit) cacheHits++;
    } catch (error) {
      throw new Error(`staging input ${JSON.stringify(input.name)} (${input.objectKey}) failed: ${describeError(error)}`, { cause: error });
    }
    bytes += input.size;
    locations.set(input.id, { path: file, extraFilesPath: path.join(dir.inputs, `dataset_${index}_files`) });
  }
  return { locations, cacheHits, bytes };
}

/**
 * Metadata files (a BAM's index) are staged beside their input and the state's metadata value
 * becomes the local path, which is what `$input.metadata.bam_index` means in a wrapper.
 */
export async function stageMetadataFiles(store: ObjectStore, cache: NodeCache, spec: JobSpec, dir: JobDirectory, state: ToolState): Promise<void> {
  const datasets = datasetsIn(state);
  for (const [index, input] of spec.inputs.entries()) {
    const files = Object.entries(input.metadataFiles ?? {});
    for (const [n, [name, key]] of files.entries()) {
      const info = await store.head(key);
      if (!info) throw new Error(`metadata file ${name} of input ${JSON.stringify(input.name)} is missing from the object store (${key})`);
      const file = path.join(dir.inputs, `dataset_${index}_metadata_${n}`);
      await cache.stage(store, key, info.size, file);
      for (const dataset of datasets) if (dataset.id === input.id) dataset.metadata = { ...dataset.metadata, [name]: file };
    }
  }
}

export function describeError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException)?.code;
  if (code === 'ENOSPC') return 'no space left on device';
  return error instanceof Error ? error.message : String(error);
}
