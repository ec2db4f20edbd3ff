import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadToolFromBundle, loadToolFromFile } from '../../src/tools/loader.ts';
import { buildToolState, type StateContext } from '../../src/tools/parameters/state.ts';
import { ToolParameterError } from '../../src/tools/errors.ts';
import type { DatasetValue } from '../../src/tools/parameters/values.ts';

const tool = loadToolFromFile(resolve(import.meta.dirname, 'fixtures', 'all_params.xml'));
const dataset = (id: string): DatasetValue => ({ kind: 'dataset', id, name: `data ${id}`, ext: 'tabular', metadata: {} });
const ctx: StateContext = {
  async resolveData(ref) {
    return dataset(String(ref.id));
  },
};

describe('buildToolState', () => {
  it('fills defaults and converts types', async () => {
    const state = await buildToolState(tool, { input: { src: 'hda', id: 'd1' } }, ctx);
    expect(state).toMatchObject({
      t: 'hello', i: 3, f: 0.5, flag: false, s: 'b', ms: [], col: '1', opt_int: null,
      c: { mode: 'simple', __current_case__: 0 }, queries: [], sec: { inner: 'in' },
    });
  });

  it('accepts the flat legacy form and the nested form identically', async () => {
    const flat = await buildToolState(tool, {
      input: { src: 'hda', id: 'd1' }, i: '7', flag: 'Yes', 'c|mode': 'advanced', 'c|level': '4',
      'queries_0|term': 'a', 'queries_1|term': 'b', 'sec|inner': 'z', ms: 'x,y',
    }, ctx);
    const nested = await buildToolState(tool, {
      input: { src: 'hda', id: 'd1' }, i: 7, flag: true, c: { mode: 'advanced', level: 4 },
      queries: [{ term: 'a' }, { term: 'b' }], sec: { inner: 'z' }, ms: ['x', 'y'],
    }, ctx);
    expect(flat).toEqual(nested);
    expect(nested.c).toEqual({ mode: 'advanced', level: 4, __current_case__: 1 });
    expect(nested.queries).toEqual([{ term: 'a' }, { term: 'b' }]);
  });

  it.each([
    [{ i: 'abc' }, 'i: expected an integer, got "abc"'],
    [{ i: '11' }, 'i: value 11 is larger than the maximum 10'],
    [{ f: '1,5' }, 'f: expected a number, got "1,5"'],
    [{ s: 'zzz' }, 's: "zzz" is not a valid option'],
    [{ 'c|mode': 'advanced', 'c|level': 'x' }, 'c|level: expected an integer, got "x"'],
    [{ 'queries_0|term': { a: 1 } }, 'queries_0|term: expected text'],
    [{ queries: [{}, {}, {}, {}] }, 'queries: at most 3 item(s) allowed'],
    [{ t: 'x'.repeat(101) }, 't: value'],
    [{ input: 'nope' }, 'input: expected a data reference'],
  ])('rejects %j', async (bad, message) => {
    const err = await buildToolState(tool, { input: { src: 'hda', id: 'd1' }, ...bad }, ctx).catch((e) => e);
    expect(err).toBeInstanceOf(ToolParameterError);
    expect(err.message).toContain(message);
  });

  it('requires a non-optional dataset', async () => {
    const err = await buildToolState(tool, {}, ctx).catch((e) => e);
    expect(err.message).toBe('input: a dataset is required');
  });

  it("gives a missing data_column Galaxy's default: value, else column 1 when accept_default or required", async () => {
    const columns = loadToolFromBundle(
      new Map([['tool.xml', Buffer.from(`<tool id="cols" name="cols" version="1"><command>true</command><inputs>
        <param name="input" type="data" format="tabular"/>
        <param name="accepting" type="data_column" data_ref="input" accept_default="true"/>
        <param name="required" type="data_column" data_ref="input"/>
        <param name="optional" type="data_column" data_ref="input" optional="true"/>
        <param name="legacy" type="data_column" data_ref="input" default_value="c3"/>
        <param name="several" type="data_column" data_ref="input" multiple="true" optional="true"/>
      </inputs><outputs/></tool>`)]]),
      'tool.xml',
    );
    const input = { src: 'hda', id: 'd1' };
    expect(await buildToolState(columns, { input }, ctx)).toMatchObject({ accepting: '1', required: '1', optional: null, legacy: '3', several: [] });
    // accept_default takes an empty value for a missing one; a given column always wins.
    expect(await buildToolState(columns, { input, accepting: '', required: '2', legacy: 'c4' }, ctx)).toMatchObject({ accepting: '1', required: '2', legacy: '4' });
  });
});
