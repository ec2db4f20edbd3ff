/**
 * Galaxy's content assertions (`<assert_contents>`, `<assert_stdout>`, `<assert_stderr>`,
 * `<assert_command>`), reimplemented from their documented behaviour in galaxy.xsd. Every
 * assertion accepts `negate="true"`. Each returns failure messages; none means it passed.
 */
import type { Assertion } from '../tools/model.ts';
import { parseXml, type XmlElement } from '../tools/xml/dom.ts';
import { pyMatch, pythonRegex } from './regex.ts';
import { elementText, findAll } from './xml-path.ts';

type Check = (text: string, a: Record<string, string>, children: Assertion[], size: number) => string | undefined;

function num(a: Record<string, string>, name: string): number | undefined {
  const v = a[name];
  if (v === undefined || v.trim() === '') return undefined;
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kKmMgGtT]?)i?[bB]?\s*$/.exec(v);
  if (!m) throw new Error(`attribute ${name}=${JSON.stringify(v)} is not a number`);
  const scale = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 }[m[2]!.toLowerCase() as '' | 'k' | 'm' | 'g' | 't'];
  return Number(m[1]) * scale;
}

/** Galaxy's _assert_number: `n` ± `delta`, then `min`/`max`. Returns a problem or undefined. */
function countProblem(count: number, a: Record<string, string>, what: string): string | undefined {
  const n = num(a, 'n');
  const delta = num(a, 'delta') ?? 0;
  const min = num(a, 'min');
  const max = num(a, 'max');
  if (n !== undefined && Math.abs(count - n) > delta) return `expected ${what} ${n}${delta ? ` (±${delta})` : ''}, found ${count}`;
  if (min !== undefined && count < min) return `expected ${what} at least ${min}, found ${count}`;
  if (max !== undefined && count > max) return `expected ${what} at most ${max}, found ${count}`;
  return undefined;
}

function hasCountAttrs(a: Record<string, string>): boolean {
  return ['n', 'min', 'max'].some((k) => a[k] !== undefined);
}

function need(a: Record<string, string>, name: string, tag: string): string {
  const v = a[name];
  if (v === undefined) throw new Error(`${tag} needs a ${name} attribute`);
  return v;
}

function occurrences(text: string, needle: string): number {
  if (needle === '') return text.length + 1;
  let count = 0;
  for (let i = text.indexOf(needle); i >= 0; i = text.indexOf(needle, i + needle.length)) count++;
  return count;
}

/** Python's str.splitlines for the common separators. */
function lines(text: string): string[] {
  const parts = text.split(/\r\n|\n|\r/);
  if (parts.length && parts[parts.length - 1] === '') parts.pop();
  return parts;
}

/** presence check when no count is given, else a count check: the has_text family. */
function presenceOrCount(count: number, a: Record<string, string>, what: string, absentMessage: string): string | undefined {
  if (!hasCountAttrs(a)) return count > 0 ? undefined : absentMessage;
  return countProblem(count, a, what);
}

function parseXmlText(text: string): XmlElement {
  return parseXml(text, 'output');
}

function firstElement(text: string, path: string): XmlElement | undefined {
  return findAll(parseXmlText(text), path)[0];
}

function jsonProperties(value: unknown, property: string, out: unknown[] = []): unknown[] {
  if (Array.isArray(value)) for (const v of value) jsonProperties(v, property, out);
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (k === property) out.push(v);
      jsonProperties(v, property, out);
    }
  }
  return out;
}

function deepEqual(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

const CHECKS: Record<string, Check> = {
  has_text(text, a) {
    const needle = need(a, 'text', 'has_text');
    return presenceOrCount(occurrences(text, needle), a, `occurrences of ${JSON.stringify(needle)}`, `text ${JSON.stringify(needle)} not found`);
  },
  not_has_text(text, a) {
    const needle = need(a, 'text', 'not_has_text');
    return text.includes(needle) ? `text ${JSON.stringify(needle)} found but should be absent` : undefined;
  },
  has_line(text, a) {
    const line = need(a, 'line', 'has_line');
    const count = lines(text).filter((l) => l === line).length;
    return presenceOrCount(count, a, `lines equal to ${JSON.stringify(line)}`, `line ${JSON.stringify(line)} not found`);
  },
  has_line_matching(text, a) {
    const expr = need(a, 'expression', 'has_line_matching');
    const count = lines(text).filter((l) => pyMatch(expr, l)).length;
    return presenceOrCount(count, a, `lines matching /${expr}/`, `no line matches /${expr}/`);
  },
  has_text_matching(text, a) {
    const expr = need(a, 'expression', 'has_text_matching');
    const count = [...text.matchAll(pythonRegex(expr, 'g'))].length;
    return presenceOrCount(count, a, `matches of /${expr}/`, `no text matches /${expr}/`);
  },
  has_n_lines(text, a) {
    let count = occurrences(text, '\n');
    if (text.length > 0 && !text.endsWith('\n')) count++;
    return countProblem(count, a, 'number of lines');
  },
  has_n_columns(text, a) {
    const sep = a.sep ?? '\t';
    const comment = a.comment ?? '';
    for (const line of lines(text)) {
      if (comment && [...comment].some((c) => line.startsWith(c))) continue;
      const problem = countProblem(line.split(sep).length, a, 'number of columns');
      if (problem) return `${problem} in line ${JSON.stringify(line.slice(0, 80))}`;
    }
    return undefined;
  },
  has_size(_text, a, _children, size) {
    const n = a.value ?? a.size ?? a.n;
    return countProblem(size, n === undefined ? a : { ...a, n }, 'size');
  },
  is_valid_xml(text) {
    try {
      parseXmlText(text);
      return undefined;
    } catch (err) {
      return `not valid XML: ${(err as Error).message}`;
    }
  },
  has_element_with_path(text, a) {
    const path = need(a, 'path', 'has_element_with_path');
    return findAll(parseXmlText(text), path).length ? undefined : `no element found at path ${path}`;
  },
  has_n_elements_with_path(text, a) {
    const path = need(a, 'path', 'has_n_elements_with_path');
    return countProblem(findAll(parseXmlText(text), path).length, a, `elements at ${path}`);
  },
  element_text_is(text, a) {
    const path = need(a, 'path', 'element_text_is');
    const el = firstElement(text, path);
    if (!el) return `no element found at path ${path}`;
    const expected = need(a, 'text', 'element_text_is');
    return elementText(el) === expected ? undefined : `text of ${path} is ${JSON.stringify(elementText(el))}, expected ${JSON.stringify(expected)}`;
  },
  element_text_matches(text, a) {
    const path = need(a, 'path', 'element_text_matches');
    const el = firstElement(text, path);
    if (!el) return `no element found at path ${path}`;
    const expr = need(a, 'expression', 'element_text_matches');
    return pyMatch(expr, elementText(el)) ? undefined : `text of ${path} (${JSON.stringify(elementText(el))}) does not match /${expr}/`;
  },
  attribute_is(text, a) {
    const path = need(a, 'path', 'attribute_is');
    const el = firstElement(text, path);
    if (!el) return `no element found at path ${path}`;
    const name = need(a, 'attribute', 'attribute_is');
    const expected = need(a, 'text', 'attribute_is');
    const actual = el.attrs.get(name);
    return actual === expected ? undefined : `attribute ${name} of ${path} is ${JSON.stringify(actual ?? null)}, expected ${JSON.stringify(expected)}`;
  },
  attribute_matches(text, a) {
    const path = need(a, 'path', 'attribute_matches');
    const el = firstElement(text, path);
    if (!el) return `no element found at path ${path}`;
    const name = need(a, 'attribute', 'attribute_matches');
    const expr = need(a, 'expression', 'attribute_matches');
    const actual = el.attrs.get(name);
    return actual !== undefined && pyMatch(expr, actual) ? undefined : `attribute ${name} of ${path} (${JSON.stringify(actual ?? null)}) does not match /${expr}/`;
  },
  element_text(text, a, children) {
    const path = need(a, 'path', 'element_text');
    const el = firstElement(text, path);
    if (!el) return `no element found at path ${path}`;
    const problems = runAssertions(children, elementText(el));
    return problems.length ? `text of ${path}: ${problems.join('; ')}` : undefined;
  },
  xml_element(text, a, children) {
    const path = need(a, 'path', 'xml_element');
    const found = findAll(parseXmlText(text), path);
    if (hasCountAttrs(a)) {
      const problem = countProblem(found.length, a, `elements at ${path}`);
      if (problem) return problem;
    } else if (!found.length) return `no element found at path ${path}`;
    for (const el of found) {
      const problems = runAssertions(children, elementText(el));
      if (problems.length) return `element at ${path}: ${problems.join('; ')}`;
    }
    return undefined;
  },
  has_json_property_with_value(text, a) {
    const property = need(a, 'property', 'has_json_property_with_value');
    const expected = JSON.parse(need(a, 'value', 'has_json_property_with_value')) as unknown;
    const values = jsonProperties(JSON.parse(text), property);
    return values.some((v) => deepEqual(v, expected)) ? undefined : `no JSON property ${property} with value ${JSON.stringify(expected)}`;
  },
  has_json_property_with_text(text, a) {
    const property = need(a, 'property', 'has_json_property_with_text');
    const expected = need(a, 'text', 'has_json_property_with_text');
    const values = jsonProperties(JSON.parse(text), property);
    return values.some((v) => v === expected) ? undefined : `no JSON property ${property} with text ${JSON.stringify(expected)}`;
  },
};

export const SUPPORTED_ASSERTIONS = Object.keys(CHECKS);

/** Runs assertions against text; returns one message per failed assertion. */
export function runAssertions(assertions: Assertion[], content: string | Buffer): string[] {
  const text = typeof content === 'string' ? content : content.toString('utf8');
  const size = typeof content === 'string' ? Buffer.byteLength(content) : content.length;
  const problems: string[] = [];
  for (const assertion of assertions) {
    const check = CHECKS[assertion.tag];
    if (!check) {
      problems.push(`unsupported assertion <${assertion.tag}>`);
      continue;
    }
    const negate = (assertion.attributes.negate ?? 'false').toLowerCase() === 'true';
    let problem: string | undefined;
    try {
      problem = check(text, assertion.attributes, assertion.children, size);
    } catch (err) {
      // A malformed output (invalid XML/JSON) fails the assertion; negation does not rescue it.
      problems.push(`${assertion.tag}: ${(err as Error).message}`);
      continue;
    }
    if (negate && !problem) problems.push(`${assertion.tag} (negated): assertion holds but should not`);
    else if (!negate && problem) problems.push(`${assertion.tag}: ${problem}`);
  }
  return problems;
}
