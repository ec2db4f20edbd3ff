/**
 * The local runner's marker files: `<stateDir>/<destination>/<name>-<fingerprint>.json`, one per
 * attempt started on this host, naming the attempt's externalId. They make submit idempotent
 * (a second submit of the same attempt finds the first) and let any worker on the host count
 * and inspect the destination's running attempts.
 */
import { link, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';

export interface Marker {
  name: string;
  fingerprint: string;
  externalId: string;
  destination: string;
  submittedAt: string;
  /** In-process attempts: the tool's process group leader, to kill it if its worker dies. */
  toolGroup?: { pid: number; startTime: string };
}

export async function readMarker(file: string): Promise<Marker | undefined> {
  const text = await readFile(file, 'utf8').catch(() => '');
  if (!text) return undefined;
  try {
    return JSON.parse(text) as Marker;
  } catch {
    return undefined;
  }
}

export async function listMarkers(dir: string): Promise<Marker[]> {
  const names = (await readdir(dir).catch(() => [] as string[])).filter((n) => n.endsWith('.json'));
  return (await Promise.all(names.map((n) => readMarker(path.join(dir, n))))).filter((m): m is Marker => !!m);
}

/** Replaces the marker atomically (readers see the old or the new one, never half). */
export async function writeMarker(file: string, marker: Marker): Promise<void> {
  const temp = `${file}.tmp-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  await writeFile(temp, JSON.stringify(marker));
  await rename(temp, file);
}

/**
 * Creates the marker only if none exists, with its content in place from the first instant
 * (a hard link of a complete temporary file): false when another submit got there first.
 */
export async function createMarkerExclusively(file: string, marker: Marker): Promise<boolean> {
  const temp = `${file}.tmp-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  await writeFile(temp, JSON.stringify(marker));
  try {
    await link(temp, file);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    await rm(temp, { force: true });
  }
}
