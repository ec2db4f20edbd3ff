/**
 * Galaxy's JSON shapes for tools: the panel/list summary (Tool.to_dict), `io_details` and the
 * form model of /api/tools/{id}/build (Tool.to_json). Values are plain JSON; data inputs carry
 * their `{values: [{src, id}]}` reference as given, since the form only echoes them.
 */
import type { ConditionalInput, RepeatInput, SectionInput, ToolInput, ToolOutput, ToolParam, ToolSource } from '../tools/model.ts';
import { initialColumn } from '../tools/parameters/state.ts';

export interface ToolSummaryInfo {
  section: { id: string; name: string } | null;
}

const PARAM_CLASS: Record<string, string> = {
  text: 'TextToolParameter', hidden: 'HiddenToolParameter', color: 'ColorToolParameter', baseurl: 'BaseURLToolParameter',
  integer: 'IntegerToolParameter', float: 'FloatToolParameter', boolean: 'BooleanToolParameter', select: 'SelectToolParameter',
  genomebuild: 'GenomeBuildParameter', data_column: 'ColumnListParameter', data: 'DataToolParameter',
  data_collection: 'DataCollectionToolParameter', drill_down: 'DrillDownSelectToolParameter', file: 'FileToolParameter',
  hidden_data: 'HiddenDataToolParameter', library_data: 'LibraryDatasetToolParameter', ftpfile: 'FTPFileToolParameter',
  directory_uri: 'DirectoryUriToolParameter', group_tag: 'GroupTagParameter', rules: 'RulesListToolParameter',
};

/** What a summary needs: a parsed tool, or a database row with the same fields. */
export type SummarySource = Pick<ToolSource, 'id' | 'name' | 'version' | 'description' | 'hidden' | 'profile'> &
  Partial<Pick<ToolSource, 'toolType' | 'edamOperations' | 'edamTopics'>>;

export function toolSummary(tool: SummarySource, info: ToolSummaryInfo) {
  return {
    model_class: 'Tool',
    id: tool.id,
    name: tool.name,
    version: tool.version,
    description: tool.description,
    labels: [] as string[],
    edam_operations: tool.edamOperations ?? [],
    edam_topics: tool.edamTopics ?? [],
    hidden: tool.hidden ? 'true' : '',
    is_workflow_compatible: tool.toolType !== 'data_source',
    xrefs: [] as unknown[],
    config_file: null,
    link: `/tool_runner?tool_id=${encodeURIComponent(tool.id)}`,
    min_width: -1,
    target: 'galaxy_main',
    form_style: 'regular',
    panel_section_id: info.section?.id ?? null,
    panel_section_name: info.section?.name ?? null,
    profile: tool.profile,
    tool_type: tool.toolType ?? 'default',
  };
}

// ---------------------------------------------------------------- defaults

type Json = unknown;

function numberOrNull(v: string | undefined): number | null {
  if (v === undefined || v.trim() === '') return null;
  const n = Number(v);
  return Number.isFinite(n) ? n : null;
}

/** A parameter's form default (what Galaxy's form shows before the user touches it). */
export function paramDefault(p: ToolParam): Json {
  switch (p.type) {
    case 'integer':
    case 'float':
      return numberOrNull(p.value);
    case 'boolean':
      return p.checked;
    case 'select':
    case 'genomebuild': {
      const selected = p.options.filter((o) => o.selected).map((o) => o.value);
      if (p.multiple) return selected;
      if (selected.length) return selected[0];
      if (p.type === 'genomebuild') return p.value ?? '?';
      return p.optional ? null : (p.options[0]?.value ?? null);
    }
    case 'data_column':
      return initialColumn(p) ?? null;
    case 'data':
    case 'data_collection':
      return null;
    default:
      return p.value ?? (p.optional ? null : '');
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

// ---------------------------------------------------------------- inputs

/** `values` is the nested state given by the client (may be partial); undefined → defaults. */
export function inputsModel(inputs: ToolInput[], values: Record<string, unknown> | undefined, withValues: boolean): Json[] {
  return inputs.map((def) => inputModel(def, values?.[def.name], withValues));
}

function inputModel(def: ToolInput, given: unknown, withValues: boolean): Json {
  switch (def.kind) {
    case 'param':
      return paramModel(def, given, withValues);
    case 'conditional':
      return conditionalModel(def, given, withValues);
    case 'repeat':
      return repeatModel(def, given, withValues);
    case 'section':
      return sectionModel(def, given, withValues);
  }
}

function paramModel(p: ToolParam, given: unknown, withValues: boolean): Json {
  const model: Record<string, Json> = {
    model_class: PARAM_CLASS[p.type] ?? 'ToolParameter',
    name: p.name,
    argument: p.argument ?? null,
    type: p.type,
    label: p.label ?? '',
    help: p.help ?? '',
    refresh_on_change: false,
    optional: p.optional,
    hidden: p.type === 'hidden',
    is_dynamic: 'dynamic' in p && p.dynamic !== undefined,
  };
  if (withValues) model.value = given !== undefined ? given : paramDefault(p);
  switch (p.type) {
    case 'text':
      model.area = p.area;
      model.datalist = [];
      break;
    case 'integer':
    case 'float':
      model.min = p.min ?? null;
      model.max = p.max ?? null;
      break;
    case 'boolean':
      model.truevalue = p.truevalue;
      model.falsevalue = p.falsevalue;
      break;
    case 'select':
    case 'genomebuild': {
      const current = withValues ? model.value : paramDefault(p);
      const chosen = new Set((Array.isArray(current) ? current : current == null ? [] : [current]).map(String));
      model.options = p.options.map((o) => [o.label, o.value, chosen.has(o.value)]);
      model.display = p.display ?? null;
      model.multiple = p.multiple;
      model.textable = false;
      break;
    }
    case 'data_column':
      model.data_ref = p.dataRef;
      model.multiple = p.multiple;
      model.options = [];
      break;
    case 'data':
      model.extensions = p.formats.length ? p.formats : ['data'];
      model.multiple = p.multiple;
      model.min = p.min ?? null;
      model.max = p.max ?? null;
      model.options = { hda: [], hdca: [] };
      break;
    case 'data_collection':
      model.extensions = p.formats.length ? p.formats : ['data'];
      model.collection_types = p.collectionTypes;
      model.options = { hda: [], hdca: [] };
      break;
  }
  return model;
}

function conditionalModel(def: ConditionalInput, given: unknown, withValues: boolean): Json {
  const g = isObject(given) ? given : undefined;
  const testValue = g?.[def.test.name];
  return {
    model_class: 'Conditional',
    name: def.name,
    type: 'conditional',
    test_param: paramModel(def.test, testValue, withValues),
    cases: def.whens.map((w) => ({ model_class: 'ConditionalWhen', value: w.value, inputs: inputsModel(w.inputs, g, withValues) })),
  };
}

function repeatModel(def: RepeatInput, given: unknown, withValues: boolean): Json {
  const items = Array.isArray(given) ? given : Array.from({ length: def.default }, () => ({}));
  return {
    model_class: 'Repeat',
    name: def.name,
    type: 'repeat',
    title: def.title ?? def.name,
    help: null,
    default: def.default,
    min: def.min,
    max: def.max ?? '__Infinity__',
    inputs: inputsModel(def.inputs, undefined, false),
    ...(withValues ? { cache: items.map((item) => inputsModel(def.inputs, isObject(item) ? item : undefined, true)) } : {}),
  };
}

function sectionModel(def: SectionInput, given: unknown, withValues: boolean): Json {
  return {
    model_class: 'Section',
    name: def.name,
    type: 'section',
    title: def.title ?? def.name,
    help: null,
    expanded: def.expanded,
    inputs: inputsModel(def.inputs, isObject(given) ? given : undefined, withValues),
  };
}

// ---------------------------------------------------------------- outputs, io_details, form

function outputModel(o: ToolOutput): Json {
  if (o.kind === 'collection') {
    return {
      model_class: 'ToolOutputCollection', name: o.name, label: o.label ?? null, hidden: false, output_type: 'collection',
      collection_type: o.type ?? null, structured_like: o.structuredLike ?? null, format: o.format ?? null,
    };
  }
  return {
    model_class: 'ToolOutput', name: o.name, label: o.label ?? null, hidden: o.hidden, output_type: 'data',
    format: o.format ?? 'data', format_source: o.formatSource ?? null, metadata_source: o.metadataSource ?? '',
    from_work_dir: o.fromWorkDir ?? null, discover_datasets: o.discoverDatasets.map((d) => ({ pattern: d.pattern ?? null, directory: d.directory ?? null })),
  };
}

export function toolIoDetails(tool: ToolSource) {
  return { inputs: inputsModel(tool.inputs, undefined, false), outputs: tool.outputs.map(outputModel) };
}

/** The nested state the form shows: given values over defaults. */
export function stateInputs(inputs: ToolInput[], given: Record<string, unknown> | undefined): Record<string, Json> {
  const out: Record<string, Json> = {};
  for (const def of inputs) {
    const g = given?.[def.name];
    if (def.kind === 'param') out[def.name] = g !== undefined ? g : paramDefault(def);
    else if (def.kind === 'section') out[def.name] = stateInputs(def.inputs, isObject(g) ? g : undefined);
    else if (def.kind === 'repeat') {
      const items = Array.isArray(g) ? g : Array.from({ length: def.default }, () => ({}));
      out[def.name] = items.map((item) => stateInputs(def.inputs, isObject(item) ? item : undefined));
    } else {
      const gv = isObject(g) ? g : undefined;
      const test = gv?.[def.test.name] !== undefined ? gv[def.test.name] : paramDefault(def.test);
      const asString = def.test.type === 'boolean' ? (test ? def.test.truevalue : def.test.falsevalue) : String(test);
      let index = def.whens.findIndex((w) => w.value === asString);
      if (index < 0 && def.test.type === 'boolean') index = def.whens.findIndex((w) => w.value === (test ? 'true' : 'false'));
      const branch = index >= 0 ? stateInputs(def.whens[index]!.inputs, gv) : {};
      out[def.name] = { [def.test.name]: test, ...branch, __current_case__: index >= 0 ? index : 0 };
    }
  }
  return out;
}

export function buildFormModel(
  tool: ToolSource,
  info: ToolSummaryInfo & { versions: string[]; given?: Record<string, unknown>; errors?: Record<string, string>; historyId?: string | null },
) {
  return {
    ...toolSummary(tool, info),
    action: '/tool_runner/index',
    method: 'post',
    enctype: 'application/x-www-form-urlencoded',
    inputs: inputsModel(tool.inputs, info.given, true),
    state_inputs: stateInputs(tool.inputs, info.given),
    help: tool.help,
    citations: tool.citations.length > 0,
    sharable_url: null,
    message: '',
    warnings: tool.warnings.join('\n') || null,
    versions: info.versions,
    requirements: tool.requirements.map((r) => ({ name: r.name, version: r.version ?? null, type: r.type })),
    errors: info.errors ?? {},
    tool_errors: null,
    job_id: null,
    job_remap: null,
    history_id: info.historyId ?? null,
    display: true,
  };
}
