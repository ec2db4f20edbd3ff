/** Converting one API value to a parameter's typed value (numbers, booleans, selects). */
import type { BooleanParam, FloatParam, IntegerParam, SelectParam, DataColumnParam } from '../model.ts';
import { stringAsBool } from '../xml/attrs.ts';

export class ConversionError extends Error {}

function isBlank(v: unknown): boolean {
  return v === null || v === undefined || (typeof v === 'string' && v.trim() === '');
}

export function toInteger(param: IntegerParam, raw: unknown): number | null {
  if (isBlank(raw)) return null;
  if (typeof raw === 'number' && Number.isInteger(raw)) return raw;
  if (typeof raw === 'string' && /^\s*[-+]?\d+\s*$/.test(raw)) return Number.parseInt(raw, 10);
  throw new ConversionError(`expected an integer, got ${JSON.stringify(raw)}`);
}

export function toFloat(param: FloatParam, raw: unknown): number | null {
  if (isBlank(raw)) return null;
  if (typeof raw === 'number' && Number.isFinite(raw)) return raw;
  if (typeof raw === 'string') {
    const t = raw.trim();
    // Python float() accepts these spellings; anything else is refused.
    if (/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(t)) return Number(t);
  }
  throw new ConversionError(`expected a number, got ${JSON.stringify(raw)}`);
}

export function toBoolean(param: BooleanParam, raw: unknown): boolean {
  if (raw === null || raw === undefined) return param.checked;
  if (typeof raw === 'boolean') return raw;
  if (typeof raw === 'number') return raw !== 0;
  if (typeof raw === 'string') {
    if (raw === param.truevalue) return true;
    if (raw === param.falsevalue) return false;
    const t = raw.trim().toLowerCase();
    if (['true', 'yes', 'on', '1'].includes(t)) return true;
    if (['false', 'no', 'off', '0', ''].includes(t)) return false;
    return stringAsBool(t);
  }
  throw new ConversionError(`expected a boolean, got ${JSON.stringify(raw)}`);
}

/** Select values: a string, a list, or Galaxy's comma-joined string for multiples. */
export function toSelectValues(param: SelectParam | DataColumnParam, raw: unknown): string[] {
  if (raw === null || raw === undefined) return [];
  const list = Array.isArray(raw) ? raw : param.multiple && typeof raw === 'string' ? raw.split(',') : [raw];
  const out: string[] = [];
  for (const v of list) {
    if (v === null || v === undefined) continue;
    if (typeof v === 'object') throw new ConversionError(`expected an option value, got ${JSON.stringify(v)}`);
    const s = String(v);
    if (s !== '') out.push(s);
  }
  if (!param.multiple && out.length > 1) throw new ConversionError('multiple values given for a single-value select');
  return out;
}

export function toText(raw: unknown): string | null {
  if (raw === null || raw === undefined) return null;
  if (typeof raw === 'string') return raw;
  if (typeof raw === 'number' || typeof raw === 'boolean') return String(raw);
  throw new ConversionError(`expected text, got ${JSON.stringify(raw)}`);
}
