/**
 * The datasets a job will write, decided when the job is created (Galaxy's names, formats and
 * visibility): `"<tool name> on data <hid>"` unless the output has a label, the format from
 * `format`, `format_source` (an input's extension), `format="input"` or `<change_format>`.
 */
import type { OutputCollection, OutputData, ToolSource } from '../../tools/model.ts';
import { collectionPartName, staticElements } from '../../tools/outputs/parts.ts';
import type { DatasetValue, StateValue, ToolState } from '../../tools/parameters/values.ts';

export interface PlannedOutput {
  name: string;
  label: string;
  ext: string;
  visible: boolean;
  dbkey: string;
}

export interface PlannedCollectionOutput {
  name: string;
  label: string;
  collectionType: string;
  /**
   * Static elements, each written by the job as the dataset output named `output` (a part name);
   * empty when the collection's datasets are discovered after the job ran.
   */
  elements: Array<{ identifier: string; output: string }>;
}

function isDataset(v: unknown): v is DatasetValue {
  return typeof v === 'object' && v !== null && (v as DatasetValue).kind === 'dataset';
}

/** Every dataset in the state, in parameter order, with the `a|b` path of its parameter. */
export function datasetsInState(state: ToolState, prefix = ''): Array<{ path: string; value: DatasetValue }> {
  const out: Array<{ path: string; value: DatasetValue }> = [];
  for (const [key, value] of Object.entries(state)) {
    const path = prefix ? `${prefix}|${key}` : key;
    const visit = (v: StateValue, p: string) => {
      if (isDataset(v)) out.push({ path: p, value: v });
      else if (Array.isArray(v)) v.forEach((item, i) => (typeof item === 'object' && item !== null && !isDataset(item) ? out.push(...datasetsInState(item as ToolState, `${p}_${i}`)) : visit(item as StateValue, p)));
      else if (typeof v === 'object' && v !== null && (v as { kind?: string }).kind === 'collection') {
        const walk = (c: { elements: Array<{ value: unknown }> }) =>
          c.elements.forEach((e) => (isDataset(e.value) ? out.push({ path: p, value: e.value }) : walk(e.value as never)));
        walk(v as never);
      } else if (typeof v === 'object' && v !== null) out.push(...datasetsInState(v as ToolState, p));
    };
    visit(value, path);
  }
  return out;
}

/** The value at `a|b|c` (or the first parameter called `c` anywhere, as Galaxy's lookups allow). */
export function valueAt(state: ToolState, path: string): StateValue | undefined {
  let node: StateValue | undefined = state;
  for (const part of path.split('|')) {
    if (typeof node !== 'object' || node === null || Array.isArray(node)) { node = undefined; break; }
    node = (node as ToolState)[part];
  }
  if (node !== undefined) return node;
  const last = path.split('|').at(-1)!;
  const search = (s: ToolState): StateValue | undefined => {
    for (const [k, v] of Object.entries(s)) {
      if (k === last) return v;
      if (typeof v === 'object' && v !== null && !Array.isArray(v) && !('kind' in v)) {
        const found = search(v as ToolState);
        if (found !== undefined) return found;
      }
    }
    return undefined;
  };
  return search(state);
}

function firstDataset(v: StateValue | undefined): DatasetValue | undefined {
  if (isDataset(v)) return v;
  if (Array.isArray(v)) return v.find(isDataset) as DatasetValue | undefined;
  return undefined;
}

function outputExt(output: OutputData | OutputCollection, state: ToolState, inputs: DatasetValue[]): string {
  if (output.kind === 'data') {
    for (const when of output.changeFormat) {
      if (when.input && String(valueAt(state, when.input) ?? '') === when.value) return when.format;
    }
  }
  if (output.formatSource) {
    const source = firstDataset(valueAt(state, output.formatSource));
    if (source) return source.ext;
  }
  if (output.format === 'input') return inputs[0]?.ext ?? 'data';
  return output.format ?? 'data';
}

/** Galaxy's on_string: "data 1", "data 1 and data 2", "data 1, data 2, and others". */
function onString(hids: number[]): string {
  if (hids.length === 0) return '';
  if (hids.length === 1) return `data ${hids[0]}`;
  if (hids.length === 2) return `data ${hids[0]} and data ${hids[1]}`;
  return `data ${hids[0]}, data ${hids[1]}, and others`;
}

function scalar(v: StateValue | undefined): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (isDataset(v)) return v.name;
  return undefined;
}

/**
 * An output label is a Cheetah template; the common cases (`$on_string`, `${tool.name}`, a
 * parameter value) are filled here, anything else is left as written.
 */
function renderLabel(label: string, tool: ToolSource, on: string, state: ToolState): string {
  return label.replace(/\$\{?([A-Za-z_][\w.|]*)\}?/g, (whole, name: string) => {
    if (name === 'on_string') return on;
    if (name === 'tool.name') return tool.name;
    const value = scalar(valueAt(state, name.replace(/\./g, '|')));
    return value ?? whole;
  });
}

/**
 * The job's datasets (data outputs, then the parts of static collections) and collections.
 * `included`: the outputs whose `<filter>`s passed (src/tools/outputs/filters.ts); all by default.
 */
export function planOutputs(
  tool: ToolSource,
  state: ToolState,
  inputHids: Map<string, number>,
  included?: Set<string>,
): { datasets: PlannedOutput[]; collections: PlannedCollectionOutput[] } {
  const inputs = datasetsInState(state).map((d) => d.value);
  const hids = [...new Set(inputs.map((d) => inputHids.get(d.id)).filter((h): h is number => h !== undefined))];
  const on = onString(hids);
  const defaultLabel = on ? `${tool.name} on ${on}` : tool.name;
  const dbkey = inputs.find((d) => d.dbkey && d.dbkey !== '?')?.dbkey ?? '?';
  const datasets: PlannedOutput[] = [];
  const collections: PlannedCollectionOutput[] = [];
  const parts: PlannedOutput[] = [];
  for (const output of tool.outputs) {
    if (included && !included.has(output.name)) continue;
    const label = output.label ? renderLabel(output.label, tool, on, state) : defaultLabel;
    if (output.kind === 'data') {
      datasets.push({ name: output.name, label, ext: outputExt(output, state, inputs), visible: !output.hidden, dbkey });
    } else {
      const elements = staticElements(output).map((el) => {
        const name = collectionPartName(output.name, el.name);
        // Galaxy hides the elements: they are shown through their collection.
        parts.push({ name, label: el.label ? renderLabel(el.label, tool, on, state) : defaultLabel, ext: outputExt(el, state, inputs), visible: false, dbkey });
        return { identifier: el.name, output: name };
      });
      collections.push({ name: output.name, label, collectionType: output.type ?? 'list', elements });
    }
  }
  return { datasets: [...datasets, ...parts], collections };
}
