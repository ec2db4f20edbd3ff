/**
 * The typed model of a Galaxy tool wrapper after macro expansion ("ToolSource").
 * Names follow galaxy.xsd so Galaxy people find what they expect.
 */
import type { SanitizerSpec } from './parameters/sanitize.ts';

export interface Located {
  /** File and 1-based line the element came from (after macro expansion: the macro's file). */
  file: string;
  line: number;
}

export interface Requirement {
  type: string; // package | binary | python-module | set_environment
  name: string;
  version?: string;
}

export interface ContainerRequirement {
  type: string; // docker | singularity
  identifier: string;
}

export interface ToolCommand extends Located {
  text: string;
  detectErrors?: 'default' | 'exit_code' | 'aggressive';
  interpreter?: string;
  /** Explicit strict attribute; undefined means "profile decides". */
  strict?: boolean;
  oomExitCode?: number;
  useSharedHome?: string;
}

export interface ConfigFileTemplate extends Located {
  kind: 'configfile';
  name: string;
  filename?: string;
  text: string;
}

export interface ConfigFileInputs extends Located {
  kind: 'inputs';
  name: string;
  filename?: string;
  dataStyle: string; // paths | staging_path_and_source_path | skip
}

export interface ConfigFileSources extends Located {
  kind: 'file_sources';
  name: string;
  filename?: string;
}

export type ConfigFileDef = ConfigFileTemplate | ConfigFileInputs | ConfigFileSources;

export interface EnvironmentVariableDef extends Located {
  name: string;
  template: string;
  inject?: string;
  strip: boolean;
}

export type StdioLevel = 'fatal' | 'fatal_oom' | 'warning' | 'log' | 'qc';

export interface ExitCodeRule {
  from: number; // -Infinity for open ranges
  to: number; // +Infinity
  level: StdioLevel;
  description?: string;
}

export interface RegexRule {
  match: string;
  source: 'stdout' | 'stderr' | 'both';
  level: StdioLevel;
  description?: string;
}

export interface StdioSpec {
  exitCodes: ExitCodeRule[];
  regexes: RegexRule[];
}

// ---------------------------------------------------------------- inputs

export interface ValidatorSpec {
  type: string;
  message?: string;
  negate: boolean;
  /** regex / expression body (element text). */
  expression?: string;
  min?: number;
  max?: number;
  excludeMin?: boolean;
  excludeMax?: boolean;
  /** metadata/dataset validators: the remaining attributes as given. */
  attributes: Record<string, string>;
}

export interface SelectOption {
  value: string;
  label: string;
  selected: boolean;
}

export interface OptionsFilter {
  type: string; // static_value | param_value | data_meta | sort_by | remove_value | unique_value | multiple_splitter | ...
  attributes: Record<string, string>;
}

export interface DynamicOptions {
  fromDataTable?: string;
  fromDataset?: string;
  fromFile?: string;
  fromParameter?: string;
  /** Column map from `<column name index>`: name → index. */
  columns: Record<string, number>;
  filters: OptionsFilter[];
  /** `dynamic_options="python_fn()"`: Nebula does not run tool code. */
  unsupportedCode?: string;
}

interface ParamBase extends Located {
  kind: 'param';
  name: string;
  type: string;
  label?: string;
  help?: string;
  argument?: string;
  optional: boolean;
  /** The `value` attribute as written (undefined when absent). */
  value?: string;
  validators: ValidatorSpec[];
  sanitizer?: SanitizerSpec;
  /** Attributes this model does not interpret, kept for API display. */
  extra: Record<string, string>;
}

export interface TextParam extends ParamBase {
  type: 'text' | 'hidden' | 'color' | 'baseurl';
  area: boolean;
}
export interface IntegerParam extends ParamBase {
  type: 'integer';
  min?: number;
  max?: number;
}
export interface FloatParam extends ParamBase {
  type: 'float';
  min?: number;
  max?: number;
}
export interface BooleanParam extends ParamBase {
  type: 'boolean';
  truevalue: string;
  falsevalue: string;
  checked: boolean;
}
export interface SelectParam extends ParamBase {
  type: 'select' | 'genomebuild';
  multiple: boolean;
  display?: string;
  options: SelectOption[];
  dynamic?: DynamicOptions;
  separator: string;
}
export interface DataColumnParam extends ParamBase {
  type: 'data_column';
  dataRef: string;
  multiple: boolean;
  /** Galaxy's `accept_default`: a missing value means the `value` given, or column 1; the parameter is optional. */
  acceptDefault: boolean;
  useHeaderNames: boolean;
  numerical: boolean;
  forceSelect: boolean;
}
export interface DataParam extends ParamBase {
  type: 'data';
  formats: string[];
  multiple: boolean;
  min?: number;
  max?: number;
}
export interface DataCollectionParam extends ParamBase {
  type: 'data_collection';
  formats: string[];
  collectionTypes: string[];
}
export interface OtherParam extends ParamBase {
  type: 'drill_down' | 'group_tag' | 'directory_uri' | 'hidden_data' | 'file' | 'library_data' | 'ftpfile' | 'rules';
}

export type ToolParam =
  | TextParam
  | IntegerParam
  | FloatParam
  | BooleanParam
  | SelectParam
  | DataColumnParam
  | DataParam
  | DataCollectionParam
  | OtherParam;

export interface ConditionalWhen {
  value: string;
  inputs: ToolInput[];
}

export interface ConditionalInput extends Located {
  kind: 'conditional';
  name: string;
  test: ToolParam;
  whens: ConditionalWhen[];
}

export interface RepeatInput extends Located {
  kind: 'repeat';
  name: string;
  title?: string;
  min: number;
  max?: number;
  default: number;
  inputs: ToolInput[];
}

export interface SectionInput extends Located {
  kind: 'section';
  name: string;
  title?: string;
  expanded: boolean;
  inputs: ToolInput[];
}

export type ToolInput = ToolParam | ConditionalInput | RepeatInput | SectionInput;

// ---------------------------------------------------------------- outputs

export interface DiscoverDatasets {
  pattern?: string;
  fromProvidedMetadata: boolean;
  directory?: string;
  recurse: boolean;
  matchRelativePath: boolean;
  format?: string;
  sortBy?: string;
  visible: boolean;
  assignPrimaryOutput: boolean;
}

export interface ChangeFormatWhen {
  input?: string;
  inputDataset?: string;
  attribute?: string;
  value: string;
  format: string;
}

export interface OutputData extends Located {
  kind: 'data';
  name: string;
  format?: string;
  formatSource?: string;
  metadataSource?: string;
  fromWorkDir?: string;
  label?: string;
  hidden: boolean;
  filters: string[];
  changeFormat: ChangeFormatWhen[];
  discoverDatasets: DiscoverDatasets[];
  /** `<actions>` kept as raw attribute trees; applied by the job finisher. */
  actions: RawElement[];
}

export interface OutputCollection extends Located {
  kind: 'collection';
  name: string;
  type?: string;
  typeSource?: string;
  structuredLike?: string;
  format?: string;
  formatSource?: string;
  label?: string;
  inherit_format?: boolean;
  filters: string[];
  elements: OutputData[];
  discoverDatasets: DiscoverDatasets[];
}

export type ToolOutput = OutputData | OutputCollection;

/** A generic subtree for elements whose semantics live elsewhere (output actions, xml asserts). */
export interface RawElement {
  tag: string;
  attributes: Record<string, string>;
  text: string;
  children: RawElement[];
}

// ---------------------------------------------------------------- tests

export interface TestCollectionValue {
  type: string;
  name?: string;
  elements: { name: string; value?: string; ftype?: string; collection?: TestCollectionValue }[];
}

export interface TestParamValue {
  name: string;
  value?: string;
  values?: string[];
  valueJson?: unknown;
  ftype?: string;
  dbkey?: string;
  collection?: TestCollectionValue;
  compositeData: string[];
  metadata: Record<string, string>;
}

/** A test's `params`: scalar values keyed by name, groups nested. */
export interface TestInputs {
  [name: string]: TestParamValue | TestInputs | TestInputs[];
}

export interface Assertion {
  tag: string;
  attributes: Record<string, string>;
  children: Assertion[];
}

export interface TestOutput {
  name: string;
  file?: string;
  value?: string;
  ftype?: string;
  compare: 'diff' | 're_match' | 're_match_multiline' | 'sim_size' | 'contains' | 'image_diff';
  linesDiff: number;
  decompress: boolean;
  delta?: number;
  deltaFrac?: number;
  sort: boolean;
  md5?: string;
  checksum?: string;
  assertContents: Assertion[];
  metadata: Record<string, string>;
  discoveredDatasets: (TestOutput & { designation: string })[];
  extraFiles: RawElement[];
}

export interface TestOutputCollection {
  name: string;
  type?: string;
  count?: number;
  elements: TestCollectionElement[];
}

export interface TestCollectionElement {
  name: string;
  output: TestOutput;
  elements: TestCollectionElement[];
}

export interface ToolTest extends Located {
  index: number;
  expectFailure: boolean;
  expectExitCode?: number;
  expectNumOutputs?: number;
  maxSeconds?: number;
  inputs: TestInputs;
  outputs: TestOutput[];
  outputCollections: TestOutputCollection[];
  assertStdout: Assertion[];
  assertStderr: Assertion[];
  assertCommand: Assertion[];
  assertCommandVersion: Assertion[];
}

// ---------------------------------------------------------------- tool

export interface ToolSource {
  id: string;
  name: string;
  version: string;
  /** Galaxy's default profile for tools without the attribute is 16.01. */
  profile: string;
  description: string;
  toolType?: string;
  pythonTemplateVersion?: string;
  hidden: boolean;
  license?: string;
  /** Tool XML path relative to its bundle (or the absolute path for file-loaded tools). */
  file: string;
  requirements: Requirement[];
  containers: ContainerRequirement[];
  versionCommand?: string;
  command?: ToolCommand;
  configFiles: ConfigFileDef[];
  environmentVariables: EnvironmentVariableDef[];
  stdio: StdioSpec;
  inputs: ToolInput[];
  outputs: ToolOutput[];
  tests: ToolTest[];
  help: string;
  citations: { type: string; text: string }[];
  edamTopics: string[];
  edamOperations: string[];
  /** `<options sanitize="false">` turns off parameter sanitizing for the whole tool. */
  sanitize: boolean;
  /** `<template>` macros, merged into the command namespace unsanitized. */
  templateMacros: Record<string, string>;
  warnings: string[];
}
