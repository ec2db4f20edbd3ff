/** Builds the Cheetah namespace ("param_dict") for a job, as Galaxy's ToolEvaluator.build_param_dict. */
import type { OutputCollection, ToolInput, ToolSource } from '../model.ts';
import { dataTableOptions } from '../parameters/data-table-options.ts';
import { collectionPartName, staticElements } from '../outputs/parts.ts';
import { sanitizeText } from '../parameters/sanitize.ts';
import type { CollectionValue, DataTableRow, DatasetValue, StateValue, ToolState } from '../parameters/values.ts';
import {
  DatasetCollectionWrapper, DatasetFilenameWrapper, DatasetListWrapper, InputValueWrapper,
  SelectToolParameterWrapper, unboundInput, type DatasetLocation, type SubtypeCheck,
} from './wrappers.ts';

export interface JobOutput {
  path: string;
  extraFilesPath: string;
  ext?: string;
  name?: string;
}

/** Everything about where the job runs; paths never come from user strings. */
export interface JobContext {
  workingDirectory: string;
  /** Directory config files are written to (Galaxy: <job dir>/configs). */
  configDirectory: string;
  toolDirectory: string;
  newFilePath?: string;
  toolDataPath?: string;
  galaxyUrl?: string;
  historyId?: string;
  user?: { id: string; email: string; name?: string };
  locateInput(dataset: DatasetValue): DatasetLocation;
  outputs: Record<string, JobOutput>;
  dataTableRows?(table: string): DataTableRow[] | undefined;
  isSubtypeOf?: SubtypeCheck;
}

export function buildParamDict(tool: ToolSource, state: ToolState, job: JobContext): Record<string, unknown> {
  const sanitize = tool.sanitize;
  const dict: Record<string, unknown> = {};
  const dataByName = new Map<string, unknown[]>();
  const wrapGroup = (defs: ToolInput[], values: ToolState, target: Record<string, unknown>) => {
    for (const def of defs) {
      const v = values[def.name];
      if (def.kind === 'section') {
        const inner: Record<string, unknown> = {};
        wrapGroup(def.inputs, (v as ToolState) ?? {}, inner);
        target[def.name] = inner;
      } else if (def.kind === 'conditional') {
        const cv = (v as ToolState) ?? {};
        const inner: Record<string, unknown> = { __current_case__: cv.__current_case__ };
        inner[def.test.name] = wrapParam(def.test, cv[def.test.name] ?? null);
        const when = def.whens[Number(cv.__current_case__)];
        if (when) wrapGroup(when.inputs, cv, inner);
        target[def.name] = inner;
      } else if (def.kind === 'repeat') {
        target[def.name] = ((v as ToolState[]) ?? []).map((item) => {
          const inner: Record<string, unknown> = {};
          wrapGroup(def.inputs, item, inner);
          return inner;
        });
      } else {
        target[def.name] = wrapParam(def, v ?? null);
        if (def.type === 'data' || def.type === 'data_collection') {
          dataByName.set(def.name, [...(dataByName.get(def.name) ?? []), target[def.name]]);
        }
      }
    }
  };
  const wrapParam = (def: ToolInput & { kind: 'param' }, v: StateValue): unknown => {
    switch (def.type) {
      case 'data':
        if (def.multiple) {
          const list = Array.isArray(v) ? (v as DatasetValue[]) : v ? [v as DatasetValue] : [];
          return new DatasetListWrapper(list.map((d) => new DatasetFilenameWrapper(d, job.locateInput(d), job.isSubtypeOf)));
        }
        return v ? new DatasetFilenameWrapper(v as DatasetValue, job.locateInput(v as DatasetValue), job.isSubtypeOf) : new DatasetFilenameWrapper(null, null, job.isSubtypeOf);
      case 'data_collection':
        return new DatasetCollectionWrapper((v as CollectionValue) ?? null, job.locateInput, job.isSubtypeOf);
      case 'select':
      case 'genomebuild':
      case 'data_column': {
        const table = 'dynamic' in def ? def.dynamic?.fromDataTable : undefined;
        const tableRows = table && job.dataTableRows ? job.dataTableRows(table) : undefined;
        // The tool's <column> names (value, name, path...) over the table's, as Galaxy's .fields does.
        const rows = tableRows && 'dynamic' in def && def.dynamic ? dataTableOptions(def.dynamic, tableRows).rows : tableRows;
        return new SelectToolParameterWrapper(def, v as string | string[] | null, sanitize, rows);
      }
      default:
        return new InputValueWrapper(def, v as string | number | boolean | null, sanitize);
    }
  };

  // Values Galaxy puts in before sanitizing (so they are sanitized like user text).
  const userText = (s: string | undefined) => (s === undefined ? undefined : sanitize ? sanitizeText(s) : s);
  if (job.user) {
    dict.__user_id__ = userText(job.user.id);
    dict.__user_email__ = userText(job.user.email);
    dict.__user_name__ = userText(job.user.name ?? '');
  }
  if (job.historyId !== undefined) dict.__history_id__ = userText(job.historyId);
  if (job.galaxyUrl !== undefined) dict.__galaxy_url__ = job.galaxyUrl;
  dict.__datatypes_config__ = dict.GALAXY_DATATYPES_CONF_FILE = `${job.workingDirectory}/registry.xml`;
  Object.assign(dict, tool.templateMacros);

  wrapGroup(tool.inputs, state, dict);

  // A data input nested in a conditional/section is also reachable by its bare name if unique.
  for (const [name, wrappers] of dataByName) {
    if (!(name in dict) && wrappers.length === 1) dict[name] = wrappers[0];
  }

  for (const out of tool.outputs) {
    const o = job.outputs[out.name];
    if (out.kind === 'data') {
      dict[out.name] = o
        ? new DatasetFilenameWrapper(
            { kind: 'dataset', id: out.name, name: o.name ?? out.name, ext: o.ext ?? out.format ?? 'data', metadata: {} },
            { path: o.path, extraFilesPath: o.extraFilesPath },
            job.isSubtypeOf,
          )
        : new DatasetFilenameWrapper(null, null, job.isSubtypeOf); // filtered out: Galaxy gives a NoneDataset
    } else {
      const wrapper = outputCollectionWrapper(out, job);
      if (wrapper) dict[out.name] = wrapper;
    }
  }

  // Values added after sanitizing in Galaxy (paths the server controls).
  dict.__tool_directory__ = job.toolDirectory;
  dict.__new_file_path__ = job.newFilePath ?? job.workingDirectory;
  dict.__tool_data_path__ = dict.GALAXY_DATA_INDEX_DIR = job.toolDataPath ?? '';
  dict.__root_dir__ = dict.GALAXY_ROOT_DIR = job.toolDirectory;
  dict.__local_working_directory__ = job.workingDirectory;
  if (!('input' in dict)) dict.input = unboundInput();
  return dict;
}

/**
 * `$pair.forward` for a collection output with static elements: each element is the job output
 * named `pair|__part__|forward`. Filtered out, it is a NoneDataset as in Galaxy.
 */
function outputCollectionWrapper(out: OutputCollection, job: JobContext): unknown {
  const elements = staticElements(out);
  if (elements.length === 0) return undefined;
  const present = elements.filter((el) => job.outputs[collectionPartName(out.name, el.name)]);
  if (present.length === 0) return out.filters.length ? new DatasetFilenameWrapper(null, null, job.isSubtypeOf) : undefined;
  const value: CollectionValue = {
    kind: 'collection',
    id: out.name,
    name: out.name,
    collectionType: out.type ?? 'list',
    elements: present.map((el) => {
      const part = collectionPartName(out.name, el.name);
      const o = job.outputs[part]!;
      return { identifier: el.name, value: { kind: 'dataset', id: part, name: o.name ?? el.name, ext: o.ext ?? el.format ?? 'data', metadata: {} } };
    }),
  };
  const locate = (ds: DatasetValue) => ({ path: job.outputs[ds.id]!.path, extraFilesPath: job.outputs[ds.id]!.extraFilesPath });
  return new DatasetCollectionWrapper(value, locate, job.isSubtypeOf);
}
