import { DEFINITIONS, type DatatypeDefinition } from './definitions.ts';
import type { Datatype } from './types.ts';

const BY_EXT = new Map<string, DatatypeDefinition>(DEFINITIONS.map((definition) => [definition.ext, definition]));

export function getDatatype(ext: string): Datatype | undefined {
  return BY_EXT.get(ext);
}

export function listDatatypes(): Datatype[] {
  return [...DEFINITIONS];
}

/** Direct supertypes of `ext`: its parent and any second base Galaxy gives it. */
function supertypes(definition: DatatypeDefinition): string[] {
  return [...(definition.parent ? [definition.parent] : []), ...(definition.alsoSubtypeOf ?? [])];
}

/**
 * Galaxy's is_of_type / matches_any: true when `ext` is `ancestor` or derives from it. Every
 * datatype is a 'data'. Unknown extensions are only of their own type.
 */
export function isSubtypeOf(ext: string, ancestor: string): boolean {
  if (ext === ancestor) return true;
  const seen = new Set<string>();
  const pending = [ext];
  while (pending.length > 0) {
    const current = BY_EXT.get(pending.pop()!);
    if (!current || seen.has(current.ext)) continue;
    seen.add(current.ext);
    for (const parent of supertypes(current)) {
      if (parent === ancestor) return true;
      pending.push(parent);
    }
  }
  return false;
}

/** The Content-Type to serve a dataset of this extension with. */
export function contentTypeFor(ext: string): string {
  return BY_EXT.get(ext)?.mimetype ?? 'application/octet-stream';
}

/** Galaxy's util.FILENAME_VALID_CHARS: everything else in a download name becomes '_'. */
const FILENAME_VALID = /[.,^_\-()[\]0-9A-Za-z]/;

/**
 * The download file name Galaxy offers (`Galaxy<hid>-[<name>].<ext>` when the hid is known,
 * else `<name>.<ext>`), with the name reduced to safe characters and 150 of them.
 */
export function displayFilename(name: string, ext: string, hid?: number): string {
  const safe = [...name].map((char) => (FILENAME_VALID.test(char) ? char : '_')).join('').slice(0, 150);
  return hid === undefined ? `${safe}.${ext}` : `Galaxy${hid}-[${safe}].${ext}`;
}
