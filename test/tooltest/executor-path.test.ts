/**
 * Tool tests run through the job executor (src/jobs/executor), not a copy of it: the tool runs
 * from the job's own copy of its bundle, in the executor's job directory layout, with the
 * executor's environment, and its outputs are collected (and judged) by the executor.
 */
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runToolTest, runToolTests } from '../../src/tooltest/index.ts';
import { loadToolFromFile } from '../../src/tools/loader.ts';

const TOOL = path.resolve(import.meta.dirname, 'fixtures/executor_path/executor_path.xml');

describe('tool tests through the job executor', () => {
  it('runs the tool from its bundle in a job directory and collects what the executor collects', async () => {
    const report = await runToolTests([TOOL]);
    const byNumber = (n: number) => report.results.find((r) => r.number === n)!;
    // 1: bundle copy of the tool directory, GALAXY_SLOTS/GALAXY_MEMORY_MB, test user, reported metadata.
    expect(byNumber(1).problems).toEqual([]);
    expect(byNumber(1).command).toMatch(/\/[0-9a-f-]{36}-1\/tool\/helper\.sh' > '.*\/outputs\/output_\d\.dat'/);
    // 2: static elements of an output collection (from_work_dir), kept by their filter.
    expect(byNumber(2).problems).toEqual([]);
    // 3: the executor's rule, not a tool-test rule: a declared output never written fails the job.
    expect(byNumber(3).status).toBe('fail');
    expect(byNumber(3).problems.join('; ')).toMatch(/tool produced no output copy/);
    expect([report.passed, report.failed, report.missing]).toEqual([2, 1, 0]);
  }, 60_000);

  it('keeps the executor job directory with --keep-scratch', async () => {
    const report = await runToolTests([TOOL], { keepScratch: true });
    const scratch = report.results[0]!.scratch!;
    try {
      expect(path.basename(scratch)).toMatch(/^[0-9a-f-]{36}-1$/);
      for (const entry of ['working', 'tool/helper.sh', 'tool/executor_path.xml', 'inputs/dataset_0.dat', 'tool_stdout']) {
        expect(existsSync(path.join(scratch, entry)), entry).toBe(true);
      }
    } finally {
      // <run root>/scratch/<job dir>
      await rm(path.dirname(path.dirname(scratch)), { recursive: true, force: true });
    }
  }, 60_000);

  it('runs a single test on its own (its own store and scratch)', async () => {
    const tool = loadToolFromFile(TOOL);
    const result = await runToolTest(tool, path.dirname(TOOL), tool.tests[1]!);
    expect(result.status).toBe('pass');
    expect(result.scratch).toBeUndefined();
  }, 60_000);
});
