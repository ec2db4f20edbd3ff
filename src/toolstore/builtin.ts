/**
 * Built-in tools (upload1, __DATA_FETCH__): tool descriptions shipped with Nebula's code in
 * `tools/builtin/`, so they are identical on every replica without being registered. They appear
 * in GET /api/tools; their work is done natively (src/uploads), never by running their command.
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { loadToolFromFile } from '../tools/loader.ts';
import type { ToolSource } from '../tools/model.ts';

export const BUILTIN_TOOL_DIR = path.resolve(import.meta.dirname, '../../tools/builtin');
export const BUILTIN_SECTION = { id: 'getext', name: 'Get Data' };

let builtins: ToolSource[] | undefined;

export function builtinTools(): ToolSource[] {
  builtins ??= readdirSync(BUILTIN_TOOL_DIR)
    .filter((f) => f.endsWith('.xml'))
    .sort()
    .map((f) => loadToolFromFile(path.join(BUILTIN_TOOL_DIR, f)));
  return builtins;
}

export function builtinTool(id: string): ToolSource | undefined {
  return builtinTools().find((t) => t.id === id);
}
