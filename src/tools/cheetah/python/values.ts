/**
 * The Python value model over plain JS values.
 *
 *   None -> null (undefined is read as None too)     bool -> boolean     str -> string
 *   int  -> integral JS number                        float -> non-integral JS number, or PyFloat
 *   list -> Array        tuple -> Array marked with TUPLE_MARK        set -> Set
 *   dict -> Map (created by templates) or a plain object (from the namespace)
 *
 * Floats: a JS number cannot tell 2 from 2.0, yet Python prints them differently ("2" vs "2.0").
 * A float whose value is integral is therefore boxed in `PyFloat`; every other float stays a bare
 * number. `makeFloat` applies this rule, so arithmetic never has to think about it.
 */
import { pyErr } from '../errors.ts';
import { PY_BOOL, PY_CONTAINS, PY_EQ, PY_ITER, PY_LEN, PY_STR, PY_TYPE } from '../protocol.ts';

export class PyFloat {
  constructor(readonly value: number) {}
}

export function makeFloat(n: number): number | PyFloat {
  return Number.isInteger(n) ? new PyFloat(n) : n;
}

export const TUPLE_MARK = Symbol('nebula.py.tuple');

export function tuple(items: unknown[]): unknown[] {
  Object.defineProperty(items, TUPLE_MARK, { value: true });
  return items;
}

export function isTuple(v: unknown): v is unknown[] {
  return Array.isArray(v) && (v as unknown as Record<symbol, unknown>)[TUPLE_MARK] === true;
}

/** A callable built into the engine (builtin function, method, `#def`, lambda). */
export class PyFunction {
  constructor(
    readonly name: string,
    readonly impl: (args: unknown[], kwargs: Record<string, unknown>) => unknown,
    /** Types (str, int, list...) are callable but NameMapper never auto-calls them. */
    readonly isType = false,
  ) {}
}

/** An imported module: a fixed table of attributes. */
export class PyModule {
  constructor(
    readonly name: string,
    readonly attrs: Map<string, unknown>,
  ) {}
}

export type PyDict = Map<unknown, unknown> | Record<string, unknown>;

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== 'object') return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

export function isDict(v: unknown): v is PyDict {
  return v instanceof Map || isPlainObject(v);
}

export function isNone(v: unknown): v is null | undefined {
  return v === null || v === undefined;
}

export function isInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v);
}

export function isFloat(v: unknown): boolean {
  return v instanceof PyFloat || (typeof v === 'number' && !Number.isInteger(v));
}

/** True for int, float and bool (Python's numeric tower). */
export function isNumeric(v: unknown): boolean {
  return typeof v === 'number' || typeof v === 'boolean' || v instanceof PyFloat;
}

export function toNumber(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (v instanceof PyFloat) return v.value;
  throw pyErr.type(`expected a number, got ${typeName(v)}`);
}

function hook<T>(v: unknown, sym: symbol): T | undefined {
  if (v !== null && typeof v === 'object') {
    const fn = (v as Record<symbol, unknown>)[sym];
    if (typeof fn === 'function') return fn as T;
  }
  return undefined;
}

export function hasHook(v: unknown, sym: symbol): boolean {
  return hook(v, sym) !== undefined;
}

export function callHook<R>(v: unknown, sym: symbol, ...args: unknown[]): R {
  const fn = hook<(...a: unknown[]) => R>(v, sym)!;
  return fn.apply(v, args);
}

export function typeName(v: unknown): string {
  if (isNone(v)) return 'NoneType';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'string') return 'str';
  if (isInt(v)) return 'int';
  if (isFloat(v)) return 'float';
  if (isTuple(v)) return 'tuple';
  if (Array.isArray(v)) return 'list';
  if (v instanceof Set) return 'set';
  if (isDict(v)) return 'dict';
  if (v instanceof PyModule) return 'module';
  if (v instanceof PyFunction) return v.isType ? 'type' : 'function';
  if (typeof v === 'function') return 'function';
  const t = hook<() => string>(v, PY_TYPE);
  if (t) return t.call(v);
  return 'object';
}

// ---------------------------------------------------------------- dicts

export function dictKeys(d: PyDict): unknown[] {
  return d instanceof Map ? [...d.keys()] : Object.keys(d);
}

export function dictEntries(d: PyDict): [unknown, unknown][] {
  return d instanceof Map ? [...d.entries()] : Object.entries(d);
}

/** Normalises a key so that 1, 1.0 and True find the same Map entry, as in Python. */
export function dictKey(k: unknown): unknown {
  if (k instanceof PyFloat) return k.value;
  if (typeof k === 'boolean') return k ? 1 : 0;
  if (k === undefined) return null;
  return k;
}

export function dictHas(d: PyDict, k: unknown): boolean {
  if (d instanceof Map) return d.has(dictKey(k));
  return typeof k === 'string' && Object.prototype.hasOwnProperty.call(d, k);
}

export function dictGet(d: PyDict, k: unknown): unknown {
  if (d instanceof Map) return d.get(dictKey(k));
  return (d as Record<string, unknown>)[k as string];
}

export function dictSet(d: PyDict, k: unknown, v: unknown): void {
  if (d instanceof Map) d.set(dictKey(k), v);
  else if (typeof k === 'string' && k !== '__proto__') d[k] = v;
  else throw pyErr.type('keys of this dict must be strings');
}

export function dictDelete(d: PyDict, k: unknown): void {
  if (d instanceof Map) d.delete(dictKey(k));
  else delete (d as Record<string, unknown>)[k as string];
}

export function dictSize(d: PyDict): number {
  return d instanceof Map ? d.size : Object.keys(d).length;
}

// ---------------------------------------------------------------- str / repr

export function formatFloat(n: number): string {
  if (Number.isNaN(n)) return 'nan';
  if (n === Infinity) return 'inf';
  if (n === -Infinity) return '-inf';
  if (n === 0) return Object.is(n, -0) ? '-0.0' : '0.0';
  // Python's repr: shortest round-trip digits, fixed notation when -4 <= exponent < 16.
  const [mantissa, expPart] = n.toExponential().split('e');
  const exp = Number(expPart);
  if (exp >= -4 && exp < 16) {
    const s = String(n);
    const fixed = /e/.test(s) ? n.toFixed(Math.max(0, -exp + mantissa.replace(/[-.]/g, '').length - 1)) : s;
    return fixed.includes('.') ? fixed : `${fixed}.0`;
  }
  const sign = exp < 0 ? '-' : '+';
  const digits = String(Math.abs(exp)).padStart(2, '0');
  return `${mantissa}e${sign}${digits}`;
}

export function formatInt(n: number): string {
  return Math.abs(n) < 1e21 ? String(n) : BigInt(n).toString();
}

export function pyStr(v: unknown): string {
  if (typeof v === 'string') return v;
  const custom = hook<() => string>(v, PY_STR);
  if (custom) return String(custom.call(v));
  return pyRepr(v);
}

function reprString(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of s) {
    const code = ch.codePointAt(0)!;
    if (ch === '\\') out += '\\\\';
    else if (ch === quote) out += `\\${quote}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return out + quote;
}

export function pyRepr(v: unknown, seen: Set<unknown> = new Set()): string {
  if (isNone(v)) return 'None';
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (typeof v === 'string') return reprString(v);
  if (typeof v === 'number') return Number.isInteger(v) ? formatInt(v) : formatFloat(v);
  if (v instanceof PyFloat) return formatFloat(v.value);
  if (typeof v === 'object' && seen.has(v)) return Array.isArray(v) ? '[...]' : '{...}';
  if (Array.isArray(v)) {
    seen.add(v);
    const items = v.map((x) => pyRepr(x, seen));
    seen.delete(v);
    if (isTuple(v)) return items.length === 1 ? `(${items[0]},)` : `(${items.join(', ')})`;
    return `[${items.join(', ')}]`;
  }
  if (v instanceof Set) {
    if (v.size === 0) return 'set()';
    seen.add(v);
    const s = `{${[...v].map((x) => pyRepr(x, seen)).join(', ')}}`;
    seen.delete(v);
    return s;
  }
  if (isDict(v)) {
    seen.add(v);
    const s = `{${dictEntries(v)
      .map(([k, x]) => `${pyRepr(k, seen)}: ${pyRepr(x, seen)}`)
      .join(', ')}}`;
    seen.delete(v);
    return s;
  }
  const custom = hook<() => string>(v, PY_STR);
  if (custom) return String(custom.call(v));
  if (v instanceof PyModule) return `<module '${v.name}'>`;
  if (v instanceof PyFunction) return v.isType ? `<class '${v.name}'>` : `<function ${v.name}>`;
  if (typeof v === 'function') return '<function>';
  return `<${typeName(v)} object>`;
}

// ---------------------------------------------------------------- truth, equality, order

export function truthy(v: unknown): boolean {
  if (isNone(v)) return false;
  switch (typeof v) {
    case 'boolean':
      return v;
    case 'string':
      return v.length > 0;
    case 'number':
      return v !== 0;
    case 'function':
      return true;
  }
  if (v instanceof PyFloat) return v.value !== 0;
  const b = hook<() => boolean>(v, PY_BOOL);
  if (b) return Boolean(b.call(v));
  if (Array.isArray(v)) return v.length > 0;
  if (v instanceof Set) return v.size > 0;
  if (isDict(v)) return dictSize(v) > 0;
  const len = hook<() => number>(v, PY_LEN);
  if (len) return len.call(v) > 0;
  return true;
}

export function pyEq(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  const ea = hook<(o: unknown) => boolean>(a, PY_EQ);
  if (ea) return Boolean(ea.call(a, b));
  const eb = hook<(o: unknown) => boolean>(b, PY_EQ);
  if (eb) return Boolean(eb.call(b, a));
  if (isNone(a) || isNone(b)) return isNone(a) && isNone(b);
  if (isNumeric(a) && isNumeric(b)) return toNumber(a) === toNumber(b);
  if (Array.isArray(a) && Array.isArray(b)) {
    if (isTuple(a) !== isTuple(b) || a.length !== b.length) return false;
    return a.every((x, i) => pyEq(x, b[i]));
  }
  if (a instanceof Set && b instanceof Set) {
    return a.size === b.size && [...a].every((x) => setHas(b, x));
  }
  if (isDict(a) && isDict(b)) {
    if (dictSize(a) !== dictSize(b)) return false;
    return dictEntries(a).every(([k, x]) => dictHas(b, k) && pyEq(x, dictGet(b, k)));
  }
  return false;
}

export function setHas(s: Set<unknown>, item: unknown): boolean {
  const key = dictKey(item);
  if (s.has(key)) return true;
  if (key !== null && typeof key === 'object') for (const x of s) if (pyEq(x, key)) return true;
  return false;
}

/** Python ordering (<); throws TypeError between unorderable types. */
export function pyCompare(a: unknown, b: unknown): number {
  if (isNumeric(a) && isNumeric(b)) {
    const x = toNumber(a);
    const y = toNumber(b);
    return x < y ? -1 : x > y ? 1 : 0;
  }
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  if (Array.isArray(a) && Array.isArray(b)) {
    const n = Math.min(a.length, b.length);
    for (let i = 0; i < n; i++) {
      if (!pyEq(a[i], b[i])) return pyCompare(a[i], b[i]);
    }
    return a.length - b.length;
  }
  throw pyErr.type(`'<' not supported between instances of '${typeName(a)}' and '${typeName(b)}'`);
}

// ---------------------------------------------------------------- iteration, length, membership

export function iterate(v: unknown): Iterable<unknown> {
  if (typeof v === 'string') return Array.from(v);
  if (Array.isArray(v)) return v;
  if (v instanceof Set) return v;
  const it = hook<() => Iterable<unknown>>(v, PY_ITER);
  if (it) return it.call(v);
  if (isDict(v)) return dictKeys(v);
  throw pyErr.type(`'${typeName(v)}' object is not iterable`);
}

export function toList(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [...iterate(v)];
}

export function pyLen(v: unknown): number {
  if (typeof v === 'string') return Array.from(v).length;
  if (Array.isArray(v)) return v.length;
  if (v instanceof Set) return v.size;
  const len = hook<() => number>(v, PY_LEN);
  if (len) return len.call(v);
  if (isDict(v)) return dictSize(v);
  throw pyErr.type(`object of type '${typeName(v)}' has no len()`);
}

export function pyContains(container: unknown, item: unknown): boolean {
  if (typeof container === 'string') {
    if (typeof item !== 'string') {
      const s = hook<() => string>(item, PY_STR);
      if (!s) throw pyErr.type(`'in <string>' requires string as left operand, not ${typeName(item)}`);
      return container.includes(s.call(item));
    }
    return container.includes(item);
  }
  const c = hook<(i: unknown) => boolean>(container, PY_CONTAINS);
  if (c) return Boolean(c.call(container, item));
  if (container instanceof Set) return setHas(container, item);
  if (isDict(container) && !hasHook(container, PY_ITER)) return dictHas(container, item);
  for (const x of iterate(container)) if (pyEq(x, item)) return true;
  return false;
}

export function isCallable(v: unknown): boolean {
  return v instanceof PyFunction || typeof v === 'function' || hasHook(v, Symbol.for('nebula.py.call'));
}

export { PY_STR };
