/**
 * `nebula tool test`: runs each `<test>` of each tool like planemo does, through the local
 * execution path (execute.ts): stage inputs, build the state, render, run, collect, compare.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { isSubtypeOf } from '../datatypes/index.ts';
import { buildCommandLine } from '../tools/command/build.ts';
import type { JobContext, JobOutput } from '../tools/command/param-dict.ts';
import { profileAtLeast } from '../tools/command/profile.ts';
import { applyStdio, stdioPolicy } from '../tools/command/stdio.ts';
import { loadToolFromFile } from '../tools/loader.ts';
import type { ToolSource, ToolTest } from '../tools/model.ts';
import { buildToolState } from '../tools/parameters/state.ts';
import { runAssertions } from './asserts.ts';
import { checkOutputs } from './check-outputs.ts';
import { collectOutputs, createScratch, missingBinary, planOutputs, removeScratch, runJobCommand, type RunResult } from './execute.ts';
import { includedOutputs, outputFormats } from './outputs.ts';
import { Stager } from './stage.ts';
import { testDataDirs } from './test-data.ts';
import { buildTestPayload } from './test-state.ts';

export interface ToolTestOptions {
  /** Extra test-data directories, searched after the tool's own `test-data/`. */
  testData?: string[];
  /** Default per-test timeout when the test gives no `maxseconds`. */
  defaultTimeoutSeconds?: number;
  /** Keep scratch directories for inspection (their paths are in the report). */
  keepScratch?: boolean;
  /** Called with each result as soon as it is known (the CLI prints it). */
  onResult?: (result: TestResult) => void;
}

export type TestStatus = 'pass' | 'fail' | 'missing';

export interface TestResult {
  toolId: string;
  toolVersion: string;
  toolFile: string;
  /** 1-based number of the test in the tool's `<tests>`. */
  number: number;
  status: TestStatus;
  problems: string[];
  missingBinary?: string;
  command?: string;
  exitCode?: number | null;
  stdout?: string;
  stderr?: string;
  seconds?: number;
  scratch?: string;
}

export interface ToolTestReport {
  results: TestResult[];
  passed: number;
  failed: number;
  missing: number;
}

// ---------------------------------------------------------------- finding tools

async function looksLikeTool(file: string): Promise<boolean> {
  const head = (await readFile(file, 'utf8')).slice(0, 4096).replace(/<\?xml[^>]*\?>|<!--[\s\S]*?-->/g, '');
  return /^\s*<tool[\s>]/.test(head);
}

/** A tool file, or every tool XML under a directory (test-data and hidden directories skipped). */
export async function findToolFiles(paths: string[]): Promise<string[]> {
  const out: string[] = [];
  const walk = async (dir: string) => {
    for (const entry of (await readdir(dir, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
      if (entry.name.startsWith('.') || entry.name === 'test-data') continue;
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) await walk(full);
      else if (entry.name.endsWith('.xml') && (await looksLikeTool(full))) out.push(full);
    }
  };
  for (const p of paths) {
    const info = await stat(p).catch(() => null);
    if (!info) throw new Error(`no such file or directory: ${p}`);
    if (info.isDirectory()) await walk(path.resolve(p));
    else out.push(path.resolve(p));
  }
  return out;
}

// ---------------------------------------------------------------- one test

function tail(text: string, max = 2000): string {
  return text.length > max ? `…${text.slice(-max)}` : text;
}

export async function runToolTest(tool: ToolSource, toolDirectory: string, test: ToolTest, options: ToolTestOptions = {}): Promise<TestResult> {
  const base: TestResult = { toolId: tool.id, toolVersion: tool.version, toolFile: tool.file, number: test.index + 1, status: 'fail', problems: [] };
  const dirs = testDataDirs(toolDirectory, options.testData ?? []);
  const scratch = await createScratch(undefined, 'nebula-tooltest-');
  const finish = (r: TestResult): TestResult => ({ ...r, status: r.status === 'missing' ? 'missing' : r.problems.length ? 'fail' : 'pass' });
  try {
    const stager = new Stager(scratch.inputs);
    let state;
    try {
      const { payload, context } = await buildTestPayload(tool, test.inputs, stager, dirs);
      state = await buildToolState(tool, payload, context);
    } catch (err) {
      // A job refused at submission is a failure the test may expect.
      return finish({ ...base, problems: test.expectFailure ? [] : [`cannot build the tool state: ${(err as Error).message}`] });
    }
    const formats = outputFormats(tool, state);
    const { included, problems: filterProblems } = await includedOutputs(tool, state);
    const plan = planOutputs(tool, scratch, formats, included);
    const dataOutputs: Record<string, JobOutput> = Object.fromEntries(Object.entries(plan).filter(([k]) => !k.includes('|')));
    const job: JobContext = {
      workingDirectory: scratch.working,
      configDirectory: scratch.configs,
      toolDirectory,
      newFilePath: scratch.tmp,
      locateInput: (d) => {
        const staged = stager.byId.get(d.id);
        if (!staged) throw new Error(`input ${d.id} was not staged`);
        return staged.location;
      },
      outputs: dataOutputs,
      isSubtypeOf,
    };
    let built;
    try {
      built = await buildCommandLine(tool, state, job);
    } catch (err) {
      return finish({ ...base, problems: test.expectFailure ? [] : [`cannot build the command: ${(err as Error).message}`] });
    }
    const timeoutSeconds = test.maxSeconds ?? options.defaultTimeoutSeconds ?? 300;
    const run: RunResult = await runJobCommand({
      command: built.command,
      strictShell: built.strictShell,
      environment: built.environment,
      configFiles: built.configFiles,
      scratch,
      timeoutSeconds,
      slots: 1,
    });
    const result: TestResult = {
      ...base,
      command: built.command,
      exitCode: run.exitCode,
      stdout: tail(run.stdout),
      stderr: tail(run.stderr),
      seconds: run.seconds,
      scratch: options.keepScratch ? scratch.root : undefined,
    };
    const binary = missingBinary(run);
    if (binary) return { ...result, status: 'missing', missingBinary: binary, problems: [`${binary} not installed`] };

    const problems: string[] = [...filterProblems];
    const outcome = applyStdio(stdioPolicy(tool), run.exitCode ?? -1, run.stdout, run.stderr);
    const jobFailed = run.timedOut || !outcome.ok;
    if (run.timedOut) problems.push(`timed out after ${timeoutSeconds}s`);
    if (test.expectExitCode !== undefined && run.exitCode !== test.expectExitCode) {
      problems.push(`exit code is ${run.exitCode}, expected ${test.expectExitCode}`);
    }
    if (test.expectFailure && !jobFailed) problems.push('expected the job to fail, but it succeeded');
    if (!test.expectFailure && jobFailed && !run.timedOut) {
      problems.push(`job failed (exit code ${run.exitCode}): ${outcome.messages.join('; ')}${run.stderr.trim() ? `; stderr: ${tail(run.stderr.trim(), 500)}` : ''}`);
    }
    problems.push(...runAssertions(test.assertStdout, run.stdout).map((p) => `stdout: ${p}`));
    problems.push(...runAssertions(test.assertStderr, run.stderr).map((p) => `stderr: ${p}`));
    problems.push(...runAssertions(test.assertCommand, built.command).map((p) => `command: ${p}`));
    if (!jobFailed) {
      const collected = await collectOutputs(tool, scratch, plan, formats, included);
      problems.push(...collected.problems);
      if (test.expectNumOutputs !== undefined) {
        const count = Object.keys(collected.datasets).length + Object.keys(collected.collections).length;
        if (count !== test.expectNumOutputs) problems.push(`job created ${count} outputs, expected ${test.expectNumOutputs}`);
      }
      problems.push(...(await checkOutputs(test.outputs, test.outputCollections, collected, dirs, profileAtLeast(tool.profile, '20.09'))));
    }
    return finish({ ...result, problems });
  } catch (err) {
    return finish({ ...base, problems: [`test could not run: ${(err as Error).message}`] });
  } finally {
    if (!options.keepScratch) await removeScratch(scratch);
  }
}

// ---------------------------------------------------------------- many tools

export async function runToolTests(paths: string[], options: ToolTestOptions = {}): Promise<ToolTestReport> {
  const report: ToolTestReport = { results: [], passed: 0, failed: 0, missing: 0 };
  const record = (r: TestResult) => {
    report.results.push(r);
    if (r.status === 'pass') report.passed++;
    else if (r.status === 'missing') report.missing++;
    else report.failed++;
    options.onResult?.(r);
  };
  for (const file of await findToolFiles(paths)) {
    let tool: ToolSource;
    try {
      tool = loadToolFromFile(file);
    } catch (err) {
      record({ toolId: path.basename(file), toolVersion: '', toolFile: file, number: 0, status: 'fail', problems: [`cannot load tool: ${(err as Error).message}`] });
      continue;
    }
    for (const test of tool.tests) record(await runToolTest(tool, path.dirname(file), test, options));
  }
  return report;
}

export function formatResult(r: TestResult): string {
  const name = `${r.toolId}#${r.number}`;
  if (r.status === 'pass') return `PASS ${name}`;
  if (r.status === 'missing') return `MISSING ${name}: ${r.missingBinary} not installed`;
  return `FAIL ${name}: ${r.problems.join('; ')}`;
}

/** The summary lines: missing binaries on their own line, then exactly `N passed, N failed`. */
export function formatSummary(report: ToolTestReport): string[] {
  const lines: string[] = [];
  if (report.missing > 0) lines.push(`${report.missing} missing (tests skipped because a required binary is not installed)`);
  lines.push(`${report.passed} passed, ${report.failed} failed`);
  return lines;
}
