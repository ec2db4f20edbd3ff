/**
 * The ElementTree path subset Galaxy's XML assertions use (`root.findall(path)`): steps joined
 * by '/', '//' for descendants, '.', '*', and predicates `[@attr]`, `[@attr='v']`, `[tag]`,
 * `[tag='text']` and `[n]` (1-based).
 */
import type { XmlElement } from '../tools/xml/dom.ts';

export class XmlPathError extends Error {
  override name = 'XmlPathError';
}

function elementChildren(el: XmlElement): XmlElement[] {
  return el.children.filter((c): c is XmlElement => c.kind === 'element');
}

function descendants(el: XmlElement): XmlElement[] {
  const out: XmlElement[] = [];
  const walk = (e: XmlElement) => {
    for (const c of elementChildren(e)) {
      out.push(c);
      walk(c);
    }
  };
  walk(el);
  return out;
}

export function elementText(el: XmlElement): string {
  // ElementTree's .text: text before the first child element.
  let text = '';
  for (const c of el.children) {
    if (c.kind === 'element') break;
    text += c.text;
  }
  return text;
}

function applyPredicate(elements: XmlElement[], predicate: string): XmlElement[] {
  let m: RegExpExecArray | null;
  if (/^\d+$/.test(predicate)) {
    const i = Number(predicate) - 1;
    return elements[i] ? [elements[i]!] : [];
  }
  if ((m = /^@([\w:.-]+)$/.exec(predicate))) return elements.filter((e) => e.attrs.has(m![1]!));
  if ((m = /^@([\w:.-]+)\s*=\s*(['"])(.*)\2$/.exec(predicate))) return elements.filter((e) => e.attrs.get(m![1]!) === m![3]);
  if ((m = /^([\w:.-]+)$/.exec(predicate))) return elements.filter((e) => elementChildren(e).some((c) => c.tag === m![1]));
  if ((m = /^([\w:.-]+)\s*=\s*(['"])(.*)\2$/.exec(predicate))) {
    return elements.filter((e) => elementChildren(e).some((c) => c.tag === m![1] && elementText(c) === m![3]));
  }
  throw new XmlPathError(`unsupported XML path predicate [${predicate}]`);
}

export function findAll(root: XmlElement, path: string): XmlElement[] {
  let p = path.trim();
  if (p.startsWith('/')) throw new XmlPathError(`absolute paths are not supported on an element: ${path}`);
  // A wrapper so that a step can match the root element's children as ElementTree does.
  let current: XmlElement[] = [root];
  const tokens = p.split(/(\/\/|\/)/).filter((t) => t !== '');
  let descend = false;
  for (const token of tokens) {
    if (token === '/') continue;
    if (token === '//') {
      descend = true;
      continue;
    }
    const m = /^([^[]+)((?:\[[^\]]*\])*)$/.exec(token);
    if (!m) throw new XmlPathError(`cannot parse XML path step ${JSON.stringify(token)} in ${path}`);
    const tag = m[1]!;
    const predicates = [...m[2]!.matchAll(/\[([^\]]*)\]/g)].map((x) => x[1]!);
    let next: XmlElement[];
    if (tag === '.') next = descend ? current.flatMap((e) => [e, ...descendants(e)]) : current;
    else if (tag === '..') throw new XmlPathError(`'..' is not supported in ${path}`);
    else {
      const pool = current.flatMap((e) => (descend ? descendants(e) : elementChildren(e)));
      next = tag === '*' ? pool : pool.filter((e) => e.tag === tag);
    }
    for (const pr of predicates) next = applyPredicate(next, pr.trim());
    current = [...new Set(next)];
    descend = false;
  }
  return current;
}
