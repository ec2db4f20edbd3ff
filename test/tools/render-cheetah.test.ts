/**
 * Full renders through the real Cheetah engine (src/tools/cheetah, written by another helper).
 * The expected strings follow Galaxy's rules (whole-line directives vanish with their newline;
 * lines stripped and joined by one space).
 */
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadToolFromBundle, loadToolFromFile } from '../../src/tools/loader.ts';
import { buildToolState, type StateContext } from '../../src/tools/parameters/state.ts';
import { buildCommandLine } from '../../src/tools/command/build.ts';
import type { JobContext } from '../../src/tools/command/param-dict.ts';
import { ToolTemplateError } from '../../src/tools/errors.ts';

const ctx: StateContext = {
  async resolveData(ref) {
    return { kind: 'dataset', id: String(ref.id), name: 'd', ext: 'tabular', metadata: {} };
  },
};
const job: JobContext = {
  workingDirectory: '/scratch/job1/working',
  configDirectory: '/scratch/job1/configs',
  toolDirectory: '/tools/demo',
  locateInput: (d) => ({ path: `/scratch/job1/inputs/${d.id}.dat`, extraFilesPath: `/scratch/job1/inputs/${d.id}_files` }),
  outputs: { out: { path: '/scratch/job1/outputs/out.dat', extraFilesPath: '/scratch/job1/outputs/out_files' } },
};

describe('rendering with the Cheetah engine', () => {
  const tool = loadToolFromFile(resolve(import.meta.dirname, 'fixtures', 'all_params.xml'));

  it('renders defaults exactly as Galaxy would', async () => {
    const state = await buildToolState(tool, { input: { src: 'hda', id: 'd1' } }, ctx);
    const built = await buildCommandLine(tool, state, job);
    expect(built.command).toBe(
      "tool --text 'hello' --int 3 --float 0.5 --no --sel b --multi 'None' --col 1 --cond simple --sec in '/scratch/job1/inputs/d1.dat' > '/scratch/job1/outputs/out.dat'",
    );
    expect(built.configFiles[0]).toEqual({ name: 'script', path: expect.stringMatching(/^\/scratch\/job1\/configs\//), content: 'text=hello' });
  });

  it('renders conditionals, repeats and optional values', async () => {
    const state = await buildToolState(
      tool,
      { input: { src: 'hda', id: 'd1' }, opt_int: 4, flag: true, ms: ['x', 'y'], 'c|mode': 'advanced', 'c|level': 2, queries: [{ term: 'a b' }, { term: 'c' }] },
      ctx,
    );
    const built = await buildCommandLine(tool, state, job);
    expect(built.command).toBe(
      "tool --text 'hello' --int 3 --float 0.5 --yes --sel b --multi 'x,y' --col 1 --opt 4 --cond advanced --level 2 --q 'a b' --q 'c' --sec in '/scratch/job1/inputs/d1.dat' > '/scratch/job1/outputs/out.dat'",
    );
  });

  it('reports a Cheetah syntax error with tool, file and line', async () => {
    const t = loadToolFromBundle(
      new Map([['bad.xml', Buffer.from('<tool id="bad" name="b" version="1">\n<command>\n#if $x\necho\n</command>\n<inputs><param name="x" type="text"/></inputs></tool>')]]),
      'bad.xml',
    );
    const err = await buildCommandLine(t, await buildToolState(t, {}, ctx), job).catch((e) => e);
    expect(err).toBeInstanceOf(ToolTemplateError);
    expect(err.message).toMatch(/^tool bad: bad\.xml:\d+: /);
  });
});
