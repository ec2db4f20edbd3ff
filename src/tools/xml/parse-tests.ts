/** `<tests>` → ToolTest list (what the tool-test runner needs; it interprets assertions itself). */
import { ToolLoadError } from '../errors.ts';
import type {
  Assertion,
  TestCollectionElement,
  TestCollectionValue,
  TestInputs,
  TestOutput,
  TestOutputCollection,
  TestParamValue,
  ToolTest,
} from '../model.ts';
import { attr, attrsRecord, boolAttr, loc, numberAttr, requireAttr } from './attrs.ts';
import { childElements, firstChild, ownText, textOf, type XmlElement } from './dom.ts';
import { rawElement } from './parse-outputs.ts';

const COMPARE_MODES = ['diff', 're_match', 're_match_multiline', 'sim_size', 'contains', 'image_diff'] as const;

export function parseTests(container: XmlElement | undefined): ToolTest[] {
  if (!container) return [];
  return childElements(container, 'test').map((el, index) => parseTest(el, index));
}

function parseTest(el: XmlElement, index: number): ToolTest {
  const assertionsOf = (tag: string) => childElements(el, tag).flatMap((a) => childElements(a).map(parseAssertion));
  return {
    ...loc(el),
    index,
    expectFailure: boolAttr(el, 'expect_failure', false),
    expectExitCode: numberAttr(el, 'expect_exit_code', true),
    expectNumOutputs: numberAttr(el, 'expect_num_outputs', true),
    maxSeconds: numberAttr(el, 'maxseconds'),
    inputs: parseTestInputs(el),
    outputs: childElements(el, 'output').map(parseTestOutput),
    outputCollections: childElements(el, 'output_collection').map(parseTestOutputCollection),
    assertStdout: assertionsOf('assert_stdout'),
    assertStderr: assertionsOf('assert_stderr'),
    assertCommand: assertionsOf('assert_command'),
    assertCommandVersion: assertionsOf('assert_command_version'),
  };
}

/** Nested `<conditional>`/`<section>` give objects, `<repeat>` gives a list of objects. */
function parseTestInputs(el: XmlElement): TestInputs {
  const out: TestInputs = {};
  for (const child of childElements(el)) {
    if (child.tag === 'param') {
      const value = parseTestParam(child);
      const existing = out[value.name];
      // Repeating a <param> with the same name is Galaxy's way of giving several values.
      if (existing && 'name' in existing && !Array.isArray(existing)) {
        const prev = existing as TestParamValue;
        prev.values = [...(prev.values ?? (prev.value !== undefined ? [prev.value] : [])), ...(value.value !== undefined ? [value.value] : [])];
      } else out[value.name] = value;
    } else if (child.tag === 'conditional' || child.tag === 'section') {
      out[requireAttr(child, 'name')] = parseTestInputs(child);
    } else if (child.tag === 'repeat') {
      const name = requireAttr(child, 'name');
      const list = (out[name] as TestInputs[] | undefined) ?? [];
      list.push(parseTestInputs(child));
      out[name] = list;
    }
  }
  return out;
}

function parseTestParam(el: XmlElement): TestParamValue {
  const valueJson = attr(el, 'value_json');
  let parsedJson: unknown;
  if (valueJson !== undefined) {
    try {
      parsedJson = JSON.parse(valueJson);
    } catch {
      throw new ToolLoadError(`test param "${attr(el, 'name')}": value_json is not valid JSON`, loc(el));
    }
  }
  const collectionEl = firstChild(el, 'collection');
  const metadata: Record<string, string> = {};
  for (const m of childElements(el, 'metadata')) metadata[requireAttr(m, 'name')] = attr(m, 'value') ?? '';
  return {
    name: requireAttr(el, 'name'),
    value: attr(el, 'value'),
    valueJson: parsedJson,
    ftype: attr(el, 'ftype'),
    dbkey: attr(el, 'dbkey'),
    collection: collectionEl ? parseTestCollection(collectionEl) : undefined,
    compositeData: childElements(el, 'composite_data').map((c) => attr(c, 'value') ?? ''),
    metadata,
  };
}

function parseTestCollection(el: XmlElement): TestCollectionValue {
  return {
    type: requireAttr(el, 'type'),
    name: attr(el, 'name'),
    elements: childElements(el, 'element').map((e) => {
      const nested = firstChild(e, 'collection');
      return {
        name: requireAttr(e, 'name'),
        value: attr(e, 'value'),
        ftype: attr(e, 'ftype'),
        collection: nested ? parseTestCollection(nested) : undefined,
      };
    }),
  };
}

export function parseAssertion(el: XmlElement): Assertion {
  const attributes = attrsRecord(el);
  // has_text/has_line etc. may also give their text as element content in newer Galaxy.
  const text = ownText(el).trim();
  if (text && !childElements(el).length && attributes.text === undefined) attributes.text = text;
  return { tag: el.tag, attributes, children: childElements(el).map(parseAssertion) };
}

function parseTestOutput(el: XmlElement): TestOutput {
  const compare = attr(el, 'compare') ?? 'diff';
  if (!(COMPARE_MODES as readonly string[]).includes(compare)) {
    throw new ToolLoadError(`unknown compare mode "${compare}"`, loc(el));
  }
  const metadata: Record<string, string> = {};
  for (const m of childElements(el, 'metadata')) metadata[requireAttr(m, 'name')] = attr(m, 'value') ?? '';
  return {
    name: attr(el, 'name') ?? '',
    file: attr(el, 'file'),
    value: attr(el, 'value'),
    ftype: attr(el, 'ftype'),
    compare: compare as TestOutput['compare'],
    linesDiff: numberAttr(el, 'lines_diff', true) ?? 0,
    decompress: boolAttr(el, 'decompress', false),
    delta: numberAttr(el, 'delta'),
    deltaFrac: numberAttr(el, 'delta_frac'),
    sort: boolAttr(el, 'sort', false),
    md5: attr(el, 'md5'),
    checksum: attr(el, 'checksum'),
    assertContents: childElements(el, 'assert_contents').flatMap((a) => childElements(a).map(parseAssertion)),
    metadata,
    discoveredDatasets: childElements(el, 'discovered_dataset').map((d) => ({
      ...parseTestOutput(d),
      designation: requireAttr(d, 'designation'),
    })),
    extraFiles: childElements(el, 'extra_files').map(rawElement),
  };
}

function parseCollectionElement(el: XmlElement): TestCollectionElement {
  return { name: requireAttr(el, 'name'), output: parseTestOutput(el), elements: childElements(el, 'element').map(parseCollectionElement) };
}

function parseTestOutputCollection(el: XmlElement): TestOutputCollection {
  return {
    name: requireAttr(el, 'name'),
    type: attr(el, 'type'),
    count: numberAttr(el, 'count', true),
    elements: childElements(el, 'element').map(parseCollectionElement),
  };
}

