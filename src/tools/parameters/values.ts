/** The values a built tool state holds (what the command wrappers wrap). */

/** A reference to data as the API sends it. */
export interface DataRef {
  src: 'hda' | 'hdca' | 'dce' | 'ldda';
  id: string | number;
}

export interface DatasetValue {
  kind: 'dataset';
  /** Object-store / database identity; the job context maps it to a path. */
  id: string;
  /** History item name (user text). */
  name: string;
  ext: string;
  dbkey?: string;
  metadata: Record<string, unknown>;
  /** Identifier when the dataset came from a collection element. */
  elementIdentifier?: string;
  tags?: string[];
}

export interface CollectionElementValue {
  identifier: string;
  value: DatasetValue | CollectionValue;
}

export interface CollectionValue {
  kind: 'collection';
  id: string;
  name: string;
  collectionType: string;
  elements: CollectionElementValue[];
}

export type ResolvedData = DatasetValue | CollectionValue;

/** A row of a data table: column name → value, plus `value`/`name` as the select uses them. */
export type DataTableRow = Record<string, string>;

/** The nested tool state: parameter values by name; conditionals also carry `__current_case__`. */
export interface ToolState {
  [name: string]: StateValue;
}

export type StateValue =
  | string
  | number
  | boolean
  | null
  | string[]
  | DatasetValue
  | DatasetValue[]
  | CollectionValue
  | ToolState
  | ToolState[];
