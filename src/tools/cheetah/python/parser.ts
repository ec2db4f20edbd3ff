/**
 * Precedence-climbing parser for Python expressions (the subset Cheetah templates use), plus the
 * small statement heads that directives carry: `#for <targets> in <expr>`, `#set <target> = <expr>`,
 * `#def name(params)`.
 */
import { PySyntaxError } from '../errors.ts';
import type { Arg, Comprehension, Expr, Param, Target } from './ast.ts';
import { tokenize, type Token } from './tokenizer.ts';
import { makeFloat } from './values.ts';

const COMPARE_OPS = new Set(['<', '>', '==', '>=', '<=', '!=', 'in', 'not', 'is']);
const KEYWORDS = new Set([
  'and', 'or', 'not', 'in', 'is', 'if', 'else', 'for', 'lambda', 'None', 'True', 'False',
  'import', 'from', 'as', 'def', 'class', 'return', 'yield', 'while', 'del', 'global', 'with',
  'try', 'except', 'finally', 'raise', 'pass', 'break', 'continue', 'elif', 'assert', 'await', 'async', 'nonlocal',
]);

class Parser {
  private pos = 0;
  private readonly tokens: Token[];

  constructor(readonly src: string) {
    this.tokens = tokenize(src);
  }

  // ------------------------------------------------------------ token helpers
  peek(offset = 0): Token {
    return this.tokens[Math.min(this.pos + offset, this.tokens.length - 1)];
  }
  next(): Token {
    const t = this.tokens[this.pos];
    if (this.pos < this.tokens.length - 1) this.pos++;
    return t;
  }
  isOp(value: string, offset = 0): boolean {
    const t = this.peek(offset);
    return t.kind === 'op' && t.value === value;
  }
  isKeyword(value: string, offset = 0): boolean {
    const t = this.peek(offset);
    return t.kind === 'name' && !t.dollar && t.value === value;
  }
  acceptOp(value: string): boolean {
    if (!this.isOp(value)) return false;
    this.next();
    return true;
  }
  acceptKeyword(value: string): boolean {
    if (!this.isKeyword(value)) return false;
    this.next();
    return true;
  }
  expectOp(value: string): void {
    if (!this.acceptOp(value)) this.fail(`expected '${value}'`);
  }
  expectKeyword(value: string): void {
    if (!this.acceptKeyword(value)) this.fail(`expected '${value}'`);
  }
  atEnd(): boolean {
    return this.peek().kind === 'end';
  }
  expectEnd(): void {
    if (!this.atEnd()) this.fail('unexpected text');
  }
  fail(message: string): never {
    const t = this.peek();
    const where = t.kind === 'end' ? 'end of expression' : `'${this.src.slice(t.pos, t.pos + 20)}'`;
    throw new PySyntaxError(`${message} at ${where}`);
  }
  expectName(): string {
    const t = this.next();
    if (t.kind !== 'name' || KEYWORDS.has(t.value)) {
      this.pos--;
      this.fail('expected a name');
    }
    return t.value;
  }

  // ------------------------------------------------------------ expressions
  /** testlist: one or more expressions; several make a tuple. */
  parseTestList(): Expr {
    const first = this.parseTestOrStar();
    if (!this.isOp(',')) return first;
    const items = [first];
    while (this.acceptOp(',')) {
      if (this.atEnd() || this.isOp('=') || this.isOp(')') || this.isKeyword('in')) break;
      items.push(this.parseTestOrStar());
    }
    return { type: 'tuple', items };
  }

  parseTestOrStar(): Expr {
    if (this.acceptOp('*')) return { type: 'starred', value: this.parseOr() };
    return this.parseTest();
  }

  parseTest(): Expr {
    if (this.isKeyword('lambda')) return this.parseLambda();
    const body = this.parseOr();
    if (this.isKeyword('if')) {
      this.next();
      const test = this.parseOr();
      this.expectKeyword('else');
      const orelse = this.parseTest();
      return { type: 'ifexp', test, body, orelse };
    }
    return body;
  }

  /** Like parseTest but without the conditional expression (comprehension `if` clauses). */
  parseTestNoCond(): Expr {
    if (this.isKeyword('lambda')) return this.parseLambda();
    return this.parseOr();
  }

  parseLambda(): Expr {
    this.expectKeyword('lambda');
    const params = this.parseParams(':');
    this.expectOp(':');
    return { type: 'lambda', params, body: this.parseTest() };
  }

  parseOr(): Expr {
    const first = this.parseAnd();
    if (!this.isKeyword('or')) return first;
    const values = [first];
    while (this.acceptKeyword('or')) values.push(this.parseAnd());
    return { type: 'bool', op: 'or', values };
  }

  parseAnd(): Expr {
    const first = this.parseNot();
    if (!this.isKeyword('and')) return first;
    const values = [first];
    while (this.acceptKeyword('and')) values.push(this.parseNot());
    return { type: 'bool', op: 'and', values };
  }

  parseNot(): Expr {
    if (this.acceptKeyword('not')) return { type: 'unary', op: 'not', operand: this.parseNot() };
    return this.parseComparison();
  }

  parseComparison(): Expr {
    const left = this.parseBinary(0);
    const ops: string[] = [];
    const comparators: Expr[] = [];
    while (true) {
      const t = this.peek();
      if (!((t.kind === 'op' || (t.kind === 'name' && !t.dollar)) && COMPARE_OPS.has(t.value))) break;
      if (t.value === 'not') {
        if (!this.isKeyword('in', 1)) break;
        this.next();
        this.next();
        ops.push('not in');
      } else if (t.value === 'is') {
        this.next();
        ops.push(this.acceptKeyword('not') ? 'is not' : 'is');
      } else {
        this.next();
        ops.push(t.value);
      }
      comparators.push(this.parseBinary(0));
    }
    return ops.length ? { type: 'compare', left, ops, comparators } : left;
  }

  /** Binary operators by precedence level, lowest first. */
  static readonly LEVELS: string[][] = [['|'], ['^'], ['&'], ['<<', '>>'], ['+', '-'], ['*', '/', '//', '%', '@']];

  parseBinary(level: number): Expr {
    if (level >= Parser.LEVELS.length) return this.parseUnary();
    let left = this.parseBinary(level + 1);
    const ops = Parser.LEVELS[level];
    while (this.peek().kind === 'op' && ops.includes(this.peek().value)) {
      const op = this.next().value;
      const right = this.parseBinary(level + 1);
      left = { type: 'binary', op, left, right };
    }
    return left;
  }

  parseUnary(): Expr {
    const t = this.peek();
    if (t.kind === 'op' && (t.value === '-' || t.value === '+' || t.value === '~')) {
      this.next();
      return { type: 'unary', op: t.value as '-' | '+' | '~', operand: this.parseUnary() };
    }
    return this.parsePower();
  }

  parsePower(): Expr {
    const base = this.parsePostfix();
    if (this.acceptOp('**')) return { type: 'binary', op: '**', left: base, right: this.parseUnary() };
    return base;
  }

  parsePostfix(): Expr {
    const first = this.peek();
    let expr = this.parseAtom();
    // A `$name` chain continues through trailers written without intervening space.
    let inChain = first.kind === 'name' && first.dollar === true;
    while (true) {
      const t = this.peek();
      if (t.kind !== 'op') break;
      if (inChain && t.spaceBefore) inChain = false;
      if (t.value === '.') {
        this.next();
        const attr = this.expectName();
        expr = { type: 'attr', object: expr, attr, mapper: inChain, autocall: false };
      } else if (t.value === '(') {
        this.next();
        expr = { type: 'call', func: expr, args: this.parseArgs() };
      } else if (t.value === '[') {
        this.next();
        const index = this.parseSubscript();
        this.expectOp(']');
        expr = { type: 'subscript', object: expr, index };
      } else break;
    }
    markAutocall(expr, false);
    return expr;
  }

  parseSubscript(): Expr {
    const items: Expr[] = [];
    do {
      if (this.isOp(']')) break;
      items.push(this.parseSliceItem());
    } while (this.acceptOp(','));
    if (items.length === 1 && !this.isOp(',')) return items[0];
    return { type: 'tuple', items };
  }

  parseSliceItem(): Expr {
    let lower: Expr | null = null;
    if (!this.isOp(':')) {
      lower = this.parseTest();
      if (!this.isOp(':')) return lower;
    }
    this.expectOp(':');
    const upper = this.isOp(']') || this.isOp(':') || this.isOp(',') ? null : this.parseTest();
    let step: Expr | null = null;
    if (this.acceptOp(':')) step = this.isOp(']') || this.isOp(',') ? null : this.parseTest();
    return { type: 'slice', lower, upper, step };
  }

  parseArgs(): Arg[] {
    const args: Arg[] = [];
    while (!this.isOp(')')) {
      if (this.acceptOp('**')) args.push({ kind: 'starstar', value: this.parseTest() });
      else if (this.acceptOp('*')) args.push({ kind: 'star', value: this.parseTest() });
      else if (this.peek().kind === 'name' && !this.peek().dollar && this.isOp('=', 1)) {
        const name = this.next().value;
        this.next();
        args.push({ kind: 'kw', name, value: this.parseTest() });
      } else {
        const value = this.parseTest();
        if (this.isKeyword('for')) {
          args.push({ kind: 'pos', value: this.parseComprehension('gen', value, null) });
        } else args.push({ kind: 'pos', value });
      }
      if (!this.acceptOp(',')) break;
    }
    this.expectOp(')');
    return args;
  }

  parseAtom(): Expr {
    const t = this.next();
    switch (t.kind) {
      case 'number':
        return { type: 'const', value: parseNumber(t) };
      case 'string': {
        let value = t.value;
        while (this.peek().kind === 'string') value += this.next().value;
        return { type: 'const', value };
      }
      case 'name':
        if (!t.dollar) {
          if (t.value === 'None') return { type: 'const', value: null };
          if (t.value === 'True') return { type: 'const', value: true };
          if (t.value === 'False') return { type: 'const', value: false };
          if (KEYWORDS.has(t.value)) {
            this.pos--;
            this.fail(`unexpected keyword '${t.value}'`);
          }
        }
        return { type: 'name', id: t.value, dollar: t.dollar === true, autocall: false };
      case 'op':
        if (t.value === '(') return this.parseParenthesized();
        if (t.value === '[') return this.parseListDisplay();
        if (t.value === '{') return this.parseBraceDisplay();
        break;
    }
    this.pos--;
    return this.fail('unexpected token');
  }

  parseParenthesized(): Expr {
    if (this.acceptOp(')')) return { type: 'tuple', items: [] };
    const first = this.parseTestOrStar();
    if (this.isKeyword('for')) {
      const comp = this.parseComprehension('gen', first, null);
      this.expectOp(')');
      return comp;
    }
    if (this.acceptOp(')')) return first;
    const items = [first];
    while (this.acceptOp(',')) {
      if (this.isOp(')')) break;
      items.push(this.parseTestOrStar());
    }
    this.expectOp(')');
    return { type: 'tuple', items };
  }

  parseListDisplay(): Expr {
    if (this.acceptOp(']')) return { type: 'list', items: [] };
    const first = this.parseTestOrStar();
    if (this.isKeyword('for')) {
      const comp = this.parseComprehension('list', first, null);
      this.expectOp(']');
      return comp;
    }
    const items = [first];
    while (this.acceptOp(',')) {
      if (this.isOp(']')) break;
      items.push(this.parseTestOrStar());
    }
    this.expectOp(']');
    return { type: 'list', items };
  }

  parseBraceDisplay(): Expr {
    if (this.acceptOp('}')) return { type: 'dict', keys: [], values: [] };
    const first = this.parseTestOrStar();
    if (this.acceptOp(':')) {
      const value = this.parseTest();
      if (this.isKeyword('for')) {
        const comp = this.parseComprehension('dict', first, value);
        this.expectOp('}');
        return comp;
      }
      const keys = [first];
      const values = [value];
      while (this.acceptOp(',')) {
        if (this.isOp('}')) break;
        keys.push(this.parseTest());
        this.expectOp(':');
        values.push(this.parseTest());
      }
      this.expectOp('}');
      return { type: 'dict', keys, values };
    }
    if (this.isKeyword('for')) {
      const comp = this.parseComprehension('set', first, null);
      this.expectOp('}');
      return comp;
    }
    const items = [first];
    while (this.acceptOp(',')) {
      if (this.isOp('}')) break;
      items.push(this.parseTestOrStar());
    }
    this.expectOp('}');
    return { type: 'set', items };
  }

  parseComprehension(kind: 'list' | 'set' | 'gen' | 'dict', element: Expr, value: Expr | null): Expr {
    const generators: Comprehension[] = [];
    while (this.acceptKeyword('for')) {
      const target = this.parseTargetList();
      this.expectKeyword('in');
      const iter = this.parseOr();
      const ifs: Expr[] = [];
      while (this.acceptKeyword('if')) ifs.push(this.parseTestNoCond());
      generators.push({ target, iter, ifs });
    }
    return { type: 'comp', kind, element, value, generators };
  }

  // ------------------------------------------------------------ targets and params
  parseTargetList(): Target {
    const first = this.parseTarget();
    if (!this.isOp(',')) return first;
    const items = [first];
    while (this.acceptOp(',')) {
      if (this.isKeyword('in') || this.isOp('=') || this.atEnd()) break;
      items.push(this.parseTarget());
    }
    return { type: 'tuple', items };
  }

  parseTarget(): Target {
    if (this.acceptOp('(') || this.acceptOp('[')) {
      const closing = this.tokens[this.pos - 1].value === '(' ? ')' : ']';
      const inner = this.parseTargetList();
      this.expectOp(closing);
      return inner.type === 'tuple' ? inner : { type: 'tuple', items: [inner] };
    }
    const expr = this.parsePostfix();
    return toTarget(expr, this);
  }

  parseParams(closing: string): Param[] {
    const params: Param[] = [];
    while (!this.isOp(closing) && !this.atEnd()) {
      let kind: Param['kind'] = 'normal';
      if (this.acceptOp('**')) kind = 'starstar';
      else if (this.acceptOp('*')) kind = 'star';
      const t = this.peek();
      if (t.kind === 'op' && t.value === ',' && kind === 'star') this.fail('keyword-only parameters are not supported');
      const name = this.expectName();
      const dflt = kind === 'normal' && this.acceptOp('=') ? this.parseTest() : null;
      params.push({ name, default: dflt, kind });
      if (!this.acceptOp(',')) break;
    }
    return params;
  }
}

function parseNumber(t: Token): unknown {
  const v = t.value;
  if (/^0[xX]/.test(v)) return parseInt(v.slice(2), 16);
  if (/^0[oO]/.test(v)) return parseInt(v.slice(2), 8);
  if (/^0[bB]/.test(v)) return parseInt(v.slice(2), 2);
  const n = Number(v);
  if (t.isFloat) return makeFloat(n);
  return n;
}

/** Sets `autocall` on the name/attribute at the end of a postfix chain when no call follows it. */
function markAutocall(expr: Expr, followedByCall: boolean): void {
  switch (expr.type) {
    case 'name':
      expr.autocall = expr.dollar && !followedByCall;
      return;
    case 'attr':
      expr.autocall = expr.mapper && !followedByCall;
      markAutocall(expr.object, false);
      return;
    case 'call':
      markAutocall(expr.func, true);
      return;
    case 'subscript':
      markAutocall(expr.object, false);
      return;
  }
}

function toTarget(expr: Expr, parser: Parser): Target {
  switch (expr.type) {
    case 'name':
      return { type: 'name', id: expr.id };
    case 'attr':
      return { type: 'attr', object: expr.object, attr: expr.attr };
    case 'subscript':
      return { type: 'subscript', object: expr.object, index: expr.index };
    case 'tuple':
    case 'list':
      return { type: 'tuple', items: expr.items.map((e) => toTarget(e, parser)) };
  }
  return parser.fail('cannot assign to this expression');
}

// ---------------------------------------------------------------- entry points

/** A single expression (or a bare tuple `a, b`). */
export function parseExpression(src: string): Expr {
  const p = new Parser(src);
  if (p.atEnd()) p.fail('expected an expression');
  const e = p.parseTestList();
  p.expectEnd();
  return e;
}

/** `#for <target> in <iterable>` */
export function parseForHead(src: string): { target: Target; iter: Expr } {
  const p = new Parser(src);
  const target = p.parseTargetList();
  p.expectKeyword('in');
  const iter = p.parseTestList();
  p.acceptOp(':');
  p.expectEnd();
  return { target, iter };
}

/** `#set [global] <target> [op]= <expr>` */
export function parseSetStatement(src: string): { global: boolean; target: Target; op: string; value: Expr } {
  const p = new Parser(src);
  const global = p.isKeyword('global') && p.peek(1).kind === 'name' ? (p.next(), true) : false;
  const target = p.parseTargetList();
  const t = p.next();
  if (t.kind !== 'op' || !/^(\*\*|\/\/|<<|>>|[-+*/%])?=$/.test(t.value)) p.fail("expected '='");
  const value = p.parseTestList();
  p.expectEnd();
  return { global, target, op: t.value.slice(0, -1), value };
}

/** `#def name(params)` or `#def name` */
export function parseDefHead(src: string): { name: string; params: Param[] } {
  const p = new Parser(src);
  const name = p.expectName();
  let params: Param[] = [];
  if (p.acceptOp('(')) {
    params = p.parseParams(')');
    p.expectOp(')');
  }
  p.acceptOp(':');
  p.expectEnd();
  return { name, params };
}

/** A condition that may carry Python's optional trailing colon (`#if x:`). */
export function parseCondition(src: string): Expr {
  const trimmed = src.replace(/:\s*$/, '');
  return parseExpression(trimmed);
}
