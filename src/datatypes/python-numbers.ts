/**
 * Galaxy decides column types and sniffs with Python's int() and float(). These mirror what those
 * accept, so "1_000", " 7 ", "1e5", "inf" and "nan" are judged the same way.
 */

const INT = /^[+-]?\d+(?:_\d+)*$/;
const DIGITS = String.raw`\d+(?:_\d+)*`;
const FLOAT = new RegExp(
  String.raw`^[+-]?(?:(?:${DIGITS})(?:\.(?:${DIGITS})?)?|\.${DIGITS})(?:[eE][+-]?${DIGITS})?$|^[+-]?(?:inf|infinity|nan)$`,
  'i',
);

export function isPythonInt(text: string): boolean {
  return INT.test(text.trim());
}

export function isPythonFloat(text: string): boolean {
  return FLOAT.test(text.trim());
}

export function pythonInt(text: string): number | undefined {
  const trimmed = text.trim();
  return INT.test(trimmed) ? Number(trimmed.replace(/_/g, '')) : undefined;
}
