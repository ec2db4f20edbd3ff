/**
 * The `<tests>` of every standard tool (tools/standard/), run through the tool test runner with
 * real sh, coreutils and python3, one vitest case per tool so CI names the tool that broke.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatResult, runToolTests } from '../../src/tooltest/index.ts';
import { STANDARD_TOOL_DIR, STANDARD_TOOLS } from '../../src/toolstore/standard.ts';

// Test counts per tool, so that a test silently dropped from a wrapper is noticed too.
const EXPECTED_TESTS: Record<string, number> = {
  add_value: 4,
  cat1: 3,
  cut1: 7,
  paste1: 5,
  random_lines1: 4,
  show_beginning1: 4,
  sort1: 3,
  cat: 2,
};

describe('standard tool tests', () => {
  it('covers every shipped tool directory', () => {
    expect(STANDARD_TOOLS.map((t) => t.dir).sort()).toEqual(Object.keys(EXPECTED_TESTS).sort());
  });

  for (const { dir } of STANDARD_TOOLS) {
    it(`passes every test of ${dir}`, async () => {
      const report = await runToolTests([path.join(STANDARD_TOOL_DIR, dir)]);
      const notPassing = report.results.filter((r) => r.status !== 'pass').map((r) => `${formatResult(r)}\n  ${r.command ?? ''}\n  ${r.stderr ?? ''}`);
      expect(notPassing).toEqual([]);
      expect(report.results.length).toBe(EXPECTED_TESTS[dir]);
    }, 120_000);
  }
});
