import { describe, expect, it } from 'vitest';
import {
  compileTemplate, PY_BOOL, PY_CALL, PY_CONTAINS, PY_EQ, PY_GETATTR, PY_GETITEM, PY_ITER, PY_LEN, PY_STR, PyAttributeError,
  PyFloat, PyRuntimeError,
} from '../../../src/tools/cheetah/index.ts';

const render = (src: string, ns: Record<string, unknown> | ((n: string) => unknown)) =>
  compileTemplate(src, { toolId: 't', file: 'f.xml' }).render(ns);

/** A stand-in for Galaxy's DatasetFilenameWrapper. */
function dataset(path: string, ext: string) {
  const attrs: Record<string, unknown> = { ext, extension: ext, element_identifier: 'sample1', metadata: { columns: 4 } };
  return {
    [PY_STR]: () => path,
    [PY_BOOL]: () => true,
    [PY_GETATTR](name: string) {
      if (name === 'is_of_type') return { [PY_CALL]: (args: unknown[]) => args.includes(ext) };
      if (name in attrs) return attrs[name];
      throw new PyAttributeError(name);
    },
    [PY_EQ]: (other: unknown) => other === path,
  };
}

describe('namespace values', () => {
  it('render wrapper objects through the protocol', () => {
    const ns = { input: dataset('/d/1.dat', 'bam') };
    expect(render("cat '$input' # $input.ext ${input.element_identifier} $input.metadata.columns", ns)).toBe(
      "cat '/d/1.dat' # bam sample1 4",
    );
    expect(render("#if $input.is_of_type('bam', 'sam')\nbam\n#end if\n#if $input == '/d/1.dat'\neq\n#end if\n", ns)).toBe('bam\neq\n');
  });

  it('use PY_ITER, PY_LEN, PY_CONTAINS and PY_GETITEM', () => {
    const repeat = {
      [PY_ITER]: () => ['a', 'b'][Symbol.iterator](),
      [PY_LEN]: () => 2,
      [PY_CONTAINS]: (x: unknown) => x === 'a',
      [PY_GETITEM]: (k: unknown) => (k === 0 ? 'a' : 'b'),
    };
    expect(render("#for x in $r\n$x\n#end for\n${len($r)} ${'a' in $r} ${'z' in $r} $r[0]", { r: repeat })).toBe('a\nb\n2 True False a');
  });

  it('accept a lookup function as namespace', () => {
    expect(render('$a-$b', (n) => (n === 'a' ? 1 : n === 'b' ? 'two' : undefined))).toBe('1-two');
    expect(() => render('$c', () => undefined)).toThrow(/cannot find 'c'/);
  });

  it('propagate errors raised by namespace functions with the line', () => {
    const ns = {
      input: () => {
        throw new PyRuntimeError('SyntaxError', 'Unbound variable input.');
      },
    };
    expect(() => render('ok\n$input\n', ns)).toThrow(/line 2: SyntaxError: Unbound variable input\./);
  });

  it('keeps ints and floats apart', () => {
    expect(render('$a $b ${a / 2} ${b * 2} ${a // 2}', { a: 3, b: new PyFloat(2) })).toBe('3 2.0 1.5 4.0 1');
  });

  it('exposes only own properties of class instances, never the prototype', () => {
    class Thing {
      visible = 'v';
      hidden() {
        return 'h';
      }
    }
    const ns = { t: new Thing() };
    expect(render('$t.visible', ns)).toBe('v');
    expect(() => render('$t.hidden()', ns)).toThrow(/cannot find 'hidden'/);
    expect(() => render('$t.constructor', ns)).toThrow(/not accessible/);
  });
});

describe('hostile input', () => {
  it('renders namespace text literally, never re-evaluating it', () => {
    const evil = "$(rm -rf /) ${__import__('os')} #if 1\n#end if #set x = 1 \\$HOME";
    expect(render('echo $v', { v: evil })).toBe(`echo ${evil}`);
    expect(render("#set w = $v + '#echo 5'\n$w", { v: '$x' })).toBe('$x#echo 5');
  });

  it('blocks JS internals', () => {
    for (const src of ['${"".constructor}', '$s.__class__', '$d.__proto__', "${d['__proto__']}", '$f.constructor', '${[].constructor}']) {
      expect(() => render(src, { s: 'x', d: {}, f: () => 1 }), src).toThrow();
    }
  });

  it('does not let a dict key named like a method shadow dict methods', () => {
    expect(render("${d.get('keys')}", { d: { keys: 'K' } })).toBe('K');
  });
});
