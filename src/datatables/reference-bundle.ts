/**
 * Reference files (a genome FASTA and its index, an index directory) live in the object store as
 * content-addressed bundles, in the same format as tool bundles (src/toolstore/bundle.ts: a
 * deterministic tar named by its SHA-256), written and read as streams
 * (src/toolstore/bundle-stream.ts) because a genome does not fit in memory. A data table row
 * refers to a file inside one as `bundle:<sha256>/<relative path>`; the executor stages the
 * bundle once per node and renders the local path.
 */
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { ObjectStore } from '../objectstore/index.ts';
import { bundleFileMode, listDirectoryFiles, storeBundleFiles, type BundleFile } from '../toolstore/bundle-stream.ts';

export const REFERENCE_SCHEME = 'bundle:';

export interface ReferenceRef {
  sha256: string;
  /** POSIX path inside the bundle; '' for the bundle's root. */
  path: string;
}

export function referenceValue(sha256: string, relative: string): string {
  return `${REFERENCE_SCHEME}${sha256}${relative ? `/${relative}` : ''}`;
}

/** `bundle:<sha>/<path>` → its parts; anything else (a plain value, a local path) → undefined. */
export function parseReferenceValue(value: string): ReferenceRef | undefined {
  const m = /^bundle:([0-9a-f]{64})(?:\/(.*))?$/.exec(value);
  if (!m) return undefined;
  const rel = m[2] ?? '';
  if (rel.split('/').some((s) => s === '..' || s === '.') || rel.startsWith('/')) return undefined;
  return { sha256: m[1]!, path: rel };
}

/**
 * Packs every file under `dir` into a reference bundle and stores it (nothing is written when
 * the same content is already there). Returns undefined when the directory is missing or empty.
 */
export async function storeDirectoryAsBundle(store: ObjectStore, dir: string): Promise<{ sha256: string; files: string[] } | undefined> {
  if (!(await stat(dir).catch(() => null))?.isDirectory()) return undefined;
  const files = await listDirectoryFiles(dir);
  if (files.length === 0) return undefined;
  const stored = await storeBundleFiles(store, files, `directory ${dir}`);
  return { sha256: stored.sha256, files: stored.files };
}

/**
 * The files a `.loc` path column value stands for, as Galaxy reads it (TabularToolDataField's
 * `<path>*`), named inside the bundle by their own base names:
 * - a directory: all of it, under its name;
 * - a file: it and the files beside it named `<its name>.<anything>` (genome.fa with
 *   genome.fa.fai, genome.fa.amb...);
 * - a name that is no file but the prefix of an index (bwa's `hg19` for hg19.amb, hg19.bwt...,
 *   bowtie2's hg19.1.bt2...): those files.
 * The value inside the bundle is then always the base name. Undefined when nothing matches
 * (an empty directory included).
 */
export async function referenceFiles(absolute: string): Promise<{ files: BundleFile[]; relative: string } | undefined> {
  const base = path.basename(absolute);
  const info = await stat(absolute).catch(() => null);
  if (info?.isDirectory()) {
    const files = await listDirectoryFiles(absolute, base);
    return files.length ? { files, relative: base } : undefined;
  }
  const parent = path.dirname(absolute);
  const names = await readdir(parent).catch(() => [] as string[]);
  const files: BundleFile[] = [];
  for (const name of names) {
    if (name !== base && !name.startsWith(`${base}.`)) continue;
    const source = path.join(parent, name);
    const sibling = await stat(source).catch(() => null); // links followed; a dangling one is skipped
    if (sibling?.isFile()) files.push({ path: name, source, size: sibling.size, mode: bundleFileMode(sibling.mode) });
  }
  return files.length ? { files, relative: base } : undefined;
}

/** Stores what `absolute` stands for (see referenceFiles) as a bundle; its `bundle:` value, or undefined. */
export async function storeReferencePath(store: ObjectStore, absolute: string): Promise<{ value: string; sha256: string; files: string[] } | undefined> {
  const found = await referenceFiles(absolute);
  if (!found) return undefined;
  const stored = await storeBundleFiles(store, found.files, absolute);
  return { value: referenceValue(stored.sha256, found.relative), sha256: stored.sha256, files: stored.files };
}
