/** Python arithmetic, comparison and unary operators over the value model. */
import { pyErr } from '../errors.ts';
import { percentFormat } from './format.ts';
import {
  dictEntries, dictKey, dictSet, isDict, isFloat, isInt, isNumeric, isTuple, makeFloat, pyCompare, pyContains, pyEq,
  setHas, toNumber, truthy, tuple, typeName, isNone,
} from './values.ts';

function unsupported(op: string, a: unknown, b: unknown): never {
  throw pyErr.type(`unsupported operand type(s) for ${op}: '${typeName(a)}' and '${typeName(b)}'`);
}

/** Result of an int-or-float operation: float if either operand is a float. */
function numeric(a: unknown, b: unknown, value: number): unknown {
  return isFloat(a) || isFloat(b) ? makeFloat(value) : value;
}

function repeat(seq: unknown, times: unknown): unknown {
  const n = Math.max(0, toNumber(times));
  if (typeof seq === 'string') return seq.repeat(n);
  const list = seq as unknown[];
  const out: unknown[] = [];
  for (let i = 0; i < n; i++) out.push(...list);
  return isTuple(list) ? tuple(out) : out;
}

function floorMod(x: number, y: number): number {
  const r = x % y;
  return r !== 0 && r < 0 !== y < 0 ? r + y : r;
}

export function binaryOp(op: string, a: unknown, b: unknown): unknown {
  const bothNumeric = isNumeric(a) && isNumeric(b);
  switch (op) {
    case '+':
      if (bothNumeric) return numeric(a, b, toNumber(a) + toNumber(b));
      if (typeof a === 'string' && typeof b === 'string') return a + b;
      if (Array.isArray(a) && Array.isArray(b) && isTuple(a) === isTuple(b)) {
        const out = [...a, ...b];
        return isTuple(a) ? tuple(out) : out;
      }
      return unsupported(op, a, b);
    case '-':
      if (bothNumeric) return numeric(a, b, toNumber(a) - toNumber(b));
      if (a instanceof Set && b instanceof Set) return new Set([...a].filter((x) => !setHas(b, x)));
      return unsupported(op, a, b);
    case '*':
      if (bothNumeric) return numeric(a, b, toNumber(a) * toNumber(b));
      if ((typeof a === 'string' || Array.isArray(a)) && (isInt(b) || typeof b === 'boolean')) return repeat(a, b);
      if ((typeof b === 'string' || Array.isArray(b)) && (isInt(a) || typeof a === 'boolean')) return repeat(b, a);
      return unsupported(op, a, b);
    case '/':
      if (!bothNumeric) return unsupported(op, a, b);
      if (toNumber(b) === 0) throw pyErr.zeroDiv('division by zero');
      return makeFloat(toNumber(a) / toNumber(b));
    case '//':
      if (!bothNumeric) return unsupported(op, a, b);
      if (toNumber(b) === 0) throw pyErr.zeroDiv('integer division or modulo by zero');
      return numeric(a, b, Math.floor(toNumber(a) / toNumber(b)));
    case '%':
      if (typeof a === 'string') return percentFormat(a, b);
      if (!bothNumeric) return unsupported(op, a, b);
      if (toNumber(b) === 0) throw pyErr.zeroDiv('integer division or modulo by zero');
      return numeric(a, b, floorMod(toNumber(a), toNumber(b)));
    case '**': {
      if (!bothNumeric) return unsupported(op, a, b);
      const value = toNumber(a) ** toNumber(b);
      return isFloat(a) || isFloat(b) || toNumber(b) < 0 ? makeFloat(value) : value;
    }
    case '|':
      if (a instanceof Set && b instanceof Set) {
        const out = new Set(a);
        for (const x of b) if (!setHas(out, x)) out.add(x);
        return out;
      }
      if (isDict(a) && isDict(b)) {
        const out = new Map(dictEntries(a).map(([k, v]) => [dictKey(k), v]));
        for (const [k, v] of dictEntries(b)) dictSet(out, k, v);
        return out;
      }
      return intOp(op, a, b, (x, y) => x | y);
    case '&':
      if (a instanceof Set && b instanceof Set) return new Set([...a].filter((x) => setHas(b, x)));
      return intOp(op, a, b, (x, y) => x & y);
    case '^':
      return intOp(op, a, b, (x, y) => x ^ y);
    case '<<':
      return intOp(op, a, b, (x, y) => x * 2 ** y);
    case '>>':
      return intOp(op, a, b, (x, y) => Math.floor(x / 2 ** y));
  }
  throw pyErr.unsupported(`operator '${op}' is not supported`);
}

function intOp(op: string, a: unknown, b: unknown, fn: (x: number, y: number) => number): unknown {
  const ok = (v: unknown) => isInt(v) || typeof v === 'boolean';
  if (!ok(a) || !ok(b)) return unsupported(op, a, b);
  const r = fn(toNumber(a), toNumber(b));
  return typeof a === 'boolean' && typeof b === 'boolean' && op !== '<<' && op !== '>>' ? Boolean(r) : r;
}

export function unaryOp(op: string, v: unknown): unknown {
  switch (op) {
    case 'not':
      return !truthy(v);
    case '-':
      if (!isNumeric(v)) throw pyErr.type(`bad operand type for unary -: '${typeName(v)}'`);
      return isFloat(v) ? makeFloat(-toNumber(v)) : 0 - toNumber(v);
    case '+':
      if (!isNumeric(v)) throw pyErr.type(`bad operand type for unary +: '${typeName(v)}'`);
      return isFloat(v) ? v : toNumber(v);
    case '~':
      if (!isInt(v) && typeof v !== 'boolean') throw pyErr.type(`bad operand type for unary ~: '${typeName(v)}'`);
      return -toNumber(v) - 1;
  }
  throw pyErr.unsupported(`operator '${op}' is not supported`);
}

function identical(a: unknown, b: unknown): boolean {
  if (isNone(a) || isNone(b)) return isNone(a) && isNone(b);
  return a === b;
}

export function compareOp(op: string, a: unknown, b: unknown): boolean {
  switch (op) {
    case '==':
      return pyEq(a, b);
    case '!=':
      return !pyEq(a, b);
    case '<':
      return pyCompare(a, b) < 0;
    case '<=':
      return pyCompare(a, b) <= 0;
    case '>':
      return pyCompare(a, b) > 0;
    case '>=':
      return pyCompare(a, b) >= 0;
    case 'in':
      return pyContains(b, a);
    case 'not in':
      return !pyContains(b, a);
    case 'is':
      return identical(a, b);
    case 'is not':
      return !identical(a, b);
  }
  throw pyErr.unsupported(`comparison '${op}' is not supported`);
}
