/**
 * The parsed tool of a job, kept per process by (bundle key, tool path). A bundle key names its
 * content (tools/xx/<sha256>.tar.gz, checked when the node cache unpacks it), so the same key is
 * the same XML and macros: an executor that runs many jobs (the in-process local runner) parses
 * a tool once, and its compiled command templates (cached per ToolSource) are reused too.
 * ToolSource objects are never changed after parsing; the server shares them the same way.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ToolLoadError } from '../../tools/errors.ts';
import type { ToolSource } from '../../tools/model.ts';
import { parseToolXml } from '../../tools/xml/parse.ts';

const KEPT = 64;
const tools = new Map<string, ToolSource>();

/**
 * Parses the staged `toolXml` (the job's copy of `toolPath` in the bundle `bundleKey`) unless the
 * same bundle's tool was parsed before. Locations in errors name the tool by its bundle path, as
 * on the server, not by one job's scratch directory.
 */
export function loadStagedTool(bundleKey: string, toolPath: string, toolXml: string): ToolSource {
  const key = `${bundleKey}\n${toolPath}`;
  const cached = tools.get(key);
  if (cached) {
    tools.delete(key);
    tools.set(key, cached);
    return cached;
  }
  let xml: string;
  try {
    xml = readFileSync(toolXml, 'utf8');
  } catch (err) {
    throw new ToolLoadError(`cannot read tool file: ${(err as Error).message}`, { file: toolPath });
  }
  const dir = path.dirname(toolXml);
  const tool = parseToolXml(xml, toolPath, (rel) => {
    try {
      return readFileSync(path.resolve(dir, rel), 'utf8');
    } catch {
      return undefined;
    }
  });
  tools.set(key, tool);
  if (tools.size > KEPT) tools.delete(tools.keys().next().value!);
  return tool;
}
