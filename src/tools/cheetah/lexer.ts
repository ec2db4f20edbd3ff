/**
 * Template lexer: splits Cheetah source into text, placeholder and directive tokens.
 *
 * Whitespace follows Cheetah: a directive (or `##` / `#* *#` comment) that sits alone on its
 * line, ending at the end of that line, takes the line's leading whitespace and newline with it.
 * A directive closed by `#` on the same line keeps everything around it. `#slurp` eats the newline.
 */
import { CheetahSyntaxError, type SourceLocation } from './errors.ts';

export type TemplateToken =
  | { kind: 'text'; text: string; line: number }
  | { kind: 'placeholder'; source: string; line: number }
  | { kind: 'directive'; name: string; args: string; line: number; raw: string };

/** Directives this engine implements. */
export const SUPPORTED_DIRECTIVES = [
  'if', 'elif', 'else', 'end', 'for', 'while', 'set', 'silent', 'echo', 'def', 'return', 'raw', 'import', 'from',
  'break', 'continue', 'try', 'except', 'finally', 'pass', 'slurp', 'stop', 'raise',
];

/** Directives Cheetah knows but Nebula refuses (they would otherwise pass through as text). */
export const UNSUPPORTED_DIRECTIVES = [
  'extends', 'include', 'compiler-settings', 'compiler', 'call', 'arg', 'cache', 'filter', 'encoding', 'assert',
  'del', 'global', 'attr', 'implements', 'block', 'capture', 'errorCatcher', 'breakpoint', 'indent', 'yield', 'super',
  'unicode', 'closure', 'transform', 'shbang', 'unless', 'monitor', 'defmacro', 'py',
];

const DIRECTIVE_RE = new RegExp(
  `#(${[...SUPPORTED_DIRECTIVES, ...UNSUPPORTED_DIRECTIVES]
    .sort((a, b) => b.length - a.length)
    .join('|')})(?![A-Za-z0-9_-])`,
  'y',
);

/** Directives whose condition may be followed by `:` and a one-line body (`#if x: text`). */
const COLON_FORM = new Set(['if', 'for', 'while']);

const ID_START = /[A-Za-z_]/;
const ID_CHAR = /[A-Za-z0-9_]/;

export function lexTemplate(src: string, loc: Omit<SourceLocation, 'line'> & { firstLine: number }): TemplateToken[] {
  return new Lexer(src, loc).run();
}

class Lexer {
  private i = 0;
  private text = '';
  private textLine = 1;
  private readonly tokens: TemplateToken[] = [];
  private readonly lineStarts: number[] = [0];
  /** Set by a colon-form directive: emit `#end <name>` after the next newline. */
  private pendingInlineEnd: { name: string; line: number } | null = null;

  constructor(
    private readonly src: string,
    private readonly loc: Omit<SourceLocation, 'line'> & { firstLine: number },
  ) {
    for (let k = 0; k < src.length; k++) if (src[k] === '\n') this.lineStarts.push(k + 1);
  }

  private lineOf(pos: number): number {
    let lo = 0;
    let hi = this.lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.lineStarts[mid] <= pos) lo = mid;
      else hi = mid - 1;
    }
    return lo + this.loc.firstLine;
  }

  fail(pos: number, construct: string, detail: string): never {
    throw new CheetahSyntaxError({ toolId: this.loc.toolId, file: this.loc.file, line: this.lineOf(pos) }, construct, detail);
  }

  private addText(s: string, pos: number): void {
    if (!this.text) this.textLine = this.lineOf(pos);
    this.text += s;
  }

  private flush(): void {
    if (this.text) this.tokens.push({ kind: 'text', text: this.text, line: this.textLine });
    this.text = '';
  }

  /** True when only spaces/tabs separate `pos` from the start of its line. */
  private aloneBefore(pos: number): boolean {
    for (let k = pos - 1; k >= 0; k--) {
      const c = this.src[k];
      if (c === '\n') return true;
      if (c !== ' ' && c !== '\t') return false;
    }
    return true;
  }

  /** Position after optional spaces/tabs and one newline, or -1 when other text follows. */
  private eolAfter(pos: number): number {
    let k = pos;
    while (k < this.src.length && (this.src[k] === ' ' || this.src[k] === '\t')) k++;
    if (k >= this.src.length) return k;
    if (this.src[k] === '\n') return k + 1;
    if (this.src[k] === '\r' && this.src[k + 1] === '\n') return k + 2;
    return -1;
  }

  /** Drops the spaces/tabs already buffered at the start of the current line. */
  private trimLineIndent(): void {
    this.text = this.text.replace(/[ \t]*$/, '');
  }

  run(): TemplateToken[] {
    const src = this.src;
    while (this.i < src.length) {
      const c = src[this.i];
      if (c === '\\' && (src[this.i + 1] === '$' || src[this.i + 1] === '#')) {
        this.addText(src[this.i + 1], this.i);
        this.i += 2;
      } else if (c === '$') {
        this.lexPlaceholder();
      } else if (c === '#') {
        this.lexHash();
      } else if (c === '\n') {
        this.addText('\n', this.i);
        this.i++;
        this.closeInlineBody();
      } else {
        let j = this.i + 1;
        while (j < src.length && src[j] !== '$' && src[j] !== '#' && src[j] !== '\\' && src[j] !== '\n') j++;
        this.addText(src.slice(this.i, j), this.i);
        this.i = j;
      }
    }
    this.closeInlineBody();
    this.flush();
    return this.tokens;
  }

  private closeInlineBody(): void {
    if (!this.pendingInlineEnd) return;
    const { name, line } = this.pendingInlineEnd;
    this.pendingInlineEnd = null;
    this.flush();
    this.tokens.push({ kind: 'directive', name: 'end', args: name, line, raw: `#end ${name}` });
  }

  // ------------------------------------------------------------ placeholders
  private lexPlaceholder(): void {
    const src = this.src;
    const start = this.i;
    const next = src[start + 1] ?? '';
    if (ID_START.test(next)) {
      let j = start + 2;
      while (j < src.length && ID_CHAR.test(src[j])) j++;
      j = this.scanChain(j);
      this.emitPlaceholder(src.slice(start, j), start);
      this.i = j;
      return;
    }
    if (next === '{' || next === '(' || next === '[') {
      let k = start + 2;
      while (src[k] === ' ' || src[k] === '\t') k++;
      if (next === '{' || ID_START.test(src[k] ?? '')) {
        const close = this.matchBracket(start + 1);
        const inner = src.slice(start + 2, close).trim();
        if (!inner) this.fail(start, src.slice(start, close + 1), 'empty placeholder');
        this.emitPlaceholder(ID_START.test(inner[0]) ? `$${inner}` : inner, start);
        this.i = close + 1;
        return;
      }
    }
    this.addText('$', start);
    this.i = start + 1;
  }

  private emitPlaceholder(source: string, pos: number): void {
    this.flush();
    this.tokens.push({ kind: 'placeholder', source, line: this.lineOf(pos) });
  }

  /**
   * Extends `$name` through `.ident`, `[...]` and `(...)` trailers. As in Cheetah, a `[` right
   * after a call ends the placeholder: `$s.split()[0]` renders the list followed by "[0]".
   */
  private scanChain(j: number): number {
    const src = this.src;
    let afterCall = false;
    while (j < src.length) {
      if (src[j] === '.' && ID_START.test(src[j + 1] ?? '')) {
        j += 2;
        while (j < src.length && ID_CHAR.test(src[j])) j++;
        afterCall = false;
      } else if (src[j] === '(' || (src[j] === '[' && !afterCall)) {
        afterCall = src[j] === '(';
        j = this.matchBracket(j) + 1;
      } else break;
    }
    return j;
  }

  /** Index of the bracket closing the one at `open`, skipping Python string literals. */
  private matchBracket(open: number): number {
    const src = this.src;
    const stack: string[] = [];
    const pairs: Record<string, string> = { '(': ')', '[': ']', '{': '}' };
    for (let k = open; k < src.length; k++) {
      const c = src[k];
      if (c === '"' || c === "'") {
        k = this.skipString(k);
        continue;
      }
      if (pairs[c]) stack.push(pairs[c]);
      else if (c === ')' || c === ']' || c === '}') {
        if (stack.pop() !== c) this.fail(k, src.slice(open, k + 1), `unbalanced '${c}'`);
        if (stack.length === 0) return k;
      }
    }
    return this.fail(open, src.slice(open, open + 40), `unclosed '${src[open]}'`);
  }

  /** Returns the index of the closing quote of the string literal starting at `k`. */
  private skipString(k: number): number {
    const src = this.src;
    const q = src[k];
    const triple = src.startsWith(q.repeat(3), k);
    const close = triple ? q.repeat(3) : q;
    for (let m = k + close.length; m < src.length; m++) {
      if (src[m] === '\\') {
        m++;
        continue;
      }
      if (src.startsWith(close, m)) return m + close.length - 1;
      if (!triple && src[m] === '\n') break;
    }
    return this.fail(k, src.slice(k, k + 40), 'unterminated string literal');
  }

  // ------------------------------------------------------------ comments and directives
  private lexHash(): void {
    const src = this.src;
    const start = this.i;
    if (src[start + 1] === '#') {
      let end = src.indexOf('\n', start);
      if (end < 0) end = src.length;
      if (this.aloneBefore(start)) {
        this.trimLineIndent();
        this.i = Math.min(src.length, end + 1);
      } else this.i = end;
      return;
    }
    if (src[start + 1] === '*') {
      const end = src.indexOf('*#', start + 2);
      if (end < 0) this.fail(start, '#*', 'unterminated block comment');
      const after = end + 2;
      const eol = this.eolAfter(after);
      if (this.aloneBefore(start) && eol >= 0) {
        this.trimLineIndent();
        this.i = eol;
      } else this.i = after;
      return;
    }
    DIRECTIVE_RE.lastIndex = start;
    const m = DIRECTIVE_RE.exec(src);
    if (!m) {
      this.addText('#', start);
      this.i = start + 1;
      return;
    }
    this.lexDirective(start, m[1], start + m[0].length);
  }

  private lexDirective(start: number, name: string, argsStart: number): void {
    const { args, end, closedByHash, colonBody } = this.readArgs(argsStart, name);
    const line = this.lineOf(start);
    const raw = this.src.slice(start, end).replace(/\s+$/, '');
    let directiveName = name;
    let directiveArgs = args.trim();
    if (name === 'else' && /^if\b/.test(directiveArgs)) {
      directiveName = 'elif';
      directiveArgs = directiveArgs.slice(2).trim();
    }
    if (name === 'else' || name === 'try' || name === 'finally') directiveArgs = directiveArgs.replace(/^:$/, '');
    const alone = this.aloneBefore(start);
    let next = end;
    if (colonBody) {
      // One-line form: the rest of the line (with its newline) is the body.
      if (alone) this.trimLineIndent();
      while (next < this.src.length && (this.src[next] === ' ' || this.src[next] === '\t')) next++;
      this.pendingInlineEnd = { name, line };
    } else if (name === 'slurp') {
      const eol = this.eolAfter(end);
      if (alone) this.trimLineIndent();
      if (eol >= 0) next = eol;
    } else if (!closedByHash) {
      const eol = this.eolAfter(end);
      if (alone && eol >= 0) {
        this.trimLineIndent();
        next = eol;
      }
    }
    this.flush();
    if (name !== 'slurp') this.tokens.push({ kind: 'directive', name: directiveName, args: directiveArgs, line, raw });
    this.i = next;
    if (name === 'raw') this.lexRawBody();
  }

  /** `#raw` ... `#end raw`: everything in between is text. */
  private lexRawBody(): void {
    const re = /#end[ \t]+raw\b/g;
    re.lastIndex = this.i;
    const m = re.exec(this.src);
    if (!m) this.fail(this.i, '#raw', "missing '#end raw'");
    if (m.index > this.i) this.addText(this.src.slice(this.i, m.index), this.i);
    this.i = m.index;
    this.lexDirective(m.index, 'end', m.index + 4);
  }

  /**
   * Reads directive arguments: up to the end of the line (continued by a trailing `\` or an open
   * bracket), a closing `#`, a `##` comment, or, for if/for/while, a `:` followed by body text.
   */
  private readArgs(from: number, name: string): { args: string; end: number; closedByHash: boolean; colonBody: boolean } {
    const src = this.src;
    let depth = 0;
    let args = '';
    let k = from;
    while (k < src.length) {
      const c = src[k];
      if (c === '"' || c === "'") {
        const close = this.skipString(k);
        args += src.slice(k, close + 1);
        k = close + 1;
        continue;
      }
      if (c === '\\' && (src[k + 1] === '\n' || (src[k + 1] === '\r' && src[k + 2] === '\n'))) {
        args += ' ';
        k += src[k + 1] === '\n' ? 2 : 3;
        continue;
      }
      if (c === '(' || c === '[' || c === '{') depth++;
      else if (c === ')' || c === ']' || c === '}') depth = Math.max(0, depth - 1);
      else if (depth === 0 && (c === '\n' || (c === '\r' && src[k + 1] === '\n'))) {
        return { args, end: k, closedByHash: false, colonBody: false };
      } else if (depth === 0 && c === '#') {
        if (src[k + 1] === '#') {
          let eol = src.indexOf('\n', k);
          if (eol < 0) eol = src.length;
          return { args, end: eol, closedByHash: false, colonBody: false };
        }
        return { args, end: k + 1, closedByHash: true, colonBody: false };
      } else if (depth === 0 && c === ':' && COLON_FORM.has(name) && !/\blambda\b[^:]*$/.test(args)) {
        const rest = src.slice(k + 1, (src.indexOf('\n', k) + 1 || src.length + 1) - 1);
        if (rest.trim() !== '') return { args, end: k + 1, closedByHash: false, colonBody: true };
      }
      args += c;
      k++;
    }
    return { args, end: k, closedByHash: false, colonBody: false };
  }
}
