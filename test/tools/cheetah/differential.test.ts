/**
 * Differential test against the reference implementation: Debian's python3-cheetah (Cheetah 3)
 * renders every corpus case through oracle.py (one process for the batch) and Nebula's engine must
 * produce exactly the same text, or fail exactly where Cheetah fails.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { compileTemplate, PY_GETATTR, PY_STR, PyAttributeError } from '../../../src/tools/cheetah/index.ts';
import { CORPUS } from './corpus.ts';

const ORACLE = fileURLToPath(new URL('./oracle.py', import.meta.url));

type OracleResult = { ok: true; out: string } | { ok: false; error: string };

function runOracle(): OracleResult[] {
  const input = JSON.stringify(CORPUS.map((c) => ({ template: c.template, ns: c.ns ?? {} })));
  try {
    return JSON.parse(execFileSync('/usr/bin/python3', [ORACLE], { input, encoding: 'utf8', maxBuffer: 64 << 20 }));
  } catch (e) {
    throw new Error(`the Cheetah oracle could not run (install Debian python3-cheetah): ${(e as Error).message}`);
  }
}

/** Mirrors oracle.py's decoding: {"__obj__": attrs} becomes an attribute-only object. */
function decode(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(decode);
  if (v !== null && typeof v === 'object') {
    const rec = v as Record<string, unknown>;
    if ('__obj__' in rec) {
      const attrs = Object.fromEntries(Object.entries(rec.__obj__ as Record<string, unknown>).map(([k, x]) => [k, decode(x)]));
      const text = String(rec.__str__ ?? 'obj');
      return {
        [PY_GETATTR](name: string) {
          if (Object.prototype.hasOwnProperty.call(attrs, name)) return attrs[name];
          throw new PyAttributeError(name);
        },
        [PY_STR]: () => text,
      };
    }
    return Object.fromEntries(Object.entries(rec).map(([k, x]) => [k, decode(x)]));
  }
  return v;
}

function renderNebula(c: (typeof CORPUS)[number]): OracleResult {
  try {
    const t = compileTemplate(c.template, { toolId: 'corpus', file: c.name });
    return { ok: true, out: t.render(decode(c.ns ?? {}) as Record<string, unknown>) };
  } catch (e) {
    return { ok: false, error: (e as Error).message };
  }
}

describe('Cheetah differential corpus (oracle: python3-cheetah)', () => {
  const oracle = runOracle();

  it('has a sizeable corpus', () => {
    expect(CORPUS.length).toBeGreaterThanOrEqual(80);
  });

  CORPUS.forEach((c, i) => {
    it(c.name, () => {
      const expected = oracle[i];
      const actual = renderNebula(c);
      if (c.error) {
        expect(expected.ok, 'oracle should fail').toBe(false);
        expect(actual.ok, `Nebula should fail (oracle: ${!expected.ok ? expected.error : ''})`).toBe(false);
        return;
      }
      expect(expected, 'oracle rendered').toMatchObject({ ok: true });
      expect(actual).toEqual(expected);
    });
  });
});
