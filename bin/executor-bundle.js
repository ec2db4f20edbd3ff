// The job executor, bundled into one file by `npm run build:executor` (run by `npm ci` through
// `prepare`). Every detached, container, Slurm and Kubernetes attempt starts a `nebula job-exec`;
// through tsx that start cost about 0.7 s and a second of CPU, from the bundle about 0.1 s.
// The bundle is used only while it is newer than every source file, so an edited checkout never
// runs stale code: it falls back to the sources through tsx until the bundle is built again.
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';

/**
 * Two levels below the root on purpose: modules find repository files relative to their own
 * source location (src/<folder>/<file>.ts, e.g. tools/builtin from src/toolstore), and the
 * bundle's import.meta.dirname must resolve them the same way.
 */
export const EXECUTOR_BUNDLE = path.join('dist', 'executor', 'job-exec.mjs');

function newestModification(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    const time = entry.isDirectory() ? newestModification(full) : statSync(full).mtimeMs;
    if (time > newest) newest = time;
  }
  return newest;
}

/** The bundle's path when it exists and is newer than everything under src/ and package.json; else undefined. */
export function freshExecutorBundle(root) {
  const bundle = path.join(root, EXECUTOR_BUNDLE);
  let built;
  try {
    built = statSync(bundle).mtimeMs;
  } catch {
    return undefined;
  }
  const sources = Math.max(newestModification(path.join(root, 'src')), statSync(path.join(root, 'package.json')).mtimeMs);
  return built >= sources ? bundle : undefined;
}
