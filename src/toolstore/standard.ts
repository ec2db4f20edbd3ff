/**
 * Galaxy's standard tools (cat1, random_lines1, Paste1, ...), written for Nebula and shipped in
 * `tools/standard/`, one directory per tool. Every process registers them when it starts, so a
 * fresh installation has them without any setup step.
 *
 * Starting is cheap when nothing changed: each directory is hashed locally (the same
 * content-addressed tar the tool store uses) and one query tells whether rows with that hash and
 * section already exist; only directories that differ are registered. Registration is an upsert
 * of (id, version) rows plus a put of a content-addressed object, so ten replicas starting at
 * once all succeed and leave the same rows and one bundle per directory.
 */
import path from 'node:path';
import type { Pool } from '../db/pool.ts';
import type { ObjectStore } from '../objectstore/types.ts';
import type { Logger } from '../util/log.ts';
import { makeBundle, readToolDirectory, toolXmlPaths } from './bundle.ts';
import { registerToolDirectory } from './registry.ts';

export const STANDARD_TOOL_DIR = path.resolve(import.meta.dirname, '../../tools/standard');

interface PanelSection {
  id: string;
  name: string;
}

// Galaxy's section ids and names (config/tool_conf.xml.sample), so clients that look a tool up by
// its section find it where Galaxy keeps it.
const TEXT_MANIPULATION: PanelSection = { id: 'textutil', name: 'Text Manipulation' };
const FILTER_AND_SORT: PanelSection = { id: 'filter', name: 'Filter and Sort' };

export interface StandardToolDirectory {
  /** Directory under tools/standard/. */
  dir: string;
  /** Null for tools Galaxy lists outside any section (its workflow test tool `cat`). */
  section: PanelSection | null;
}

export const STANDARD_TOOLS: readonly StandardToolDirectory[] = [
  { dir: 'add_value', section: TEXT_MANIPULATION },
  { dir: 'cat1', section: TEXT_MANIPULATION },
  { dir: 'cut1', section: TEXT_MANIPULATION },
  { dir: 'paste1', section: TEXT_MANIPULATION },
  { dir: 'random_lines1', section: TEXT_MANIPULATION },
  { dir: 'show_beginning1', section: TEXT_MANIPULATION },
  { dir: 'sort1', section: FILTER_AND_SORT },
  { dir: 'cat', section: null },
];

export interface StandardToolsResult {
  /** Directories whose tools were (re)registered by this call. */
  registered: string[];
  /** Directories already registered with the same content and section. */
  unchanged: string[];
}

interface LocalBundle {
  entry: StandardToolDirectory;
  sha256: string;
  toolCount: number;
}

async function hashDirectory(root: string, entry: StandardToolDirectory): Promise<LocalBundle> {
  const { bundle } = makeBundle(await readToolDirectory(path.join(root, entry.dir)));
  return { entry, sha256: bundle.sha256, toolCount: toolXmlPaths(bundle.files).length };
}

/** Hashes whose rows are all present with the expected section, in one query. */
async function currentBundles(pool: Pool, local: LocalBundle[]): Promise<Set<string>> {
  const { rows } = await pool.query<{ bundle_sha256: string; section_id: string | null; n: number }>(
    `SELECT bundle_sha256, section_id, count(*)::int AS n FROM tools
      WHERE bundle_sha256 = ANY($1::text[]) GROUP BY bundle_sha256, section_id`,
    [local.map((l) => l.sha256)],
  );
  const current = new Set<string>();
  for (const l of local) {
    const match = rows.find((r) => r.bundle_sha256 === l.sha256 && r.section_id === (l.entry.section?.id ?? null));
    if (match && match.n === l.toolCount) current.add(l.sha256);
  }
  return current;
}

/**
 * Registers the standard tools that are missing or differ from what is stored. `root` is for
 * tests; the runtime uses the directory shipped with the code.
 */
export async function registerStandardTools(
  pool: Pool,
  store: ObjectStore,
  log: Logger,
  root: string = STANDARD_TOOL_DIR,
): Promise<StandardToolsResult> {
  const local = await Promise.all(STANDARD_TOOLS.map((entry) => hashDirectory(root, entry)));
  const current = await currentBundles(pool, local);
  const result: StandardToolsResult = { registered: [], unchanged: [] };
  for (const l of local) {
    if (current.has(l.sha256)) {
      result.unchanged.push(l.entry.dir);
      continue;
    }
    const section = l.entry.section;
    const registered = await registerToolDirectory(pool, store, path.join(root, l.entry.dir), section ? { section: section.name, sectionId: section.id } : {});
    result.registered.push(l.entry.dir);
    log.info({ tools: registered.tools.map((t) => `${t.id}@${t.version}`), bundle: registered.bundleSha256 }, 'registered standard tools');
  }
  if (result.registered.length === 0) log.debug({ count: result.unchanged.length }, 'standard tools already registered');
  return result;
}
