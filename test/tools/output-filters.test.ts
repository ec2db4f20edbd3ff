import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isSubtypeOf } from '../../src/datatypes/index.ts';
import { loadToolFromFile } from '../../src/tools/loader.ts';
import type { ToolOutput } from '../../src/tools/model.ts';
import { evaluateOutputFilters, filterNamespace, outputPasses } from '../../src/tools/outputs/filters.ts';
import { buildToolState, type StateContext } from '../../src/tools/parameters/state.ts';
import type { DatasetValue } from '../../src/tools/parameters/values.ts';

const tool = loadToolFromFile(resolve(import.meta.dirname, '..', 'jobs', 'fixtures', 'filter_tool', 'filters.xml'));
const dataset = (ext: string): DatasetValue => ({ kind: 'dataset', id: 'd1', name: 'reads', ext, dbkey: 'hg38', metadata: { columns: 3 } });
const ctx = (ext = 'txt'): StateContext => ({ resolveData: async () => dataset(ext) });

async function included(inputs: Record<string, unknown>, ext = 'txt') {
  const state = await buildToolState(tool, { input: { src: 'hda', id: 'd1' }, ...inputs }, ctx(ext));
  return evaluateOutputFilters(tool, state, { isSubtypeOf });
}

function output(filters: string[]): ToolOutput {
  return { ...tool.outputs.find((o) => o.name === 'copy')!, filters };
}

describe('output filters', () => {
  it('keeps only the outputs whose filters hold, by boolean and by conditional', async () => {
    const none = await included({});
    expect([...none.included].sort()).toEqual(['broken', 'main']);
    const all = await included({ emit_copy: true, opts: { case: 'upper' }, emit_pair: true, emit_split: true });
    expect([...all.included].sort()).toEqual(['broken', 'copy', 'main', 'pair', 'split', 'upper']);
    const flat = await included({ emit_copy: 'false', 'opts|case': 'upper' });
    expect([...flat.included].sort()).toEqual(['broken', 'main', 'upper']);
  });

  it('looks at the input dataset itself (input.ext), and the parameter shadows the builtin input()', async () => {
    expect((await included({ opts: { case: 'upper' } }, 'tabular')).included.has('upper')).toBe(true);
    expect((await included({ opts: { case: 'upper' } }, 'fasta')).included.has('upper')).toBe(false);
  });

  it('keeps an output whose filter raises, and says why', async () => {
    const { problems } = await included({});
    expect(problems).toEqual([expect.stringMatching(/^output broken: filter \(no_such_parameter == 1\) failed, output kept: NameError: name 'no_such_parameter' is not defined/)]);
  });

  it('evaluates single filters as Python over the parameter values', async () => {
    const state = await buildToolState(tool, { input: { src: 'hda', id: 'd1' }, emit_copy: true, opts: { case: 'keep' } }, ctx());
    const ns = filterNamespace(tool, state, { isSubtypeOf });
    const passes = (f: string) => outputPasses(output([f]), ns);
    expect(passes("emit_copy == True and emit_pair == False").keep).toBe(true);
    expect(passes("emit_copy == 'true'").keep).toBe(false); // a bool, not its truevalue
    expect(passes("opts['case'] == 'keep' and opts['__current_case__'] == 0").keep).toBe(true);
    expect(passes("input.is_of_type('txt') and input.metadata.columns == 3").keep).toBe(true);
    expect(passes("input.is_of_type('fasta')").keep).toBe(false);
    expect(passes("dbkey == 'hg38' and __input_ext == 'input'").keep).toBe(true);
    expect(passes("re.match('k', opts['case']) is not None").keep).toBe(true);
    const raising = passes("opts.case == 'keep'"); // a dict has no attribute case
    expect(raising.keep).toBe(true);
    expect(raising.problems[0]).toMatch(/AttributeError/);
    expect(passes('emit_copy ==').problems[0]).toMatch(/SyntaxError/);
    // Every filter must hold; one that raises is skipped, the next one still decides.
    expect(outputPasses(output(['undefined_name', 'emit_pair']), ns).keep).toBe(false);
    expect(outputPasses(output(['emit_copy', 'emit_pair']), ns).keep).toBe(false);
  });
});
