/**
 * Tokenizer for the Python expression subset used inside Cheetah templates.
 *
 * Cheetah lets a name carry a `$` prefix inside directives (`#if $x == 1`); such names are kept as
 * NAME tokens with `dollar: true`, because they resolve through Cheetah's NameMapper rather than as
 * plain Python names. `spaceBefore` lets the parser see where a `$name.attr(...)` chain ends.
 */
import { PySyntaxError } from '../errors.ts';

export type TokenKind = 'name' | 'number' | 'string' | 'op' | 'end';

export interface Token {
  kind: TokenKind;
  value: string;
  /** name: preceded by `$`; string: the decoded text. */
  dollar?: boolean;
  /** number: true for float literals. */
  isFloat?: boolean;
  spaceBefore: boolean;
  pos: number;
}

const OPERATORS = [
  '**=', '//=', '>>=', '<<=',
  '**', '//', '==', '!=', '<=', '>=', '<<', '>>', '+=', '-=', '*=', '/=', '%=', '->', ':=',
  '+', '-', '*', '/', '%', '<', '>', '=', '(', ')', '[', ']', '{', '}', ',', ':', '.', '|', '&', '^', '~', '@',
];

const ID_START = /[A-Za-z_]/;
const ID_CHAR = /[A-Za-z0-9_]/;

export function tokenize(src: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  let space = false;
  while (i < src.length) {
    const c = src[i];
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\f') {
      i++;
      space = true;
      continue;
    }
    if (c === '\\' && (src[i + 1] === '\n' || (src[i + 1] === '\r' && src[i + 2] === '\n'))) {
      i += src[i + 1] === '\n' ? 2 : 3;
      space = true;
      continue;
    }
    const start = i;
    const stringStart = matchStringStart(src, i);
    if (stringStart) {
      const { value, end } = readString(src, i, stringStart.prefix);
      tokens.push({ kind: 'string', value, spaceBefore: space, pos: start });
      i = end;
    } else if (c === '$' && i + 1 < src.length && ID_START.test(src[i + 1])) {
      i++;
      while (i < src.length && ID_CHAR.test(src[i])) i++;
      tokens.push({ kind: 'name', value: src.slice(start + 1, i), dollar: true, spaceBefore: space, pos: start });
    } else if (ID_START.test(c)) {
      while (i < src.length && ID_CHAR.test(src[i])) i++;
      tokens.push({ kind: 'name', value: src.slice(start, i), spaceBefore: space, pos: start });
    } else if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(src[i + 1] ?? ''))) {
      const m = /^(0[xX][0-9a-fA-F_]+|0[oO][0-7_]+|0[bB][01_]+|(?:[0-9][0-9_]*)?(?:\.[0-9_]*)?(?:[eE][+-]?[0-9_]+)?)/.exec(src.slice(i));
      const text = m![0];
      if (!text) throw new PySyntaxError(`invalid number at '${src.slice(i, i + 10)}'`);
      i += text.length;
      const isFloat = !/^0[xXoObB]/.test(text) && /[.eE]/.test(text);
      tokens.push({ kind: 'number', value: text.replace(/_/g, ''), isFloat, spaceBefore: space, pos: start });
    } else {
      const op = OPERATORS.find((o) => src.startsWith(o, i));
      if (!op) throw new PySyntaxError(`unexpected character '${c}'`);
      i += op.length;
      tokens.push({ kind: 'op', value: op, spaceBefore: space, pos: start });
    }
    space = false;
  }
  tokens.push({ kind: 'end', value: '', spaceBefore: space, pos: src.length });
  return tokens;
}

function matchStringStart(src: string, i: number): { prefix: string } | null {
  const m = /^([rRbBuU]{0,2})['"]/.exec(src.slice(i, i + 4));
  if (!m) return null;
  const prefix = m[1].toLowerCase();
  if (prefix.includes('f')) return null;
  if (prefix && !ID_START.test(src[i])) return null;
  return { prefix };
}

/** Reads a string literal starting at `i` (at its prefix). */
export function readString(src: string, i: number, prefix: string): { value: string; end: number } {
  i += prefix.length;
  const quote = src[i];
  const triple = src.startsWith(quote.repeat(3), i);
  const close = triple ? quote.repeat(3) : quote;
  i += close.length;
  const raw = prefix.includes('r');
  let out = '';
  while (true) {
    if (i >= src.length) throw new PySyntaxError('unterminated string literal');
    if (src.startsWith(close, i)) return { value: out, end: i + close.length };
    const c = src[i];
    if (c === '\n' && !triple) throw new PySyntaxError('unterminated string literal');
    if (c === '\\') {
      const next = src[i + 1] ?? '';
      if (raw) {
        out += c + next;
        i += 2;
        continue;
      }
      const { text, length } = decodeEscape(src, i + 1);
      out += text;
      i += 1 + length;
      continue;
    }
    out += c;
    i++;
  }
}

const SIMPLE_ESCAPES: Record<string, string> = {
  n: '\n', t: '\t', r: '\r', '\\': '\\', "'": "'", '"': '"', a: '\x07', b: '\b', f: '\f', v: '\v', '0': '\0', '\n': '',
};

function decodeEscape(src: string, i: number): { text: string; length: number } {
  const c = src[i] ?? '';
  const hex = (n: number) => {
    const h = src.slice(i + 1, i + 1 + n);
    if (!new RegExp(`^[0-9a-fA-F]{${n}}$`).test(h)) throw new PySyntaxError('truncated \\x escape');
    return { text: String.fromCodePoint(parseInt(h, 16)), length: 1 + n };
  };
  if (c === 'x') return hex(2);
  if (c === 'u') return hex(4);
  if (c === 'U') return hex(8);
  const oct = /^[0-7]{1,3}/.exec(src.slice(i, i + 3));
  if (oct && !(c === '0' && oct[0].length === 1)) return { text: String.fromCharCode(parseInt(oct[0], 8)), length: oct[0].length };
  if (c in SIMPLE_ESCAPES) return { text: SIMPLE_ESCAPES[c], length: 1 };
  // Python keeps unknown escapes verbatim (e.g. "\d" in a regex written without r-prefix).
  return { text: `\\${c}`, length: 1 };
}
