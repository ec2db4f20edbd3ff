/**
 * Python builtins available to templates. Anything able to reach the host (open, exec, eval,
 * __import__, input...) is present only as a stub that raises a clear "not available" error.
 */
import { pyErr } from '../errors.ts';
import { sortValues } from './collections.ts';
import { formatValue } from './format.ts';
import { arg, type Runtime } from './runtime.ts';
import {
  PyFunction, PyFloat, dictEntries, dictSet, isDict, isFloat, isInt, isNone, isNumeric, isTuple, iterate,
  makeFloat, pyCompare, pyLen, pyRepr, pyStr, setHas, dictKey, toList, toNumber, truthy, tuple, typeName,
} from './values.ts';

type Impl = (args: unknown[], kwargs: Record<string, unknown>) => unknown;

const MAX_RANGE = 10_000_000;

function parseIntText(text: string, base: number): number {
  const s = text.trim().replace(/_/g, '').toLowerCase();
  let body = s;
  let b = base;
  const sign = body.startsWith('-') ? -1 : 1;
  body = body.replace(/^[-+]/, '');
  if (b === 0 || b === 16 || b === 8 || b === 2) {
    const m = /^0([xob])/.exec(body);
    if (m) {
      const prefixBase = { x: 16, o: 8, b: 2 }[m[1] as 'x' | 'o' | 'b'];
      if (b === 0 || b === prefixBase) {
        b = prefixBase;
        body = body.slice(2);
      }
    }
    if (b === 0) b = 10;
  }
  const digits = '0123456789abcdefghijklmnopqrstuvwxyz'.slice(0, b);
  if (!body || [...body].some((c) => !digits.includes(c))) {
    throw pyErr.value(`invalid literal for int() with base ${base}: ${pyRepr(text)}`);
  }
  return sign * parseInt(body, b);
}

function toInt(args: unknown[], kwargs: Record<string, unknown>): number {
  const v = args[0] ?? 0;
  const base = arg(args, kwargs, 1, 'base');
  if (typeof v === 'string') return parseIntText(v, isNone(base) ? 10 : toNumber(base));
  if (isNumeric(v)) {
    const n = toNumber(v);
    if (!Number.isFinite(n)) throw pyErr.value('cannot convert float to integer');
    return Math.trunc(n);
  }
  return toNumber(pyStrToNumber(v, 'int'));
}

/** Objects with PY_STR (e.g. parameter wrappers) convert through their string form. */
function pyStrToNumber(v: unknown, kind: 'int' | 'float'): number {
  const s = pyStr(v);
  if (kind === 'int') return parseIntText(s, 10);
  return parseFloatText(s);
}

function parseFloatText(text: string): number {
  const s = text.trim().toLowerCase().replace(/_/g, '');
  if (/^[-+]?(inf|infinity)$/.test(s)) return s.startsWith('-') ? -Infinity : Infinity;
  if (/^[-+]?nan$/.test(s)) return NaN;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/.test(s)) throw pyErr.value(`could not convert string to float: ${pyRepr(text)}`);
  return Number(s);
}

function toFloat(args: unknown[]): unknown {
  const v = args[0] ?? 0;
  if (typeof v === 'string') return makeFloat(parseFloatText(v));
  if (isNumeric(v)) return makeFloat(toNumber(v));
  return makeFloat(pyStrToNumber(v, 'float'));
}

function range(args: unknown[]): number[] {
  const nums = args.map((a) => {
    if (!isInt(a) && typeof a !== 'boolean') throw pyErr.type(`'${typeName(a)}' object cannot be interpreted as an integer`);
    return toNumber(a);
  });
  const [start, stop, step] = nums.length === 1 ? [0, nums[0], 1] : [nums[0], nums[1], nums[2] ?? 1];
  if (step === 0) throw pyErr.value('range() arg 3 must not be zero');
  const count = Math.max(0, Math.ceil((stop - start) / step));
  if (count > MAX_RANGE) throw pyErr.value(`range() of ${count} items is too large for a template`);
  const out: number[] = new Array(count);
  for (let i = 0; i < count; i++) out[i] = start + i * step;
  return out;
}

function extreme(name: string, sign: number, rt: Runtime): Impl {
  return (args, kwargs) => {
    const items = args.length === 1 ? toList(args[0]) : args;
    const key = kwargs.key;
    if (items.length === 0) {
      if ('default' in kwargs) return kwargs.default;
      throw pyErr.value(`${name}() arg is an empty sequence`);
    }
    let best = items[0];
    let bestKey = isNone(key) ? best : rt.call(key, [best]);
    for (const item of items.slice(1)) {
      const k = isNone(key) ? item : rt.call(key, [item]);
      if (pyCompare(k, bestKey) * sign > 0) {
        best = item;
        bestKey = k;
      }
    }
    return best;
  };
}

function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

const TYPE_NAMES = ['str', 'int', 'float', 'bool', 'list', 'dict', 'set', 'tuple'];

function matchesType(v: unknown, type: unknown): boolean {
  if (isTuple(type)) return type.some((t) => matchesType(v, t));
  if (!(type instanceof PyFunction) || !type.isType) throw pyErr.type('isinstance() arg 2 must be a type or tuple of types');
  const name = typeName(v);
  if (type.name === 'int' && name === 'bool') return true;
  return name === type.name;
}

function unavailable(name: string): PyFunction {
  return new PyFunction(name, () => {
    throw pyErr.unsupported(`${name}() is not available in Nebula templates`);
  });
}

export function createBuiltins(rt: Runtime): Map<string, unknown> {
  const fn = (name: string, impl: Impl) => [name, new PyFunction(name, impl)] as const;
  const type = (name: string, impl: Impl) => [name, new PyFunction(name, impl, true)] as const;
  const entries: (readonly [string, unknown])[] = [
    ['True', true],
    ['False', false],
    ['None', null],
    type('str', (a) => (a.length ? pyStr(a[0]) : '')),
    type('int', toInt),
    type('float', toFloat),
    type('bool', (a) => truthy(a[0])),
    type('list', (a) => (a.length ? [...iterate(a[0])] : [])),
    type('tuple', (a) => tuple(a.length ? [...iterate(a[0])] : [])),
    type('set', (a) => {
      const out = new Set<unknown>();
      if (a.length) for (const x of iterate(a[0])) if (!setHas(out, x)) out.add(dictKey(x));
      return out;
    }),
    type('dict', (a, k) => {
      const out = new Map<unknown, unknown>();
      if (a.length) {
        if (isDict(a[0])) for (const [key, v] of dictEntries(a[0])) dictSet(out, key, v);
        else for (const pair of iterate(a[0])) {
          const [key, v] = toList(pair);
          dictSet(out, key, v);
        }
      }
      for (const [key, v] of Object.entries(k)) dictSet(out, key, v);
      return out;
    }),
    fn('len', (a) => pyLen(a[0])),
    fn('range', range),
    fn('enumerate', (a, k) => {
      const start = toNumber(arg(a, k, 1, 'start') ?? 0);
      return [...iterate(a[0])].map((v, i) => tuple([i + start, v]));
    }),
    fn('zip', (a) => {
      const lists = a.map(toList);
      const n = lists.length ? Math.min(...lists.map((l) => l.length)) : 0;
      return Array.from({ length: n }, (_, i) => tuple(lists.map((l) => l[i])));
    }),
    fn('sorted', (a, k) => sortValues(toList(a[0]), k.key, truthy(k.reverse), rt)),
    fn('reversed', (a) => [...toList(a[0])].reverse()),
    fn('min', extreme('min', -1, rt)),
    fn('max', extreme('max', 1, rt)),
    fn('sum', (a) => {
      let total: unknown = a[1] ?? 0;
      for (const x of iterate(a[0])) {
        if (!isNumeric(x)) throw pyErr.type(`unsupported operand type(s) for +: '${typeName(total)}' and '${typeName(x)}'`);
        const v = toNumber(total) + toNumber(x);
        total = isFloat(total) || isFloat(x) ? makeFloat(v) : v;
      }
      return total;
    }),
    fn('abs', (a) => (isFloat(a[0]) ? makeFloat(Math.abs(toNumber(a[0]))) : Math.abs(toNumber(a[0])))),
    fn('round', (a, k) => {
      const x = toNumber(a[0]);
      const digits = arg(a, k, 1, 'ndigits');
      if (isNone(digits)) return roundHalfEven(x);
      const n = toNumber(digits);
      const r = n >= 0 ? Number(x.toFixed(Math.min(n, 100))) : roundHalfEven(x / 10 ** -n) * 10 ** -n;
      return isInt(a[0]) ? r : makeFloat(r);
    }),
    fn('divmod', (a) => {
      const x = toNumber(a[0]);
      const y = toNumber(a[1]);
      if (y === 0) throw pyErr.zeroDiv('integer division or modulo by zero');
      const q = Math.floor(x / y);
      const both = isFloat(a[0]) || isFloat(a[1]);
      return tuple(both ? [makeFloat(q), makeFloat(x - q * y)] : [q, x - q * y]);
    }),
    fn('pow', (a) => {
      const v = toNumber(a[0]) ** toNumber(a[1]);
      return isFloat(a[0]) || isFloat(a[1]) || toNumber(a[1]) < 0 ? makeFloat(v) : v;
    }),
    fn('any', (a) => toList(a[0]).some(truthy)),
    fn('all', (a) => toList(a[0]).every(truthy)),
    fn('map', (a) => {
      const lists = a.slice(1).map(toList);
      const n = lists.length ? Math.min(...lists.map((l) => l.length)) : 0;
      return Array.from({ length: n }, (_, i) => rt.call(a[0], lists.map((l) => l[i])));
    }),
    fn('filter', (a) => toList(a[1]).filter((x) => truthy(isNone(a[0]) ? x : rt.call(a[0], [x])))),
    fn('isinstance', (a) => matchesType(a[0], a[1])),
    fn('hasattr', (a) => {
      try {
        rt.getAttr(a[0], String(a[1]));
        return true;
      } catch (e) {
        if (e instanceof Error && /AttributeError|NotFound/.test(e.name)) return false;
        throw e;
      }
    }),
    fn('getattr', (a) => {
      try {
        return rt.getAttr(a[0], String(a[1]));
      } catch (e) {
        if (a.length > 2 && e instanceof Error && /AttributeError|NotFound/.test(e.name)) return a[2];
        throw e;
      }
    }),
    fn('repr', (a) => pyRepr(a[0])),
    fn('format', (a) => formatValue(a[0], a[1] === undefined ? '' : String(a[1]))),
    fn('chr', (a) => String.fromCodePoint(toNumber(a[0]))),
    fn('ord', (a) => {
      const s = String(a[0]);
      if ([...s].length !== 1) throw pyErr.type(`ord() expected a character, but string of length ${s.length} found`);
      return s.codePointAt(0)!;
    }),
    fn('hex', (a) => (toNumber(a[0]) < 0 ? '-0x' : '0x') + Math.abs(toNumber(a[0])).toString(16)),
    fn('oct', (a) => (toNumber(a[0]) < 0 ? '-0o' : '0o') + Math.abs(toNumber(a[0])).toString(8)),
    fn('bin', (a) => (toNumber(a[0]) < 0 ? '-0b' : '0b') + Math.abs(toNumber(a[0])).toString(2)),
    fn('callable', (a) => a[0] instanceof PyFunction || typeof a[0] === 'function'),
    ...['open', 'exec', 'eval', 'compile', '__import__', 'globals', 'locals', 'vars', 'input', 'exit', 'quit',
      'breakpoint', 'setattr', 'delattr', 'help', 'memoryview', 'type', 'object', 'super', 'classmethod',
      'staticmethod', 'property', 'iter', 'next', 'id', 'hash', 'dir'].map((name) => [name, unavailable(name)] as const),
  ];
  return new Map(entries);
}

export { TYPE_NAMES, PyFloat };
