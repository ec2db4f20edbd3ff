/**
 * Output `<filter>`s, decided when a job is created, as Galaxy's filter_output does
 * (lib/galaxy/tools/actions/__init__.py): each filter is a Python expression evaluated with the
 * job's parameter values as locals. A false filter drops the output (no dataset, no job output);
 * a filter that raises is logged and the output is KEPT, and the next filter is tried.
 *
 * The values are those Galaxy's `incoming` dict holds, not the command template's wrappers:
 * a boolean is True/False, integers and floats are numbers, a select is its value string (a
 * list when multiple), conditionals and sections are dicts, repeats lists of dicts; a data input
 * is a dataset object (`.ext`, `.name`, `.metadata.x`, `.is_of_type('tabular')`).
 */
import { evaluateExpression, PyException, pyTruthy, PyFloat } from '../cheetah/index.ts';
import { DatasetCollectionWrapper, DatasetFilenameWrapper, type SubtypeCheck } from '../command/wrappers.ts';
import { profileAtLeast } from '../command/profile.ts';
import type { ToolInput, ToolOutput, ToolParam, ToolSource } from '../model.ts';
import type { CollectionValue, DatasetValue, StateValue, ToolState } from '../parameters/values.ts';

export interface FilterOptions {
  /** The datatypes registry's subtype test, for `is_of_type`. */
  isSubtypeOf?: SubtypeCheck;
}

export interface FilterResult {
  /** Names of the tool outputs the job creates. */
  included: Set<string>;
  /** Filters that raised (their outputs were kept), for the log. */
  problems: string[];
}

// Names bound as globals: the modules Galaxy's actions module imports.
const MODULES = ['json', 'os', 're'];

const NO_LOCATION = { path: 'None', extraFilesPath: 'None' };

function isDataset(v: unknown): v is DatasetValue {
  return typeof v === 'object' && v !== null && (v as DatasetValue).kind === 'dataset';
}

function paramValue(def: ToolParam, v: StateValue | undefined, options: FilterOptions): unknown {
  if (v === undefined || v === null) return def.type === 'data' && 'multiple' in def && def.multiple ? [] : null;
  switch (def.type) {
    case 'data': {
      const wrap = (d: DatasetValue) => new DatasetFilenameWrapper(d, null, options.isSubtypeOf);
      if (Array.isArray(v)) return (v as unknown[]).filter(isDataset).map(wrap);
      return isDataset(v) ? wrap(v) : null;
    }
    case 'data_collection':
      return new DatasetCollectionWrapper(v as CollectionValue, () => NO_LOCATION, options.isSubtypeOf);
    case 'float':
      // Python's float: 1.0 prints as "1.0" and is a float to isinstance().
      return typeof v === 'number' && Number.isInteger(v) ? new PyFloat(v) : v;
    default:
      return Array.isArray(v) ? [...(v as unknown[])] : v;
  }
}

function group(defs: ToolInput[], values: ToolState, options: FilterOptions): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const def of defs) {
    const v = values[def.name];
    if (def.kind === 'section') out[def.name] = group(def.inputs, (v as ToolState) ?? {}, options);
    else if (def.kind === 'repeat') {
      out[def.name] = ((v as ToolState[]) ?? []).map((item, i) => ({ __index__: i, ...group(def.inputs, item, options) }));
    } else if (def.kind === 'conditional') {
      const cv = (v as ToolState) ?? {};
      const inner: Record<string, unknown> = { __current_case__: cv.__current_case__ ?? null };
      inner[def.test.name] = paramValue(def.test, cv[def.test.name], options);
      const when = def.whens[Number(cv.__current_case__)];
      if (when) Object.assign(inner, group(when.inputs, cv, options));
      out[def.name] = inner;
    } else out[def.name] = paramValue(def, v, options);
  }
  return out;
}

function inputDatasets(state: unknown, out: DatasetValue[] = []): DatasetValue[] {
  if (isDataset(state)) out.push(state);
  else if (Array.isArray(state)) state.forEach((s) => inputDatasets(s, out));
  else if (typeof state === 'object' && state !== null) {
    const o = state as Record<string, unknown>;
    if (o.kind === 'collection') (o as unknown as CollectionValue).elements.forEach((e) => inputDatasets(e.value, out));
    else Object.values(o).forEach((s) => inputDatasets(s, out));
  }
  return out;
}

/** The locals a filter sees: the parameter values, plus `dbkey` and `__input_ext` as Galaxy adds them. */
export function filterNamespace(tool: ToolSource, state: ToolState, options: FilterOptions = {}): Record<string, unknown> {
  const ns = group(tool.inputs, state, options);
  const inputs = inputDatasets(state);
  const withDbkey = inputs.find((d) => d.dbkey && d.dbkey !== '?');
  ns.dbkey = withDbkey?.dbkey ?? (typeof ns.dbkey === 'string' ? ns.dbkey : '?');
  ns.__input_ext = profileAtLeast(tool.profile, '16.04') ? 'input' : (inputs[0]?.ext ?? 'data');
  return ns;
}

/** Whether an output passes its filters, with the message of each filter that raised. */
export function outputPasses(output: ToolOutput, namespace: Record<string, unknown>): { keep: boolean; problems: string[] } {
  const problems: string[] = [];
  for (const filter of output.filters) {
    try {
      if (!pyTruthy(evaluateExpression(filter, namespace, { modules: MODULES }))) return { keep: false, problems };
    } catch (err) {
      const reason = err instanceof PyException ? `${err.pyType}: ${err.message}` : String(err);
      problems.push(`output ${output.name}: filter (${filter.trim()}) failed, output kept: ${reason}`);
    }
  }
  return { keep: true, problems };
}

/** The outputs a job with this state creates. */
export function evaluateOutputFilters(tool: ToolSource, state: ToolState, options: FilterOptions = {}): FilterResult {
  const included = new Set<string>();
  const problems: string[] = [];
  const needed = tool.outputs.some((o) => o.filters.length > 0);
  const namespace = needed ? filterNamespace(tool, state, options) : {};
  for (const output of tool.outputs) {
    const result = output.filters.length ? outputPasses(output, namespace) : { keep: true, problems: [] };
    problems.push(...result.problems);
    if (result.keep) included.add(output.name);
  }
  return { included, problems };
}
