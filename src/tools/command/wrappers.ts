/**
 * Namespace values for Cheetah templates, behaving like Galaxy's tools/wrappers.py:
 * `str()` of a parameter is its sanitized command-line form; attribute access mirrors Galaxy.
 */
import {
  PY_BOOL, PY_CALL as PY_CALL_SYMBOL, PY_CONTAINS, PY_EQ, PY_GETATTR, PY_GETITEM, PY_ITER, PY_LEN, PY_STR, PY_TYPE, PyRuntimeError,
} from '../cheetah/protocol.ts';
import type { SelectParam, DataColumnParam, ToolParam } from '../model.ts';
import { sanitizeParamValue, sanitizeText } from '../parameters/sanitize.ts';
import type { CollectionValue, DataTableRow, DatasetValue } from '../parameters/values.ts';
import { stringAsBool } from '../xml/attrs.ts';
import { missingAttribute, pyFloatStr, pyFunction, stringMethod } from './pyvalues.ts';

/** `isSubtypeOf(ext, ancestor)` from the datatypes registry, injected to avoid coupling. */
export type SubtypeCheck = (ext: string, ancestor: string) => boolean;

// ---------------------------------------------------------------- scalar parameters

/** Galaxy's ToolParameter.to_param_dict_string for text/integer/float/boolean/hidden/color. */
export function paramDictString(param: ToolParam, value: unknown, sanitize: boolean): string {
  if (param.type === 'boolean') {
    return value ? (param as { truevalue: string }).truevalue : (param as { falsevalue: string }).falsevalue;
  }
  let text: string;
  if (value === null || value === undefined) text = '';
  else if (param.type === 'float' && typeof value === 'number') text = pyFloatStr(value);
  else text = String(value);
  return sanitize ? sanitizeParamValue(text, param.sanitizer) : text;
}

export class InputValueWrapper {
  constructor(
    readonly param: ToolParam,
    readonly value: string | number | boolean | null,
    private readonly sanitize: boolean,
  ) {}

  [PY_STR](): string {
    return paramDictString(this.param, this.value, this.sanitize);
  }

  [PY_BOOL](): boolean {
    return Boolean(this.value);
  }

  [PY_TYPE](): string {
    return 'InputValueWrapper';
  }

  /** Galaxy casts itself to the parameter's type before comparing (InputValueWrapper._get_cast_values). */
  [PY_EQ](other: unknown): boolean {
    const self = this.castFor(other);
    return self === other || (typeof other === 'string' && typeof self === 'boolean' && self === stringAsBool(other));
  }

  private castFor(other: unknown): unknown {
    const param = this.param;
    if (param.type === 'boolean' && typeof other === 'string') {
      if (other === param.truevalue || other === param.falsevalue) return this[PY_STR]();
      return Boolean(this.value);
    }
    if (param.optional && this.value === null) return typeof other === 'string' ? this[PY_STR]() : null;
    switch (param.type) {
      case 'integer':
        return Math.trunc(Number(this[PY_STR]()));
      case 'float':
        return Number(this[PY_STR]());
      case 'boolean':
        return Boolean(this.value);
      default:
        return this[PY_STR]();
    }
  }

  [PY_GETATTR](name: string): unknown {
    if (name === 'value') return this.value;
    if (typeof this.value === 'string') {
      const m = stringMethod(this.value, name);
      if (m) return m;
    }
    return missingAttribute(typeof this.value === 'string' ? 'str' : String(typeof this.value), name);
  }

  [PY_ITER](): Iterable<unknown> {
    return [this[PY_STR]()];
  }

  toString(): string {
    return this[PY_STR]();
  }
}

// ---------------------------------------------------------------- selects

/** SelectToolParameter.to_param_dict_string: None/[] → "None"; sanitized; lists joined by the separator. */
export function selectDictString(param: SelectParam | DataColumnParam, value: unknown, sanitize: boolean): string {
  if (value === null || value === undefined || (Array.isArray(value) && value.length === 0)) return 'None';
  const values = Array.isArray(value) ? value.map(String) : [String(value)];
  const cleaned = sanitize ? values.map((v) => sanitizeParamValue(v, param.sanitizer)) : values;
  return cleaned.join('separator' in param ? param.separator : ',');
}

export class SelectToolParameterWrapper {
  readonly fields: object;

  constructor(
    readonly param: SelectParam | DataColumnParam,
    readonly value: string | string[] | null,
    private readonly sanitize: boolean,
    rows: DataTableRow[] | undefined,
  ) {
    const selected = Array.isArray(value) ? value : value === null ? [] : [value];
    const separator = 'separator' in param ? param.separator : ',';
    // Galaxy's SelectToolParameterFieldWrapper: the named column of the rows whose value is selected.
    this.fields = {
      [PY_GETATTR]: (name: string) => {
        if (!rows) return missingAttribute('SelectToolParameterFieldWrapper', name);
        const matching = selected.map((v) => rows.find((r) => r.value === v));
        return matching.map((r) => (r ? (r[name] ?? '') : '')).join(separator);
      },
      [PY_TYPE]: () => 'SelectToolParameterFieldWrapper',
    };
  }

  [PY_STR](): string {
    return selectDictString(this.param, this.value, this.sanitize);
  }

  [PY_BOOL](): boolean {
    return Array.isArray(this.value) ? this.value.length > 0 : Boolean(this.value);
  }

  [PY_EQ](other: unknown): boolean {
    if (typeof other === 'string') {
      if (other === '' && (this.value === null || (Array.isArray(this.value) && this.value.length === 0))) return true;
      return this[PY_STR]() === other;
    }
    return this.value === other;
  }

  [PY_ITER](): Iterable<unknown> {
    if (!('multiple' in this.param) || !this.param.multiple) {
      throw new PyRuntimeError('Exception', 'Tried to iterate over a non-multiple parameter.');
    }
    return Array.isArray(this.value) ? this.value : [];
  }

  [PY_CONTAINS](item: unknown): boolean {
    const values = Array.isArray(this.value) ? this.value : this.value === null ? [] : [this.value];
    return values.includes(String(item));
  }

  [PY_GETATTR](name: string): unknown {
    if (name === 'value') return this.value;
    if (name === 'fields') return this.fields;
    if (name === 'name') return this.param.name;
    if (name === 'multiple') return 'multiple' in this.param ? this.param.multiple : false;
    return missingAttribute('SelectToolParameter', name);
  }

  [PY_TYPE](): string {
    return 'SelectToolParameterWrapper';
  }

  toString(): string {
    return this[PY_STR]();
  }
}

// ---------------------------------------------------------------- datasets

export interface DatasetLocation {
  path: string;
  extraFilesPath: string;
}

/** Metadata as Galaxy's MetadataWrapper shows it: strings sanitized, lists joined by ','. */
function metadataWrapper(metadata: Record<string, unknown>): object {
  return {
    [PY_GETATTR]: (name: string) => safeMetadataValue(metadata[name]),
    [PY_GETITEM]: (name: unknown) => safeMetadataValue(metadata[String(name)]),
    [PY_BOOL]: () => Object.keys(metadata).length > 0,
    [PY_ITER]: () => Object.keys(metadata),
    [PY_CONTAINS]: (name: unknown) => String(name) in metadata,
    [PY_TYPE]: () => 'MetadataWrapper',
  };
}

function safeMetadataValue(value: unknown): unknown {
  if (value === undefined || value === null) return null;
  if (Array.isArray(value)) return sanitizeText(value.map((v) => String(v)).join(','));
  if (typeof value === 'string') return sanitizeText(value);
  return value;
}

export class DatasetFilenameWrapper {
  constructor(
    readonly dataset: DatasetValue | null,
    private readonly location: DatasetLocation | null,
    private readonly isSubtypeOf: SubtypeCheck | undefined,
    private readonly identifier?: string,
  ) {}

  [PY_STR](): string {
    return this.location ? this.location.path : 'None';
  }

  [PY_BOOL](): boolean {
    return this.dataset !== null;
  }

  [PY_TYPE](): string {
    return 'DatasetFilenameWrapper';
  }

  [PY_EQ](other: unknown): boolean {
    return this[PY_STR]() === (other instanceof DatasetFilenameWrapper ? other[PY_STR]() : other);
  }

  [PY_GETATTR](name: string): unknown {
    const ds = this.dataset;
    switch (name) {
      case 'file_name':
        return this[PY_STR]();
      case 'files_path':
      case 'extra_files_path':
        return this.location ? this.location.extraFilesPath : null;
      case 'ext':
      case 'extension':
      case 'file_ext':
        return ds ? sanitizeText(ds.ext) : 'data';
      case 'name':
        return ds ? sanitizeText(ds.name) : null;
      case 'element_identifier': {
        // Galaxy leaves identifiers unsanitized; Nebula sanitizes them (they are user text).
        const id = this.identifier ?? ds?.elementIdentifier ?? ds?.name;
        return id === undefined ? null : sanitizeText(id);
      }
      case 'dbkey':
        return ds ? sanitizeText(ds.dbkey ?? '?') : '?';
      case 'metadata':
        return metadataWrapper(ds?.metadata ?? {});
      case 'is_collection':
        return false;
      case 'datatype':
        return { [PY_GETATTR]: (n: string) => (n === 'file_ext' ? (ds ? sanitizeText(ds.ext) : 'data') : missingAttribute('Datatype', n)) };
      case 'dataset':
        return this;
      case 'unsanitized':
        return { [PY_GETATTR]: (n: string) => (n === 'name' ? ds?.name : n === 'ext' ? ds?.ext : missingAttribute('Dataset', n)) };
      case 'id':
        return ds?.id ?? null;
      case 'is_of_type':
        return pyFunction('is_of_type', (args) => {
          if (!ds) return false;
          if (!this.isSubtypeOf) throw new PyRuntimeError('Exception', "datatypes_registry is required to use 'is_of_type'.");
          return args.some((a) => this.isSubtypeOf!(ds.ext, String(a)));
        });
      default:
        return missingAttribute('DatasetFilenameWrapper', name);
    }
  }

  toString(): string {
    return this[PY_STR]();
  }
}

/** `multiple="true"` data: a list of dataset wrappers; str joins paths with ','. */
export class DatasetListWrapper {
  constructor(readonly items: DatasetFilenameWrapper[]) {}

  [PY_STR](): string {
    return this.items.map((i) => i[PY_STR]()).join(',');
  }
  [PY_BOOL](): boolean {
    return this.items.some((i) => i[PY_BOOL]());
  }
  [PY_ITER](): Iterable<unknown> {
    return this.items;
  }
  [PY_LEN](): number {
    return this.items.length;
  }
  [PY_GETITEM](key: unknown): unknown {
    const i = Number(key);
    const item = this.items[i < 0 ? this.items.length + i : i];
    if (!item) throw new PyRuntimeError('IndexError', 'list index out of range');
    return item;
  }
  [PY_TYPE](): string {
    return 'DatasetListWrapper';
  }
  toString(): string {
    return this[PY_STR]();
  }
}

export class DatasetCollectionWrapper {
  private readonly byIdentifier = new Map<string, DatasetFilenameWrapper | DatasetCollectionWrapper>();
  private readonly list: (DatasetFilenameWrapper | DatasetCollectionWrapper)[] = [];

  constructor(
    readonly collection: CollectionValue | null,
    locate: (ds: DatasetValue) => DatasetLocation,
    isSubtypeOf: SubtypeCheck | undefined,
    private readonly identifier?: string,
  ) {
    for (const el of collection?.elements ?? []) {
      const wrapper =
        el.value.kind === 'collection'
          ? new DatasetCollectionWrapper(el.value, locate, isSubtypeOf, el.identifier)
          : new DatasetFilenameWrapper(el.value, locate(el.value), isSubtypeOf, el.identifier);
      this.byIdentifier.set(el.identifier, wrapper);
      this.list.push(wrapper);
    }
  }

  [PY_BOOL](): boolean {
    return this.collection !== null && this.list.length > 0;
  }
  [PY_ITER](): Iterable<unknown> {
    return this.list;
  }
  [PY_LEN](): number {
    return this.list.length;
  }
  [PY_GETITEM](key: unknown): unknown {
    if (!this.collection) return null;
    if (typeof key === 'number') {
      const item = this.list[key < 0 ? this.list.length + key : key];
      if (!item) throw new PyRuntimeError('IndexError', 'list index out of range');
      return item;
    }
    const item = this.byIdentifier.get(String(key));
    if (!item) throw new PyRuntimeError('KeyError', String(key));
    return item;
  }
  [PY_CONTAINS](key: unknown): boolean {
    return this.byIdentifier.has(String(key));
  }
  [PY_GETATTR](name: string): unknown {
    switch (name) {
      case 'keys':
        return pyFunction('keys', () => [...this.byIdentifier.keys()]);
      case 'is_collection':
        return true;
      case 'element_identifier':
        return this.identifier !== undefined ? sanitizeText(this.identifier) : this.collection ? sanitizeText(this.collection.name) : null;
      case 'name':
        return this.collection ? sanitizeText(this.collection.name) : null;
      case 'collection_type':
        return this.collection?.collectionType ?? null;
      case 'is_input_supplied':
        return this.collection !== null;
      case 'all_paths':
        return this.list.flatMap((w) => (w instanceof DatasetFilenameWrapper ? [w[PY_STR]()] : (w[PY_GETATTR]('all_paths') as string[])));
    }
    if (!this.collection) return null;
    const item = this.byIdentifier.get(name);
    if (item) return item;
    return missingAttribute('DatasetCollectionWrapper', name);
  }
  [PY_STR](): string {
    return `<DatasetCollectionWrapper ${this.collection ? sanitizeText(this.collection.name) : 'None'}>`;
  }
  [PY_TYPE](): string {
    return 'DatasetCollectionWrapper';
  }
}

/** `$input` when the tool has no parameter named input (Python's builtin would hang the template). */
export function unboundInput(): object {
  const raise = (): never => {
    throw new PyRuntimeError('SyntaxError', 'Unbound variable input.');
  };
  return {
    [PY_STR]: raise,
    [PY_BOOL]: raise,
    [PY_GETATTR]: raise,
    [PY_CALL_SYMBOL]: raise,
    [PY_TYPE]: () => 'function',
  };
}
