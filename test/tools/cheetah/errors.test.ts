import { describe, expect, it } from 'vitest';
import { CheetahRuntimeError, CheetahSyntaxError, compileTemplate } from '../../../src/tools/cheetah/index.ts';

const opts = { toolId: 'bwa_mem', file: 'bwa.xml', firstLine: 40 };

function renderError(src: string, ns: Record<string, unknown> = {}): Error {
  try {
    compileTemplate(src, opts).render(ns);
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected the template to fail');
}

describe('syntax errors', () => {
  it('name the tool, file, absolute line and the directive', () => {
    const e = renderError('line one\n#if $x ==\nA\n#end if\n');
    expect(e).toBeInstanceOf(CheetahSyntaxError);
    expect(e.message).toContain("tool 'bwa_mem'");
    expect(e.message).toContain('bwa.xml');
    expect(e.message).toContain('line 41');
    expect(e.message).toContain('#if $x ==');
  });

  it('report a missing #end with the line of the opening directive', () => {
    const e = renderError('a\nb\n#for x in $l\n$x\n');
    expect(e).toBeInstanceOf(CheetahSyntaxError);
    expect(e.message).toMatch(/line 42.*#for is missing its #end for/);
  });

  it('report a mismatched #end', () => {
    expect(renderError('#if 1\n#end for\n').message).toMatch(/#end for does not match #if on line 40/);
  });

  it('report an unclosed placeholder bracket', () => {
    expect(renderError('x ${a.b(\n').message).toMatch(/unclosed/);
  });

  it.each(['#extends Base', '#include "x.tmpl"', '#compiler-settings', '#call foo', '#cache', '#filter None', '#block b', '#encoding utf-8', '#assert 1', '#del x', '#global x', '#attr $a = 1'])(
    'refuse the unsupported directive %s',
    (src) => {
      const e = renderError(`ok\n${src}\n`);
      expect(e).toBeInstanceOf(CheetahSyntaxError);
      expect(e.message).toContain('line 41');
      expect(e.message).toContain('not supported');
      expect(e.message).toContain(src.split(' ')[0]);
    },
  );

  it('refuse class definitions and statements inside expressions', () => {
    expect(renderError('#set x = class\n')).toBeInstanceOf(CheetahSyntaxError);
    expect(renderError('${import os}')).toBeInstanceOf(CheetahSyntaxError);
  });
});

describe('runtime errors', () => {
  it('name a missing variable and its line', () => {
    const e = renderError('first\nsecond $missing_param\n');
    expect(e).toBeInstanceOf(CheetahRuntimeError);
    expect(e.message).toContain("cannot find 'missing_param'");
    expect(e.message).toContain('line 41');
    expect(e.message).toContain("tool 'bwa_mem'");
  });

  it('name the missing part of a dotted lookup', () => {
    const e = renderError('$input.metadata.nope', { input: { metadata: { columns: 3 } } });
    expect(e.message).toContain("cannot find 'nope' while searching for 'input.metadata.nope'");
  });

  it('report errors inside #def bodies at the line of the failing expression', () => {
    const e = renderError('#def f(x)\n${x / 0}\n#end def\n$f(1)\n');
    expect(e.message).toMatch(/line 41: ZeroDivisionError/);
  });

  it('refuse host access: open, eval, exec, __import__', () => {
    for (const src of ["${open('/etc/passwd')}", "${eval('1')}", "${exec('1')}", "${__import__('os')}"]) {
      const e = renderError(src);
      expect(e).toBeInstanceOf(CheetahRuntimeError);
      expect(e.message).toMatch(/not available/);
    }
  });

  it('refuse modules outside the allowed set', () => {
    expect(renderError('#import subprocess\nx').message).toMatch(/module 'subprocess' is not available/);
    expect(renderError('#import sys\nx').message).toMatch(/module 'sys' is not available/);
  });

  it('refuse filesystem queries rather than guess', () => {
    expect(renderError("#import os\n${os.path.exists('/tmp')}").message).toMatch(/os\.path\.exists\(\) is not available/);
  });

  it('lets #try catch runtime errors', () => {
    const t = compileTemplate('#try\n$missing\n#except NotFound\ncaught\n#end try\n', opts);
    expect(t.render({})).toBe('caught\n');
  });

  it('stops runaway loops and recursion with an error instead of hanging', () => {
    expect(renderError('#while True\n#end while\n').message).toMatch(/#while ran more than/);
    expect(renderError('#def f(n)\n$f(n)\n#end def\n$f(1)').message).toMatch(/RecursionError/);
  });
});
