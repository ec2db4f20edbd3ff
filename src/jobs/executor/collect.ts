/**
 * Output collection: declared outputs (moved from `from_work_dir` when the tool says so),
 * datasets found by `<discover_datasets>`, their format (`auto` sniffed, `format_source` and
 * `change_format` resolved from the inputs), metadata, and the push to the attempt-scoped keys.
 * Putting the same key twice writes the same bytes, so collecting again is harmless.
 */
import { createReadStream } from 'node:fs';
import { lstat, realpath, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { computeMetadata, getDatatype, isSubtypeOf, sniff } from '../../datatypes/index.ts';
import type { ObjectStore } from '../../objectstore/index.ts';
import { discoveredOutputKey, outputMetadataKey } from './output-keys.ts';
import type { ChangeFormatWhen, OutputCollection, OutputData, ToolSource } from '../../tools/model.ts';
import { evaluateOutputFilters } from '../../tools/outputs/filters.ts';
import { outputDefinition } from '../../tools/outputs/parts.ts';
import type { ToolState } from '../../tools/parameters/values.ts';
import type { DiscoveredOutput, JobSpec, ReportedOutput, SpecOutput } from '../interfaces.ts';
import { discoverFiles, isInside, type DiscoveredFile } from './discover.ts';
import type { JobDirectory } from './job-dir.ts';
import { datasetsIn, findParameter } from './state-walk.ts';

export class OutputError extends Error {
  override name = 'OutputError';
}

export interface Collected {
  outputs: ReportedOutput[];
  discovered: DiscoveredOutput[];
  messages: string[];
}

export function outputPath(dir: JobDirectory, index: number): string {
  return path.join(dir.outputs, `output_${index}.dat`);
}

/** The extension of a declared output: format_source, `input`, change_format, then `auto` sniffing. */
export async function resolveOutputFormat(declared: string, tool: OutputData | undefined, state: ToolState, file: string): Promise<string> {
  let ext = declared || tool?.format || 'data';
  if (tool?.formatSource) {
    const source = datasetsIn(findParameter(state, tool.formatSource))[0];
    if (source) ext = source.ext;
  } else if (ext === 'input') {
    ext = datasetsIn(state)[0]?.ext ?? 'data';
  }
  for (const when of tool?.changeFormat ?? []) {
    if (changeFormatValue(when, state) === when.value) {
      ext = when.format;
      break;
    }
  }
  if (ext === 'auto' || ext === 'input') ext = await sniff(file);
  return ext;
}

/**
 * What a `<change_format><when>` compares: a parameter's value (`input=`), or an attribute of an
 * input dataset (`input_dataset=` with `attribute=`, default `ext`; `metadata.x` reaches metadata).
 */
function changeFormatValue(when: ChangeFormatWhen, state: ToolState): string | undefined {
  if (when.input) {
    const value = findParameter(state, when.input);
    return value === undefined || value === null ? undefined : String(value);
  }
  if (when.inputDataset) {
    const dataset = datasetsIn(findParameter(state, when.inputDataset))[0];
    let value: unknown = dataset;
    for (const part of (when.attribute ?? 'ext').split('.')) value = value && typeof value === 'object' ? (value as Record<string, unknown>)[part] : undefined;
    return value === undefined || value === null ? undefined : String(value);
  }
  return undefined;
}

async function describe(store: ObjectStore, file: string, ext: string, key: string): Promise<Omit<ReportedOutput, 'name' | 'objectKey'>> {
  const size = (await stat(file)).size;
  let metadata: Record<string, unknown> = {};
  let peek = '';
  let blurb = size === 0 ? 'empty' : `${size} bytes`;
  if (getDatatype(ext)) {
    try {
      const computed = await computeMetadata(file, ext);
      const { peek: p, blurb: b, bamIndex, ...rest } = computed;
      peek = p;
      blurb = b;
      metadata = Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined));
      if (bamIndex) {
        const indexKey = outputMetadataKey(key, 'bai');
        await store.put(indexKey, createReadStream(bamIndex));
        await rm(path.dirname(bamIndex), { recursive: true, force: true });
        metadata.bam_index = indexKey;
      }
    } catch (error) {
      // As in Galaxy, a dataset whose metadata fails is still a usable dataset.
      if ((error as NodeJS.ErrnoException).code === 'ENOSPC') throw error;
      metadata = { metadata_error: (error as Error).message };
    }
  }
  // Galaxy keeps tool outputs 'ok' even when empty; the blurb says "empty".
  return { size, ext, state: 'ok', metadata, peek, blurb };
}

async function push(store: ObjectStore, key: string, file: string): Promise<void> {
  const size = (await stat(file)).size;
  await store.put(key, createReadStream(file, { highWaterMark: 1 << 20 }), { size });
}

/** A from_work_dir source must stay inside the job directory, even through symbolic links. */
async function moveFromWorkDir(dir: JobDirectory, relative: string, target: string): Promise<string | undefined> {
  const source = path.resolve(dir.working, relative);
  if (!isInside(source, dir.root)) throw new OutputError(`from_work_dir ${JSON.stringify(relative)} leaves the job directory`);
  const info = await lstat(source).catch(() => null);
  if (!info) return undefined;
  const real = await realpath(source);
  if (!isInside(real, dir.root)) throw new OutputError(`from_work_dir ${JSON.stringify(relative)} links outside the job directory`);
  if (!(await stat(real)).isFile()) throw new OutputError(`from_work_dir ${JSON.stringify(relative)} is not a regular file`);
  await rename(real, target);
  return source;
}

export async function collectOutputs(options: {
  store: ObjectStore;
  spec: JobSpec;
  tool: ToolSource;
  state: ToolState;
  dir: JobDirectory;
  /** When the tool failed, missing outputs are not a second error. */
  toolFailed: boolean;
}): Promise<Collected> {
  const { store, spec, tool, state, dir } = options;
  const messages: string[] = [];
  const outputs: ReportedOutput[] = [];
  const usedSources = new Set<string>();

  // Declared outputs first: from_work_dir moves happen before discovery so they are not found twice.
  const present: { spec: SpecOutput; index: number; file: string; def?: OutputData }[] = [];
  for (const [index, out] of spec.outputs.entries()) {
    // A static element of a collection (`name|__part__|forward`) is collected like a data output.
    const def = outputDefinition(tool, out.name);
    const dataDef = def?.kind === 'data' ? def : undefined;
    const file = outputPath(dir, index);
    const fromWorkDir = out.fromWorkDir ?? dataDef?.fromWorkDir;
    if (fromWorkDir) {
      const moved = await moveFromWorkDir(dir, fromWorkDir, file);
      if (moved) usedSources.add(moved);
    }
    if (!(await stat(file).catch(() => null))?.isFile()) {
      if (dataDef && dataDef.discoverDatasets.length > 0) {
        // Outputs populated by discovery alone need no primary file of their own.
        await writeFile(file, '');
      } else {
        if (!options.toolFailed) messages.push(`tool produced no output ${out.name}`);
        continue;
      }
    }
    present.push({ spec: out, index, file, def: dataDef });
  }

  const discovered: DiscoveredOutput[] = [];
  let discoveredIndex = 0;
  const discoverFor = async (parent: OutputData | OutputCollection, fallbackExt: string | undefined) => {
    const files: DiscoveredFile[] = [];
    for (const d of parent.discoverDatasets) files.push(...(await discoverFiles(d, dir.working, dir.root, usedSources)));
    const result: { file: DiscoveredFile; output: DiscoveredOutput }[] = [];
    for (const file of files) {
      usedSources.add(file.path);
      let ext = file.ext ?? parent.discoverDatasets[0]?.format ?? fallbackExt ?? 'data';
      if (ext === 'auto' || ext === 'input') ext = await sniff(file.path);
      const key = discoveredOutputKey(spec.discoveredPrefix, discoveredIndex++);
      const described = await describe(store, file.path, ext, key);
      await push(store, key, file.path);
      const output: DiscoveredOutput = {
        ...described,
        name: file.name,
        objectKey: key,
        parent: parent.name,
        designation: file.designation,
        visible: file.visible,
        ...(file.dbkey ? { dbkey: file.dbkey } : {}),
        ...(file.identifiers.length ? { identifiers: file.identifiers } : {}),
      };
      result.push({ file, output });
    }
    return result;
  };

  for (const item of present) {
    let file = item.file;
    const found = item.def ? await discoverFor(item.def, undefined) : [];
    const primary = item.def?.discoverDatasets.some((d) => d.assignPrimaryOutput) ? found[0] : undefined;
    if (primary) {
      // assign_primary_output: the first discovered file becomes the output itself.
      file = primary.file.path;
      outputs.push({ ...primary.output, name: item.spec.name, objectKey: item.spec.objectKey });
      await push(store, item.spec.objectKey, file);
      discovered.push(...found.slice(1).map((f) => f.output));
      continue;
    }
    discovered.push(...found.map((f) => f.output));
    const ext = await resolveOutputFormat(item.spec.format, item.def, state, file);
    const described = await describe(store, file, ext, item.spec.objectKey);
    await push(store, item.spec.objectKey, file);
    outputs.push({ ...described, name: item.spec.name, objectKey: item.spec.objectKey });
  }

  // The server created no collection for an output its <filter> dropped: the same filters over
  // the same state say which, so nothing is discovered for it.
  const created = tool.outputs.some((o) => o.kind === 'collection' && o.filters.length) ? evaluateOutputFilters(tool, state, { isSubtypeOf }).included : undefined;
  for (const def of tool.outputs) {
    if (def.kind !== 'collection' || def.discoverDatasets.length === 0) continue;
    if (created && !created.has(def.name)) continue;
    const inherited = def.formatSource ? datasetsIn(findParameter(state, def.formatSource))[0]?.ext : def.format;
    discovered.push(...(await discoverFor(def, inherited)).map((f) => f.output));
  }
  return { outputs, discovered, messages };
}
