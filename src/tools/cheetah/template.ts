/**
 * Directive tree and renderer. `buildTemplate` turns lexer tokens into a tree once; `render`
 * walks it for each namespace. Control flow uses return codes rather than exceptions.
 */
import {
  CheetahRuntimeError, CheetahSyntaxError, PyException, PySyntaxError, pyErr, toPyException, type SourceLocation,
} from './errors.ts';
import { lexTemplate, SUPPORTED_DIRECTIVES, type TemplateToken } from './lexer.ts';
import type { Expr, Param, Target } from './python/ast.ts';
import { createBuiltins } from './python/builtins.ts';
import { Evaluator, Scope, type NameSources } from './python/eval.ts';
import { createModuleLoader } from './python/modules/index.ts';
import { binaryOp } from './python/operators.ts';
import { parseCondition, parseDefHead, parseExpression, parseForHead, parseSetStatement } from './python/parser.ts';
import { PyFunction, isNone, iterate, pyStr, truthy } from './python/values.ts';

// ---------------------------------------------------------------- tree

interface Located {
  line: number;
  src: string;
}

type Node =
  | { t: 'text'; text: string }
  | ({ t: 'placeholder'; expr: Expr } & Located)
  | ({ t: 'echo' | 'silent'; expr: Expr } & Located)
  | ({ t: 'set'; global: boolean; target: Target; op: string; value: Expr } & Located)
  | { t: 'if'; branches: { cond: Expr | null; body: Node[]; line: number; src: string }[] }
  | ({ t: 'for'; target: Target; iter: Expr; body: Node[] } & Located)
  | ({ t: 'while'; cond: Expr; body: Node[] } & Located)
  | ({ t: 'try'; body: Node[]; handlers: Handler[]; finally: Node[] | null } & Located)
  | ({ t: 'return' | 'raise'; expr: Expr | null } & Located)
  | { t: 'break' | 'continue' | 'stop' | 'pass' }
  | { t: 'def' };

interface Handler {
  types: string[] | null;
  alias: string | null;
  body: Node[];
}

interface DefSpec {
  name: string;
  params: Param[];
  body: Node[];
  line: number;
  src: string;
}

interface ImportSpec {
  module: string;
  /** Name bound in the template; null binds the module's top-level name (`import os.path` binds `os`). */
  alias: string | null;
  /** `from module import attr` */
  attr: string | null;
}

export interface TemplateTree {
  body: Node[];
  defs: DefSpec[];
  imports: ImportSpec[];
}

interface OpenBlock {
  kind: string;
  line: number;
  raw: string;
  /** Where new children go. */
  body: Node[];
  node?: Node;
  def?: DefSpec;
}

export function buildTemplate(source: string, loc: { toolId: string; file: string; firstLine: number }): TemplateTree {
  const tokens = lexTemplate(source, loc);
  const root: Node[] = [];
  const defs: DefSpec[] = [];
  const imports: ImportSpec[] = [];
  const stack: OpenBlock[] = [{ kind: 'root', line: loc.firstLine, raw: '', body: root }];
  const top = () => stack[stack.length - 1];
  const fail = (tok: { line: number; raw?: string }, detail: string): never => {
    throw new CheetahSyntaxError({ toolId: loc.toolId, file: loc.file, line: tok.line }, tok.raw ?? '', detail);
  };
  const parse = <T>(tok: TemplateToken & { kind: 'directive' }, fn: () => T): T => {
    try {
      return fn();
    } catch (e) {
      if (e instanceof PySyntaxError) return fail(tok, e.message);
      throw e;
    }
  };

  for (const tok of tokens) {
    if (tok.kind === 'text') {
      top().body.push({ t: 'text', text: tok.text });
      continue;
    }
    if (tok.kind === 'placeholder') {
      const expr = (() => {
        try {
          return parseExpression(tok.source);
        } catch (e) {
          if (e instanceof PySyntaxError) return fail({ line: tok.line, raw: tok.source }, e.message);
          throw e;
        }
      })();
      top().body.push({ t: 'placeholder', expr, line: tok.line, src: tok.source });
      continue;
    }
    const { name, args, line, raw } = tok;
    const at = { line, src: raw };
    if (!SUPPORTED_DIRECTIVES.includes(name)) fail(tok, `the #${name} directive is not supported by Nebula`);
    const noArgs = () => {
      if (args) fail(tok, `unexpected text after #${name}`);
    };
    switch (name) {
      case 'if': {
        const node: Node = { t: 'if', branches: [{ cond: parse(tok, () => parseCondition(args)), body: [], ...at }] };
        top().body.push(node);
        stack.push({ kind: 'if', line, raw, body: node.branches[0].body, node });
        break;
      }
      case 'elif':
      case 'else': {
        const block = top();
        if (block.kind !== 'if' || block.node?.t !== 'if') return fail(tok, `#${name} without #if`);
        if (name === 'else') noArgs();
        const cond = name === 'elif' ? parse(tok, () => parseCondition(args)) : null;
        const branches = block.node.branches;
        if (branches[branches.length - 1].cond === null) fail(tok, `#${name} after #else`);
        const branch = { cond, body: [] as Node[], ...at };
        branches.push(branch);
        block.body = branch.body;
        break;
      }
      case 'for': {
        const head = parse(tok, () => parseForHead(args));
        const node: Node = { t: 'for', ...head, body: [], ...at };
        top().body.push(node);
        stack.push({ kind: 'for', line, raw, body: node.body, node });
        break;
      }
      case 'while': {
        const node: Node = { t: 'while', cond: parse(tok, () => parseCondition(args)), body: [], ...at };
        top().body.push(node);
        stack.push({ kind: 'while', line, raw, body: node.body, node });
        break;
      }
      case 'try': {
        noArgs();
        const node: Node = { t: 'try', body: [], handlers: [], finally: null, ...at };
        top().body.push(node);
        stack.push({ kind: 'try', line, raw, body: node.body, node });
        break;
      }
      case 'except':
      case 'finally': {
        const block = top();
        if (block.kind !== 'try' || block.node?.t !== 'try') return fail(tok, `#${name} without #try`);
        if (name === 'finally') {
          noArgs();
          block.node.finally = [];
          block.body = block.node.finally;
        } else {
          const m = /^(?:\(?\s*([\w.,\s]+?)\s*\)?)?(?:\s+as\s+(\w+))?\s*:?$/.exec(args);
          if (!m) return fail(tok, 'malformed #except');
          const handler: Handler = {
            types: m[1] ? m[1].split(',').map((s) => s.trim().split('.').pop()!) : null,
            alias: m[2] ?? null,
            body: [],
          };
          block.node.handlers.push(handler);
          block.body = handler.body;
        }
        break;
      }
      case 'def': {
        const head = parse(tok, () => parseDefHead(args));
        const def: DefSpec = { ...head, body: [], ...at };
        defs.push(def);
        top().body.push({ t: 'def' });
        stack.push({ kind: 'def', line, raw, body: def.body, def });
        break;
      }
      case 'raw':
        noArgs();
        stack.push({ kind: 'raw', line, raw, body: top().body });
        break;
      case 'end': {
        const block = top();
        const kind = args.replace(/:$/, '').trim();
        if (block.kind === 'root') fail(tok, `#end ${kind} without a matching #${kind}`);
        if (block.kind !== kind) fail(tok, `#end ${kind} does not match #${block.kind} on line ${block.line}`);
        stack.pop();
        break;
      }
      case 'set': {
        const stmt = parse(tok, () => parseSetStatement(args));
        top().body.push({ t: 'set', ...stmt, ...at });
        break;
      }
      case 'echo':
      case 'silent':
        top().body.push({ t: name, expr: parse(tok, () => parseExpression(args)), ...at });
        break;
      case 'return':
      case 'raise':
        top().body.push({ t: name, expr: args ? parse(tok, () => parseExpression(args)) : null, ...at });
        break;
      case 'break':
      case 'continue':
        noArgs();
        if (!stack.some((b) => b.kind === 'for' || b.kind === 'while')) fail(tok, `#${name} outside a loop`);
        top().body.push({ t: name });
        break;
      case 'stop':
      case 'pass':
        noArgs();
        top().body.push({ t: name });
        break;
      case 'import':
        for (const part of args.split(',')) {
          const m = /^\s*([A-Za-z_][\w.]*)(?:\s+as\s+([A-Za-z_]\w*))?\s*$/.exec(part);
          if (!m) return fail(tok, 'malformed #import');
          imports.push({ module: m[1], alias: m[2] ?? null, attr: null });
        }
        top().body.push({ t: 'pass' });
        break;
      case 'from': {
        const m = /^([A-Za-z_][\w.]*)\s+import\s+\(?([\w\s,]+?)\)?\s*$/.exec(args);
        if (!m) return fail(tok, 'malformed #from ... import');
        for (const part of m[2].split(',')) {
          const p = /^\s*([A-Za-z_]\w*)(?:\s+as\s+([A-Za-z_]\w*))?\s*$/.exec(part);
          if (!p) return fail(tok, 'malformed #from ... import');
          imports.push({ module: m[1], alias: p[2] ?? p[1], attr: p[1] });
        }
        top().body.push({ t: 'pass' });
        break;
      }
    }
  }
  if (stack.length > 1) {
    const open = top();
    fail({ line: open.line, raw: open.raw }, `#${open.kind} is missing its #end ${open.kind}`);
  }
  return { body: root, defs, imports };
}

// ---------------------------------------------------------------- rendering

const NORMAL = 0;
const BREAK = 1;
const CONTINUE = 2;
const RETURN = 3;
const STOP = 4;
type Signal = typeof NORMAL | typeof BREAK | typeof CONTINUE | typeof RETURN | typeof STOP;

const MAX_DEF_DEPTH = 200;
const MAX_WHILE_ITERATIONS = 1_000_000;

/** Cheetah's default output filter: None renders as the empty string. */
function filterOutput(v: unknown): string {
  if (typeof v === 'string') return v;
  if (isNone(v)) return '';
  return pyStr(v);
}

const EXCEPTION_PARENTS: Record<string, string[]> = {
  KeyError: ['LookupError'],
  IndexError: ['LookupError'],
  NotFound: ['LookupError', 'KeyError'],
  ZeroDivisionError: ['ArithmeticError'],
};

function handlerMatches(types: string[] | null, e: PyException): boolean {
  if (types === null) return true;
  return types.some(
    (t) => t === 'Exception' || t === 'BaseException' || t === e.pyType || (EXCEPTION_PARENTS[e.pyType] ?? []).includes(t),
  );
}

class Renderer {
  readonly ev: Evaluator;
  private depth = 0;
  returnValue: unknown = null;

  constructor(
    private readonly tree: TemplateTree,
    namespace: (name: string) => unknown,
    lenientBareNames: boolean,
  ) {
    const sources: NameSources = {
      templateVars: new Map(),
      namespace,
      moduleGlobals: new Map(),
      builtins: new Map(),
      lenientBareNames,
    };
    this.ev = new Evaluator(sources);
    for (const [k, v] of createBuiltins(this.ev)) sources.builtins.set(k, v);
    this.bindImports(sources.moduleGlobals);
    for (const def of tree.defs) sources.templateVars.set(def.name, this.makeDef(def));
  }

  private bindImports(globals: Map<string, unknown>): void {
    const load = createModuleLoader(this.ev);
    for (const imp of this.tree.imports) {
      try {
        const mod = load(imp.module);
        if (imp.attr) {
          if (!mod.attrs.has(imp.attr)) throw pyErr.unsupported(`cannot import name '${imp.attr}' from '${imp.module}'`);
          globals.set(imp.alias ?? imp.attr, mod.attrs.get(imp.attr));
        } else if (imp.alias) globals.set(imp.alias, mod);
        else {
          const topName = imp.module.split('.')[0];
          globals.set(topName, load(topName));
        }
      } catch (e) {
        const pe = toPyException(e);
        pe.expression ??= `import ${imp.module}`;
        throw pe;
      }
    }
  }

  private makeDef(def: DefSpec): PyFunction {
    return this.ev.makeFunction(def.name, def.params, new Scope(new Map()), (scope) => {
      if (++this.depth > MAX_DEF_DEPTH) {
        this.depth = 0;
        throw new PyException('RecursionError', 'maximum recursion depth exceeded');
      }
      try {
        const out: string[] = [];
        // A def sees only its parameters, not the caller's #set variables (it is a Python method).
        const signal = this.exec(def.body, new Scope(scope.vars), out);
        if (signal === RETURN) {
          const v = this.returnValue;
          this.returnValue = null;
          return v;
        }
        return out.join('');
      } finally {
        this.depth--;
      }
    });
  }

  exec(nodes: Node[], scope: Scope, out: string[]): Signal {
    for (const node of nodes) {
      if (node.t === 'text') {
        out.push(node.text);
        continue;
      }
      let signal: Signal;
      try {
        signal = this.execNode(node, scope, out);
      } catch (e) {
        const pe = toPyException(e);
        if (pe.line === undefined && 'line' in node) {
          pe.line = node.line;
          pe.expression = node.src;
        }
        throw pe;
      }
      if (signal !== NORMAL) return signal;
    }
    return NORMAL;
  }

  private execNode(node: Exclude<Node, { t: 'text' }>, scope: Scope, out: string[]): Signal {
    const ev = this.ev;
    switch (node.t) {
      case 'placeholder':
      case 'echo':
        out.push(filterOutput(ev.eval(node.expr, scope)));
        return NORMAL;
      case 'silent':
        ev.eval(node.expr, scope);
        return NORMAL;
      case 'set': {
        let value = ev.eval(node.value, scope);
        if (node.op) {
          const current = ev.readTarget(node.target, scope);
          value = node.op === '+' && Array.isArray(current) && !Object.isFrozen(current)
            ? (current.push(...iterate(value)), current)
            : binaryOp(node.op === '//' ? '//' : node.op, current, value);
        }
        if (node.global) {
          if (node.target.type !== 'name') throw pyErr.unsupported('#set global needs a plain name');
          ev.sources.templateVars.set(node.target.id, value);
        } else ev.assign(node.target, value, scope);
        return NORMAL;
      }
      case 'if':
        for (const branch of node.branches) {
          let taken: boolean;
          try {
            taken = branch.cond === null || truthy(ev.eval(branch.cond, scope));
          } catch (e) {
            const pe = toPyException(e);
            pe.line ??= branch.line;
            pe.expression ??= branch.src;
            throw pe;
          }
          if (taken) return this.exec(branch.body, scope, out);
        }
        return NORMAL;
      case 'for': {
        for (const item of iterate(ev.eval(node.iter, scope))) {
          ev.assign(node.target, item, scope);
          const signal = this.exec(node.body, scope, out);
          if (signal === BREAK) break;
          if (signal === RETURN || signal === STOP) return signal;
        }
        return NORMAL;
      }
      case 'while': {
        let n = 0;
        while (truthy(ev.eval(node.cond, scope))) {
          if (++n > MAX_WHILE_ITERATIONS) throw new PyException('RuntimeError', `#while ran more than ${MAX_WHILE_ITERATIONS} times`);
          const signal = this.exec(node.body, scope, out);
          if (signal === BREAK) break;
          if (signal === RETURN || signal === STOP) return signal;
        }
        return NORMAL;
      }
      case 'try':
        return this.execTry(node, scope, out);
      case 'return':
        this.returnValue = node.expr ? ev.eval(node.expr, scope) : null;
        return RETURN;
      case 'raise': {
        const value = node.expr ? ev.eval(node.expr, scope) : null;
        throw new PyException('Exception', isNone(value) ? 'exception raised by template' : pyStr(value));
      }
      case 'break':
        return BREAK;
      case 'continue':
        return CONTINUE;
      case 'stop':
        return STOP;
      case 'pass':
      case 'def':
        return NORMAL;
    }
  }

  private execTry(node: Extract<Node, { t: 'try' }>, scope: Scope, out: string[]): Signal {
    try {
      return this.exec(node.body, scope, out);
    } catch (e) {
      const pe = toPyException(e);
      const handler = node.handlers.find((h) => handlerMatches(h.types, pe));
      if (!handler) throw pe;
      // Output written before the exception stays, as in Cheetah (it writes to a shared buffer).
      if (handler.alias) scope.vars.set(handler.alias, pe.message);
      return this.exec(handler.body, scope, out);
    } finally {
      if (node.finally) this.exec(node.finally, scope, out);
    }
  }
}

export interface RenderOptions {
  toolId: string;
  file: string;
  lenientBareNames: boolean;
}

export function renderTree(tree: TemplateTree, namespace: (name: string) => unknown, opts: RenderOptions): string {
  const out: string[] = [];
  try {
    const renderer = new Renderer(tree, namespace, opts.lenientBareNames);
    renderer.exec(tree.body, new Scope(new Map()), out);
  } catch (e) {
    if (e instanceof CheetahRuntimeError || e instanceof CheetahSyntaxError) throw e;
    const pe = toPyException(e);
    const location: SourceLocation = { toolId: opts.toolId, file: opts.file, line: pe.line ?? 0 };
    throw new CheetahRuntimeError(location, pe.expression ?? '', pe.pyType, pe.message);
  }
  return out.join('');
}
