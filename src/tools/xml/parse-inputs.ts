/** `<inputs>` → ToolInput tree. */
import { ToolLoadError } from '../errors.ts';
import type {
  ConditionalInput,
  DynamicOptions,
  RepeatInput,
  SectionInput,
  SelectOption,
  ToolInput,
  ToolParam,
  ValidatorSpec,
} from '../model.ts';
import { applyMappingActions, applyValidActions, defaultSanitizerSpec, type SanitizerAction, type SanitizerSpec } from '../parameters/sanitize.ts';
import { attr, attrsRecord, boolAttr, loc, numberAttr, requireAttr, stringAsBool } from './attrs.ts';
import { childElements, firstChild, textOf, type XmlElement } from './dom.ts';

const KNOWN_TYPES = new Set([
  'text', 'integer', 'float', 'boolean', 'select', 'genomebuild', 'data_column', 'data', 'data_collection',
  'hidden', 'color', 'baseurl', 'drill_down', 'group_tag', 'directory_uri', 'hidden_data', 'file',
  'library_data', 'ftpfile', 'rules',
]);

const COMMON_ATTRS = ['name', 'type', 'label', 'help', 'argument', 'optional', 'value'];

export function parseInputs(container: XmlElement | undefined): ToolInput[] {
  if (!container) return [];
  const out: ToolInput[] = [];
  for (const el of childElements(container)) {
    // Legacy multi-page tools: pages are flattened, as Galaxy does for execution.
    if (el.tag === 'page') {
      out.push(...parseInputs(el));
      continue;
    }
    const input = parseInput(el);
    if (input) out.push(input);
  }
  return out;
}

function parseInput(el: XmlElement): ToolInput | undefined {
  switch (el.tag) {
    case 'param':
      return parseParam(el);
    case 'conditional':
      return parseConditional(el);
    case 'repeat':
      return parseRepeat(el);
    case 'section':
      return parseSection(el);
    default:
      return undefined;
  }
}

/** `argument="--foo-bar"` without a name gives the name `foo_bar` (Galaxy's rule). */
export function paramName(el: XmlElement): string {
  const name = attr(el, 'name');
  if (name) return name;
  const argument = attr(el, 'argument');
  if (argument) return argument.replace(/^-+/, '').replace(/-/g, '_');
  throw new ToolLoadError('<param> needs a "name" or "argument" attribute', loc(el));
}

export function parseParam(el: XmlElement): ToolParam {
  const type = requireAttr(el, 'type');
  if (!KNOWN_TYPES.has(type)) throw new ToolLoadError(`unknown parameter type "${type}"`, loc(el));
  const base = {
    kind: 'param' as const,
    ...loc(el),
    name: paramName(el),
    label: attr(el, 'label'),
    help: attr(el, 'help') ?? (firstChild(el, 'help') ? textOf(firstChild(el, 'help')!).trim() : undefined),
    argument: attr(el, 'argument'),
    optional: boolAttr(el, 'optional', false),
    value: attr(el, 'value'),
    validators: childElements(el, 'validator').map(parseValidator),
    sanitizer: firstChild(el, 'sanitizer') ? parseSanitizer(firstChild(el, 'sanitizer')!) : undefined,
  };
  const extra = (more: string[]) => attrsRecord(el, [...COMMON_ATTRS, ...more]);
  switch (type) {
    case 'text':
    case 'hidden':
    case 'color':
    case 'baseurl':
      return { ...base, type, area: boolAttr(el, 'area', false), extra: extra(['area']) };
    case 'integer':
      return { ...base, type, min: numberAttr(el, 'min'), max: numberAttr(el, 'max'), extra: extra(['min', 'max']) };
    case 'float':
      return { ...base, type, min: numberAttr(el, 'min'), max: numberAttr(el, 'max'), extra: extra(['min', 'max']) };
    case 'boolean':
      return {
        ...base,
        type,
        truevalue: attr(el, 'truevalue') ?? 'true',
        falsevalue: attr(el, 'falsevalue') ?? 'false',
        checked: stringAsBool(attr(el, 'checked') ?? attr(el, 'value')),
        extra: extra(['truevalue', 'falsevalue', 'checked']),
      };
    case 'select':
    case 'genomebuild':
      return {
        ...base,
        type,
        multiple: boolAttr(el, 'multiple', false),
        display: attr(el, 'display'),
        options: childElements(el, 'option').map(parseOption),
        dynamic: parseDynamicOptions(el),
        separator: attr(el, 'separator') ?? ',',
        extra: extra(['multiple', 'display', 'separator', 'dynamic_options']),
      };
    case 'data_column': {
      const acceptDefault = boolAttr(el, 'accept_default', false);
      return {
        ...base,
        type,
        // `default_value` is the legacy spelling of `value`.
        value: base.value ?? attr(el, 'default_value'),
        optional: base.optional || acceptDefault,
        dataRef: requireAttr(el, 'data_ref'),
        multiple: boolAttr(el, 'multiple', false),
        acceptDefault,
        useHeaderNames: boolAttr(el, 'use_header_names', false),
        numerical: boolAttr(el, 'numerical', false),
        forceSelect: boolAttr(el, 'force_select', true),
        extra: extra(['data_ref', 'multiple', 'accept_default', 'default_value', 'use_header_names', 'numerical', 'force_select']),
      };
    }
    case 'data':
      return {
        ...base,
        type,
        formats: splitFormats(attr(el, 'format')),
        multiple: boolAttr(el, 'multiple', false),
        min: numberAttr(el, 'min', true),
        max: numberAttr(el, 'max', true),
        extra: extra(['format', 'multiple', 'min', 'max']),
      };
    case 'data_collection':
      return {
        ...base,
        type,
        formats: splitFormats(attr(el, 'format')),
        collectionTypes: (attr(el, 'collection_type') ?? '').split(',').map((s) => s.trim()).filter(Boolean),
        extra: extra(['format', 'collection_type']),
      };
    default:
      return { ...base, type: type as 'drill_down', extra: extra([]) };
  }
}

function splitFormats(raw: string | undefined): string[] {
  const list = (raw ?? 'data').split(',').map((s) => s.trim()).filter(Boolean);
  return list.length ? list : ['data'];
}

function parseOption(el: XmlElement): SelectOption {
  const label = textOf(el).trim();
  return { value: attr(el, 'value') ?? label, label, selected: boolAttr(el, 'selected', false) };
}

function parseDynamicOptions(el: XmlElement): DynamicOptions | undefined {
  const code = attr(el, 'dynamic_options');
  const optionsEl = firstChild(el, 'options');
  if (!optionsEl && !code) return undefined;
  const dyn: DynamicOptions = { columns: {}, filters: [] };
  if (code) dyn.unsupportedCode = code;
  if (optionsEl) {
    dyn.fromDataTable = attr(optionsEl, 'from_data_table');
    dyn.fromDataset = attr(optionsEl, 'from_dataset');
    dyn.fromFile = attr(optionsEl, 'from_file');
    dyn.fromParameter = attr(optionsEl, 'from_parameter');
    for (const c of childElements(optionsEl, 'column')) {
      dyn.columns[requireAttr(c, 'name')] = numberAttr(c, 'index', true) ?? 0;
    }
    for (const f of childElements(optionsEl, 'filter')) {
      dyn.filters.push({ type: requireAttr(f, 'type'), attributes: attrsRecord(f, ['type']) });
    }
  }
  return dyn;
}

function parseValidator(el: XmlElement): ValidatorSpec {
  const type = requireAttr(el, 'type');
  return {
    type,
    message: attr(el, 'message'),
    negate: boolAttr(el, 'negate', false),
    expression: textOf(el).trim() || undefined,
    min: numberAttr(el, 'min'),
    max: numberAttr(el, 'max'),
    excludeMin: boolAttr(el, 'exclude_min', false),
    excludeMax: boolAttr(el, 'exclude_max', false),
    attributes: attrsRecord(el, ['type', 'message', 'negate', 'min', 'max', 'exclude_min', 'exclude_max']),
  };
}

export function parseSanitizer(el: XmlElement): SanitizerSpec {
  const spec = defaultSanitizerSpec();
  spec.sanitize = boolAttr(el, 'sanitize', true);
  spec.invalidChar = attr(el, 'invalid_char') ?? 'X';
  const actions = (parent: XmlElement): SanitizerAction[] =>
    childElements(parent)
      .filter((a) => ['add', 'remove'].includes(a.tag.toLowerCase()))
      .map((a) => ({
        action: a.tag.toLowerCase() as 'add' | 'remove',
        preset: attr(a, 'preset'),
        value: attr(a, 'value'),
        source: attr(a, 'source'),
        target: attr(a, 'target'),
      }));
  for (const valid of childElements(el, 'valid')) spec.valid = applyValidActions(attr(valid, 'initial') ?? 'default', actions(valid));
  for (const mapping of childElements(el, 'mapping')) {
    spec.mapping = applyMappingActions(attr(mapping, 'initial') ?? 'default', actions(mapping));
  }
  return spec;
}

function parseConditional(el: XmlElement): ConditionalInput {
  const name = requireAttr(el, 'name');
  const testEl = firstChild(el, 'param');
  if (!testEl) throw new ToolLoadError(`conditional "${name}" has no test <param>`, loc(el));
  const test = parseParam(testEl);
  if (test.type !== 'select' && test.type !== 'boolean') {
    throw new ToolLoadError(`conditional "${name}": test parameter must be a select or boolean, not ${test.type}`, loc(testEl));
  }
  const whens = childElements(el, 'when').map((w) => ({ value: attr(w, 'value') ?? '', inputs: parseInputs(w) }));
  return { kind: 'conditional', ...loc(el), name, test, whens };
}

function parseRepeat(el: XmlElement): RepeatInput {
  const min = numberAttr(el, 'min', true) ?? 0;
  const def = numberAttr(el, 'default', true) ?? 0;
  return {
    kind: 'repeat',
    ...loc(el),
    name: requireAttr(el, 'name'),
    title: attr(el, 'title'),
    min,
    max: numberAttr(el, 'max', true),
    default: Math.max(def, min),
    inputs: parseInputs(el),
  };
}

function parseSection(el: XmlElement): SectionInput {
  return {
    kind: 'section',
    ...loc(el),
    name: requireAttr(el, 'name'),
    title: attr(el, 'title'),
    expanded: boolAttr(el, 'expanded', false),
    inputs: parseInputs(el),
  };
}
