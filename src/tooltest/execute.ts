/**
 * The local execution path: a per-job scratch directory, running a built command with bash in
 * its own process group under a timeout, and collecting outputs (from_work_dir, discovered
 * datasets and collections). Written without test concerns so the jobs executor can reuse
 * `createScratch`, `runJobCommand` and `collectOutputs` as they are.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rename, rm, copyFile, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { JobOutput } from '../tools/command/param-dict.ts';
import type { DiscoverDatasets, OutputCollection, OutputData, ToolSource } from '../tools/model.ts';
import { pythonRegex } from './regex.ts';

// ---------------------------------------------------------------- scratch

export interface Scratch {
  root: string;
  working: string;
  inputs: string;
  outputs: string;
  configs: string;
  tmp: string;
  home: string;
}

export async function createScratch(parent = os.tmpdir(), prefix = 'nebula-job-'): Promise<Scratch> {
  const root = await mkdtemp(path.join(parent, prefix));
  const s: Scratch = {
    root,
    working: path.join(root, 'working'),
    inputs: path.join(root, 'inputs'),
    outputs: path.join(root, 'outputs'),
    configs: path.join(root, 'configs'),
    tmp: path.join(root, 'tmp'),
    home: path.join(root, 'home'),
  };
  for (const dir of [s.working, s.inputs, s.outputs, s.configs, s.tmp, s.home]) await mkdir(dir, { recursive: true });
  return s;
}

export async function removeScratch(s: Scratch): Promise<void> {
  await rm(s.root, { recursive: true, force: true });
}

/** Output paths for a tool's data outputs and static collection elements: `outputs/<name>.dat`. */
export function planOutputs(tool: ToolSource, scratch: Scratch, formats: Record<string, string>, included: Set<string>): Record<string, JobOutput> {
  const plan: Record<string, JobOutput> = {};
  for (const out of tool.outputs) {
    if (!included.has(out.name)) continue;
    if (out.kind === 'data') {
      plan[out.name] = { path: path.join(scratch.outputs, `${out.name}.dat`), extraFilesPath: path.join(scratch.outputs, `${out.name}_files`), ext: formats[out.name] };
    } else {
      for (const el of out.elements) {
        const key = `${out.name}|${el.name}`;
        plan[key] = { path: path.join(scratch.outputs, `${out.name}__${el.name}.dat`), extraFilesPath: path.join(scratch.outputs, `${out.name}__${el.name}_files`), ext: el.format ?? formats[out.name] };
      }
    }
  }
  return plan;
}

// ---------------------------------------------------------------- running

export interface RunSpec {
  command: string;
  strictShell: boolean;
  environment: Record<string, string>;
  configFiles: { path: string; content: string }[];
  scratch: Scratch;
  timeoutSeconds: number;
  slots?: number;
  memoryMb?: number;
}

export interface RunResult {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  seconds: number;
  /** The full script given to bash (with `set -e` when strict). */
  script: string;
}

/** Keeps at most the last `max` bytes of a stream, so a chatty tool cannot exhaust memory. */
class Tail {
  private chunks: Buffer[] = [];
  private size = 0;
  constructor(private readonly max: number) {}
  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.size += chunk.length;
    while (this.size > this.max && this.chunks.length > 1) this.size -= this.chunks.shift()!.length;
  }
  toString(): string {
    const all = Buffer.concat(this.chunks);
    return all.subarray(Math.max(0, all.length - this.max)).toString('utf8');
  }
}

export async function runJobCommand(spec: RunSpec): Promise<RunResult> {
  for (const cf of spec.configFiles) {
    await mkdir(path.dirname(cf.path), { recursive: true });
    await writeFile(cf.path, cf.content);
  }
  const script = spec.strictShell ? `set -e\n${spec.command}` : spec.command;
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
    LANG: process.env.LANG ?? 'C.UTF-8',
    HOME: spec.scratch.home,
    TMPDIR: spec.scratch.tmp,
    TMP: spec.scratch.tmp,
    TEMP: spec.scratch.tmp,
    GALAXY_SLOTS: String(spec.slots ?? 1),
    ...(spec.memoryMb ? { GALAXY_MEMORY_MB: String(spec.memoryMb), GALAXY_MEMORY_MB_PER_SLOT: String(Math.floor(spec.memoryMb / (spec.slots ?? 1))) } : {}),
    ...spec.environment,
  };
  const started = process.hrtime.bigint();
  return new Promise<RunResult>((resolve, reject) => {
    // detached: the command gets its own process group, so a timeout kills everything it started.
    const child = spawn('bash', ['-c', script], { cwd: spec.scratch.working, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    const stdout = new Tail(1024 * 1024);
    const stderr = new Tail(1024 * 1024);
    child.stdout.on('data', (c: Buffer) => stdout.push(c));
    child.stderr.on('data', (c: Buffer) => stderr.push(c));
    let timedOut = false;
    const killGroup = (signal: NodeJS.Signals) => {
      try {
        if (child.pid) process.kill(-child.pid, signal);
      } catch {
        // already gone
      }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup('SIGTERM');
      setTimeout(() => killGroup('SIGKILL'), 2000).unref();
    }, spec.timeoutSeconds * 1000);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      killGroup('SIGKILL'); // background leftovers of the tool
      resolve({
        exitCode: code,
        signal,
        stdout: stdout.toString(),
        stderr: stderr.toString(),
        timedOut,
        seconds: Number(process.hrtime.bigint() - started) / 1e9,
        script,
      });
    });
  });
}

/** `bash: line 1: samtools: command not found` → `samtools` (exit code 127). */
export function missingBinary(result: Pick<RunResult, 'exitCode' | 'stderr'>): string | undefined {
  if (result.exitCode !== 127) return undefined;
  const m = /(?:^|\n)(?:bash: )?(?:line \d+: )?([^\s:]+): command not found/.exec(result.stderr);
  return m?.[1];
}

// ---------------------------------------------------------------- collecting

export interface CollectedDataset {
  path: string;
  ext: string;
  /** Discovered datasets: the designation (or name) that identifies them. */
  designation?: string;
  name?: string;
}

export interface CollectedOutput extends CollectedDataset {
  discovered: CollectedDataset[];
}

export interface CollectedElement {
  identifier: string;
  dataset?: CollectedDataset;
  collection?: CollectedCollection;
}

export interface CollectedCollection {
  type: string;
  elements: CollectedElement[];
}

export interface CollectedOutputs {
  datasets: Record<string, CollectedOutput>;
  collections: Record<string, CollectedCollection>;
  problems: string[];
}

/** Galaxy's named discover patterns. */
const NAMED_PATTERNS: Record<string, string> = {
  __default__: 'primary_DATASET_ID_(?P<designation>[^_]+)_(?P<visible>[^_]+)_(?P<ext>[^_]+)(_(?P<dbkey>[^_]+))?',
  __designation__: '(?P<designation>.*)',
  __designation_and_ext__: '(?P<designation>.*)\\.(?P<ext>[^\\._]+)?',
  __name__: '(?P<name>.*)',
  __name_and_ext__: '(?P<name>.*)\\.(?P<ext>[^\\.]+)?',
};

interface Discovered {
  path: string;
  relative: string;
  groups: Record<string, string | undefined>;
}

async function listFiles(dir: string, recurse: boolean, base = dir): Promise<string[]> {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (recurse) out.push(...(await listFiles(full, recurse, base)));
    } else if (entry.isFile()) out.push(path.relative(base, full));
  }
  return out;
}

export async function discoverFiles(dd: DiscoverDatasets, working: string): Promise<Discovered[]> {
  const dir = path.resolve(working, dd.directory ?? '');
  if (dir !== working && !dir.startsWith(working + path.sep)) throw new Error(`discover_datasets directory ${dd.directory} leaves the working directory`);
  const pattern = NAMED_PATTERNS[dd.pattern ?? '__default__'] ?? dd.pattern ?? NAMED_PATTERNS.__default__!;
  const re = pythonRegex(pattern);
  const anchored = new RegExp(`^(?:${re.source})`, re.flags);
  const found: Discovered[] = [];
  for (const rel of await listFiles(dir, dd.recurse)) {
    const subject = dd.matchRelativePath ? rel.split(path.sep).join('/') : path.basename(rel);
    const m = anchored.exec(subject);
    if (m) found.push({ path: path.join(dir, rel), relative: rel, groups: { ...(m.groups ?? {}) } });
  }
  return sortDiscovered(found, dd.sortBy ?? 'filename');
}

function sortDiscovered(found: Discovered[], sortBy: string): Discovered[] {
  let key = sortBy;
  const reverse = key.startsWith('reverse_');
  if (reverse) key = key.slice('reverse_'.length);
  let numeric = false;
  if (key.startsWith('numeric_')) {
    numeric = true;
    key = key.slice('numeric_'.length);
  } else if (key.startsWith('lexical_')) key = key.slice('lexical_'.length);
  const value = (d: Discovered) => (key === 'filename' ? d.relative : (d.groups[key] ?? ''));
  const sorted = [...found].sort((a, b) => {
    if (numeric) return Number(value(a)) - Number(value(b));
    const va = value(a);
    const vb = value(b);
    return va < vb ? -1 : va > vb ? 1 : 0;
  });
  return reverse ? sorted.reverse() : sorted;
}

function identifierOf(d: Discovered): string {
  return d.groups.designation ?? d.groups.name ?? path.basename(d.relative);
}

function discoveredExt(d: Discovered, dd: DiscoverDatasets, fallback: string): string {
  return dd.format ?? d.groups.ext ?? fallback;
}

/** Moves `from_work_dir` files into place and gathers discovered datasets and collections. */
export async function collectOutputs(
  tool: ToolSource,
  scratch: Scratch,
  plan: Record<string, JobOutput>,
  formats: Record<string, string>,
  included: Set<string>,
): Promise<CollectedOutputs> {
  const result: CollectedOutputs = { datasets: {}, collections: {}, problems: [] };
  for (const out of tool.outputs) {
    if (!included.has(out.name)) continue; // removed by its <filter>
    if (out.kind === 'data') await collectData(out, plan[out.name]!, scratch, formats[out.name] ?? 'data', result);
    else await collectCollection(out, plan, scratch, formats[out.name] ?? 'data', result);
  }
  return result;
}

async function collectData(out: OutputData, planned: JobOutput, scratch: Scratch, ext: string, result: CollectedOutputs): Promise<void> {
  if (out.fromWorkDir) {
    const source = path.resolve(scratch.working, out.fromWorkDir);
    if (!source.startsWith(scratch.working + path.sep)) {
      result.problems.push(`output ${out.name}: from_work_dir ${out.fromWorkDir} leaves the working directory`);
    } else if (existsSync(source)) {
      await rename(source, planned.path).catch(async () => copyFile(source, planned.path));
    }
  }
  const discovered: CollectedDataset[] = [];
  for (const dd of out.discoverDatasets) {
    for (const d of await discoverFiles(dd, scratch.working)) {
      discovered.push({ path: d.path, ext: discoveredExt(d, dd, ext), designation: identifierOf(d), name: d.groups.name });
    }
  }
  let primary: CollectedDataset = { path: planned.path, ext };
  if (out.discoverDatasets.some((dd) => dd.assignPrimaryOutput) && discovered.length) primary = discovered.shift()!;
  if (!existsSync(primary.path)) {
    // Galaxy creates the dataset file for every output; a tool that writes nothing leaves it empty.
    await writeFile(primary.path, '');
  }
  result.datasets[out.name] = { ...primary, discovered };
}

function nestElement(root: CollectedCollection, identifiers: string[], dataset: CollectedDataset, type: string): void {
  const levels = type.split(':');
  let current = root;
  for (let i = 0; i < identifiers.length - 1; i++) {
    let child = current.elements.find((e) => e.identifier === identifiers[i]);
    if (!child) {
      child = { identifier: identifiers[i]!, collection: { type: levels.slice(i + 1).join(':'), elements: [] } };
      current.elements.push(child);
    }
    current = child.collection!;
  }
  current.elements.push({ identifier: identifiers[identifiers.length - 1]!, dataset });
}

async function collectCollection(out: OutputCollection, plan: Record<string, JobOutput>, scratch: Scratch, ext: string, result: CollectedOutputs): Promise<void> {
  const type = out.type ?? 'list';
  const collection: CollectedCollection = { type, elements: [] };
  for (const el of out.elements) {
    const planned = plan[`${out.name}|${el.name}`];
    if (!planned) continue;
    if (el.fromWorkDir) {
      const source = path.resolve(scratch.working, el.fromWorkDir);
      if (source.startsWith(scratch.working + path.sep) && existsSync(source)) await rename(source, planned.path).catch(async () => copyFile(source, planned.path));
    }
    if (!existsSync(planned.path)) await writeFile(planned.path, '');
    collection.elements.push({ identifier: el.name, dataset: { path: planned.path, ext: el.format ?? planned.ext ?? ext } });
  }
  for (const dd of out.discoverDatasets) {
    for (const d of await discoverFiles(dd, scratch.working)) {
      const numbered = Object.keys(d.groups)
        .filter((k) => /^identifier_\d+$/.test(k) && d.groups[k] !== undefined)
        .sort((a, b) => Number(a.slice(11)) - Number(b.slice(11)))
        .map((k) => d.groups[k]!);
      const identifiers = numbered.length ? numbered : [identifierOf(d)];
      nestElement(collection, identifiers, { path: d.path, ext: discoveredExt(d, dd, ext), designation: identifiers.join(':') }, type);
    }
  }
  result.collections[out.name] = collection;
}

export async function fileSize(p: string): Promise<number> {
  return (await stat(p)).size;
}
