/** Methods of Python list, tuple, dict and set over their JS representations. */
import { pyErr } from '../errors.ts';
import { arg, type Method, type Runtime } from './runtime.ts';
import {
  dictDelete, dictEntries, dictGet, dictHas, dictKeys, dictSet, isDict, isNone, iterate, pyCompare, pyEq, pyRepr,
  setHas, toNumber, truthy, tuple, dictKey, type PyDict,
} from './values.ts';

function indexOf(list: unknown[], item: unknown): number {
  for (let i = 0; i < list.length; i++) if (pyEq(list[i], item)) return i;
  return -1;
}

/** Stable sort with Python's key= and reverse= arguments. */
export function sortValues(values: unknown[], key: unknown, reverse: boolean, rt: Runtime): unknown[] {
  const keyed = values.map((v, i) => ({ v, i, k: isNone(key) ? v : rt.call(key, [v]) }));
  keyed.sort((a, b) => {
    const c = pyCompare(a.k, b.k);
    return c !== 0 ? (reverse ? -c : c) : a.i - b.i;
  });
  return keyed.map((x) => x.v);
}

export const TUPLE_METHODS: Record<string, Method> = {
  index: (l: unknown[], a) => {
    const i = indexOf(l, a[0]);
    if (i < 0) throw pyErr.value(`${pyRepr(a[0])} is not in list`);
    return i;
  },
  count: (l: unknown[], a) => l.filter((x) => pyEq(x, a[0])).length,
};

export const LIST_METHODS: Record<string, Method> = {
  ...TUPLE_METHODS,
  append: (l: unknown[], a) => {
    l.push(a[0]);
    return null;
  },
  extend: (l: unknown[], a) => {
    l.push(...iterate(a[0]));
    return null;
  },
  insert: (l: unknown[], a) => {
    let i = toNumber(a[0]);
    if (i < 0) i = Math.max(0, l.length + i);
    l.splice(Math.min(i, l.length), 0, a[1]);
    return null;
  },
  pop: (l: unknown[], a) => {
    if (l.length === 0) throw pyErr.index('pop from empty list');
    let i = a[0] === undefined ? l.length - 1 : toNumber(a[0]);
    if (i < 0) i += l.length;
    if (i < 0 || i >= l.length) throw pyErr.index('pop index out of range');
    return l.splice(i, 1)[0];
  },
  remove: (l: unknown[], a) => {
    const i = indexOf(l, a[0]);
    if (i < 0) throw pyErr.value('list.remove(x): x not in list');
    l.splice(i, 1);
    return null;
  },
  reverse: (l: unknown[]) => {
    l.reverse();
    return null;
  },
  sort: (l: unknown[], a, k, rt) => {
    const sorted = sortValues(l, arg([], k, 0, 'key'), truthy(arg([], k, 0, 'reverse')), rt);
    l.splice(0, l.length, ...sorted);
    return null;
  },
  clear: (l: unknown[]) => {
    l.length = 0;
    return null;
  },
  copy: (l: unknown[]) => [...l],
};

function dictUpdate(d: PyDict, source: unknown, kwargs: Record<string, unknown>): void {
  if (!isNone(source)) {
    if (isDict(source)) for (const [k, v] of dictEntries(source)) dictSet(d, k, v);
    else
      for (const pair of iterate(source)) {
        const [k, v] = [...iterate(pair)];
        dictSet(d, k, v);
      }
  }
  for (const [k, v] of Object.entries(kwargs)) dictSet(d, k, v);
}

export const DICT_METHODS: Record<string, Method> = {
  get: (d: PyDict, a) => (dictHas(d, a[0]) ? dictGet(d, a[0]) : (a[1] ?? null)),
  keys: (d: PyDict) => dictKeys(d),
  values: (d: PyDict) => dictEntries(d).map(([, v]) => v),
  items: (d: PyDict) => dictEntries(d).map(([k, v]) => tuple([k, v])),
  update: (d: PyDict, a, k) => {
    dictUpdate(d, a[0], k);
    return null;
  },
  setdefault: (d: PyDict, a) => {
    if (!dictHas(d, a[0])) dictSet(d, a[0], a[1] ?? null);
    return dictGet(d, a[0]);
  },
  pop: (d: PyDict, a) => {
    if (dictHas(d, a[0])) {
      const v = dictGet(d, a[0]);
      dictDelete(d, a[0]);
      return v;
    }
    if (a.length > 1) return a[1];
    throw pyErr.key(pyRepr(a[0]));
  },
  copy: (d: PyDict) => new Map(dictEntries(d).map(([k, v]) => [dictKey(k), v])),
  clear: (d: PyDict) => {
    for (const k of dictKeys(d)) dictDelete(d, k);
    return null;
  },
};

export const SET_METHODS: Record<string, Method> = {
  add: (s: Set<unknown>, a) => {
    if (!setHas(s, a[0])) s.add(dictKey(a[0]));
    return null;
  },
  update: (s: Set<unknown>, a) => {
    for (const src of a) for (const x of iterate(src)) if (!setHas(s, x)) s.add(dictKey(x));
    return null;
  },
  discard: (s: Set<unknown>, a) => {
    s.delete(dictKey(a[0]));
    return null;
  },
  remove: (s: Set<unknown>, a) => {
    if (!s.delete(dictKey(a[0]))) throw pyErr.key(pyRepr(a[0]));
    return null;
  },
  union: (s: Set<unknown>, a) => {
    const out = new Set(s);
    for (const src of a) for (const x of iterate(src)) if (!setHas(out, x)) out.add(dictKey(x));
    return out;
  },
  intersection: (s: Set<unknown>, a) => {
    const others = a.map((src) => new Set([...iterate(src)].map(dictKey)));
    return new Set([...s].filter((x) => others.every((o) => setHas(o, x))));
  },
  difference: (s: Set<unknown>, a) => {
    const others = a.map((src) => new Set([...iterate(src)].map(dictKey)));
    return new Set([...s].filter((x) => !others.some((o) => setHas(o, x))));
  },
  issubset: (s: Set<unknown>, a) => {
    const other = new Set([...iterate(a[0])].map(dictKey));
    return [...s].every((x) => setHas(other, x));
  },
  copy: (s: Set<unknown>) => new Set(s),
};
