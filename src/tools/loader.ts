/** Loading tools from the filesystem or from a bundle (object store): same parser, a different reader. */
import { readFileSync } from 'node:fs';
import { dirname, posix, resolve } from 'node:path';
import { ToolLoadError } from './errors.ts';
import type { ToolSource } from './model.ts';
import { parseToolXml } from './xml/parse.ts';

export function loadToolFromFile(path: string): ToolSource {
  const absolute = resolve(path);
  let xml: string;
  try {
    xml = readFileSync(absolute, 'utf8');
  } catch (err) {
    throw new ToolLoadError(`cannot read tool file: ${(err as Error).message}`, { file: absolute });
  }
  const dir = dirname(absolute);
  return parseToolXml(xml, absolute, (rel) => {
    try {
      return readFileSync(resolve(dir, rel), 'utf8');
    } catch {
      return undefined;
    }
  });
}

/** `files` maps bundle-relative paths (posix) to contents; imports resolve relative to the tool XML. */
export function loadToolFromBundle(files: Map<string, Buffer>, toolXmlPath: string): ToolSource {
  const main = files.get(toolXmlPath);
  if (!main) throw new ToolLoadError('tool XML not found in bundle', { file: toolXmlPath });
  const dir = posix.dirname(toolXmlPath);
  return parseToolXml(main.toString('utf8'), toolXmlPath, (rel) => {
    const key = posix.normalize(posix.join(dir, rel));
    // Never read outside the bundle: a normalized key starting with '..' does not exist in the map.
    return files.get(key)?.toString('utf8');
  });
}
