import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadToolFromBundle, loadToolFromFile } from '../../src/tools/loader.ts';
import { buildToolState, type StateContext } from '../../src/tools/parameters/state.ts';
import { buildCommandLine, cleanCommandLine } from '../../src/tools/command/build.ts';
import { buildParamDict, type JobContext } from '../../src/tools/command/param-dict.ts';
import { applyStdio, stdioPolicy } from '../../src/tools/command/stdio.ts';
import { pyFloatStr } from '../../src/tools/command/pyvalues.ts';
import { sanitizeText } from '../../src/tools/parameters/sanitize.ts';
import { PY_EQ, PY_GETATTR, PY_STR, PY_BOOL, PY_CALL, PyRuntimeError } from '../../src/tools/cheetah/protocol.ts';
import type { DatasetValue } from '../../src/tools/parameters/values.ts';

const ds = (id: string, extra: Partial<DatasetValue> = {}): DatasetValue => ({
  kind: 'dataset', id, name: `data ${id}`, ext: 'tabular', metadata: { columns: 3, column_names: ['a', 'b'] }, ...extra,
});
const ctx: StateContext = { async resolveData(ref) { return ds(String(ref.id)); } };
const job: JobContext = {
  workingDirectory: '/scratch/job1/working',
  configDirectory: '/scratch/job1/configs',
  toolDirectory: '/tools/demo',
  locateInput: (d) => ({ path: `/scratch/job1/inputs/${d.id}.dat`, extraFilesPath: `/scratch/job1/inputs/${d.id}_files` }),
  outputs: { out: { path: '/scratch/job1/outputs/out.dat', extraFilesPath: '/scratch/job1/outputs/out_files' } },
  isSubtypeOf: (ext, anc) => ext === anc || (anc === 'txt' && ext === 'tabular'),
  user: { id: '7', email: 'me@example.org' },
};

function toolFromXml(xml: string) {
  return loadToolFromBundle(new Map([['t.xml', Buffer.from(xml)]]), 't.xml');
}
const call = (fn: unknown, ...args: unknown[]) => (fn as Record<symbol, (a: unknown[], k: object) => unknown>)[PY_CALL]!(args, {});
const str = (v: unknown) => (v as Record<symbol, () => string>)[PY_STR]!();
const attr = (v: unknown, n: string) => (v as Record<symbol, (n: string) => unknown>)[PY_GETATTR]!(n);

describe('Galaxy command-line clean-up', () => {
  it('strips lines and joins them with spaces; an empty line leaves two spaces as in Galaxy', () => {
    expect(cleanCommandLine('\n  a --x 1\n\t b  \n\n c \r\n')).toBe('a --x 1 b  c');
  });
});

describe('sanitizer', () => {
  it('keeps valid chars, maps the Galaxy set, replaces the rest by X', () => {
    expect(sanitizeText(`a'b"c<>[]{}@#\t\n\r;$|&\`~`)).toBe('a__sq__b__dq__c__lt____gt____ob____cb____oc____cc____at____pd____tc____cn____cr__XXXXXX');
  });
  it('formats floats like Python str()', () => {
    expect([1, 0.5, 1e-5, 1e16, 123456.0, -2].map(pyFloatStr)).toEqual(['1.0', '0.5', '1e-05', '1e+16', '123456.0', '-2.0']);
  });
});

describe('buildCommandLine', () => {
  const tool = loadToolFromFile(resolve(import.meta.dirname, 'fixtures', 'macro_tool', 'macro_tool.xml'));

  it('renders with placeholders, sanitizes, and returns strictShell from the profile', async () => {
    const state = await buildToolState(tool, { input: { src: 'hda', id: 'd1' }, adv: { min_len: 8 } }, ctx);
    const built = await buildCommandLine(tool, state, job);
    expect(built.command).toBe("demo --version 1.2 --in '/scratch/job1/inputs/d1.dat' --min 8 > '/scratch/job1/outputs/out.dat'");
    expect(built.strictShell).toBe(true); // profile 21.01 ≥ 20.09
  });

  it('renders config files first, exposes their path, renders environment variables, prefixes the interpreter', async () => {
    const t = toolFromXml(`<tool id="cf" name="cf" version="1">
      <command interpreter="python">script.py --cfg '$cfg' --name '$who' \\\${GALAXY_SLOTS:-1}</command>
      <configfiles><configfile name="cfg" filename="my.cfg">who=$who</configfile></configfiles>
      <environment_variables><environment_variable name="WHO" strip="true"> $who </environment_variable></environment_variables>
      <inputs><param name="who" type="text" value="a b"/></inputs></tool>`);
    const built = await buildCommandLine(t, await buildToolState(t, { who: "x'; rm -rf /" }, ctx), job);
    expect(built.configFiles).toEqual([{ name: 'cfg', path: '/scratch/job1/configs/my.cfg', content: 'who=x__sq__X rm -rf /' }]);
    expect(built.environment).toEqual({ WHO: 'x__sq__X rm -rf /' });
    expect(built.command).toBe("python /tools/demo/script.py --cfg '/scratch/job1/configs/my.cfg' --name 'x__sq__X rm -rf /' ${GALAXY_SLOTS:-1}");
    expect(built.strictShell).toBe(false);
  });
});

describe('wrappers', () => {
  it('behave like Galaxy wrappers', async () => {
    const tool = loadToolFromFile(resolve(import.meta.dirname, 'fixtures', 'all_params.xml'));
    const state = await buildToolState(tool, { input: { src: 'hda', id: 'd1' }, ms: ['x', 'y'], 'c|mode': 'advanced' }, ctx);
    const ns = buildParamDict(tool, state, job);
    expect(str(ns.i)).toBe('3');
    expect((ns.i as Record<symbol, (o: unknown) => boolean>)[PY_EQ]!(3)).toBe(true);
    expect((ns.i as Record<symbol, (o: unknown) => boolean>)[PY_EQ]!('3')).toBe(false);
    expect(str(ns.f)).toBe('0.5');
    expect(str(ns.flag)).toBe('--no');
    expect((ns.flag as Record<symbol, (o: unknown) => boolean>)[PY_EQ]!(false)).toBe(true);
    expect(str(ns.ms)).toBe('x,y');
    expect(str(ns.opt_int)).toBe('');
    expect((ns.opt_int as Record<symbol, () => boolean>)[PY_BOOL]!()).toBe(false);
    expect((ns.opt_int as Record<symbol, (o: unknown) => boolean>)[PY_EQ]!('')).toBe(true);
    expect(str(ns.input)).toBe('/scratch/job1/inputs/d1.dat');
    expect(attr(ns.input, 'ext')).toBe('tabular');
    expect(attr(attr(ns.input, 'metadata'), 'column_names')).toBe('a,b');
    expect(call(attr(ns.input, 'is_of_type'), 'txt')).toBe(true);
    expect(call(attr(ns.input, 'is_of_type'), 'bam')).toBe(false);
    expect(attr(ns.input, 'element_identifier')).toBe('data d1');
    const c = ns.c as Record<string, unknown>;
    expect(str(c.mode)).toBe('advanced');
    expect(str(c.level)).toBe('1');
    expect(ns.__user_email__).toBe('me__at__example.org');
    expect(() => str(ns.input === undefined ? ns.input : (buildParamDict(toolFromXml('<tool id="x" name="x" version="1"><command>x</command></tool>'), {}, job).input))).toThrow(PyRuntimeError);
  });
});

describe('hostile values', () => {
  const hostile = [`'; rm -rf / #`, '$(reboot)', '`id`', 'a\nb', 'a | b', 'a && b', '"q"', 'a;b', '${HOME}', '\\x', 'a>b<c', "it's"];
  const tool = toolFromXml(`<tool id="h" name="h" version="1"><command>run $t $i $f $s $ms $col '$input.name' '$input.element_identifier' '$input.metadata.x'</command>
    <inputs>
      <param name="input" type="data"/>
      <param name="t" type="text" value=""/>
      <param name="i" type="integer" value="1"/>
      <param name="f" type="float" value="1"/>
      <param name="s" type="select"><options from_data_table="t"/></param>
      <param name="ms" type="select" multiple="true"><options from_data_table="t"/></param>
      <param name="col" type="data_column" data_ref="input" use_header_names="true"/>
    </inputs></tool>`);

  it.each(hostile)('never lets a shell metacharacter through: %j', async (value) => {
    const hostileCtx: StateContext = { async resolveData() { return ds('d1', { name: value, elementIdentifier: value, metadata: { x: value } }); } };
    const state = await buildToolState(tool, { input: { src: 'hda', id: 'd1' }, t: value, s: value, ms: [value, value], col: value }, hostileCtx);
    const built = await buildCommandLine(tool, state, job);
    const userPart = built.command.replace("run ", '').replace(/'\/scratch[^']*'/g, '');
    expect(userPart).not.toMatch(/[;&|`$<>\\\n"#{}\[\]]/);
    // The only quotes are the template's own.
    expect(userPart.replace(/'[^']*'/g, '')).not.toContain("'");
    await expect(buildToolState(tool, { input: { src: 'hda', id: 'd1' }, i: value }, hostileCtx)).rejects.toThrow(/i: expected an integer/);
    await expect(buildToolState(tool, { input: { src: 'hda', id: 'd1' }, f: value }, hostileCtx)).rejects.toThrow(/f: expected a number/);
  });
});

describe('stdio', () => {
  const mk = (attrs: string, stdio = '', profile = '') =>
    toolFromXml(`<tool id="s" name="s" version="1" ${profile}><command ${attrs}>x</command>${stdio}</tool>`);
  it('legacy tools fail on stderr, not on exit code', () => {
    const p = stdioPolicy(mk(''));
    expect(applyStdio(p, 1, '', '').ok).toBe(true);
    expect(applyStdio(p, 0, '', 'warn').ok).toBe(false);
  });
  it('profile ≥ 16.04 fails on non-zero exit only', () => {
    const p = stdioPolicy(mk('', '', 'profile="16.04"'));
    expect(applyStdio(p, 0, '', 'warn').ok).toBe(true);
    expect(applyStdio(p, 2, '', '').ok).toBe(false);
  });
  it('stdio rules and aggressive detection', () => {
    const p = stdioPolicy(mk('', '<stdio><exit_code range="2:" level="fatal"/><regex match="low MEM" source="stderr" level="warning"/></stdio>'));
    expect(applyStdio(p, 1, '', 'Low mem')).toMatchObject({ ok: true, level: 'warning' });
    expect(applyStdio(p, 3, '', '')).toMatchObject({ ok: false, level: 'fatal' });
    const a = stdioPolicy(mk('detect_errors="aggressive" oom_exit_code="42"'));
    expect(applyStdio(a, 0, 'Error: bad', '')).toMatchObject({ ok: false, level: 'fatal' });
    expect(applyStdio(a, 42, '', '')).toMatchObject({ ok: false, level: 'fatal_oom' });
  });
});
