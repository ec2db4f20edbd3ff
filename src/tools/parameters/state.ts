/**
 * Tool STATE from an API payload: `buildToolState(tool, inputs, ctx)`.
 *
 * Accepts Galaxy's flat legacy form (`cond|param`, `rep_0|param`, `section|param`) and the nested
 * form (`{cond: {sel: 'a', param: 1}}`, `{rep: [{param: 1}]}`), fills defaults, converts types,
 * validates, and rejects bad values with ToolParameterError naming the `a|b` path.
 */
import { ToolParameterError } from '../errors.ts';
import type {
  ConditionalInput,
  DataCollectionParam,
  DataColumnParam,
  DataParam,
  RepeatInput,
  SelectParam,
  ToolInput,
  ToolParam,
  ToolSource,
} from '../model.ts';
import { dataTableOptions } from './data-table-options.ts';
import { ConversionError, toBoolean, toFloat, toInteger, toSelectValues, toText } from './convert.ts';
import { rangeMessage, runValidators, type ExpressionEvaluator } from './validators.ts';
import type { CollectionValue, DataRef, DataTableRow, DatasetValue, ResolvedData, StateValue, ToolState } from './values.ts';

export interface StateContext {
  /** Look up a dataset/collection reference (permission checks belong here). */
  resolveData(ref: DataRef, paramPath: string): Promise<ResolvedData>;
  /** Rows of a data table, for selects `<options from_data_table>`; absent → values not checked. */
  dataTableRows?(table: string): Promise<DataTableRow[] | undefined>;
  evaluateExpression?: ExpressionEvaluator;
}

type Payload = Record<string, unknown>;

export async function buildToolState(tool: ToolSource, inputs: Payload, ctx: StateContext): Promise<ToolState> {
  if (inputs === null || typeof inputs !== 'object' || Array.isArray(inputs)) {
    throw new ToolParameterError('inputs', 'expected an object of parameter values');
  }
  return buildGroup(tool.inputs, unflatten(inputs, tool.inputs), '', ctx);
}

// ---------------------------------------------------------------- flat → nested

function isPlainObject(v: unknown): v is Payload {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Turn `a|b` and `rep_0|x` keys into nested objects/arrays, guided by the tool's inputs. */
export function unflatten(payload: Payload, defs: ToolInput[]): Payload {
  const out: Payload = {};
  const merge = (target: Payload, key: string, value: unknown) => {
    if (isPlainObject(target[key]) && isPlainObject(value)) Object.assign(target[key] as Payload, value);
    else target[key] = value;
  };
  for (const [key, value] of Object.entries(payload)) {
    const bar = key.indexOf('|');
    if (bar < 0) {
      merge(out, key, value);
      continue;
    }
    const head = key.slice(0, bar);
    const rest = key.slice(bar + 1);
    const m = /^(.*)_(\d+)$/.exec(head);
    const repeat = m ? defs.find((d) => d.kind === 'repeat' && d.name === m[1]) : undefined;
    if (m && repeat) {
      const list = (Array.isArray(out[m[1]!]) ? out[m[1]!] : (out[m[1]!] = [])) as Payload[];
      const index = Number(m[2]);
      list[index] ??= {};
      list[index]![rest] = value;
    } else {
      const child = (isPlainObject(out[head]) ? out[head] : (out[head] = {})) as Payload;
      child[rest] = value;
    }
  }
  // Recurse into groups so deeper flat keys are nested too.
  for (const def of defs) {
    const v = out[def.name];
    if (def.kind === 'section' && isPlainObject(v)) out[def.name] = unflatten(v, def.inputs);
    if (def.kind === 'conditional' && isPlainObject(v)) out[def.name] = unflatten(v, def.whens.flatMap((w) => w.inputs));
    if (def.kind === 'repeat' && Array.isArray(v)) {
      out[def.name] = v.map((item) => (isPlainObject(item) ? unflatten(item, def.inputs) : item));
    }
  }
  return out;
}

// ---------------------------------------------------------------- groups

function joinPath(prefix: string, name: string): string {
  return prefix ? `${prefix}|${name}` : name;
}

async function buildGroup(defs: ToolInput[], payload: Payload, prefix: string, ctx: StateContext): Promise<ToolState> {
  const state: ToolState = {};
  for (const def of defs) {
    const path = joinPath(prefix, def.name);
    const raw = payload[def.name];
    switch (def.kind) {
      case 'param':
        state[def.name] = await buildParam(def, raw, path, ctx, state);
        break;
      case 'section':
        if (raw !== undefined && raw !== null && !isPlainObject(raw)) throw new ToolParameterError(path, 'expected an object for a section');
        state[def.name] = await buildGroup(def.inputs, (raw as Payload) ?? {}, path, ctx);
        break;
      case 'conditional':
        state[def.name] = await buildConditional(def, raw, path, ctx);
        break;
      case 'repeat':
        state[def.name] = await buildRepeat(def, raw, path, ctx);
        break;
    }
  }
  return state;
}

/** The string a conditional's `<when value>` is matched against. */
export function conditionalTestString(cond: ConditionalInput, value: StateValue): string {
  if (cond.test.type === 'boolean') return value ? cond.test.truevalue : cond.test.falsevalue;
  return value === null ? 'None' : String(value);
}

async function buildConditional(def: ConditionalInput, raw: unknown, path: string, ctx: StateContext): Promise<ToolState> {
  if (raw !== undefined && raw !== null && !isPlainObject(raw)) throw new ToolParameterError(path, 'expected an object for a conditional');
  const payload = (raw as Payload) ?? {};
  const testPath = joinPath(path, def.test.name);
  const testValue = await buildParam(def.test, payload[def.test.name], testPath, ctx, {});
  const asString = conditionalTestString(def, testValue);
  let caseIndex = def.whens.findIndex((w) => w.value === asString);
  if (caseIndex < 0 && def.test.type === 'boolean') {
    caseIndex = def.whens.findIndex((w) => w.value === (testValue ? 'true' : 'false'));
  }
  if (caseIndex < 0) throw new ToolParameterError(testPath, `no <when> matches value ${JSON.stringify(asString)}`);
  const branch = await buildGroup(def.whens[caseIndex]!.inputs, payload, path, ctx);
  return { [def.test.name]: testValue, ...branch, __current_case__: caseIndex };
}

async function buildRepeat(def: RepeatInput, raw: unknown, path: string, ctx: StateContext): Promise<ToolState[]> {
  let items: unknown[];
  if (raw === undefined || raw === null) items = Array.from({ length: def.default }, () => ({}));
  else if (Array.isArray(raw)) items = raw;
  else if (isPlainObject(raw) && Object.keys(raw).every((k) => /^\d+$/.test(k))) {
    items = Object.keys(raw).sort((a, b) => Number(a) - Number(b)).map((k) => raw[k]);
  } else throw new ToolParameterError(path, 'expected a list of repeat items');
  if (items.length < def.min) throw new ToolParameterError(path, `at least ${def.min} item(s) required, got ${items.length}`);
  if (def.max !== undefined && items.length > def.max) {
    throw new ToolParameterError(path, `at most ${def.max} item(s) allowed, got ${items.length}`);
  }
  const out: ToolState[] = [];
  for (let i = 0; i < items.length; i++) {
    const item = items[i] ?? {};
    const itemPath = joinPath(path.replace(/[^|]*$/, (last) => `${last}_${i}`), '').slice(0, -1);
    if (!isPlainObject(item)) throw new ToolParameterError(itemPath, 'expected an object for a repeat item');
    out.push(await buildGroup(def.inputs, item, itemPath, ctx));
  }
  return out;
}

// ---------------------------------------------------------------- parameters

function fail(path: string, err: unknown): never {
  if (err instanceof ConversionError) throw new ToolParameterError(path, err.message);
  throw err;
}

async function buildParam(param: ToolParam, raw: unknown, path: string, ctx: StateContext, siblings: ToolState): Promise<StateValue> {
  let value: StateValue;
  try {
    value = await convertParam(param, raw, path, ctx, siblings);
  } catch (err) {
    fail(path, err);
  }
  const message = runValidators(param, value, { evaluateExpression: ctx.evaluateExpression });
  if (message) throw new ToolParameterError(path, message);
  return value;
}

async function convertParam(param: ToolParam, raw: unknown, path: string, ctx: StateContext, siblings: ToolState): Promise<StateValue> {
  switch (param.type) {
    case 'integer':
    case 'float': {
      const n = param.type === 'integer' ? toInteger(param, raw ?? param.value) : toFloat(param, raw ?? param.value);
      if (n === null) {
        if (param.optional) return null;
        throw new ConversionError(`a value is required (expected ${param.type === 'integer' ? 'an integer' : 'a number'})`);
      }
      const rangeProblem = rangeMessage(param, n);
      if (rangeProblem) throw new ConversionError(rangeProblem);
      return n;
    }
    case 'boolean':
      return toBoolean(param, raw);
    case 'select':
    case 'genomebuild':
      return convertSelect(param, raw, ctx, siblings);
    case 'data_column':
      return convertDataColumn(param, raw);
    case 'data':
      return convertData(param, raw, path, ctx);
    case 'data_collection':
      return convertCollection(param, raw, path, ctx);
    case 'text':
    case 'hidden':
    case 'color':
    case 'baseurl': {
      const text = toText(raw ?? param.value ?? (param.optional ? null : ''));
      void siblings;
      return text;
    }
    default:
      return toText(raw ?? param.value ?? null);
  }
}

async function legalSelectValues(param: SelectParam, ctx: StateContext, siblings: ToolState): Promise<string[] | undefined> {
  if (param.dynamic?.fromDataTable) {
    const rows = ctx.dataTableRows ? await ctx.dataTableRows(param.dynamic.fromDataTable) : undefined;
    if (!rows) return undefined;
    // Filters that refer to other parameters see the values built so far in the same group.
    return dataTableOptions(param.dynamic, rows, (ref) => siblings[ref]).options.map((o) => o.value);
  }
  if (param.dynamic) return undefined; // from_dataset / from_file / code: cannot be listed here
  if (param.type === 'genomebuild') return undefined;
  return param.options.map((o) => o.value);
}

async function convertSelect(param: SelectParam, raw: unknown, ctx: StateContext, siblings: ToolState): Promise<string | string[] | null> {
  let values = toSelectValues(param, raw);
  const legal = await legalSelectValues(param, ctx, siblings);
  if (raw === undefined || raw === null) {
    const selected = param.options.filter((o) => o.selected).map((o) => o.value);
    if (selected.length) values = param.multiple ? selected : [selected[0]!];
    else if (!param.multiple && !param.optional && legal?.length) values = [legal[0]!];
  }
  if (legal) {
    for (const v of values) {
      if (!legal.includes(v)) throw new ConversionError(`${JSON.stringify(v)} is not a valid option (one of ${legal.map((l) => JSON.stringify(l)).join(', ')})`);
    }
  }
  if (values.length === 0) {
    if (!param.optional) throw new ConversionError('an option must be selected');
    return param.multiple ? [] : null;
  }
  return param.multiple ? values : values[0]!;
}

/**
 * Galaxy's initial value of a column parameter, as a form shows it: the tool's `value`, else the
 * first column when the parameter must have exactly one; else none.
 */
export function initialColumn(param: DataColumnParam): string | undefined {
  return param.value ?? (!param.optional && !param.multiple ? '1' : undefined);
}

/** A column left out of a run: the initial value, or column 1 under `accept_default`, as in Galaxy. */
function defaultColumn(param: DataColumnParam): string | undefined {
  return initialColumn(param) ?? (param.acceptDefault ? '1' : undefined);
}

function convertDataColumn(param: DataColumnParam, raw: unknown): string | string[] | null {
  // Galaxy's accept_default also takes an empty value for a missing one.
  const empty = raw === '' || raw === null || (Array.isArray(raw) && raw.length === 0);
  const given = param.acceptDefault && empty ? undefined : raw;
  const values = toSelectValues(param, given ?? defaultColumn(param));
  for (const v of values) {
    if (!param.useHeaderNames && !/^\d+$/.test(v.replace(/^c/, ''))) throw new ConversionError(`expected a column number, got ${JSON.stringify(v)}`);
  }
  const cleaned = values.map((v) => (param.useHeaderNames ? v : v.replace(/^c/, '')));
  if (cleaned.length === 0) return param.optional ? (param.multiple ? [] : null) : param.multiple ? [] : null;
  return param.multiple ? cleaned : cleaned[0]!;
}

function asRefs(raw: unknown, path: string): DataRef[] {
  if (raw === undefined || raw === null || raw === '') return [];
  if (isPlainObject(raw) && Array.isArray(raw.values)) return raw.values.flatMap((v) => asRefs(v, path));
  if (Array.isArray(raw)) return raw.flatMap((v) => asRefs(v, path));
  if (isPlainObject(raw) && typeof raw.src === 'string' && (typeof raw.id === 'string' || typeof raw.id === 'number')) {
    if (!['hda', 'hdca', 'dce', 'ldda'].includes(raw.src)) throw new ToolParameterError(path, `unknown data source "${raw.src}"`);
    return [{ src: raw.src as DataRef['src'], id: raw.id }];
  }
  throw new ToolParameterError(path, `expected a data reference {src, id}, got ${JSON.stringify(raw)}`);
}

function datasetsOf(data: ResolvedData): DatasetValue[] {
  if (data.kind === 'dataset') return [data];
  return data.elements.flatMap((e) =>
    e.value.kind === 'dataset' ? [{ ...e.value, elementIdentifier: e.identifier }] : datasetsOf(e.value),
  );
}

async function convertData(param: DataParam, raw: unknown, path: string, ctx: StateContext): Promise<DatasetValue | DatasetValue[] | null> {
  const refs = asRefs(raw, path);
  if (refs.length === 0) {
    if (param.optional) return param.multiple ? [] : null;
    throw new ConversionError('a dataset is required');
  }
  const datasets: DatasetValue[] = [];
  for (const ref of refs) datasets.push(...datasetsOf(await ctx.resolveData(ref, path)));
  if (!param.multiple) {
    if (datasets.length !== 1) throw new ConversionError(`expected one dataset, got ${datasets.length} (mapping over collections is done by the caller)`);
    return datasets[0]!;
  }
  if (param.min !== undefined && datasets.length < param.min) throw new ConversionError(`at least ${param.min} datasets required`);
  if (param.max !== undefined && datasets.length > param.max) throw new ConversionError(`at most ${param.max} datasets allowed`);
  return datasets;
}

async function convertCollection(param: DataCollectionParam, raw: unknown, path: string, ctx: StateContext): Promise<CollectionValue | null> {
  const refs = asRefs(raw, path);
  if (refs.length === 0) {
    if (param.optional) return null;
    throw new ConversionError('a collection is required');
  }
  if (refs.length > 1) throw new ConversionError('expected one collection');
  const data = await ctx.resolveData(refs[0]!, path);
  if (data.kind !== 'collection') throw new ConversionError('expected a collection, got a dataset');
  if (param.collectionTypes.length && !param.collectionTypes.includes(data.collectionType)) {
    throw new ConversionError(`collection type "${data.collectionType}" is not one of ${param.collectionTypes.join(', ')}`);
  }
  return data;
}
