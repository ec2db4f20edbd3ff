/**
 * `<validator>` checks on converted parameter values (tools/parameters/validation.py behaviour).
 * A validator returns an error message or undefined. `negate="true"` flips the outcome.
 */
import type { ToolParam, ValidatorSpec } from '../model.ts';

/** Evaluates a Python expression validator (e.g. the Cheetah engine's expression evaluator). */
export type ExpressionEvaluator = (expression: string, names: Record<string, unknown>) => unknown;

export interface ValidationContext {
  evaluateExpression?: ExpressionEvaluator;
  /** Number of options a select currently offers (for no_options). */
  optionCount?: number;
}

/** Python regex syntax that JS spells differently: named groups. */
export function pythonRegexToJs(pattern: string): string {
  return pattern.replace(/\(\?P<([A-Za-z_][A-Za-z0-9_]*)>/g, '(?<$1>').replace(/\(\?P=([A-Za-z_][A-Za-z0-9_]*)\)/g, '\\k<$1>');
}

function stringsOf(value: unknown): string[] {
  if (value === null || value === undefined) return [];
  if (Array.isArray(value)) return value.map((v) => String(v));
  return [String(value)];
}

function check(spec: ValidatorSpec, param: ToolParam, value: unknown, ctx: ValidationContext): boolean | undefined {
  switch (spec.type) {
    case 'regex': {
      let re: RegExp;
      try {
        // Python's re.match anchors at the start only.
        re = new RegExp(`^(?:${pythonRegexToJs(spec.expression ?? '')})`);
      } catch {
        return undefined;
      }
      const values = stringsOf(value);
      return values.every((v) => re.test(v));
    }
    case 'in_range': {
      if (value === null || value === undefined || value === '') return true;
      const n = Number(value);
      const lowOk = spec.min === undefined || (spec.excludeMin ? n > spec.min : n >= spec.min);
      const highOk = spec.max === undefined || (spec.excludeMax ? n < spec.max : n <= spec.max);
      return lowOk && highOk;
    }
    case 'length': {
      const len = stringsOf(value).join(',').length;
      return (spec.min === undefined || len >= spec.min) && (spec.max === undefined || len <= spec.max);
    }
    case 'empty_field':
      return stringsOf(value).join('') !== '';
    case 'no_options':
      return ctx.optionCount === undefined || ctx.optionCount > 0;
    case 'expression': {
      if (!ctx.evaluateExpression || value === null || value === undefined) return undefined;
      try {
        return Boolean(ctx.evaluateExpression(spec.expression ?? 'True', { value }));
      } catch {
        return false;
      }
    }
    default:
      // Dataset/metadata validators run where the datasets are (job preparation), not here.
      return undefined;
  }
}

function defaultMessage(spec: ValidatorSpec, value: unknown): string {
  const shown = JSON.stringify(stringsOf(value).join(','));
  switch (spec.type) {
    case 'regex':
      return `value ${shown} does not match regular expression '${spec.expression}'`;
    case 'in_range':
      return `value ${shown} is not in range ${spec.min ?? '-inf'}..${spec.max ?? 'inf'}`;
    case 'length':
      return `value ${shown} length must be in ${spec.min ?? 0}..${spec.max ?? 'inf'}`;
    case 'empty_field':
      return 'field requires a value';
    case 'no_options':
      return 'no options available for selection';
    default:
      return `value ${shown} failed ${spec.type} validation`;
  }
}

/** Returns the first validator failure message, or undefined when all pass (or cannot be checked here). */
export function runValidators(param: ToolParam, value: unknown, ctx: ValidationContext = {}): string | undefined {
  for (const spec of param.validators) {
    const ok = check(spec, param, value, ctx);
    if (ok === undefined) continue;
    if (ok === spec.negate) return spec.message ?? defaultMessage(spec, value);
  }
  return undefined;
}

/** Galaxy applies integer/float min/max as an implicit in_range validator. */
export function rangeMessage(param: { min?: number; max?: number }, n: number): string | undefined {
  if (param.min !== undefined && n < param.min) return `value ${n} is smaller than the minimum ${param.min}`;
  if (param.max !== undefined && n > param.max) return `value ${n} is larger than the maximum ${param.max}`;
  return undefined;
}
