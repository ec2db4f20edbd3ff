/**
 * Runs the fixture tool suite (test/tools/fixtures-suite) through the real runner: real bash,
 * coreutils, awk and python3. The good tools must all pass (one test is a deliberate missing
 * binary); every test of the deliberately failing tool must be reported FAIL.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { formatResult, formatSummary, runToolTests } from '../../src/tooltest/index.ts';

const SUITE = path.resolve(import.meta.dirname, '../tools/fixtures-suite');
const GOOD = ['text_ops', 'xml_json', 'split', 'exit_codes'].map((d) => path.join(SUITE, d));

describe('tool test runner on the fixture suite', () => {
  it('passes every test of the good tools and reports the missing binary separately', async () => {
    const report = await runToolTests(GOOD);
    const lines = report.results.map(formatResult);
    expect(lines.filter((l) => !l.startsWith('PASS') && !l.startsWith('MISSING'))).toEqual([]);
    expect(lines).toContain('MISSING nebula_exit_codes#3: nebula_no_such_binary_xyz not installed');
    expect(report.missing).toBe(1);
    expect(report.failed).toBe(0);
    expect(report.passed).toBe(report.results.length - 1);
    expect(report.passed).toBe(18);
    const summary = formatSummary(report);
    expect(summary.at(-1)).toBe(`${report.passed} passed, 0 failed`);
    expect(summary[0]).toMatch(/^1 missing/);
  }, 120_000);

  it('reports every deliberately failing test as FAIL with the reason', async () => {
    const report = await runToolTests([path.join(SUITE, 'failing')]);
    expect(report.passed).toBe(0);
    expect(report.failed).toBe(report.results.length);
    expect(report.results.length).toBe(20);
    const reason = (n: number) => report.results.find((r) => r.number === n)!.problems.join('; ');
    expect(reason(1)).toMatch(/differs from the expected file/);
    expect(reason(3)).toMatch(/do not match their regular expression/);
    expect(reason(4)).toMatch(/multi-line regular expression/);
    expect(reason(5)).toMatch(/more than delta 10/);
    expect(reason(6)).toMatch(/not in the output/);
    expect(reason(7)).toMatch(/md5 is/);
    expect(reason(9)).toMatch(/negated/);
    expect(reason(11)).toMatch(/expected the job to fail/);
    expect(reason(12)).toMatch(/job failed \(exit code 1\)/);
    expect(reason(13)).toMatch(/has 2 elements, expected 3/);
    expect(reason(14)).toMatch(/expected 5/);
    expect(reason(16)).toMatch(/timed out after 1s/);
    expect(reason(17)).toMatch(/exit code is 1, expected 2/);
    expect(reason(20)).toMatch(/not a valid option/);
    expect(formatSummary(report)).toEqual([`0 passed, 20 failed`]);
  }, 120_000);

  it('finds test data in --test-data directories after the tool directory', async () => {
    const extra = await mkdtemp(path.join(os.tmpdir(), 'nebula-testdata-'));
    try {
      // failing#19 names no_such_file.txt; given elsewhere it is found (and then the diff passes).
      await import('node:fs/promises').then((fs) => fs.writeFile(path.join(extra, 'no_such_file.txt'), 'hello\nworld\n'));
      const report = await runToolTests([path.join(SUITE, 'failing', 'wrong.xml')], { testData: [extra] });
      expect(report.results.find((r) => r.number === 19)!.status).toBe('pass');
    } finally {
      await rm(extra, { recursive: true, force: true });
    }
  }, 120_000);
});

/** The real CLI, as a user runs it. */
describe('nebula tool test (CLI)', () => {
  it('prints results, the summary line, writes --json and exits non-zero on failure', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'nebula-cli-'));
    try {
      const json = path.join(dir, 'report.json');
      const bin = path.resolve(import.meta.dirname, '../../bin/nebula.js');
      const good = spawnSync('node', [bin, 'tool', 'test', path.join(SUITE, 'xml_json'), '--json', json], { encoding: 'utf8' });
      expect(good.status).toBe(0);
      expect(good.stdout.trim().split('\n')).toEqual(['PASS nebula_xml_json#1', 'PASS nebula_xml_json#2', '2 passed, 0 failed']);
      expect(JSON.parse(await readFile(json, 'utf8')).passed).toBe(2);
      const bad = spawnSync('node', [bin, 'tool', 'test', path.join(SUITE, 'failing')], { encoding: 'utf8' });
      expect(bad.status).not.toBe(0);
      expect(bad.stdout.trim().split('\n').at(-1)).toBe('0 passed, 20 failed');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
