/** Small helpers to give namespace values Python behaviour through the Cheetah protocol symbols. */
import { PY_CALL, PY_STR, PY_TYPE, PyAttributeError } from '../cheetah/protocol.ts';

/** Python's str(float): shortest round-trip digits, '.0' on integral values, exponent outside 1e-4..1e16. */
export function pyFloatStr(n: number): string {
  if (Number.isNaN(n)) return 'nan';
  if (!Number.isFinite(n)) return n > 0 ? 'inf' : '-inf';
  const abs = Math.abs(n);
  if (abs !== 0 && (abs < 1e-4 || abs >= 1e16)) {
    return n.toExponential().replace(/e([+-])(\d)$/, 'e$10$2');
  }
  if (Number.isInteger(n)) return Object.is(n, -0) ? '-0.0' : n.toFixed(1);
  return String(n);
}

/** A callable for `$x.keys()`-style method calls. */
export function pyFunction(name: string, fn: (args: unknown[], kwargs: Record<string, unknown>) => unknown): object {
  return {
    [PY_CALL]: fn,
    [PY_STR]: () => `<bound method ${name}>`,
    [PY_TYPE]: () => 'method',
  };
}

export function missingAttribute(type: string, name: string): never {
  throw new PyAttributeError(`'${type}' object has no attribute '${name}'`);
}

/** Python str methods a template may call on a parameter's raw value (Galaxy's getattr(self.value, name)). */
export function stringMethod(value: string, name: string): object | undefined {
  const str = (a: unknown) => (a === undefined || a === null ? undefined : String(a));
  const methods: Record<string, (args: unknown[]) => unknown> = {
    split: ([sep, max]) => {
      const s = str(sep);
      if (s === undefined) return value.split(/\s+/).filter(Boolean);
      const parts = value.split(s);
      if (typeof max === 'number' && max >= 0 && parts.length > max + 1) return [...parts.slice(0, max), parts.slice(max).join(s)];
      return parts;
    },
    strip: ([chars]) => trimChars(value, str(chars), true, true),
    lstrip: ([chars]) => trimChars(value, str(chars), true, false),
    rstrip: ([chars]) => trimChars(value, str(chars), false, true),
    replace: ([a, b]) => value.split(String(a)).join(String(b)),
    startswith: ([p]) => (Array.isArray(p) ? p.some((x) => value.startsWith(String(x))) : value.startsWith(String(p))),
    endswith: ([p]) => (Array.isArray(p) ? p.some((x) => value.endsWith(String(x))) : value.endsWith(String(p))),
    lower: () => value.toLowerCase(),
    upper: () => value.toUpperCase(),
    isdigit: () => /^\d+$/.test(value),
  };
  const m = methods[name];
  return m ? pyFunction(name, (args) => m(args)) : undefined;
}

function trimChars(value: string, chars: string | undefined, left: boolean, right: boolean): string {
  const set = chars ?? ' \t\n\r\x0b\x0c';
  let a = 0;
  let b = value.length;
  while (left && a < b && set.includes(value[a]!)) a++;
  while (right && b > a && set.includes(value[b - 1]!)) b--;
  return value.slice(a, b);
}
