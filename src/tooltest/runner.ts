/**
 * `nebula tool test`: runs each `<test>` of each tool like planemo does. The test's params become
 * a tool state; the job itself (staging, rendering, running, collecting) runs through the job
 * executor exactly as on the server (local-execution.ts); this module only compares.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { JobReport } from '../jobs/interfaces.ts';
import { isSubtypeOf } from '../datatypes/index.ts';
import { profileAtLeast } from '../tools/command/profile.ts';
import { loadToolFromFile } from '../tools/loader.ts';
import type { ToolSource, ToolTest } from '../tools/model.ts';
import { evaluateOutputFilters } from '../tools/outputs/filters.ts';
import { buildToolState } from '../tools/parameters/state.ts';
import type { ToolState } from '../tools/parameters/values.ts';
import { runAssertions } from './asserts.ts';
import { checkOutputs } from './check-outputs.ts';
import { LocalExecution } from './local-execution.ts';
import { missingBinary } from './missing-binary.ts';
import { countCreatedOutputs, outputsFromReport } from './reported-outputs.ts';
import { Stager } from './stage.ts';
import { buildTestJobSpec } from './test-job.ts';
import { testDataDirs } from './test-data.ts';
import { buildTestPayload } from './test-state.ts';

/** Seconds between SIGTERM and SIGKILL when a test runs past its maxseconds. */
const KILL_GRACE_SECONDS = 5;

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

/** A tool's test as a job: state from the params, then the executor, then the comparisons. */
export async function runToolTest(
  tool: ToolSource,
  toolDirectory: string,
  test: ToolTest,
  options: ToolTestOptions = {},
  /** The run's store, node cache and scratch; a test run alone gets its own. */
  execution?: LocalExecution,
): Promise<TestResult> {
  const base: TestResult = { toolId: tool.id, toolVersion: tool.version, toolFile: tool.file, number: test.index + 1, status: 'fail', problems: [] };
  const dirs = testDataDirs(toolDirectory, options.testData ?? []);
  const finish = (r: TestResult): TestResult => ({ ...r, status: r.status === 'missing' ? 'missing' : r.problems.length ? 'fail' : 'pass' });
  const local = execution ?? (await LocalExecution.create());
  try {
    const stager = new Stager(local);
    let state: ToolState;
    try {
      const { payload, context } = await buildTestPayload(tool, test.inputs, stager, dirs);
      state = await buildToolState(tool, payload, context);
    } catch (err) {
      // A job refused at submission is a failure the test may expect.
      return finish({ ...base, problems: test.expectFailure ? [] : [`cannot build the tool state: ${(err as Error).message}`] });
    }
    // The server's own rule (run-tool.ts): a tool test keeps the outputs an API job would.
    const { included, problems: filterProblems } = evaluateOutputFilters(tool, state, { isSubtypeOf });
    const walltimeSeconds = test.maxSeconds ?? options.defaultTimeoutSeconds ?? 300;
    const spec = buildTestJobSpec({
      tool,
      toolDirectory,
      bundleKey: await local.toolBundle(toolDirectory),
      state,
      inputs: stager.inputs,
      included,
      walltimeSeconds,
    });
    const report = await local.execute(spec, { keepScratch: !!options.keepScratch, killGraceSeconds: KILL_GRACE_SECONDS });
    const result: TestResult = {
      ...base,
      command: report.commandLine,
      exitCode: report.exitCode,
      stdout: tail(report.stdout),
      stderr: tail(report.stderr),
      seconds: report.metrics.runtimeSeconds,
      scratch: options.keepScratch ? local.jobDirectory(spec) : undefined,
    };
    const binary = missingBinary(report);
    if (binary) return { ...result, status: 'missing', missingBinary: binary, problems: [`${binary} not installed`] };

    const problems: string[] = [...filterProblems];
    const jobFailed = report.state === 'error';
    const timedOut = ranPastWalltime(report, walltimeSeconds);
    if (timedOut) problems.push(`timed out after ${walltimeSeconds}s`);
    if (test.expectExitCode !== undefined && report.exitCode !== test.expectExitCode) {
      problems.push(`exit code is ${report.exitCode}, expected ${test.expectExitCode}`);
    }
    if (test.expectFailure && !jobFailed) problems.push('expected the job to fail, but it succeeded');
    if (!test.expectFailure && jobFailed && !timedOut) {
      problems.push(`job failed (exit code ${report.exitCode}): ${report.messages.join('; ')}${report.stderr.trim() ? `; stderr: ${tail(report.stderr.trim(), 500)}` : ''}`);
    }
    problems.push(...runAssertions(test.assertStdout, report.stdout).map((p) => `stdout: ${p}`));
    problems.push(...runAssertions(test.assertStderr, report.stderr).map((p) => `stderr: ${p}`));
    problems.push(...runAssertions(test.assertCommand, report.commandLine).map((p) => `command: ${p}`));
    if (!jobFailed) {
      const collected = outputsFromReport(tool, report, included);
      if (test.expectNumOutputs !== undefined) {
        const count = countCreatedOutputs(collected);
        if (count !== test.expectNumOutputs) problems.push(`job created ${count} outputs, expected ${test.expectNumOutputs}`);
      }
      const ctx = { testDataDirs: dirs, read: (key: string) => local.read(key) };
      problems.push(...(await checkOutputs(test.outputs, test.outputCollections, collected, ctx, profileAtLeast(tool.profile, '20.09'))));
    }
    return finish({ ...result, problems });
  } catch (err) {
    return finish({ ...base, problems: [`test could not run: ${(err as Error).message}`] });
  } finally {
    if (!execution) await local.close({ keep: options.keepScratch });
  }
}

/**
 * The executor kills a tool at its walltime and reports the signal: a tool killed by a signal
 * after running at least that long ran out of time.
 */
function ranPastWalltime(report: JobReport, walltimeSeconds: number): boolean {
  return report.exitCode === null && report.signal !== null && report.metrics.runtimeSeconds >= walltimeSeconds;
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
  const files = await findToolFiles(paths);
  const execution = await LocalExecution.create();
  try {
    for (const file of files) {
      let tool: ToolSource;
      try {
        tool = loadToolFromFile(file);
      } catch (err) {
        record({ toolId: path.basename(file), toolVersion: '', toolFile: file, number: 0, status: 'fail', problems: [`cannot load tool: ${(err as Error).message}`] });
        continue;
      }
      for (const test of tool.tests) record(await runToolTest(tool, path.dirname(file), test, options, execution));
    }
  } finally {
    await execution.close({ keep: options.keepScratch });
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
