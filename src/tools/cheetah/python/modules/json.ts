/** `json.dumps` / `json.loads` with Python's default output format (", " and ": ", ensure_ascii). */
import { pyErr } from '../../errors.ts';
import { PyFunction, PyModule, dictEntries, formatFloat, isDict, isNone, isTuple, PyFloat, pyStr } from '../values.ts';

interface DumpOptions {
  indent: string | null;
  itemSep: string;
  keySep: string;
  sortKeys: boolean;
  ensureAscii: boolean;
}

function quote(s: string, ensureAscii: boolean): string {
  let out = '"';
  for (const ch of s) {
    const code = ch.codePointAt(0)!;
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\b') out += '\\b';
    else if (ch === '\f') out += '\\f';
    else if (code < 0x20 || (ensureAscii && code > 0x7e)) {
      if (code > 0xffff) {
        const hi = Math.floor((code - 0x10000) / 0x400) + 0xd800;
        const lo = ((code - 0x10000) % 0x400) + 0xdc00;
        out += `\\u${hi.toString(16)}\\u${lo.toString(16)}`;
      } else out += `\\u${code.toString(16).padStart(4, '0')}`;
    } else out += ch;
  }
  return `${out}"`;
}

function keyText(k: unknown, o: DumpOptions): string {
  if (typeof k === 'string') return quote(k, o.ensureAscii);
  if (isNone(k)) return '"null"';
  if (typeof k === 'boolean') return k ? '"true"' : '"false"';
  if (typeof k === 'number' || k instanceof PyFloat) return `"${dump(k, o, '')}"`;
  throw pyErr.type(`keys must be str, int, float, bool or None, not ${typeof k}`);
}

function dump(v: unknown, o: DumpOptions, indent: string): string {
  if (isNone(v)) return 'null';
  if (v === true) return 'true';
  if (v === false) return 'false';
  if (typeof v === 'string') return quote(v, o.ensureAscii);
  if (typeof v === 'number') {
    if (Number.isInteger(v)) return String(v);
    if (Number.isNaN(v)) return 'NaN';
    if (!Number.isFinite(v)) return v > 0 ? 'Infinity' : '-Infinity';
    return formatFloat(v);
  }
  if (v instanceof PyFloat) return formatFloat(v.value);
  const inner = o.indent === null ? '' : indent + o.indent;
  const open = o.indent === null ? '' : `\n${inner}`;
  const close = o.indent === null ? '' : `\n${indent}`;
  const sep = o.indent === null ? o.itemSep : `${o.itemSep.trimEnd()}\n${inner}`;
  if (Array.isArray(v) || v instanceof Set || isTuple(v)) {
    const items = [...(v as Iterable<unknown>)];
    if (!items.length) return '[]';
    return `[${open}${items.map((x) => dump(x, o, inner)).join(sep)}${close}]`;
  }
  if (isDict(v)) {
    let entries = dictEntries(v);
    if (!entries.length) return '{}';
    if (o.sortKeys) entries = [...entries].sort(([a], [b]) => (String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0));
    return `{${open}${entries.map(([k, x]) => `${keyText(k, o)}${o.keySep}${dump(x, o, inner)}`).join(sep)}${close}}`;
  }
  // Wrapper objects (parameters, datasets) serialise as their string form, as Galaxy's would not:
  // Python raises TypeError here, so we do too.
  throw pyErr.type(`Object of type ${pyStr(typeof v)} is not JSON serializable`);
}

export function createJsonModule(): PyModule {
  return new PyModule(
    'json',
    new Map<string, unknown>([
      [
        'dumps',
        new PyFunction('dumps', (a, k) => {
          const indentArg = k.indent;
          const indent = isNone(indentArg) ? null : typeof indentArg === 'string' ? indentArg : ' '.repeat(Number(indentArg));
          const seps = k.separators as unknown[] | undefined;
          return dump(a[0], {
            indent,
            itemSep: seps ? String(seps[0]) : indent === null ? ', ' : ',',
            keySep: seps ? String(seps[1]) : ': ',
            sortKeys: Boolean(k.sort_keys),
            ensureAscii: k.ensure_ascii === undefined ? true : Boolean(k.ensure_ascii),
          }, '');
        }),
      ],
      [
        'loads',
        new PyFunction('loads', (a) => {
          try {
            return JSON.parse(String(a[0]), (_key, value) => (isDict(value) ? new Map(Object.entries(value)) : value));
          } catch (e) {
            throw pyErr.value(`JSONDecodeError: ${(e as Error).message}`);
          }
        }),
      ],
    ]),
  );
}
