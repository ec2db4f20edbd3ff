/**
 * A tool bundle: every file of a tool directory (XML, macros, scripts with their executable bit,
 * test-data) packed into one deterministic tar, gzipped, and stored in the object store under
 * `tools/<first two hex>/<sha256 of the tar>.tar.gz`. Same content → same key, so registering a
 * directory twice stores nothing new.
 */
import { createHash } from 'node:crypto';
import { chmod, mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { buffer } from 'node:stream/consumers';
import { gunzipSync, gzipSync } from 'node:zlib';
import { assertValidKey, type ObjectStore } from '../objectstore/index.ts';
import { packTar, unpackTar, type TarEntry } from './tar.ts';

export interface Bundle {
  sha256: string;
  key: string;
  files: Map<string, Buffer>;
  modes: Map<string, number>;
}

export class ToolBundleError extends Error {
  override name = 'ToolBundleError';
}

/**
 * Tool bundles are read whole into memory here (the registry loads tools from them); a bound
 * keeps a stray huge file from exhausting it. Bundles of any size go through bundle-stream.ts.
 */
export const MAX_BUNDLE_BYTES = 512 * 1024 * 1024;

export function bundleKey(sha256: string): string {
  if (!/^[0-9a-f]{64}$/.test(sha256)) throw new ToolBundleError(`not a SHA-256 hex digest: ${sha256}`);
  const key = `tools/${sha256.slice(0, 2)}/${sha256}.tar.gz`;
  assertValidKey(key);
  return key;
}

/** One file to pack: where it is on disk and what it is called in the bundle. */
export interface BundleFile {
  /** POSIX relative path inside the bundle. */
  path: string;
  source: string;
  size: number;
  mode: number;
}

export function bundleFileMode(mode: number): number {
  return mode & 0o111 ? 0o755 : 0o644;
}

/**
 * The files under `dir` (hidden entries skipped, symbolic links followed and stored as regular
 * files: the bundle is self-contained), without reading them. `prefix` puts them under a
 * directory inside the bundle.
 */
export async function listDirectoryFiles(dir: string, prefix = ''): Promise<BundleFile[]> {
  const root = path.resolve(dir);
  if (!(await stat(root).catch(() => null))?.isDirectory()) throw new ToolBundleError(`not a directory: ${dir}`);
  const files: BundleFile[] = [];
  const walk = async (absolute: string, relative: string, depth: number): Promise<void> => {
    if (depth > 32) throw new ToolBundleError(`directory nesting too deep (a symlink loop?) at ${relative}`);
    for (const name of (await readdir(absolute)).sort()) {
      if (name.startsWith('.')) continue;
      const abs = path.join(absolute, name);
      const rel = relative ? `${relative}/${name}` : name;
      const info = await stat(abs).catch(() => null); // a dangling link is skipped
      if (!info) continue;
      if (info.isDirectory()) await walk(abs, rel, depth + 1);
      else if (info.isFile()) files.push({ path: rel, source: abs, size: info.size, mode: bundleFileMode(info.mode) });
    }
  };
  await walk(root, prefix, 0);
  return files;
}

/**
 * The files under `dir` (relative POSIX paths), skipping hidden entries (.git, .shed.yml...).
 * Symbolic links are followed (tools-iuc links shared macro files into tool directories) and
 * stored as regular files, so the bundle is self-contained.
 */
export async function readToolDirectory(dir: string): Promise<TarEntry[]> {
  const files = await listDirectoryFiles(dir);
  const total = files.reduce((sum, f) => sum + f.size, 0);
  if (total > MAX_BUNDLE_BYTES) throw new ToolBundleError(`tool directory ${dir} is larger than ${MAX_BUNDLE_BYTES} bytes`);
  const entries: TarEntry[] = [];
  for (const f of files) entries.push({ path: f.path, mode: f.mode, data: await readFile(f.source) });
  return entries;
}

export function makeBundle(entries: TarEntry[]): { bundle: Bundle; gzipped: Buffer } {
  const tar = packTar(entries);
  const sha256 = createHash('sha256').update(tar).digest('hex');
  return { bundle: bundleFromEntries(sha256, entries), gzipped: gzipSync(tar, { level: 6 }) };
}

function bundleFromEntries(sha256: string, entries: TarEntry[]): Bundle {
  return {
    sha256,
    key: bundleKey(sha256),
    files: new Map(entries.map((e) => [e.path, e.data])),
    modes: new Map(entries.map((e) => [e.path, e.mode])),
  };
}

/** Stores the bundle unless an object with its content address already exists. Returns true when written. */
export async function putBundle(store: ObjectStore, bundle: Bundle, gzipped: Buffer): Promise<boolean> {
  if (await store.head(bundle.key)) return false;
  await store.put(bundle.key, gzipped, { contentType: 'application/gzip', size: gzipped.length });
  return true;
}

/** Reads a bundle back and checks its content hash, so a corrupt object is never run. */
export async function fetchBundle(store: ObjectStore, sha256: string): Promise<Bundle> {
  const key = bundleKey(sha256);
  const gz = await buffer(await store.get(key));
  let tar: Buffer;
  try {
    tar = gunzipSync(gz, { maxOutputLength: MAX_BUNDLE_BYTES + 1024 * 1024 });
  } catch (err) {
    throw new ToolBundleError(`tool bundle ${key} is not valid gzip: ${(err as Error).message}`);
  }
  const actual = createHash('sha256').update(tar).digest('hex');
  if (actual !== sha256) throw new ToolBundleError(`tool bundle ${key} is corrupt: content hash ${actual}`);
  return bundleFromEntries(sha256, unpackTar(tar));
}

/** Writes a bundle's files under `dir` with their modes (a job node's `$__tool_directory__`). */
export async function extractBundle(bundle: Pick<Bundle, 'files' | 'modes'>, dir: string): Promise<void> {
  const root = path.resolve(dir);
  for (const [rel, data] of bundle.files) {
    const target = path.resolve(root, rel);
    if (!target.startsWith(root + path.sep)) throw new ToolBundleError(`unsafe path in tool bundle: ${rel}`);
    await mkdir(path.dirname(target), { recursive: true });
    await writeFile(target, data);
    await chmod(target, bundle.modes.get(rel) ?? 0o644);
  }
}

/** Tool XML files in a bundle: `.xml` files whose root element is `<tool`. */
export function toolXmlPaths(files: Map<string, Buffer>): string[] {
  const out: string[] = [];
  for (const [rel, data] of files) {
    if (!rel.endsWith('.xml') || rel.startsWith('test-data/') || rel.includes('/test-data/')) continue;
    const head = data.subarray(0, 4096).toString('utf8').replace(/<\?xml[^>]*\?>|<!--[\s\S]*?-->/g, '');
    if (/^\s*<tool[\s>]/.test(head)) out.push(rel);
  }
  return out.sort();
}
