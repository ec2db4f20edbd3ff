import { resolve } from 'node:path';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadToolFromBundle, loadToolFromFile } from '../../src/tools/loader.ts';
import { ToolLoadError } from '../../src/tools/errors.ts';
import type { SectionInput, OutputData, OutputCollection } from '../../src/tools/model.ts';

const fixture = (p: string) => resolve(import.meta.dirname, 'fixtures', p);

describe('macro expansion', () => {
  it('expands imports (nested, relative to the tool dir), tokens, nested tokens, yields and macro parameters', () => {
    const tool = loadToolFromFile(fixture('macro_tool/macro_tool.xml'));
    expect(tool.version).toBe('1.2+galaxy0');
    expect(tool.requirements).toEqual([{ type: 'package', name: 'demo', version: '1.2' }]);
    expect(tool.containers).toEqual([{ type: 'docker', identifier: 'quay.io/biocontainers/demo:1.2' }]);
    expect(tool.command!.text).toContain('demo --version 1.2');
    expect(tool.command!.detectErrors).toBe('exit_code');
    const adv = tool.inputs[1] as SectionInput;
    expect(adv.kind).toBe('section');
    // named yield first, then the nested macro (argument → name), then the plain yield
    expect(adv.inputs.map((i) => i.name)).toEqual(['flag', 'min_len', 'label']);
    const minLen = adv.inputs[1] as { value?: string; argument?: string };
    expect(minLen.argument).toBe('--min-len');
    expect(minLen.value).toBe('5');
    expect(tool.help).toContain('demo --version 1.2');
    expect(tool.warnings).toEqual([]);
  });

  it('loads the same tool from a bundle of files', () => {
    const files = new Map<string, Buffer>();
    for (const p of ['macro_tool/macro_tool.xml', 'macro_tool/macros.xml', 'shared/common_macros.xml']) {
      files.set(`tools/${p}`, readFileSync(fixture(p)));
    }
    const tool = loadToolFromBundle(files, 'tools/macro_tool/macro_tool.xml');
    expect(tool.version).toBe('1.2+galaxy0');
    expect(tool.file).toBe('tools/macro_tool/macro_tool.xml');
  });

  it.each([
    ['broken_xml.xml', /broken_xml\.xml:\d+: malformed XML/],
    ['missing_macro.xml', /tool missing_macro: .*missing_macro\.xml:6: no macro named "does_not_exist"/],
    ['missing_token.xml', /tool missing_token: .*missing_token\.xml:6: macro "p" needs parameter "pname"/],
    ['missing_import.xml', /tool missing_import: .*missing_import\.xml:3: imported macro file "nope.xml" not found/],
  ])('%s gives a ToolLoadError naming the file and line', (file, pattern) => {
    let error: unknown;
    try {
      loadToolFromFile(fixture(file));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ToolLoadError);
    expect((error as Error).message).toMatch(pattern);
  });

  it('reports a token cycle and keeps text after a yield out, like lxml', () => {
    const files = new Map<string, Buffer>([
      ['t.xml', Buffer.from('<tool id="t" name="t" version="1"><macros><token name="@A@">x@A@</token></macros></tool>')],
    ]);
    expect(() => loadToolFromBundle(files, 't.xml')).toThrow(/token "@A@" cannot contain itself/);
  });
});

describe('tool source model', () => {
  const tool = loadToolFromFile(fixture('all_params.xml'));

  it('parses parameters of every type', () => {
    const byName = Object.fromEntries(tool.inputs.map((i) => [i.name, i]));
    expect(Object.keys(byName)).toEqual(['input', 't', 'i', 'f', 'flag', 's', 'ms', 'col', 'opt_int', 'c', 'queries', 'sec']);
    expect(byName.input).toMatchObject({ type: 'data', formats: ['tabular', 'txt'], multiple: false });
    expect(byName.i).toMatchObject({ type: 'integer', min: 0, max: 10, value: '3' });
    expect(byName.flag).toMatchObject({ type: 'boolean', truevalue: '--yes', falsevalue: '--no', checked: false });
    expect(byName.ms).toMatchObject({ type: 'select', multiple: true, optional: true });
    expect(byName.col).toMatchObject({ type: 'data_column', dataRef: 'input' });
    expect(byName.c).toMatchObject({ kind: 'conditional', whens: [{ value: 'simple' }, { value: 'advanced' }] });
    expect(byName.queries).toMatchObject({ kind: 'repeat', min: 0, max: 3 });
  });

  it('parses command, configfiles, environment, stdio, outputs and tests', () => {
    expect(tool.profile).toBe('20.09');
    expect(tool.configFiles.map((c) => c.kind)).toEqual(['configfile', 'inputs']);
    expect(tool.environmentVariables[0]).toMatchObject({ name: 'DEMO_LABEL', template: '$t' });
    expect(tool.stdio.exitCodes).toEqual([
      { from: 1, to: Infinity, level: 'fatal', description: 'failed' },
      { from: -1, to: -1, level: 'warning', description: undefined },
    ]);
    expect(tool.stdio.regexes[0]).toMatchObject({ match: 'low memory', source: 'stderr', level: 'warning' });
    const out = tool.outputs[0] as OutputData;
    expect(out.filters).toEqual(["c['mode'] == 'advanced'"]);
    expect(out.changeFormat).toEqual([{ input: 's', value: 'a', format: 'txt', inputDataset: undefined, attribute: undefined }]);
    const split = tool.outputs[1] as OutputCollection;
    expect(split.discoverDatasets[0]).toMatchObject({ pattern: '__name_and_ext__', directory: 'out' });
    expect((tool.outputs[2] as OutputCollection).elements.map((e) => e.name)).toEqual(['forward', 'reverse']);
    const test = tool.tests[0]!;
    expect(test.expectNumOutputs).toBe(2);
    expect(test.inputs.c).toMatchObject({ mode: { value: 'advanced' }, level: { value: '2' } });
    expect((test.inputs.queries as unknown[]).length).toBe(2);
    expect(test.outputs[0]).toMatchObject({ compare: 're_match', linesDiff: 2 });
    expect(test.outputs[0]!.assertContents.map((a) => a.tag)).toEqual(['has_text', 'has_n_columns']);
    expect(test.outputCollections[0]).toMatchObject({ name: 'split', count: 2, elements: [{ name: 'a' }] });
    expect(test.assertStdout[0]).toMatchObject({ tag: 'has_text', attributes: { text: 'done' } });
    expect(tool.citations).toEqual([{ type: 'doi', text: '10.1000/xyz' }]);
  });
});
