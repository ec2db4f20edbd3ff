/** `<outputs>` → ToolOutput list. */
import type { DiscoverDatasets, OutputCollection, OutputData, RawElement, ToolOutput } from '../model.ts';
import { attr, attrsRecord, boolAttr, loc, requireAttr } from './attrs.ts';
import { childElements, textOf, type XmlElement } from './dom.ts';

export function parseOutputs(container: XmlElement | undefined): ToolOutput[] {
  if (!container) return [];
  const out: ToolOutput[] = [];
  for (const el of childElements(container)) {
    if (el.tag === 'data') out.push(parseOutputData(el));
    else if (el.tag === 'collection') out.push(parseOutputCollection(el));
  }
  return out;
}

export function rawElement(el: XmlElement): RawElement {
  return {
    tag: el.tag,
    attributes: attrsRecord(el),
    text: childElements(el).length ? '' : textOf(el).trim(),
    children: childElements(el).map(rawElement),
  };
}

function parseDiscover(el: XmlElement): DiscoverDatasets {
  return {
    pattern: attr(el, 'pattern'),
    fromProvidedMetadata: boolAttr(el, 'from_provided_metadata', false),
    directory: attr(el, 'directory'),
    recurse: boolAttr(el, 'recurse', false),
    matchRelativePath: boolAttr(el, 'match_relative_path', false),
    format: attr(el, 'format') ?? attr(el, 'ext'),
    sortBy: attr(el, 'sort_by'),
    visible: boolAttr(el, 'visible', false),
    assignPrimaryOutput: boolAttr(el, 'assign_primary_output', false),
  };
}

function filters(el: XmlElement): string[] {
  return childElements(el, 'filter').map((f) => textOf(f).trim());
}

function parseOutputData(el: XmlElement): OutputData {
  const changeFormat = childElements(el, 'change_format').flatMap((cf) =>
    childElements(cf, 'when').map((w) => ({
      input: attr(w, 'input'),
      inputDataset: attr(w, 'input_dataset'),
      attribute: attr(w, 'attribute'),
      value: attr(w, 'value') ?? '',
      format: requireAttr(w, 'format'),
    })),
  );
  return {
    kind: 'data',
    ...loc(el),
    name: requireAttr(el, 'name'),
    format: attr(el, 'format'),
    formatSource: attr(el, 'format_source'),
    metadataSource: attr(el, 'metadata_source'),
    fromWorkDir: attr(el, 'from_work_dir'),
    label: attr(el, 'label'),
    hidden: boolAttr(el, 'hidden', false),
    filters: filters(el),
    changeFormat,
    discoverDatasets: childElements(el, 'discover_datasets').map(parseDiscover),
    actions: childElements(el, 'actions').map(rawElement),
  };
}

function parseOutputCollection(el: XmlElement): OutputCollection {
  return {
    kind: 'collection',
    ...loc(el),
    name: requireAttr(el, 'name'),
    type: attr(el, 'type'),
    typeSource: attr(el, 'type_source'),
    structuredLike: attr(el, 'structured_like'),
    format: attr(el, 'format'),
    formatSource: attr(el, 'format_source'),
    label: attr(el, 'label'),
    inherit_format: el.attrs.has('inherit_format') ? boolAttr(el, 'inherit_format', false) : undefined,
    filters: filters(el),
    elements: childElements(el, 'data').map(parseOutputData),
    discoverDatasets: childElements(el, 'discover_datasets').map(parseDiscover),
  };
}
