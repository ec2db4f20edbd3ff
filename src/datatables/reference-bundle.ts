/**
 * Reference files (a genome FASTA and its index, an index directory) live in the object store as
 * content-addressed bundles, in the same format and through the same writer as tool bundles
 * (src/toolstore/bundle.ts: a deterministic tar named by its SHA-256). A data table row refers to
 * a file inside one as `bundle:<sha256>/<relative path>`; the executor stages the bundle once per
 * node and renders the local path.
 */
import { stat } from 'node:fs/promises';
import type { ObjectStore } from '../objectstore/index.ts';
import { makeBundle, putBundle, readToolDirectory } from '../toolstore/bundle.ts';

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
  const entries = await readToolDirectory(dir);
  if (entries.length === 0) return undefined;
  const { bundle, gzipped } = makeBundle(entries);
  await putBundle(store, bundle, gzipped);
  return { sha256: bundle.sha256, files: entries.map((e) => e.path).sort() };
}
