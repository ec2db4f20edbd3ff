/**
 * Galaxy tool macros (lib/galaxy/util/xml_macros.py semantics, reimplemented):
 *
 * - `<macros>` holds `<import>` (files relative to the TOOL file's directory, also for imports
 *   found inside imported files), `<xml name>` / `<macro type="xml">`, `<token name="@X@">` and
 *   `<template>` macros. Imported macros come before embedded ones; a later macro of the same
 *   name wins.
 * - `<expand macro="m" a="v">` is replaced by the macro's child elements. Inside the copy,
 *   `<yield name="n"/>` takes the children of the expand's `<token name="n">` child, and a plain
 *   `<yield/>` takes the expand's other children. Macro parameters (`tokens="a,b"` required,
 *   `token_a="default"` optional, `token_quote` for the delimiter) substitute `@A@` in the
 *   copy. Expansion recurses into the copy; cycles are an error.
 * - Global tokens (nested tokens expanded first) are then substituted in every element's
 *   leading text, attribute values and attribute names.
 *
 * Two ElementTree details are kept on purpose so commands render exactly as in Galaxy: only an
 * element's leading text (`.text`) is token-expanded (never the text after a child element),
 * and the text right after a replaced `<expand>`/`<yield>` element (its "tail") is dropped.
 */
import { posix } from 'node:path';
import { ToolLoadError } from '../errors.ts';
import { childElements, cloneElement, firstChild, ownText, parseXml, type XmlElement, type XmlNode } from './dom.ts';

/** Reads a file given its path relative to the tool's directory; returns undefined if absent. */
export type MacroFileReader = (relativePath: string) => string | undefined;

export interface ExpandedTool {
  root: XmlElement;
  /** Imported files, relative to the tool directory, in load order. */
  importedFiles: string[];
  /** `<template>` macros: name → Cheetah text, added to the command's namespace. */
  templateMacros: Record<string, string>;
  /** `@UPPER@`-looking strings no token defined; Galaxy leaves them as they are. */
  unresolvedTokens: { token: string; file: string; line: number }[];
}

interface MacroSet {
  xml: Map<string, XmlElement>;
  tokens: { name: string; value: string; el: XmlElement }[];
  templates: XmlElement[];
  imported: string[];
}

const MAX_IMPORT_DEPTH = 20;

export function expandMacros(toolXml: string, toolFile: string, readFile: MacroFileReader): ExpandedTool {
  const root = parseXml(toolXml, toolFile);
  const result: ExpandedTool = { root, importedFiles: [], templateMacros: {}, unresolvedTokens: [] };
  const macrosEl = firstChild(root, 'macros');
  if (!macrosEl) return result;

  const set: MacroSet = { xml: new Map(), tokens: [], templates: [], imported: [] };
  loadMacros(macrosEl, set, readFile, 0);
  macrosEl.children = [];
  macrosEl.attrs.clear();

  const tokens = expandNestedTokens(set.tokens);
  expandAllIn(root, set.xml, []);
  for (const t of set.templates) {
    macrosEl.children.push(t);
    result.templateMacros[t.attrs.get('name') ?? ''] = ownText(t);
  }
  expandTokensInElement(root, tokens);
  result.importedFiles = set.imported;
  collectUnresolved(root, result.unresolvedTokens);
  return result;
}

function loadMacros(macrosEl: XmlElement, set: MacroSet, readFile: MacroFileReader, depth: number): void {
  for (const imp of childElements(macrosEl, 'import')) {
    const rel = ownText(imp).trim();
    if (!rel) throw new ToolLoadError('<import> names no file', { file: imp.file, line: imp.line });
    if (depth >= MAX_IMPORT_DEPTH) {
      throw new ToolLoadError(`macro imports nested deeper than ${MAX_IMPORT_DEPTH} (import cycle?) at "${rel}"`, {
        file: imp.file,
        line: imp.line,
      });
    }
    const normalized = posix.normalize(rel);
    const text = readFile(normalized);
    if (text === undefined) {
      throw new ToolLoadError(`imported macro file "${rel}" not found`, { file: imp.file, line: imp.line });
    }
    set.imported.push(normalized);
    loadMacros(parseXml(text, normalized), set, readFile, depth + 1);
  }
  for (const el of childElements(macrosEl)) {
    const type = el.tag === 'macro' ? (el.attrs.get('type') ?? 'xml') : el.tag;
    if (el.tag !== 'macro' && !['xml', 'token', 'template'].includes(el.tag)) continue;
    const name = el.attrs.get('name');
    if (!name) throw new ToolLoadError(`<${el.tag}> macro without a name`, { file: el.file, line: el.line });
    if (type === 'xml') set.xml.set(name, el);
    else if (type === 'token') set.tokens.push({ name, value: ownText(el), el });
    else if (type === 'template') set.templates.push(el);
  }
}

/** Galaxy's expand_nested_tokens: one pass, in definition order, replacing token names inside token values. */
function expandNestedTokens(list: MacroSet['tokens']): Map<string, string> {
  const tokens = new Map<string, string>();
  for (const t of list) tokens.set(t.name, t.value);
  for (const name of [...tokens.keys()]) {
    for (const [current, value] of tokens) {
      if (!value.includes(name)) continue;
      if (current === name) {
        const def = list.find((t) => t.name === name)!;
        throw new ToolLoadError(`token "${name}" cannot contain itself`, { file: def.el.file, line: def.el.line });
      }
      tokens.set(current, value.split(name).join(tokens.get(name)!));
    }
  }
  return tokens;
}

/** Repeatedly expand the first `<expand>` below `el` until none is left. */
function expandAllIn(el: XmlElement, macros: Map<string, XmlElement>, visited: string[]): void {
  for (;;) {
    const found = findFirst(el, 'expand');
    if (!found) return;
    expandOne(found.parent, found.index, macros, visited);
  }
}

function expandOne(parent: XmlElement, index: number, macros: Map<string, XmlElement>, visited: string[]): void {
  const expandEl = parent.children[index] as XmlElement;
  const where = { file: expandEl.file, line: expandEl.line };
  const name = expandEl.attrs.get('macro');
  if (!name) throw new ToolLoadError('<expand> without a "macro" attribute', where);
  if (visited.includes(name)) {
    throw new ToolLoadError(`cycle in nested macros: ${[...visited, name].join(' -> ')}`, where);
  }
  const def = macros.get(name);
  if (!def) {
    const known = [...macros.keys()].join(', ') || 'none';
    throw new ToolLoadError(`no macro named "${name}" (known macros: ${known})`, where);
  }
  visited.push(name);
  const copy = cloneElement(def);
  expandYields(copy, expandEl);
  const params = macroParameters(def, expandEl);
  if (params.size > 0) for (const child of childElements(copy)) expandTokensInElement(child, params);
  // Expansion of nested macros happens inside the copy, before it is spliced in.
  for (const child of childElements(copy)) {
    expandAllIn(child, macros, visited);
  }
  // `.//expand` in Galaxy does not match the children themselves; handle a top-level expand too.
  for (;;) {
    const i = copy.children.findIndex((c) => c.kind === 'element' && c.tag === 'expand');
    if (i < 0) break;
    expandOne(copy, i, macros, visited);
  }
  replaceWithChildrenOf(parent, index, copy);
  visited.pop();
}

function expandYields(macroCopy: XmlElement, expandEl: XmlElement): void {
  for (const tokenEl of childElements(expandEl, 'token')) {
    const name = tokenEl.attrs.get('name');
    if (!name) throw new ToolLoadError('<token> inside <expand> needs a name', { file: tokenEl.file, line: tokenEl.line });
    const yields = findAll(macroCopy, 'yield', (y) => y.attrs.get('name') === name);
    for (const y of yields) replaceNode(y, tokenEl);
    const replaced = yields.length;
    if (replaced === 0) {
      throw new ToolLoadError(`no named yield "${name}" in macro "${expandEl.attrs.get('macro')}"`, {
        file: tokenEl.file,
        line: tokenEl.line,
      });
    }
  }
  const plainChildren: XmlElement = { ...expandEl, children: withoutTokenChildren(expandEl.children) };
  for (const y of findAll(macroCopy, 'yield')) replaceNode(y, plainChildren);
}

/** Expand's children minus `<token>` elements (and their tails, which travel with them). */
function withoutTokenChildren(children: XmlNode[]): XmlNode[] {
  const out: XmlNode[] = [];
  for (let i = 0; i < children.length; i++) {
    const c = children[i]!;
    if (c.kind === 'element' && c.tag === 'token') {
      if (children[i + 1]?.kind === 'text') i++;
      continue;
    }
    out.push(c);
  }
  return out;
}

function macroParameters(def: XmlElement, expandEl: XmlElement): Map<string, string> {
  let quote = '@';
  const declared = new Map<string, string | undefined>();
  for (const [key, value] of def.attrs) {
    if (key === 'token_quote') quote = value;
    if (key === 'tokens') {
      for (const t of value.split(',')) declared.set(t, undefined);
    } else if (key.startsWith('token_')) {
      declared.set(key.slice('token_'.length), value);
    }
  }
  const params = new Map<string, string>();
  for (const [key, fallback] of declared) {
    const value = expandEl.attrs.get(key) ?? fallback;
    if (value === undefined) {
      throw new ToolLoadError(`macro "${def.attrs.get('name')}" needs parameter "${key}" (missing token)`, {
        file: expandEl.file,
        line: expandEl.line,
      });
    }
    params.set(`${quote}${key.toUpperCase()}${quote}`, value);
  }
  return params;
}

/**
 * Replace `parent.children[index]` (and the text right after it, as lxml drops a removed
 * element's tail) by copies of the element children of `source`, each with its own tail.
 */
function replaceWithChildrenOf(parent: XmlElement, index: number, source: XmlElement): void {
  const inserted: XmlNode[] = [];
  const nodes = source.children;
  let seenElement = false;
  for (const node of nodes) {
    if (node.kind === 'element') {
      seenElement = true;
      inserted.push(cloneElement(node));
    } else if (seenElement) {
      inserted.push({ kind: 'text', text: node.text });
    }
  }
  const removeCount = parent.children[index + 1]?.kind === 'text' ? 2 : 1;
  parent.children.splice(index, removeCount, ...inserted);
  mergeAdjacentText(parent);
}

function mergeAdjacentText(el: XmlElement): void {
  const merged: XmlNode[] = [];
  for (const c of el.children) {
    const last = merged[merged.length - 1];
    if (c.kind === 'text' && last?.kind === 'text') last.text += c.text;
    else merged.push(c);
  }
  el.children = merged;
}

function findFirst(
  el: XmlElement,
  tag: string,
  accept: (e: XmlElement) => boolean = () => true,
): { parent: XmlElement; index: number } | undefined {
  for (let i = 0; i < el.children.length; i++) {
    const c = el.children[i]!;
    if (c.kind !== 'element') continue;
    if (c.tag === tag && accept(c)) return { parent: el, index: i };
    const inner = findFirst(c, tag, accept);
    if (inner) return inner;
  }
  return undefined;
}

/** Galaxy collects all matching yields first, then replaces them (no re-scan of inserted content). */
function findAll(
  el: XmlElement,
  tag: string,
  accept: (e: XmlElement) => boolean = () => true,
  out: { parent: XmlElement; el: XmlElement }[] = [],
): { parent: XmlElement; el: XmlElement }[] {
  for (const c of childElements(el)) {
    if (c.tag === tag && accept(c)) out.push({ parent: el, el: c });
    findAll(c, tag, accept, out);
  }
  return out;
}

function replaceNode(target: { parent: XmlElement; el: XmlElement }, source: XmlElement): void {
  const index = target.parent.children.indexOf(target.el);
  if (index >= 0) replaceWithChildrenOf(target.parent, index, source);
}

function replaceTokens(s: string, tokens: Map<string, string>): string {
  for (const [key, value] of tokens) if (s.includes(key)) s = s.split(key).join(value);
  return s;
}

function expandTokensInElement(el: XmlElement, tokens: Map<string, string>): void {
  if (tokens.size === 0) return;
  const first = el.children[0];
  if (first?.kind === 'text') first.text = replaceTokens(first.text, tokens);
  const entries = [...el.attrs];
  el.attrs.clear();
  for (const [key, value] of entries) el.attrs.set(replaceTokens(key, tokens), replaceTokens(value, tokens));
  for (const child of childElements(el)) expandTokensInElement(child, tokens);
}

const TOKEN_LIKE = /@[A-Z][A-Z0-9_]*@/g;

function collectUnresolved(el: XmlElement, out: ExpandedTool['unresolvedTokens']): void {
  const texts = [...el.attrs.values()];
  const first = el.children[0];
  if (first?.kind === 'text') texts.push(first.text);
  for (const t of texts) for (const m of t.matchAll(TOKEN_LIKE)) out.push({ token: m[0], file: el.file, line: el.line });
  for (const child of childElements(el)) collectUnresolved(child, out);
}
