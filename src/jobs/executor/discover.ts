/**
 * `<discover_datasets>`: files the tool wrote whose names match a pattern become extra datasets
 * (for a `<data>` output) or the elements of a `<collection>` output. Patterns are Python regexes
 * matched at the start of the file name (or of the path relative to `directory` with
 * `match_relative_path`), with named groups designation, name, ext, dbkey, visible and
 * identifier_0, identifier_1... for nested collections.
 */
import { lstat, readdir, realpath } from 'node:fs/promises';
import path from 'node:path';
import type { DiscoverDatasets } from '../../tools/model.ts';
import { pythonRegexToJs } from '../../tools/parameters/validators.ts';

const NAMED_PATTERNS: Record<string, string> = {
  __default__: String.raw`primary_(?P<id>[^_]+)_(?P<designation>[^_]+)_(?P<visible>[^_]+)_(?P<ext>[^_]+)(_(?P<dbkey>[^_]+))?`,
  __name__: String.raw`(?P<name>.*)`,
  __designation__: String.raw`(?P<designation>.*)`,
  __name_and_ext__: String.raw`(?P<name>.*)\.(?P<ext>[^\.]+)?`,
  __designation_and_ext__: String.raw`(?P<designation>.*)\.(?P<ext>[^\._]+)?`,
};

export interface DiscoveredFile {
  /** Absolute path of the file in the job directory. */
  path: string;
  /** Path relative to the discovery directory (what sort_by=filename sorts on). */
  relativePath: string;
  designation: string;
  name: string;
  ext?: string;
  dbkey?: string;
  visible: boolean;
  /** identifier_0, identifier_1... for nested collection elements. */
  identifiers: string[];
}

export class DiscoveryError extends Error {
  override name = 'DiscoveryError';
}

export function discoveryRegex(pattern: string | undefined): RegExp {
  const source = NAMED_PATTERNS[pattern ?? '__default__'] ?? pattern!;
  try {
    return new RegExp(`^(?:${pythonRegexToJs(source)})`);
  } catch (error) {
    throw new DiscoveryError(`discover_datasets pattern ${JSON.stringify(pattern)} is not a valid regular expression: ${(error as Error).message}`);
  }
}

/** Regular files under `dir` (recursively when asked), never following a link out of `root`. */
async function listFiles(dir: string, root: string, recurse: boolean, relative = ''): Promise<{ abs: string; rel: string }[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  const out: { abs: string; rel: string }[] = [];
  for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    const abs = path.join(dir, entry.name);
    const rel = relative ? `${relative}/${entry.name}` : entry.name;
    const info = await lstat(abs).catch(() => null);
    if (!info) continue;
    if (info.isDirectory()) {
      if (recurse) out.push(...(await listFiles(abs, root, recurse, rel)));
    } else if (info.isFile()) {
      out.push({ abs, rel });
    } else if (info.isSymbolicLink()) {
      // A link is followed only while it stays inside the job directory.
      const target = await realpath(abs).catch(() => null);
      if (target && isInside(target, root) && (await lstat(target)).isFile()) out.push({ abs: target, rel });
    }
  }
  return out;
}

export function isInside(candidate: string, root: string): boolean {
  const rel = path.relative(root, candidate);
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel);
}

interface SortSpec {
  key: 'filename' | 'name' | 'designation' | 'dbkey';
  numeric: boolean;
  reverse: boolean;
}

export function parseSortBy(sortBy: string | undefined): SortSpec {
  let rest = sortBy ?? 'filename';
  const reverse = rest.startsWith('reverse_');
  if (reverse) rest = rest.slice('reverse_'.length);
  let numeric = false;
  if (rest.startsWith('numeric_')) {
    numeric = true;
    rest = rest.slice('numeric_'.length);
  } else if (rest.startsWith('lexical_')) rest = rest.slice('lexical_'.length);
  if (rest !== 'filename' && rest !== 'name' && rest !== 'designation' && rest !== 'dbkey') {
    throw new DiscoveryError(`discover_datasets sort_by ${JSON.stringify(sortBy)}: expected [reverse_][numeric_|lexical_](filename|name|designation|dbkey)`);
  }
  return { key: rest, numeric, reverse };
}

function sortValue(file: DiscoveredFile, key: SortSpec['key']): string {
  if (key === 'filename') return file.relativePath;
  if (key === 'dbkey') return file.dbkey ?? '';
  return file[key];
}

/**
 * The files one `<discover_datasets>` element finds under the job's working directory, sorted as
 * it asks. `exclude` holds paths already used as declared outputs (from_work_dir sources).
 */
export async function discoverFiles(spec: DiscoverDatasets, workingDirectory: string, jobDirectory: string, exclude: Set<string>): Promise<DiscoveredFile[]> {
  if (spec.fromProvidedMetadata) {
    throw new DiscoveryError('discover_datasets from_provided_metadata (galaxy.json) is not supported yet');
  }
  const regex = discoveryRegex(spec.pattern);
  const directory = spec.directory ? path.resolve(workingDirectory, spec.directory) : workingDirectory;
  if (directory !== workingDirectory && !isInside(directory, jobDirectory)) {
    throw new DiscoveryError(`discover_datasets directory ${JSON.stringify(spec.directory)} is outside the job directory`);
  }
  const found: DiscoveredFile[] = [];
  for (const { abs, rel } of await listFiles(directory, jobDirectory, spec.recurse)) {
    if (exclude.has(abs)) continue;
    const subject = spec.matchRelativePath ? rel : path.posix.basename(rel);
    const groups = regex.exec(subject)?.groups;
    if (!groups && !regex.test(subject)) continue;
    const g = groups ?? {};
    const designation = g.designation ?? g.name ?? subject;
    const identifiers: string[] = [];
    for (let i = 0; g[`identifier_${i}`] !== undefined; i++) identifiers.push(g[`identifier_${i}`]!);
    found.push({
      path: abs,
      relativePath: rel,
      designation,
      name: g.name ?? designation,
      ext: g.ext || undefined,
      dbkey: g.dbkey || undefined,
      visible: g.visible !== undefined ? g.visible === 'visible' : spec.visible,
      identifiers,
    });
  }
  const sort = parseSortBy(spec.sortBy);
  found.sort((a, b) => {
    const x = sortValue(a, sort.key);
    const y = sortValue(b, sort.key);
    const order = sort.numeric ? Number(x) - Number(y) : x < y ? -1 : x > y ? 1 : 0;
    return sort.reverse ? -order : order;
  });
  return found;
}
