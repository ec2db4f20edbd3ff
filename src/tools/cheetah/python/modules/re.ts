/**
 * Python's `re` module on top of JS RegExp. Patterns are translated once and cached:
 * `(?P<n>...)` -> `(?<n>...)`, `(?P=n)` -> `\k<n>`, `\A`/`\Z` -> start/end of input, Python's `$`
 * (which also matches before a final newline), leading inline flags `(?imsx)`, and verbose mode.
 */
import { pyErr } from '../../errors.ts';
import { PY_BOOL, PY_GETATTR, PY_STR, PY_TYPE } from '../../protocol.ts';
import type { Runtime } from '../runtime.ts';
import { PyFunction, PyModule, isNone, pyRepr, toNumber, tuple } from '../values.ts';

const IGNORECASE = 2;
const MULTILINE = 8;
const DOTALL = 16;
const VERBOSE = 64;

interface Translated {
  source: string;
  flags: string;
  groupNames: string[];
  groupCount: number;
}

function stripVerbose(p: string): string {
  let out = '';
  let inClass = false;
  for (let i = 0; i < p.length; i++) {
    const c = p[i];
    if (c === '\\') {
      out += c + (p[i + 1] ?? '');
      i++;
    } else if (inClass) {
      if (c === ']') inClass = false;
      out += c;
    } else if (c === '[') {
      inClass = true;
      out += c;
    } else if (/\s/.test(c)) continue;
    else if (c === '#') {
      while (i < p.length && p[i] !== '\n') i++;
    } else out += c;
  }
  return out;
}

function translate(pattern: string, flagBits: number): Translated {
  let p = pattern;
  let bits = flagBits;
  const inline = /^\(\?([aiLmsux]+)\)/.exec(p);
  if (inline) {
    for (const f of inline[1]) bits |= { i: IGNORECASE, m: MULTILINE, s: DOTALL, x: VERBOSE }[f as 'i'] ?? 0;
    p = p.slice(inline[0].length);
  }
  if (bits & VERBOSE) p = stripVerbose(p);
  const multiline = (bits & MULTILINE) !== 0;
  let out = '';
  let inClass = false;
  const groupNames: string[] = [];
  let groupCount = 0;
  for (let i = 0; i < p.length; i++) {
    const c = p[i];
    if (c === '\\') {
      const n = p[i + 1] ?? '';
      i++;
      if (!inClass && n === 'A') out += '(?<![\\s\\S])';
      else if (!inClass && n === 'Z') out += '(?![\\s\\S])';
      else out += c + n;
      continue;
    }
    if (inClass) {
      if (c === ']') inClass = false;
      if (c === '[') out += '\\[';
      else out += c;
      continue;
    }
    if (c === '[') {
      inClass = true;
      out += c;
      if (p[i + 1] === '^') out += p[++i];
      if (p[i + 1] === ']') {
        out += '\\]';
        i++;
      }
      continue;
    }
    if (c === '(') {
      if (p.startsWith('(?P<', i)) {
        const end = p.indexOf('>', i);
        groupNames.push(p.slice(i + 4, end));
        groupCount++;
        out += `(?<${p.slice(i + 4, end)}>`;
        i = end;
        continue;
      }
      if (p.startsWith('(?P=', i)) {
        const end = p.indexOf(')', i);
        out += `\\k<${p.slice(i + 4, end)}>`;
        i = end;
        continue;
      }
      if (p[i + 1] === '?' && p[i + 2] === '#') {
        i = p.indexOf(')', i);
        continue;
      }
      if (p[i + 1] !== '?') groupCount++;
      else if (p[i + 2] === '<' && p[i + 3] !== '=' && p[i + 3] !== '!') {
        groupNames.push(p.slice(i + 3, p.indexOf('>', i)));
        groupCount++;
      }
      out += c;
      continue;
    }
    if (c === '$' && !multiline) {
      out += '(?=\\n?(?![\\s\\S]))';
      continue;
    }
    out += c;
  }
  const flags = (bits & IGNORECASE ? 'i' : '') + (multiline ? 'm' : '') + (bits & DOTALL ? 's' : '');
  return { source: out, flags, groupNames, groupCount };
}

/** A compiled pattern: one RegExp per matching mode, built lazily and cached. */
class CompiledPattern {
  private readonly t: Translated;
  private readonly regexps = new Map<string, RegExp>();
  constructor(
    readonly pattern: string,
    readonly flags: number,
  ) {
    try {
      this.t = translate(pattern, flags);
      this.regex('g');
    } catch (e) {
      if (e instanceof SyntaxError) throw new ReError(`invalid regular expression ${pyRepr(pattern)}: ${e.message}`);
      throw e;
    }
  }
  get groupCount(): number {
    return this.t.groupCount;
  }
  /** mode: 'g' for scanning, 'y' anchored at lastIndex, 'full' anchored at both ends. */
  regex(mode: 'g' | 'y' | 'full'): RegExp {
    let re = this.regexps.get(mode);
    if (!re) {
      const source = mode === 'full' ? `(?:${this.t.source})(?![\\s\\S])` : this.t.source;
      re = new RegExp(source, this.t.flags + (mode === 'g' ? 'g' : 'y') + 'd');
      this.regexps.set(mode, re);
    }
    re.lastIndex = 0;
    return re;
  }
}

class ReError extends Error {
  override name = 'error';
}

const cache = new Map<string, CompiledPattern>();

function compile(pattern: unknown, flags: unknown): CompiledPattern {
  if (pattern instanceof PatternObject) return pattern.compiled;
  if (typeof pattern !== 'string') throw pyErr.type('first argument must be string or compiled pattern');
  const bits = isNone(flags) ? 0 : toNumber(flags);
  const key = `${bits}\u0000${pattern}`;
  let c = cache.get(key);
  if (!c) {
    if (cache.size > 500) cache.clear();
    c = new CompiledPattern(pattern, bits);
    cache.set(key, c);
  }
  return c;
}

class MatchObject {
  constructor(
    private readonly m: RegExpExecArray,
    private readonly input: string,
  ) {}
  private groupValue(g: unknown): unknown {
    if (typeof g === 'string') {
      if (!this.m.groups || !(g in this.m.groups)) throw pyErr.index('no such group');
      return this.m.groups[g] ?? null;
    }
    const n = toNumber(g ?? 0);
    if (n < 0 || n >= this.m.length) throw pyErr.index('no such group');
    return this.m[n] ?? null;
  }
  private span(g: unknown): [number, number] {
    const idx = typeof g === 'string' ? this.m.indices?.groups?.[g] : this.m.indices?.[toNumber(g ?? 0)];
    return idx ? [idx[0], idx[1]] : [-1, -1];
  }
  [PY_GETATTR](name: string): unknown {
    switch (name) {
      case 'group':
        return new PyFunction('group', (a) =>
          a.length <= 1 ? this.groupValue(a[0]) : tuple(a.map((g) => this.groupValue(g))),
        );
      case 'groups':
        return new PyFunction('groups', (a) => tuple(this.m.slice(1).map((v) => v ?? a[0] ?? null)));
      case 'groupdict':
        return new PyFunction('groupdict', (a) => {
          const out = new Map<unknown, unknown>();
          for (const [k, v] of Object.entries(this.m.groups ?? {})) out.set(k, v ?? a[0] ?? null);
          return out;
        });
      case 'start':
        return new PyFunction('start', (a) => this.span(a[0])[0]);
      case 'end':
        return new PyFunction('end', (a) => this.span(a[0])[1]);
      case 'span':
        return new PyFunction('span', (a) => tuple(this.span(a[0])));
      case 'string':
        return this.input;
    }
    throw pyErr.attr(`'re.Match' object has no attribute '${name}'`);
  }
  [PY_BOOL](): boolean {
    return true;
  }
  [PY_STR](): string {
    return `<re.Match object; span=(${this.m.index}, ${this.m.index + this.m[0].length}), match=${pyRepr(this.m[0])}>`;
  }
  [PY_TYPE](): string {
    return 're.Match';
  }
}

function expandTemplate(repl: string, m: RegExpExecArray): string {
  return repl.replace(/\\(g<([^>]+)>|\d{1,2}|[ntr\\]|.)/g, (whole, esc: string, named: string | undefined) => {
    if (named !== undefined) {
      const v = /^\d+$/.test(named) ? m[Number(named)] : m.groups?.[named];
      return v ?? '';
    }
    if (/^\d+$/.test(esc)) {
      if (Number(esc) >= m.length) throw new ReError(`invalid group reference ${esc}`);
      return m[Number(esc)] ?? '';
    }
    const simple: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\' };
    return simple[esc] ?? whole;
  });
}

function sub(rt: Runtime, c: CompiledPattern, repl: unknown, text: string, count: number): [string, number] {
  const re = c.regex('g');
  let out = '';
  let last = 0;
  let n = 0;
  let m: RegExpExecArray | null;
  while ((count <= 0 || n < count) && (m = re.exec(text))) {
    out += text.slice(last, m.index);
    out += typeof repl === 'string' ? expandTemplate(repl, m) : String(rt.call(repl, [new MatchObject(m, text)]));
    last = m.index + m[0].length;
    n++;
    if (m[0].length === 0) {
      if (m.index < text.length) out += text[m.index];
      last = m.index + 1;
      re.lastIndex = m.index + 1;
      if (m.index >= text.length) break;
    }
  }
  return [out + text.slice(last), n];
}

function findall(c: CompiledPattern, text: string): unknown[] {
  const out: unknown[] = [];
  for (const m of text.matchAll(c.regex('g'))) {
    if (c.groupCount === 0) out.push(m[0]);
    else if (c.groupCount === 1) out.push(m[1] ?? '');
    else out.push(tuple(m.slice(1).map((v) => v ?? '')));
  }
  return out;
}

function split(c: CompiledPattern, text: string, maxsplit: number): unknown[] {
  const out: unknown[] = [];
  const re = c.regex('g');
  let last = 0;
  let n = 0;
  let m: RegExpExecArray | null;
  while ((maxsplit <= 0 || n < maxsplit) && (m = re.exec(text))) {
    if (m[0].length === 0) {
      if (m.index >= text.length) break;
      if (m.index === last && m.index === 0) {
        re.lastIndex = m.index + 1;
        continue;
      }
      re.lastIndex = m.index + 1;
    }
    out.push(text.slice(last, m.index), ...m.slice(1).map((v) => v ?? null));
    last = m.index + m[0].length;
    n++;
  }
  out.push(text.slice(last));
  return out;
}

function requireString(v: unknown): string {
  if (typeof v !== 'string') throw pyErr.type(`expected string, got ${typeof v === 'object' ? 'object' : typeof v}`);
  return v;
}

function matchAt(c: CompiledPattern, text: string, mode: 'y' | 'full' | 'g'): unknown {
  const m = c.regex(mode).exec(text);
  return m ? new MatchObject(m, text) : null;
}

function operations(rt: Runtime, getPattern: (a: unknown[], k: Record<string, unknown>, op: string) => CompiledPattern, offset: number) {
  const txt = (a: unknown[], i: number) => requireString(a[i + offset]);
  return {
    match: (a: unknown[], k: Record<string, unknown>) => matchAt(getPattern(a, k, 'match'), txt(a, 0), 'y'),
    fullmatch: (a: unknown[], k: Record<string, unknown>) => matchAt(getPattern(a, k, 'fullmatch'), txt(a, 0), 'full'),
    search: (a: unknown[], k: Record<string, unknown>) => matchAt(getPattern(a, k, 'search'), txt(a, 0), 'g'),
    findall: (a: unknown[], k: Record<string, unknown>) => findall(getPattern(a, k, 'findall'), txt(a, 0)),
    finditer: (a: unknown[], k: Record<string, unknown>) => [...txt(a, 0).matchAll(getPattern(a, k, 'finditer').regex('g'))].map((m) => new MatchObject(m, txt(a, 0))),
    sub: (a: unknown[], k: Record<string, unknown>) =>
      sub(rt, getPattern(a, k, 'sub'), a[offset], txt(a, 1), toNumber(a[offset + 2] ?? k.count ?? 0))[0],
    subn: (a: unknown[], k: Record<string, unknown>) =>
      tuple(sub(rt, getPattern(a, k, 'subn'), a[offset], txt(a, 1), toNumber(a[offset + 2] ?? k.count ?? 0))),
    split: (a: unknown[], k: Record<string, unknown>) => split(getPattern(a, k, 'split'), txt(a, 0), toNumber(a[offset + 1] ?? k.maxsplit ?? 0)),
  };
}

class PatternObject {
  private readonly methods: Record<string, (a: unknown[], k: Record<string, unknown>) => unknown>;
  constructor(
    readonly compiled: CompiledPattern,
    rt: Runtime,
  ) {
    this.methods = operations(rt, () => compiled, 0);
  }
  [PY_GETATTR](name: string): unknown {
    if (name === 'pattern') return this.compiled.pattern;
    if (name === 'flags') return this.compiled.flags;
    if (name === 'groups') return this.compiled.groupCount;
    const m = this.methods[name];
    if (m) return new PyFunction(name, m);
    throw pyErr.attr(`'re.Pattern' object has no attribute '${name}'`);
  }
  [PY_STR](): string {
    return `re.compile(${pyRepr(this.compiled.pattern)})`;
  }
  [PY_TYPE](): string {
    return 're.Pattern';
  }
}

/** Flags follow the string arguments: match(p, s, flags), sub(p, r, s, count, flags), split(p, s, maxsplit, flags). */
const FLAG_POSITION: Record<string, number> = { match: 2, fullmatch: 2, search: 2, findall: 2, finditer: 2, sub: 4, subn: 4, split: 3 };

export function createReModule(rt: Runtime): PyModule {
  const attrs = new Map<string, unknown>();
  const ops = operations(rt, (a, k, op) => compile(a[0], a[FLAG_POSITION[op]] ?? k.flags), 1);
  for (const [name, impl] of Object.entries(ops)) attrs.set(name, new PyFunction(name, impl));
  attrs.set('compile', new PyFunction('compile', (a, k) => new PatternObject(compile(a[0], a[1] ?? k.flags), rt)));
  attrs.set('escape', new PyFunction('escape', (a) => requireString(a[0]).replace(/[()[\]{}?*+\-|^$\\.&~# \t\n\r\v\f]/g, (c) => `\\${c}`)));
  for (const [name, value] of [
    ['I', IGNORECASE], ['IGNORECASE', IGNORECASE], ['M', MULTILINE], ['MULTILINE', MULTILINE],
    ['S', DOTALL], ['DOTALL', DOTALL], ['X', VERBOSE], ['VERBOSE', VERBOSE], ['U', 32], ['UNICODE', 32], ['A', 256], ['ASCII', 256],
  ] as const) attrs.set(name, value);
  return new PyModule('re', attrs);
}

export { ReError };
