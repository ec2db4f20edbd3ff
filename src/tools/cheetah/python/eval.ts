/**
 * Evaluator for the expression AST.
 *
 * Name resolution follows the Python code Cheetah generates:
 *   `$name`  -> local variables, template variables (`#set global`, `#def`), the namespace
 *               (Cheetah's searchList), imported modules, builtins; NameMapper rules apply:
 *               `.attr` falls back to a dict key and callables are auto-called.
 *   `name`   -> local variables, imported modules, builtins (plain Python; the namespace is not
 *               searched unless `lenientBareNames` is set).
 */
import { PyException, pyErr } from '../errors.ts';
import { PY_CALL, PY_GETATTR, PY_GETITEM, PyAttributeError } from '../protocol.ts';
import type { Arg, Expr, Param, Target } from './ast.ts';
import { DICT_METHODS, LIST_METHODS, SET_METHODS, TUPLE_METHODS } from './collections.ts';
import { binaryOp, compareOp, unaryOp } from './operators.ts';
import type { Method, Runtime } from './runtime.ts';
import { STRING_METHODS } from './strings.ts';
import {
  PyFunction, PyModule, callHook, dictEntries, dictGet, dictHas, dictKey, dictSet, hasHook, isDict, isInt, isNone,
  isTuple, iterate, pyRepr, setHas, toList, toNumber, truthy, tuple, typeName, isPlainObject,
} from './values.ts';

export class Scope {
  constructor(
    readonly vars: Map<string, unknown>,
    readonly parent: Scope | null = null,
  ) {}
  find(name: string): Scope | null {
    for (let s: Scope | null = this; s; s = s.parent) if (s.vars.has(name)) return s;
    return null;
  }
}

export interface NameSources {
  /** `#set global` variables and `#def` functions. */
  templateVars: Map<string, unknown>;
  /** The namespace (Cheetah searchList); returns undefined when the name is absent. */
  namespace: (name: string) => unknown;
  /** Modules and names bound by `#import` / `#from`. */
  moduleGlobals: Map<string, unknown>;
  builtins: Map<string, unknown>;
  lenientBareNames: boolean;
}

class SliceValue {
  constructor(
    readonly start: unknown,
    readonly stop: unknown,
    readonly step: unknown,
  ) {}
}

const FORBIDDEN_ATTRIBUTES = new Set(['constructor', 'prototype', '__proto__', 'caller', 'callee', 'arguments']);

function sliceBounds(len: number, s: SliceValue): [number, number, number] {
  const step = isNone(s.step) ? 1 : toNumber(s.step);
  if (step === 0) throw pyErr.value('slice step cannot be zero');
  const norm = (v: unknown, dflt: number, lo: number, hi: number) => {
    if (isNone(v)) return dflt;
    let x = toNumber(v);
    if (x < 0) x += len;
    return Math.min(Math.max(x, lo), hi);
  };
  return step > 0
    ? [norm(s.start, 0, 0, len), norm(s.stop, len, 0, len), step]
    : [norm(s.start, len - 1, -1, len - 1), norm(s.stop, -1, -1, len - 1), step];
}

function sliceOf(seq: string | unknown[], s: SliceValue): unknown {
  const [start, stop, step] = sliceBounds(seq.length, s);
  if (step === 1) return seq.slice(start, Math.max(start, stop));
  const items: unknown[] = [];
  for (let i = start; step > 0 ? i < stop : i > stop; i += step) items.push(seq[i]);
  if (typeof seq === 'string') return items.join('');
  return isTuple(seq) ? tuple(items) : items;
}

function normalizeIndex(len: number, key: unknown, what: string): number {
  if (!isInt(key) && typeof key !== 'boolean') throw pyErr.type(`${what} indices must be integers or slices, not ${typeName(key)}`);
  let i = toNumber(key);
  if (i < 0) i += len;
  if (i < 0 || i >= len) throw pyErr.index(`${what} index out of range`);
  return i;
}

/** Text of a `$a.b.c` chain for NameMapper error messages. */
function chainText(expr: Expr): string {
  if (expr.type === 'name') return expr.id;
  if (expr.type === 'attr') return `${chainText(expr.object)}.${expr.attr}`;
  return '...';
}

export class Evaluator implements Runtime {
  constructor(readonly sources: NameSources) {}

  // ------------------------------------------------------------ names
  lookupDollar(name: string, scope: Scope): { value: unknown; local: boolean } | null {
    const s = scope.find(name);
    if (s) return { value: s.vars.get(name), local: true };
    const src = this.sources;
    if (src.templateVars.has(name)) return { value: src.templateVars.get(name), local: false };
    const fromNamespace = src.namespace(name);
    if (fromNamespace !== undefined) return { value: fromNamespace, local: false };
    if (src.moduleGlobals.has(name)) return { value: src.moduleGlobals.get(name), local: false };
    if (src.builtins.has(name)) return { value: src.builtins.get(name), local: false };
    return null;
  }

  lookupBare(name: string, scope: Scope): unknown {
    const s = scope.find(name);
    if (s) return s.vars.get(name);
    const src = this.sources;
    if (src.moduleGlobals.has(name)) return src.moduleGlobals.get(name);
    if (src.builtins.has(name)) return src.builtins.get(name);
    if (src.lenientBareNames) {
      const found = this.lookupDollar(name, scope);
      if (found) return found.value;
    }
    throw pyErr.name(`name '${name}' is not defined`);
  }

  private autocall(value: unknown): unknown {
    if ((value instanceof PyFunction && !value.isType) || typeof value === 'function' || hasHook(value, PY_CALL)) {
      return this.call(value, []);
    }
    return value;
  }

  // ------------------------------------------------------------ attribute and item access
  getAttr(obj: unknown, name: string, mapper = false): unknown {
    const found = this.findAttr(obj, name, mapper);
    if (found !== NOT_FOUND) return found;
    if (mapper) throw pyErr.notFound(`cannot find '${name}'`);
    throw pyErr.attr(`'${typeName(obj)}' object has no attribute '${name}'`);
  }

  private bind(obj: unknown, name: string, method: Method | undefined): unknown {
    if (!method) return NOT_FOUND;
    return new PyFunction(name, (args, kwargs) => method(obj as never, args, kwargs, this));
  }

  private findAttr(obj: unknown, name: string, mapper: boolean): unknown {
    if (hasHook(obj, PY_GETATTR)) {
      try {
        return callHook(obj, PY_GETATTR, name);
      } catch (e) {
        const isAttrError = e instanceof PyAttributeError || (e instanceof PyException && e.pyType === 'AttributeError');
        if (!isAttrError) throw e;
        if (mapper && hasHook(obj, PY_GETITEM)) {
          try {
            return callHook(obj, PY_GETITEM, name);
          } catch {
            return NOT_FOUND;
          }
        }
        if (mapper) return NOT_FOUND;
        throw e;
      }
    }
    if (name.startsWith('__') || FORBIDDEN_ATTRIBUTES.has(name)) {
      throw pyErr.unsupported(`attribute '${name}' is not accessible in Nebula templates`);
    }
    if (obj instanceof PyModule) return obj.attrs.has(name) ? obj.attrs.get(name) : NOT_FOUND;
    if (typeof obj === 'string') return this.bind(obj, name, STRING_METHODS[name]);
    if (Array.isArray(obj)) return this.bind(obj, name, (isTuple(obj) ? TUPLE_METHODS : LIST_METHODS)[name]);
    if (obj instanceof Set) return this.bind(obj, name, SET_METHODS[name]);
    if (isDict(obj)) {
      if (Object.prototype.hasOwnProperty.call(DICT_METHODS, name)) return this.bind(obj, name, DICT_METHODS[name]);
      if (mapper && dictHas(obj, name)) return dictGet(obj, name);
      if (mapper && hasHook(obj, PY_GETITEM)) return callHook(obj, PY_GETITEM, name);
      return NOT_FOUND;
    }
    if (obj !== null && typeof obj === 'object' && !(obj instanceof PyFunction)) {
      // A class instance without hooks: only its own data properties are visible, never its prototype.
      if (Object.prototype.hasOwnProperty.call(obj, name)) {
        const v = (obj as Record<string, unknown>)[name];
        return typeof v === 'function' ? new PyFunction(name, (args) => (v as (...a: unknown[]) => unknown).apply(obj, args)) : v;
      }
      if (mapper && hasHook(obj, PY_GETITEM)) {
        try {
          return callHook(obj, PY_GETITEM, name);
        } catch {
          return NOT_FOUND;
        }
      }
    }
    return NOT_FOUND;
  }

  getItem(obj: unknown, key: unknown): unknown {
    if (hasHook(obj, PY_GETITEM)) return callHook(obj, PY_GETITEM, key);
    if (typeof obj === 'string' || Array.isArray(obj)) {
      if (key instanceof SliceValue) return sliceOf(obj, key);
      return obj[normalizeIndex(obj.length, key, typeof obj === 'string' ? 'string' : isTuple(obj) ? 'tuple' : 'list')];
    }
    if (isDict(obj)) {
      if (isPlainObject(obj) && typeof key === 'string' && FORBIDDEN_ATTRIBUTES.has(key)) throw pyErr.key(pyRepr(key));
      if (!dictHas(obj, key)) throw pyErr.key(pyRepr(key));
      return dictGet(obj, key);
    }
    throw pyErr.type(`'${typeName(obj)}' object is not subscriptable`);
  }

  setItem(obj: unknown, key: unknown, value: unknown): void {
    if (Array.isArray(obj) && !isTuple(obj)) {
      obj[normalizeIndex(obj.length, key, 'list')] = value;
      return;
    }
    if (isDict(obj)) {
      dictSet(obj, key, value);
      return;
    }
    throw pyErr.type(`'${typeName(obj)}' object does not support item assignment`);
  }

  call(fn: unknown, args: unknown[], kwargs: Record<string, unknown> = {}): unknown {
    if (fn instanceof PyFunction) return fn.impl(args, kwargs);
    if (hasHook(fn, PY_CALL)) return callHook(fn, PY_CALL, args, kwargs);
    if (typeof fn === 'function') {
      if (Object.keys(kwargs).length) throw pyErr.type('keyword arguments are not supported by this function');
      return (fn as (...a: unknown[]) => unknown)(...args);
    }
    throw pyErr.type(`'${typeName(fn)}' object is not callable`);
  }

  // ------------------------------------------------------------ expressions
  eval(e: Expr, scope: Scope): unknown {
    switch (e.type) {
      case 'const':
        return e.value;
      case 'name': {
        if (!e.dollar) return this.lookupBare(e.id, scope);
        const found = this.lookupDollar(e.id, scope);
        if (!found) throw pyErr.notFound(`cannot find '${e.id}'`);
        return e.autocall && !found.local ? this.autocall(found.value) : found.value;
      }
      case 'attr': {
        const obj = this.eval(e.object, scope);
        let value: unknown;
        try {
          value = this.getAttr(obj, e.attr, e.mapper);
        } catch (err) {
          if (e.mapper && err instanceof PyException && err.pyType === 'NotFound') {
            throw pyErr.notFound(`cannot find '${e.attr}' while searching for '${chainText(e)}'`);
          }
          throw err;
        }
        return e.autocall ? this.autocall(value) : value;
      }
      case 'subscript':
        return this.getItem(this.eval(e.object, scope), this.eval(e.index, scope));
      case 'slice':
        return new SliceValue(
          e.lower && this.eval(e.lower, scope),
          e.upper && this.eval(e.upper, scope),
          e.step && this.eval(e.step, scope),
        );
      case 'call': {
        const fn = this.eval(e.func, scope);
        const [args, kwargs] = this.evalArgs(e.args, scope);
        return this.call(fn, args, kwargs);
      }
      case 'unary':
        return unaryOp(e.op, this.eval(e.operand, scope));
      case 'binary':
        return binaryOp(e.op, this.eval(e.left, scope), this.eval(e.right, scope));
      case 'bool': {
        let v: unknown = null;
        for (const item of e.values) {
          v = this.eval(item, scope);
          if (e.op === 'and' ? !truthy(v) : truthy(v)) return v;
        }
        return v;
      }
      case 'compare': {
        let left = this.eval(e.left, scope);
        for (let i = 0; i < e.ops.length; i++) {
          const right = this.eval(e.comparators[i], scope);
          if (!compareOp(e.ops[i], left, right)) return false;
          left = right;
        }
        return true;
      }
      case 'ifexp':
        return truthy(this.eval(e.test, scope)) ? this.eval(e.body, scope) : this.eval(e.orelse, scope);
      case 'list':
        return this.evalItems(e.items, scope);
      case 'tuple':
        return tuple(this.evalItems(e.items, scope));
      case 'set': {
        const out = new Set<unknown>();
        for (const v of this.evalItems(e.items, scope)) if (!setHas(out, v)) out.add(dictKey(v));
        return out;
      }
      case 'dict': {
        const out = new Map<unknown, unknown>();
        e.keys.forEach((k, i) => dictSet(out, this.eval(k, scope), this.eval(e.values[i], scope)));
        return out;
      }
      case 'starred':
        throw pyErr.unsupported('starred expression is not allowed here');
      case 'lambda':
        return this.makeFunction('<lambda>', e.params, scope, (inner) => this.eval(e.body, inner));
      case 'comp':
        return this.evalComprehension(e, scope);
    }
  }

  private evalItems(items: Expr[], scope: Scope): unknown[] {
    const out: unknown[] = [];
    for (const item of items) {
      if (item.type === 'starred') out.push(...iterate(this.eval(item.value, scope)));
      else out.push(this.eval(item, scope));
    }
    return out;
  }

  evalArgs(args: Arg[], scope: Scope): [unknown[], Record<string, unknown>] {
    const positional: unknown[] = [];
    const kwargs: Record<string, unknown> = {};
    for (const a of args) {
      const v = this.eval(a.value, scope);
      if (a.kind === 'pos') positional.push(v);
      else if (a.kind === 'star') positional.push(...iterate(v));
      else if (a.kind === 'kw') kwargs[a.name!] = v;
      else {
        if (!isDict(v)) throw pyErr.type('argument after ** must be a mapping');
        for (const [k, x] of dictEntries(v)) kwargs[String(k)] = x;
      }
    }
    return [positional, kwargs];
  }

  private evalComprehension(e: Extract<Expr, { type: 'comp' }>, scope: Scope): unknown {
    const inner = new Scope(new Map(), scope);
    const results: unknown[] = [];
    const dict = new Map<unknown, unknown>();
    const loop = (level: number): void => {
      if (level === e.generators.length) {
        if (e.kind === 'dict') dictSet(dict, this.eval(e.element, inner), this.eval(e.value!, inner));
        else results.push(this.eval(e.element, inner));
        return;
      }
      const gen = e.generators[level];
      // The first iterable is evaluated in the enclosing scope, as in Python.
      const iterable = this.eval(gen.iter, level === 0 ? scope : inner);
      for (const item of iterate(iterable)) {
        this.assign(gen.target, item, inner);
        if (gen.ifs.every((cond) => truthy(this.eval(cond, inner)))) loop(level + 1);
      }
    };
    loop(0);
    if (e.kind === 'dict') return dict;
    if (e.kind === 'set') {
      const out = new Set<unknown>();
      for (const v of results) if (!setHas(out, v)) out.add(dictKey(v));
      return out;
    }
    return results;
  }

  // ------------------------------------------------------------ functions and assignment
  bindParams(params: Param[], args: unknown[], kwargs: Record<string, unknown>, fnName: string, scope: Scope): Map<string, unknown> {
    const vars = new Map<string, unknown>();
    const rest = { ...kwargs };
    let i = 0;
    for (const p of params) {
      if (p.kind === 'star') {
        vars.set(p.name, tuple(args.slice(i)));
        i = args.length;
      } else if (p.kind === 'starstar') {
        vars.set(p.name, new Map(Object.entries(rest)));
        for (const k of Object.keys(rest)) delete rest[k];
      } else if (i < args.length) {
        vars.set(p.name, args[i++]);
      } else if (Object.prototype.hasOwnProperty.call(rest, p.name)) {
        vars.set(p.name, rest[p.name]);
        delete rest[p.name];
      } else if (p.default) {
        vars.set(p.name, this.eval(p.default, scope));
      } else throw pyErr.type(`${fnName}() missing required argument: '${p.name}'`);
    }
    if (i < args.length) throw pyErr.type(`${fnName}() takes ${params.length} positional arguments but ${args.length} were given`);
    const extra = Object.keys(rest);
    if (extra.length) throw pyErr.type(`${fnName}() got an unexpected keyword argument '${extra[0]}'`);
    return vars;
  }

  makeFunction(name: string, params: Param[], closure: Scope, body: (scope: Scope) => unknown): PyFunction {
    return new PyFunction(name, (args, kwargs) => {
      const vars = this.bindParams(params, args, kwargs, name, closure);
      return body(new Scope(vars, closure));
    });
  }

  assign(target: Target, value: unknown, scope: Scope): void {
    switch (target.type) {
      case 'name':
        scope.vars.set(target.id, value);
        return;
      case 'tuple': {
        const items = toList(value);
        if (items.length !== target.items.length) {
          throw pyErr.value(
            items.length > target.items.length
              ? `too many values to unpack (expected ${target.items.length})`
              : `not enough values to unpack (expected ${target.items.length}, got ${items.length})`,
          );
        }
        target.items.forEach((t, i) => this.assign(t, items[i], scope));
        return;
      }
      case 'subscript':
        this.setItem(this.eval(target.object, scope), this.eval(target.index, scope), value);
        return;
      case 'attr':
        throw pyErr.unsupported('attribute assignment is not supported in templates');
    }
  }

  /** Current value of an assignment target, for augmented assignment (`#set x += 1`). */
  readTarget(target: Target, scope: Scope): unknown {
    switch (target.type) {
      case 'name': {
        const s = scope.find(target.id);
        if (!s) throw pyErr.name(`local variable '${target.id}' referenced before assignment`);
        return s.vars.get(target.id);
      }
      case 'subscript':
        return this.getItem(this.eval(target.object, scope), this.eval(target.index, scope));
      default:
        throw pyErr.unsupported('augmented assignment to this target is not supported');
    }
  }
}

export const NOT_FOUND = Symbol('nebula.cheetah.notFound');
