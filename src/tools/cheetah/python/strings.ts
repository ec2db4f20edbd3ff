/** Methods of Python `str`. Only names in STRING_METHODS are reachable from templates. */
import { pyErr } from '../errors.ts';
import { strFormat } from './format.ts';
import { arg, type Method } from './runtime.ts';
import { isNone, isTuple, iterate, pyStr, toNumber, tuple, typeName } from './values.ts';

const WHITESPACE = ' \t\n\r\x0b\x0c';

function requireStr(v: unknown, what: string): string {
  if (typeof v !== 'string') throw pyErr.type(`${what} must be str, not ${typeName(v)}`);
  return v;
}

function stripChars(chars: unknown): string {
  return isNone(chars) ? WHITESPACE : requireStr(chars, 'strip arg');
}

function lstrip(s: string, chars: string): string {
  let i = 0;
  while (i < s.length && chars.includes(s[i])) i++;
  return s.slice(i);
}

function rstrip(s: string, chars: string): string {
  let i = s.length;
  while (i > 0 && chars.includes(s[i - 1])) i--;
  return s.slice(0, i);
}

function splitWhitespace(s: string, maxsplit: number): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < s.length) {
    while (i < s.length && WHITESPACE.includes(s[i])) i++;
    if (i >= s.length) break;
    if (maxsplit >= 0 && out.length === maxsplit) {
      out.push(rstrip(s.slice(i), WHITESPACE));
      break;
    }
    let j = i;
    while (j < s.length && !WHITESPACE.includes(s[j])) j++;
    out.push(s.slice(i, j));
    i = j;
  }
  return out;
}

function split(s: string, sep: unknown, maxsplitArg: unknown): string[] {
  const maxsplit = isNone(maxsplitArg) ? -1 : toNumber(maxsplitArg);
  if (isNone(sep)) return splitWhitespace(s, maxsplit);
  const separator = requireStr(sep, 'separator');
  if (separator === '') throw pyErr.value('empty separator');
  const parts = s.split(separator);
  if (maxsplit < 0 || parts.length <= maxsplit + 1) return parts;
  return [...parts.slice(0, maxsplit), parts.slice(maxsplit).join(separator)];
}

function rsplit(s: string, sep: unknown, maxsplitArg: unknown): string[] {
  const maxsplit = isNone(maxsplitArg) ? -1 : toNumber(maxsplitArg);
  if (maxsplit < 0) return split(s, sep, -1);
  if (isNone(sep)) {
    const reversed = splitWhitespace([...s].reverse().join(''), maxsplit);
    return reversed.map((p) => [...p].reverse().join('')).reverse();
  }
  const separator = requireStr(sep, 'separator');
  const parts = s.split(separator);
  if (parts.length <= maxsplit + 1) return parts;
  const cut = parts.length - maxsplit;
  return [parts.slice(0, cut).join(separator), ...parts.slice(cut)];
}

/** Resolves Python's optional start/end arguments to a JS substring window. */
function window(s: string, start: unknown, end: unknown): [number, number] {
  const n = s.length;
  const norm = (v: unknown, dflt: number) => {
    if (isNone(v)) return dflt;
    const x = toNumber(v);
    return x < 0 ? Math.max(0, n + x) : Math.min(n, x);
  };
  return [norm(start, 0), norm(end, n)];
}

function affixTest(s: string, affix: unknown, start: unknown, end: unknown, test: (w: string, a: string) => boolean): boolean {
  const [a, b] = window(s, start, end);
  const w = s.slice(a, b);
  const options = isTuple(affix) ? affix : [affix];
  return options.some((o) => test(w, requireStr(o, 'prefix')));
}

function find(s: string, sub: unknown, start: unknown, end: unknown, fromRight: boolean): number {
  const needle = requireStr(sub, 'substring');
  const [a, b] = window(s, start, end);
  const w = s.slice(a, b);
  const i = fromRight ? w.lastIndexOf(needle) : w.indexOf(needle);
  return i < 0 ? -1 : i + a;
}

function capitalizeWord(w: string): string {
  return w.charAt(0).toUpperCase() + w.slice(1).toLowerCase();
}

function padArgs(args: unknown[]): [number, string] {
  const width = toNumber(args[0]);
  const fill = args[1] === undefined ? ' ' : requireStr(args[1], 'fill character');
  if (fill.length !== 1) throw pyErr.type('The fill character must be exactly one character long');
  return [width, fill];
}

const isClass = (re: RegExp) => (s: string) => s.length > 0 && re.test(s);

export const STRING_METHODS: Record<string, Method> = {
  join: (s: string, a) => {
    const parts = [...iterate(a[0])].map((x, i) => {
      if (typeof x !== 'string') throw pyErr.type(`sequence item ${i}: expected str instance, ${typeName(x)} found`);
      return x;
    });
    return parts.join(s);
  },
  split: (s: string, a, k) => split(s, arg(a, k, 0, 'sep'), arg(a, k, 1, 'maxsplit')),
  rsplit: (s: string, a, k) => rsplit(s, arg(a, k, 0, 'sep'), arg(a, k, 1, 'maxsplit')),
  splitlines: (s: string, a, k) => {
    const keep = Boolean(arg(a, k, 0, 'keepends'));
    const lines = s.match(/[^\n\r]*(?:\r\n|\n|\r)|[^\n\r]+$/g) ?? [];
    return keep ? lines : lines.map((l) => l.replace(/(\r\n|\n|\r)$/, ''));
  },
  strip: (s: string, a) => rstrip(lstrip(s, stripChars(a[0])), stripChars(a[0])),
  lstrip: (s: string, a) => lstrip(s, stripChars(a[0])),
  rstrip: (s: string, a) => rstrip(s, stripChars(a[0])),
  replace: (s: string, a) => {
    const old = requireStr(a[0], 'replace() argument 1');
    const rep = requireStr(a[1], 'replace() argument 2');
    const count = a[2] === undefined ? -1 : toNumber(a[2]);
    if (count < 0) return s.split(old).join(rep);
    const parts = s.split(old);
    return parts.slice(0, count + 1).join(rep) + (parts.length > count + 1 ? old + parts.slice(count + 1).join(old) : '');
  },
  startswith: (s: string, a) => affixTest(s, a[0], a[1], a[2], (w, p) => w.startsWith(p)),
  endswith: (s: string, a) => affixTest(s, a[0], a[1], a[2], (w, p) => w.endsWith(p)),
  lower: (s: string) => s.toLowerCase(),
  upper: (s: string) => s.toUpperCase(),
  swapcase: (s: string) => [...s].map((c) => (c === c.toUpperCase() ? c.toLowerCase() : c.toUpperCase())).join(''),
  title: (s: string) => s.replace(/[A-Za-z]+/g, capitalizeWord),
  capitalize: (s: string) => capitalizeWord(s),
  find: (s: string, a) => find(s, a[0], a[1], a[2], false),
  rfind: (s: string, a) => find(s, a[0], a[1], a[2], true),
  index: (s: string, a) => {
    const i = find(s, a[0], a[1], a[2], false);
    if (i < 0) throw pyErr.value('substring not found');
    return i;
  },
  rindex: (s: string, a) => {
    const i = find(s, a[0], a[1], a[2], true);
    if (i < 0) throw pyErr.value('substring not found');
    return i;
  },
  count: (s: string, a) => {
    const sub = requireStr(a[0], 'substring');
    const [x, y] = window(s, a[1], a[2]);
    const w = s.slice(x, y);
    return sub === '' ? w.length + 1 : w.split(sub).length - 1;
  },
  format: (s: string, a, k, rt) => strFormat(s, a, k, { attr: (o, n) => rt.getAttr(o, n), item: (o, key) => rt.getItem(o, key) }),
  isdigit: (s: string) => isClass(/^[0-9]+$/)(s),
  isnumeric: (s: string) => isClass(/^[0-9]+$/)(s),
  isdecimal: (s: string) => isClass(/^[0-9]+$/)(s),
  isalpha: (s: string) => isClass(/^\p{L}+$/u)(s),
  isalnum: (s: string) => isClass(/^[\p{L}0-9]+$/u)(s),
  isspace: (s: string) => isClass(/^\s+$/)(s),
  islower: (s: string) => /[a-z]/.test(s) && s === s.toLowerCase(),
  isupper: (s: string) => /[A-Z]/.test(s) && s === s.toUpperCase(),
  zfill: (s: string, a) => {
    const width = toNumber(a[0]);
    const sign = /^[-+]/.test(s) ? s[0] : '';
    return sign + s.slice(sign.length).padStart(width - sign.length, '0');
  },
  center: (s: string, a) => {
    const [width, fill] = padArgs(a);
    const gap = Math.max(0, width - s.length);
    // CPython puts the extra character on the left when the string length is odd.
    const left = Math.floor(gap / 2) + (gap & width & 1);
    return fill.repeat(left) + s + fill.repeat(gap - left);
  },
  ljust: (s: string, a) => {
    const [width, fill] = padArgs(a);
    return s.padEnd(Math.max(width, s.length), fill);
  },
  rjust: (s: string, a) => {
    const [width, fill] = padArgs(a);
    return s.padStart(Math.max(width, s.length), fill);
  },
  partition: (s: string, a) => {
    const sep = requireStr(a[0], 'separator');
    const i = s.indexOf(sep);
    return i < 0 ? tuple([s, '', '']) : tuple([s.slice(0, i), sep, s.slice(i + sep.length)]);
  },
  rpartition: (s: string, a) => {
    const sep = requireStr(a[0], 'separator');
    const i = s.lastIndexOf(sep);
    return i < 0 ? tuple(['', '', s]) : tuple([s.slice(0, i), sep, s.slice(i + sep.length)]);
  },
  removeprefix: (s: string, a) => {
    const p = requireStr(a[0], 'prefix');
    return p && s.startsWith(p) ? s.slice(p.length) : s;
  },
  removesuffix: (s: string, a) => {
    const p = requireStr(a[0], 'suffix');
    return p && s.endsWith(p) ? s.slice(0, -p.length) : s;
  },
  expandtabs: (s: string, a) => {
    const size = a[0] === undefined ? 8 : toNumber(a[0]);
    let col = 0;
    let out = '';
    for (const c of s) {
      if (c === '\t') {
        const n = size > 0 ? size - (col % size) : 0;
        out += ' '.repeat(n);
        col += n;
      } else {
        out += c;
        col = c === '\n' || c === '\r' ? 0 : col + 1;
      }
    }
    return out;
  },
};
