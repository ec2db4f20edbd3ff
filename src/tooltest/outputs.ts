/**
 * Which outputs a job creates (`<filter>`) and their formats (`format`, `format_source`,
 * `<change_format>`), from the tool state. Filters are Python expressions over the state, as in
 * Galaxy; they are evaluated with the Cheetah engine's expression evaluator.
 */
import { compileTemplate } from '../tools/cheetah/index.ts';
import type { ToolOutput, ToolSource } from '../tools/model.ts';
import type { DatasetValue, StateValue, ToolState } from '../tools/parameters/values.ts';

function isDataset(v: unknown): v is DatasetValue {
  return typeof v === 'object' && v !== null && (v as { kind?: string }).kind === 'dataset';
}

/** A value by `a|b` / `a.b` path, else by bare name anywhere in the state (first found). */
export function lookupState(state: ToolState, name: string): StateValue | undefined {
  const parts = name.split(/[|.]/);
  if (parts.length > 1) {
    let cur: unknown = state;
    for (const p of parts) cur = cur && typeof cur === 'object' && !Array.isArray(cur) ? (cur as ToolState)[p] : undefined;
    if (cur !== undefined) return cur as StateValue;
  }
  const search = (node: unknown): StateValue | undefined => {
    if (!node || typeof node !== 'object' || isDataset(node)) return undefined;
    if (Array.isArray(node)) {
      for (const item of node) {
        const r = search(item);
        if (r !== undefined) return r;
      }
      return undefined;
    }
    const o = node as ToolState;
    if (name in o) return o[name];
    for (const v of Object.values(o)) {
      const r = search(v);
      if (r !== undefined) return r;
    }
    return undefined;
  };
  return search(state);
}

function firstDatasetExt(v: unknown): string | undefined {
  if (isDataset(v)) return v.ext;
  if (Array.isArray(v)) return firstDatasetExt(v[0]);
  if (v && typeof v === 'object' && (v as { kind?: string }).kind === 'collection') {
    return firstDatasetExt((v as { elements: { value: unknown }[] }).elements[0]?.value);
  }
  return undefined;
}

function firstDataInput(state: ToolState): string | undefined {
  for (const v of Object.values(state)) {
    const ext = firstDatasetExt(v);
    if (ext) return ext;
  }
  return undefined;
}

export function outputFormat(out: ToolOutput, state: ToolState): string {
  let format = out.format ?? 'data';
  if (out.formatSource) format = firstDatasetExt(lookupState(state, out.formatSource)) ?? format;
  else if (format === 'input') format = firstDataInput(state) ?? 'data';
  if (out.kind === 'data') {
    for (const when of out.changeFormat) {
      if (when.inputDataset) {
        const ds = lookupState(state, when.inputDataset);
        const attribute = when.attribute ?? 'ext';
        const actual = isDataset(ds) ? String((ds as unknown as Record<string, unknown>)[attribute] ?? '') : undefined;
        if (actual === when.value) format = when.format;
      } else if (when.input) {
        const v = lookupState(state, when.input);
        const actual = typeof v === 'boolean' ? (v ? 'true' : 'false') : v === null || v === undefined ? 'None' : String(v);
        if (actual === when.value) format = when.format;
      }
    }
  }
  return format;
}

export function outputFormats(tool: ToolSource, state: ToolState): Record<string, string> {
  return Object.fromEntries(tool.outputs.map((o) => [o.name, outputFormat(o, state)]));
}

/**
 * Outputs whose filters all hold. A filter that cannot be evaluated keeps its output (Galaxy logs
 * the error and keeps it too); the problem is returned for the report.
 */
export async function includedOutputs(tool: ToolSource, state: ToolState): Promise<{ included: Set<string>; problems: string[] }> {
  const included = new Set<string>();
  const problems: string[] = [];
  for (const out of tool.outputs) {
    let keep = true;
    for (const [i, filter] of out.filters.entries()) {
      try {
        // Galaxy evaluates filters with the state as Python locals, so bare names resolve.
        const template = compileTemplate(`#if ${filter.trim()}\nyes\n#end if\n`, {
          toolId: tool.id,
          file: out.file,
          firstLine: out.line,
          lenientBareNames: true,
        });
        keep = template.render({ ...state }).trim() === 'yes';
      } catch (err) {
        problems.push(`output ${out.name}: filter ${i + 1} (${filter.trim()}) could not be evaluated: ${(err as Error).message}`);
        keep = true;
      }
      if (!keep) break;
    }
    if (keep) included.add(out.name);
  }
  return { included, problems };
}
