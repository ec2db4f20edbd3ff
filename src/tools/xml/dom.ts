/**
 * A small, mutable element tree built from @xmldom/xmldom. Macro expansion rewrites the tree
 * (copying and splicing elements), which is much simpler on plain objects than on DOM nodes.
 * Every element remembers the file and line it came from, so later errors can point at it.
 */
import { DOMParser } from '@xmldom/xmldom';
import { ToolLoadError } from '../errors.ts';

export interface XmlText {
  kind: 'text';
  text: string;
}

export interface XmlElement {
  kind: 'element';
  tag: string;
  /** Insertion-ordered, like ElementTree's attrib. */
  attrs: Map<string, string>;
  children: XmlNode[];
  file: string;
  line: number;
}

export type XmlNode = XmlElement | XmlText;

interface DomNodeLike {
  nodeType: number;
  nodeName: string;
  nodeValue: string | null;
  childNodes: ArrayLike<DomNodeLike>;
  attributes?: ArrayLike<{ name: string; value: string }>;
  lineNumber?: number;
}

const ELEMENT_NODE = 1;
const TEXT_NODE = 3;
const CDATA_NODE = 4;

/** Parse XML text; comments and processing instructions are dropped (as Galaxy does). */
export function parseXml(text: string, file: string): XmlElement {
  let firstError: { message: string; line?: number } | undefined;
  let doc: { documentElement: DomNodeLike | null } | undefined;
  try {
    doc = new DOMParser({
      onError: (level: string, message: string) => {
        if (level !== 'warning' && !firstError) firstError = { message };
      },
    }).parseFromString(text, 'text/xml') as unknown as { documentElement: DomNodeLike | null };
  } catch (err) {
    const e = err as { message?: string; locator?: { lineNumber?: number } };
    throw new ToolLoadError(`malformed XML: ${cleanMessage(e.message ?? String(err))}`, {
      file,
      line: e.locator?.lineNumber,
    });
  }
  if (firstError || !doc?.documentElement) {
    throw new ToolLoadError(`malformed XML: ${cleanMessage(firstError?.message ?? 'no root element')}`, { file });
  }
  return convert(doc.documentElement, file);
}

function cleanMessage(message: string): string {
  return message.split('\n')[0]!.replace(/^\[xmldom [^\]]*\]\s*/, '');
}

function convert(node: DomNodeLike, file: string): XmlElement {
  const el: XmlElement = {
    kind: 'element',
    tag: node.nodeName,
    attrs: new Map(),
    children: [],
    file,
    line: node.lineNumber ?? 0,
  };
  const attributes = node.attributes;
  if (attributes) {
    for (let i = 0; i < attributes.length; i++) el.attrs.set(attributes[i]!.name, attributes[i]!.value);
  }
  for (let i = 0; i < node.childNodes.length; i++) {
    const child = node.childNodes[i]!;
    if (child.nodeType === ELEMENT_NODE) el.children.push(convert(child, file));
    else if (child.nodeType === TEXT_NODE || child.nodeType === CDATA_NODE) {
      const last = el.children[el.children.length - 1];
      // CDATA next to text is one string for Galaxy (ElementTree merges them).
      if (last?.kind === 'text') last.text += child.nodeValue ?? '';
      else el.children.push({ kind: 'text', text: child.nodeValue ?? '' });
    }
  }
  return el;
}

export function cloneElement(el: XmlElement): XmlElement {
  return {
    ...el,
    attrs: new Map(el.attrs),
    children: el.children.map((c) => (c.kind === 'text' ? { ...c } : cloneElement(c))),
  };
}

export function childElements(el: XmlElement, tag?: string): XmlElement[] {
  return el.children.filter((c): c is XmlElement => c.kind === 'element' && (tag === undefined || c.tag === tag));
}

export function firstChild(el: XmlElement, tag: string): XmlElement | undefined {
  return childElements(el, tag)[0];
}

/** All text inside the element, descendants included (ElementTree's itertext joined). */
export function textOf(el: XmlElement): string {
  return el.children.map((c) => (c.kind === 'text' ? c.text : textOf(c))).join('');
}

/** Only the element's own leading text (ElementTree's `.text`). */
export function ownText(el: XmlElement): string {
  const first = el.children[0];
  return first?.kind === 'text' ? first.text : '';
}

/** Depth-first elements below `el` (not `el` itself), in document order. */
export function* descendants(el: XmlElement): Generator<XmlElement> {
  for (const c of el.children) {
    if (c.kind === 'element') {
      yield c;
      yield* descendants(c);
    }
  }
}
