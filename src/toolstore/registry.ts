/**
 * The tool store: tools registered from a directory live as one bundle in the object store and
 * one row per tool in `tools`. Any replica or job node loads a tool from there; nothing is read
 * from a shared disk.
 */
import type { Pool, Queryable } from '../db/pool.ts';
import type { ObjectStore } from '../objectstore/index.ts';
import { loadToolFromBundle } from '../tools/loader.ts';
import type { ToolSource } from '../tools/model.ts';
import { builtinTool, builtinTools, BUILTIN_SECTION } from './builtin.ts';
import { fetchBundle, makeBundle, putBundle, readToolDirectory, toolXmlPaths, ToolBundleError, type Bundle } from './bundle.ts';
import { WeightedLru } from './lru.ts';
import { compareVersions } from './versions.ts';

export interface ToolRow {
  id: string;
  version: string;
  name: string;
  description: string;
  section_id: string | null;
  section_name: string | null;
  bundle_key: string;
  bundle_sha256: string;
  tool_path: string;
  profile: string;
  hidden: boolean;
  requirements: unknown[];
  containers: unknown[];
  create_time: Date;
  update_time: Date;
}

export interface RegisterOptions {
  /** Panel section name; its id is derived from it (lower case, `_` for other characters). */
  section?: string;
  /** The section's id when it must not be derived from the name (Galaxy's `textutil`, `filter`). */
  sectionId?: string;
}

export interface RegisteredTool {
  id: string;
  version: string;
  toolPath: string;
}

export interface RegisterResult {
  bundleKey: string;
  bundleSha256: string;
  /** False when an identical bundle was already stored. */
  bundleWritten: boolean;
  tools: RegisteredTool[];
}

export class ToolNotFoundError extends Error {
  override name = 'ToolNotFoundError';
  constructor(
    readonly toolId: string,
    readonly version?: string,
  ) {
    super(`tool ${toolId}${version ? ` version ${version}` : ''} is not registered`);
  }
}

export function sectionId(name: string): string {
  return name.trim().toLowerCase().replace(/[^a-z0-9]+/g, '_').replace(/^_|_$/g, '') || 'default';
}

/**
 * Registers every tool XML in `dir`. All tools must parse (macros and all) before anything is
 * written, so a broken directory leaves the store unchanged. Re-registering the same content is a
 * no-op for the object store and refreshes the rows.
 */
export async function registerToolDirectory(pool: Pool, store: ObjectStore, dir: string, options: RegisterOptions = {}): Promise<RegisterResult> {
  const { bundle, gzipped } = makeBundle(await readToolDirectory(dir));
  const paths = toolXmlPaths(bundle.files);
  if (paths.length === 0) throw new ToolBundleError(`no tool XML (a file whose root element is <tool>) found in ${dir}`);
  const tools = paths.map((p) => ({ path: p, source: loadToolFromBundle(bundle.files, p) }));
  const seen = new Map<string, string>();
  for (const t of tools) {
    const k = `${t.source.id}@${t.source.version}`;
    if (seen.has(k)) throw new ToolBundleError(`tool ${t.source.id} version ${t.source.version} is defined twice: ${seen.get(k)} and ${t.path}`);
    seen.set(k, t.path);
  }
  const bundleWritten = await putBundle(store, bundle, gzipped);
  const section = options.section ? { id: options.sectionId ?? sectionId(options.section), name: options.section.trim() } : null;
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    for (const t of tools) await upsertTool(client, t.source, t.path, bundle, section);
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  } finally {
    client.release();
  }
  return {
    bundleKey: bundle.key,
    bundleSha256: bundle.sha256,
    bundleWritten,
    tools: tools.map((t) => ({ id: t.source.id, version: t.source.version, toolPath: t.path })),
  };
}

async function upsertTool(db: Queryable, tool: ToolSource, toolPath: string, bundle: Bundle, section: { id: string; name: string } | null): Promise<void> {
  await db.query(
    `INSERT INTO tools (id, version, name, description, section_id, section_name, bundle_key, bundle_sha256,
                        tool_path, profile, hidden, requirements, containers)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
     ON CONFLICT (id, version) DO UPDATE SET
       name = EXCLUDED.name, description = EXCLUDED.description,
       section_id = COALESCE(EXCLUDED.section_id, tools.section_id),
       section_name = COALESCE(EXCLUDED.section_name, tools.section_name),
       bundle_key = EXCLUDED.bundle_key, bundle_sha256 = EXCLUDED.bundle_sha256, tool_path = EXCLUDED.tool_path,
       profile = EXCLUDED.profile, hidden = EXCLUDED.hidden, requirements = EXCLUDED.requirements,
       containers = EXCLUDED.containers, update_time = now()`,
    [
      tool.id, tool.version, tool.name, tool.description, section?.id ?? null, section?.name ?? null, bundle.key,
      bundle.sha256, toolPath, tool.profile, tool.hidden, JSON.stringify(tool.requirements), JSON.stringify(tool.containers),
    ],
  );
}

/** Registered tools (all versions), plus the built-in ones as rows without a bundle. */
export async function listToolRows(db: Queryable): Promise<ToolRow[]> {
  const { rows } = await db.query<ToolRow>('SELECT * FROM tools ORDER BY section_name NULLS LAST, name, id, version');
  return rows;
}

/** The row of `id` at `version`, or its highest version when none is given. */
export async function getToolRow(db: Queryable, id: string, version?: string): Promise<ToolRow | undefined> {
  const { rows } = await db.query<ToolRow>('SELECT * FROM tools WHERE id = $1', [id]);
  if (version !== undefined) return rows.find((r) => r.version === version);
  return rows.sort((a, b) => compareVersions(b.version, a.version))[0];
}

/** Highest version per tool id: what the panel shows. */
export function latestVersions(rows: ToolRow[]): ToolRow[] {
  const best = new Map<string, ToolRow>();
  for (const r of rows) {
    const cur = best.get(r.id);
    if (!cur || compareVersions(r.version, cur.version) > 0) best.set(r.id, r);
  }
  return rows.filter((r) => best.get(r.id) === r);
}

// ---------------------------------------------------------------- loading

/** Parsed bundles by content hash; bounded by the bundles' byte size (default 256 MiB). */
const bundleCache = new WeightedLru<string, Bundle>(Number(process.env.NEBULA_TOOL_BUNDLE_CACHE_BYTES ?? 256 * 1024 * 1024));
const toolCache = new WeightedLru<string, ToolSource>(5000);

export async function loadBundle(store: ObjectStore, sha256: string): Promise<Bundle> {
  let bundle = bundleCache.get(sha256);
  if (!bundle) {
    bundle = await fetchBundle(store, sha256);
    let bytes = 0;
    for (const data of bundle.files.values()) bytes += data.length;
    bundleCache.set(sha256, bundle, bytes);
  }
  return bundle;
}

export interface LoadedTool {
  tool: ToolSource;
  /** Undefined for built-in tools (no files). */
  bundle?: Bundle;
  toolPath?: string;
  section: { id: string; name: string } | null;
}

/** A registered (or built-in) tool, parsed from its bundle; parsed tools are cached by bundle hash. */
export async function loadRegisteredTool(pool: Queryable, store: ObjectStore, id: string, version?: string): Promise<LoadedTool> {
  const row = await getToolRow(pool, id, version);
  if (!row) {
    const builtin = builtinTool(id);
    if (builtin && (version === undefined || version === builtin.version)) return { tool: builtin, section: BUILTIN_SECTION };
    throw new ToolNotFoundError(id, version);
  }
  const bundle = await loadBundle(store, row.bundle_sha256);
  const cacheKey = `${row.bundle_sha256}:${row.tool_path}`;
  let tool = toolCache.get(cacheKey);
  if (!tool) {
    tool = loadToolFromBundle(bundle.files, row.tool_path);
    toolCache.set(cacheKey, tool, 1);
  }
  const section = row.section_id ? { id: row.section_id, name: row.section_name ?? row.section_id } : null;
  return { tool, bundle, toolPath: row.tool_path, section };
}

export { builtinTools, BUILTIN_SECTION };
