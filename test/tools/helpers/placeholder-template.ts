/**
 * A test-only stand-in for the Cheetah engine: substitutes `$a.b` / `${a.b}` placeholders and
 * `\$` escapes, nothing else. It lets the command-building rules be tested before (and
 * independently of) the real engine; tests with directives use the real engine when present.
 */
import { PY_GETATTR, PY_STR } from '../../../src/tools/cheetah/protocol.ts';
import type { CompileTemplate } from '../../../src/tools/command/build.ts';

function lookup(ns: Record<string, unknown>, dotted: string): unknown {
  const [head, ...rest] = dotted.split('.');
  if (!(head! in ns)) throw new Error(`NotFound: cannot find '${head}'`);
  let value: unknown = ns[head!];
  for (const part of rest) {
    const obj = value as Record<string | symbol, unknown>;
    if (obj && typeof obj[PY_GETATTR] === 'function') value = (obj[PY_GETATTR] as (n: string) => unknown)(part);
    else value = obj?.[part];
  }
  return value;
}

function str(value: unknown): string {
  const obj = value as Record<symbol, unknown>;
  if (obj && typeof obj === 'object' && typeof obj[PY_STR] === 'function') return (obj[PY_STR] as () => string)();
  if (value === null || value === undefined) return 'None';
  if (value === true) return 'True';
  if (value === false) return 'False';
  return String(value);
}

export const placeholderCompile: CompileTemplate = (source) => ({
  render(ns) {
    return source.replace(/\\\$|\$\{([A-Za-z_][\w.]*)\}|\$([A-Za-z_][\w]*(?:\.[A-Za-z_]\w*)*)/g, (m, braced, bare) => {
      if (m === '\\$') return '$';
      return str(lookup(ns, braced ?? bare));
    });
  },
});
