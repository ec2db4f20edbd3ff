/** Python string formatting: `str % args`, `format(value, spec)` and `str.format(...)`. */
import { pyErr } from '../errors.ts';
import {
  dictGet, dictHas, formatFloat, isDict, isFloat, isInt, isNumeric, isTuple, pyRepr, pyStr, toNumber, typeName,
} from './values.ts';

const PRINTF = /%(?:\(([^)]*)\))?([-+ #0]*)(\*|\d+)?(?:\.(\*|\d+))?([diouxXeEfFgGcrsa%])/g;

function pad(body: string, width: number, left: boolean, zero: boolean): string {
  if (body.length >= width) return body;
  if (left) return body.padEnd(width);
  if (zero) {
    const sign = /^[-+ ]/.test(body) ? body[0] : '';
    const prefix = /^[-+ ]?0[xXob]/.test(body) ? body.slice(0, sign.length + 2) : sign;
    return prefix + body.slice(prefix.length).padStart(width - prefix.length, '0');
  }
  return body.padStart(width);
}

function withSign(n: number, body: string, plus: boolean, space: boolean): string {
  if (n < 0 || Object.is(n, -0)) return body.startsWith('-') ? body : `-${body}`;
  return (plus ? '+' : space ? ' ' : '') + body;
}

function exponential(x: number, precision: number, upper: boolean): string {
  const s = Math.abs(x).toExponential(precision);
  const [m, e] = s.split('e');
  const exp = Number(e);
  const out = `${m}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  return upper ? out.toUpperCase() : out;
}

function general(x: number, precision: number, alt: boolean, upper: boolean): string {
  const p = precision === 0 ? 1 : precision;
  const ax = Math.abs(x);
  if (!Number.isFinite(ax)) return Number.isNaN(ax) ? 'nan' : 'inf';
  const exp = ax === 0 ? 0 : Number(ax.toExponential(p - 1).split('e')[1]);
  let s: string;
  if (exp >= -4 && exp < p) {
    s = ax.toFixed(Math.max(0, p - 1 - exp));
    if (!alt && s.includes('.')) s = s.replace(/\.?0+$/, '');
  } else {
    s = exponential(ax, p - 1, upper);
    if (!alt) {
      const [mantissa, exp] = s.split(/[eE]/);
      s = (mantissa.includes('.') ? mantissa.replace(/\.?0+$/, '') : mantissa) + 'e' + exp;
    }
  }
  return upper ? s.toUpperCase() : s;
}

function nonFinite(x: number, upper: boolean): string | null {
  if (Number.isFinite(x)) return null;
  const s = Number.isNaN(x) ? 'nan' : 'inf';
  return upper ? s.toUpperCase() : s;
}

function toIntegral(v: unknown, conv: string): number {
  if (!isNumeric(v)) throw pyErr.type(`%${conv} format: a real number is required, not ${typeName(v)}`);
  return Math.trunc(toNumber(v));
}

function convertOne(v: unknown, conv: string, flags: string, precision: number | undefined): string {
  const plus = flags.includes('+');
  const space = flags.includes(' ');
  const alt = flags.includes('#');
  switch (conv) {
    case 's': {
      const s = pyStr(v);
      return precision === undefined ? s : s.slice(0, precision);
    }
    case 'r':
    case 'a': {
      const s = pyRepr(v);
      return precision === undefined ? s : s.slice(0, precision);
    }
    case 'd':
    case 'i':
    case 'u': {
      const n = toIntegral(v, conv);
      return withSign(n, String(Math.abs(n)), plus, space);
    }
    case 'x':
    case 'X':
    case 'o': {
      const n = toIntegral(v, conv);
      const base = conv === 'o' ? 8 : 16;
      let s = Math.abs(n).toString(base);
      if (alt) s = (conv === 'o' ? '0o' : '0x') + s;
      if (conv === 'X') s = s.toUpperCase();
      return withSign(n, s, plus, space);
    }
    case 'f':
    case 'F':
    case 'e':
    case 'E':
    case 'g':
    case 'G': {
      if (!isNumeric(v)) throw pyErr.type(`must be real number, not ${typeName(v)}`);
      const x = toNumber(v);
      const upper = conv === conv.toUpperCase();
      const p = precision ?? 6;
      const body =
        nonFinite(x, upper) ??
        (conv === 'f' || conv === 'F'
          ? Math.abs(x).toFixed(p)
          : conv === 'e' || conv === 'E'
            ? exponential(x, p, upper)
            : general(x, p, alt, upper));
      return withSign(x, body, plus, space);
    }
    case 'c':
      return typeof v === 'string' ? v : String.fromCodePoint(toIntegral(v, conv));
  }
  throw pyErr.value(`unsupported format character '${conv}'`);
}

/** `template % args` for strings. */
export function percentFormat(template: string, args: unknown): string {
  const list = isTuple(args) ? args : [args];
  const mapping = isDict(args) ? args : null;
  let index = 0;
  const take = () => {
    if (index >= list.length) throw pyErr.type('not enough arguments for format string');
    return list[index++];
  };
  const out = template.replace(PRINTF, (_m, key: string | undefined, flags: string, width: string, prec: string, conv: string) => {
    if (conv === '%') return '%';
    let value: unknown;
    const w = width === '*' ? toNumber(take()) : width ? Number(width) : 0;
    const p = prec === '*' ? toNumber(take()) : prec !== undefined ? Number(prec) : undefined;
    if (key !== undefined) {
      if (!mapping) throw pyErr.type('format requires a mapping');
      if (!dictHas(mapping, key)) throw pyErr.key(pyRepr(key));
      value = dictGet(mapping, key);
    } else value = take();
    const body = convertOne(value, conv, flags, p);
    const numeric = !'srac'.includes(conv);
    return pad(body, w, flags.includes('-'), flags.includes('0') && numeric);
  });
  if (!mapping && index < list.length) throw pyErr.type('not all arguments converted during string formatting');
  return out;
}

// ------------------------------------------------------------ format spec mini-language

const SPEC = /^(?:(.)?([<>=^]))?([-+ ])?(#)?(0)?(\d+)?([,_])?(?:\.(\d+))?([bcdeEfFgGnosxX%])?$/s;

function group(intPart: string, sep: string): string {
  return intPart.replace(/\B(?=(\d{3})+(?!\d))/g, sep);
}

/** `format(value, spec)` */
export function formatValue(value: unknown, spec: string): string {
  const m = SPEC.exec(spec);
  if (!m) throw pyErr.value(`Invalid format specifier '${spec}'`);
  const [, fillChar, alignChar, sign, alt, zero, widthText, grouping, precText, typeChar] = m;
  const width = widthText ? Number(widthText) : 0;
  const precision = precText !== undefined ? Number(precText) : undefined;
  let fill = fillChar ?? ' ';
  let align = alignChar;
  let body: string;
  let numeric = false;
  if (typeof value === 'string' || !isNumeric(value)) {
    if (typeChar && typeChar !== 's') throw pyErr.value(`Unknown format code '${typeChar}' for object of type '${typeName(value)}'`);
    body = pyStr(value);
    if (precision !== undefined) body = body.slice(0, precision);
  } else {
    numeric = true;
    const x = toNumber(value);
    const type = typeChar ?? (isFloat(value) ? '' : 'd');
    let digits: string;
    switch (type) {
      case 'd':
      case 'n':
        if (!isInt(value) && typeof value !== 'boolean') throw pyErr.value(`Unknown format code 'd' for object of type 'float'`);
        digits = String(Math.abs(x));
        break;
      case 'b':
      case 'o':
      case 'x':
      case 'X':
        digits = Math.abs(Math.trunc(x)).toString(type === 'b' ? 2 : type === 'o' ? 8 : 16);
        if (alt) digits = `0${type === 'X' ? 'x' : type}${digits}`;
        if (type === 'X') digits = digits.toUpperCase();
        break;
      case 'c':
        digits = String.fromCodePoint(x);
        break;
      case '%':
        digits = nonFinite(x * 100, false) ?? `${Math.abs(x * 100).toFixed(precision ?? 6)}%`;
        break;
      case 'f':
      case 'F':
        digits = nonFinite(x, type === 'F') ?? Math.abs(x).toFixed(precision ?? 6);
        break;
      case 'e':
      case 'E':
        digits = nonFinite(x, type === 'E') ?? exponential(x, precision ?? 6, type === 'E');
        break;
      case 'g':
      case 'G':
        digits = general(x, precision ?? 6, Boolean(alt), type === 'G');
        break;
      default:
        digits = precision === undefined ? formatFloat(Math.abs(x)) : general(x, precision, false, false);
    }
    if (grouping) {
      const [i, ...rest] = digits.split('.');
      digits = [group(i, grouping), ...rest].join('.');
    }
    const negative = x < 0 || Object.is(x, -0);
    const signText = negative ? '-' : sign === '+' ? '+' : sign === ' ' ? ' ' : '';
    if (zero && !alignChar) {
      fill = '0';
      align = '=';
    }
    body = signText + digits;
    if (align === '=' && body.length < width) {
      return signText + digits.padStart(width - signText.length, fill);
    }
  }
  if (body.length >= width) return body;
  const effective = align ?? (numeric ? '>' : '<');
  const gap = width - body.length;
  if (effective === '<') return body + fill.repeat(gap);
  if (effective === '^') return fill.repeat(Math.floor(gap / 2)) + body + fill.repeat(gap - Math.floor(gap / 2));
  return fill.repeat(gap) + body;
}

/** `template.format(*args, **kwargs)`; `lookup` resolves `.attr` and `[key]` in field names. */
export function strFormat(
  template: string,
  args: unknown[],
  kwargs: Record<string, unknown>,
  access: { attr(obj: unknown, name: string): unknown; item(obj: unknown, key: unknown): unknown },
): string {
  let auto = 0;
  let out = '';
  let i = 0;
  while (i < template.length) {
    const c = template[i];
    if (c === '{' && template[i + 1] === '{') {
      out += '{';
      i += 2;
    } else if (c === '}' && template[i + 1] === '}') {
      out += '}';
      i += 2;
    } else if (c === '}') {
      throw pyErr.value("Single '}' encountered in format string");
    } else if (c === '{') {
      const end = template.indexOf('}', i);
      if (end < 0) throw pyErr.value("Single '{' encountered in format string");
      const field = template.slice(i + 1, end);
      const m = /^([^.[!:]*)((?:\.[A-Za-z_]\w*|\[[^\]]*\])*)(?:!([rsa]))?(?::(.*))?$/s.exec(field);
      if (!m) throw pyErr.value(`bad format field '${field}'`);
      const [, head, chain, conversion, spec] = m;
      let value: unknown;
      if (head === '') {
        if (auto >= args.length) throw pyErr.index('Replacement index out of range');
        value = args[auto++];
      } else if (/^\d+$/.test(head)) {
        if (Number(head) >= args.length) throw pyErr.index(`Replacement index ${head} out of range`);
        value = args[Number(head)];
      } else {
        if (!(head in kwargs)) throw pyErr.key(pyRepr(head));
        value = kwargs[head];
      }
      for (const part of chain.match(/\.[A-Za-z_]\w*|\[[^\]]*\]/g) ?? []) {
        if (part.startsWith('.')) value = access.attr(value, part.slice(1));
        else {
          const key = part.slice(1, -1);
          value = access.item(value, /^\d+$/.test(key) ? Number(key) : key);
        }
      }
      if (conversion === 'r' || conversion === 'a') value = pyRepr(value);
      else if (conversion === 's') value = pyStr(value);
      out += formatValue(value, spec ?? '');
      i = end + 1;
    } else {
      out += c;
      i++;
    }
  }
  return out;
}
