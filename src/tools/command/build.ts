/**
 * `buildCommandLine(tool, state, job)`: render config files, environment variables and the
 * command with the Cheetah engine, then apply Galaxy's clean-up rules (evaluation.py):
 * strip every line, join lines with single spaces (an empty line leaves two spaces, as in
 * Galaxy), strip the result; `interpreter` replaces the first word by `<interpreter> <tool dir>/<word>`.
 * `set -e` for strict tools (profile ≥ 20.09 or strict="true") belongs to the job script,
 * before the command, so it is returned as `strictShell` for the executor.
 */
import { posix } from 'node:path';
import { ToolTemplateError } from '../errors.ts';
import type { ToolSource } from '../model.ts';
import type { ToolState } from '../parameters/values.ts';
import { buildParamDict, type JobContext } from './param-dict.ts';
import { profileAtLeast } from './profile.ts';
import { shellQuote } from './quote.ts';

export interface CompiledTemplate {
  render(namespace: Record<string, unknown>): string;
}
export type CompileTemplate = (source: string, options: { toolId: string; file: string; firstLine: number }) => CompiledTemplate;

export interface BuiltCommand {
  command: string;
  configFiles: { name: string; path: string; content: string }[];
  environment: Record<string, string>;
  strictShell: boolean;
}

let defaultCompiler: CompileTemplate | undefined;

/**
 * The Cheetah engine from src/tools/cheetah, loaded on first use. The specifier is a literal so
 * that the executor's bundle (bin/executor-bundle.js) carries the engine too.
 */
export async function loadDefaultCompiler(): Promise<CompileTemplate> {
  if (!defaultCompiler) {
    const mod: { compileTemplate: CompileTemplate } = await import('../cheetah/index.ts');
    defaultCompiler = mod.compileTemplate;
  }
  return defaultCompiler;
}

export function strictShell(tool: ToolSource): boolean {
  return tool.command?.strict ?? profileAtLeast(tool.profile, '20.09');
}

/** Galaxy: strip each line, join with '\n', turn '\n' into ' ' and '\r' into ' ', strip. */
export function cleanCommandLine(rendered: string): string {
  return rendered
    .split('\n')
    .map((l) => l.trim())
    .join('\n')
    .replace(/\n/g, ' ')
    .replace(/\r/g, ' ')
    .trim();
}

const templateCache = new WeakMap<ToolSource, Map<string, CompiledTemplate>>();

function compileCached(tool: ToolSource, key: string, source: string, firstLine: number, compile: CompileTemplate, file: string): CompiledTemplate {
  let perTool = templateCache.get(tool);
  if (!perTool) templateCache.set(tool, (perTool = new Map()));
  let compiled = perTool.get(key);
  if (!compiled) {
    try {
      compiled = compile(source, { toolId: tool.id, file, firstLine });
    } catch (err) {
      throw templateError(tool, file, firstLine, 'compiling', err);
    }
    perTool.set(key, compiled);
  }
  return compiled;
}

function templateError(tool: ToolSource, file: string, firstLine: number, phase: string, err: unknown): ToolTemplateError {
  const e = err as { message?: string; line?: number };
  const line = typeof e.line === 'number' ? e.line : firstLine;
  return new ToolTemplateError(`tool ${tool.id}: ${file}:${line}: error ${phase} template: ${e.message ?? String(err)}`, tool.id, file, line, { cause: err });
}

function render(tool: ToolSource, key: string, source: string, firstLine: number, file: string, ns: Record<string, unknown>, compile: CompileTemplate): string {
  const compiled = compileCached(tool, key, source, firstLine, compile, file);
  try {
    return compiled.render(ns);
  } catch (err) {
    throw templateError(tool, file, firstLine, 'rendering', err);
  }
}

export async function buildCommandLine(
  tool: ToolSource,
  state: ToolState,
  job: JobContext,
  options: { compile?: CompileTemplate } = {},
): Promise<BuiltCommand> {
  const compile = options.compile ?? (await loadDefaultCompiler());
  const ns = buildParamDict(tool, state, job);
  const configFiles: BuiltCommand['configFiles'] = [];
  // Config files are rendered first; each one's path is then `$name` in later templates.
  for (const [i, cf] of tool.configFiles.entries()) {
    const path = posix.join(job.configDirectory, cf.filename ? posix.basename(cf.filename) : `${cf.kind}_${i}_${cf.name || 'unnamed'}`);
    let content: string;
    if (cf.kind === 'configfile') content = render(tool, `configfile:${i}`, cf.text, cf.line, cf.file, ns, compile);
    else if (cf.kind === 'inputs') content = JSON.stringify(jsonInputs(state));
    else content = '{}';
    configFiles.push({ name: cf.name, path, content });
    if (cf.name) ns[cf.name] = path;
  }
  const environment: Record<string, string> = {};
  for (const [i, ev] of tool.environmentVariables.entries()) {
    if (ev.inject) continue; // api_key / oidc injection is the job runner's business
    let value = render(tool, `env:${i}`, ev.template, ev.line, ev.file, ns, compile);
    if (ev.strip) value = value.trim();
    environment[ev.name] = value;
  }
  let command = '';
  if (tool.command && tool.command.text.trim() !== '') {
    command = cleanCommandLine(render(tool, 'command', tool.command.text, tool.command.line, tool.command.file, ns, compile));
    const interpreter = tool.command.interpreter;
    if (interpreter && command) {
      const executable = command.split(/\s+/)[0]!;
      const absolute = posix.join(job.toolDirectory, executable);
      command = `${interpreter} ${shellQuote(absolute)}${command.slice(executable.length)}`;
    }
  }
  return { command, configFiles, environment, strictShell: strictShell(tool) };
}

/** `<inputs>` config file: the state as JSON, datasets as their ids (paths are staged by the executor). */
function jsonInputs(state: unknown): unknown {
  if (Array.isArray(state)) return state.map(jsonInputs);
  if (state && typeof state === 'object') {
    const o = state as Record<string, unknown>;
    if (o.kind === 'dataset') return { src: 'hda', id: o.id, ext: o.ext };
    if (o.kind === 'collection') return { src: 'hdca', id: o.id };
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(o)) if (k !== '__current_case__') out[k] = jsonInputs(v);
    return out;
  }
  return state;
}
