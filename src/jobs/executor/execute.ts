/**
 * One attempt of one job, start to end: spec → stage → render → run → collect → report. Every
 * step can be redone for the same (job, attempt) with the same effect: the job directory starts
 * empty, outputs go to the attempt's own keys, and the server takes the report once.
 */
import { open, statfs, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { isSubtypeOf } from '../../datatypes/index.ts';
import type { ObjectStore } from '../../objectstore/index.ts';
import { buildCommandLine } from '../../tools/command/build.ts';
import { profileAtLeast } from '../../tools/command/profile.ts';
import { applyStdio, stdioPolicy } from '../../tools/command/stdio.ts';
import type { JobContext, JobOutput } from '../../tools/command/param-dict.ts';
import type { ToolSource } from '../../tools/model.ts';
import type { ToolState } from '../../tools/parameters/values.ts';
import type { JobReport, JobSpec } from '../interfaces.ts';
import { AttemptSupersededError, type JobServerClient } from './client.ts';
import { collectOutputs, outputPath } from './collect.ts';
import { containerArgv, containerRemoveArgv, parseEngine } from './container.ts';
import { Heartbeat } from './heartbeat.ts';
import { createJobDirectory, jobDirectoryFor, removeJobDirectory, type JobDirectory } from './job-dir.ts';
import type { NodeCache } from './node-cache.ts';
import type { ExecutorSettings } from './settings.ts';
import { describeError, stageInputs, stageMetadataFiles, stageTool } from './stage.ts';
import { runInProcessGroup, type RunResult } from './run.ts';
import { loadStagedTool } from './tool-cache.ts';
import { stageReferences, storeExtraFilesBundles } from './references.ts';

/** What the report keeps of each stream; the files can be far larger. */
export const REPORTED_STREAM_BYTES = 64 * 1024;
/** What `<stdio>` regexes look at. */
const MATCHED_STREAM_BYTES = 4 * 1024 * 1024;

export interface ExecuteOptions {
  settings: Pick<ExecutorSettings, 'scratchRoot' | 'heartbeatSeconds' | 'heartbeatFirstSeconds' | 'killGraceSeconds' | 'keepScratch' | 'container' | 'jobName'>;
  store: ObjectStore;
  cache: NodeCache;
  client: JobServerClient;
  /** Aborted by SIGTERM (a runner's cancel): stop the tool, report nothing. */
  stop?: AbortSignal;
  log?: (message: string) => void;
  /** Told the tool's process group id once the command runs (the in-process runner records it). */
  onToolStart?: (pgid: number) => void;
}

export type ExecuteOutcome = { outcome: 'reported'; report: JobReport } | { outcome: 'superseded' | 'stopped'; reason: string };

async function readHead(file: string, limit: number): Promise<{ text: string; size: number }> {
  const handle = await open(file, 'r').catch(() => null);
  if (!handle) return { text: '', size: 0 };
  try {
    const size = (await handle.stat()).size;
    const buffer = Buffer.alloc(Math.min(size, limit));
    await handle.read(buffer, 0, buffer.length, 0);
    let text = buffer.toString('utf8');
    if (size > limit) text += `\n[... ${size - limit} more bytes not shown]`;
    return { text, size };
  } finally {
    await handle.close();
  }
}

/** The tool sees only these variables of the executor's own: never its token or store secrets. */
const INHERITED_ENV = ['PATH', 'LANG', 'LC_ALL', 'TZ', 'USER', 'LOGNAME'];

function toolEnvironment(spec: JobSpec, tool: ToolSource, dir: JobDirectory, built: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of INHERITED_ENV) if (process.env[name] !== undefined) env[name] = process.env[name]!;
  env.PATH ??= '/usr/local/bin:/usr/bin:/bin';
  const cores = Math.max(1, Math.floor(spec.resources.cores));
  env.GALAXY_SLOTS = String(cores);
  env.GALAXY_MEMORY_MB = String(spec.resources.memoryMb);
  env.GALAXY_MEMORY_MB_PER_SLOT = String(Math.floor(spec.resources.memoryMb / cores));
  // Galaxy gives tools of profile 18.01 and later a HOME of their own inside the job directory.
  if (profileAtLeast(tool.profile, '18.01')) env.HOME = dir.home;
  else if (process.env.HOME) env.HOME = process.env.HOME;
  env.TMPDIR = env.TMP = env.TEMP = env._GALAXY_JOB_TMP_DIR = dir.tmp;
  env._GALAXY_JOB_HOME_DIR = dir.home;
  return { ...env, ...built };
}

function errorReport(spec: JobSpec, startedAt: Date, stagingSeconds: number, messages: string[], extra: Partial<JobReport> = {}): JobReport {
  const finishedAt = new Date();
  return {
    attempt: spec.attempt,
    state: 'error',
    exitCode: null,
    signal: null,
    commandLine: '',
    stdout: '',
    stderr: '',
    messages,
    outputs: [],
    discovered: [],
    metrics: { startedAt: startedAt.toISOString(), finishedAt: finishedAt.toISOString(), runtimeSeconds: 0, stagingSeconds },
    ...extra,
  };
}

function runEngine(argv: string[]): Promise<void> {
  return new Promise((resolve) => {
    const child = spawn(argv[0]!, argv.slice(1), { stdio: 'ignore' });
    child.once('error', () => resolve());
    child.once('exit', () => resolve());
  });
}

export async function executeJob(options: ExecuteOptions): Promise<ExecuteOutcome> {
  const { store, cache, client, settings } = options;
  const log = options.log ?? (() => undefined);
  // Beating needs only the token, not the spec: starting first keeps the attempt visibly alive
  // while getSpec waits out an API restart, instead of silent for as long as that retry lasts.
  const heartbeat = new Heartbeat(client, settings.heartbeatSeconds, settings.heartbeatFirstSeconds ?? 0);
  heartbeat.start();
  let spec: JobSpec;
  try {
    spec = await client.getSpec();
  } catch (error) {
    heartbeat.stop();
    throw error;
  }
  const abort = new AbortController();
  const onSuperseded = () => abort.abort('superseded');
  const onStop = () => abort.abort('stopped');
  heartbeat.superseded.addEventListener('abort', onSuperseded, { once: true });
  options.stop?.addEventListener('abort', onStop, { once: true });
  if (options.stop?.aborted) onStop();
  const dir = jobDirectoryFor(settings.scratchRoot, spec.jobUuid, spec.attempt);
  const startedAt = new Date();
  try {
    const report = await runAttempt();
    if (report === undefined) return { outcome: abort.signal.reason === 'superseded' ? 'superseded' : 'stopped', reason: String(abort.signal.reason) };
    heartbeat.stop();
    await client.postReport(report);
    log(`reported attempt ${spec.attempt}: ${report.state}`);
    return { outcome: 'reported', report };
  } catch (error) {
    if (error instanceof AttemptSupersededError) return { outcome: 'superseded', reason: error.message };
    throw error;
  } finally {
    heartbeat.stop();
    options.stop?.removeEventListener('abort', onStop);
    if (!settings.keepScratch) await removeJobDirectory(dir).catch(() => undefined);
  }

  async function runAttempt(): Promise<JobReport | undefined> {
    // ---- staging
    let toolXml: string;
    let locations;
    let references: Awaited<ReturnType<typeof stageReferences>>;
    try {
      await createJobDirectory(dir);
      toolXml = await stageTool(store, cache, spec, dir);
      ({ locations } = await stageInputs(store, cache, spec, dir));
      references = await stageReferences(store, cache, spec, dir);
    } catch (error) {
      const enospc = (error as NodeJS.ErrnoException).code === 'ENOSPC' || ((error as Error).cause as NodeJS.ErrnoException | undefined)?.code === 'ENOSPC';
      const detail = describeError(error);
      const message = (detail.startsWith('staging') ? detail : `staging failed: ${detail}`) + (enospc ? ` (scratch ${settings.scratchRoot}, node cache)` : '');
      return errorReport(spec, startedAt, secondsSince(startedAt), [message]);
    }
    if (abort.signal.aborted) return undefined;

    // ---- render
    let tool: ToolSource;
    const state = structuredClone(spec.toolState) as ToolState;
    let built;
    try {
      tool = loadStagedTool(spec.tool.bundleKey, spec.tool.toolPath, toolXml);
      await stageMetadataFiles(store, cache, spec, dir, state);
      const outputs: Record<string, JobOutput> = {};
      spec.outputs.forEach((out, index) => {
        outputs[out.name] = { path: outputPath(dir, index), extraFilesPath: path.join(dir.outputs, `output_${index}_files`), ext: out.format };
      });
      const context: JobContext = {
        workingDirectory: dir.working,
        configDirectory: dir.configs,
        toolDirectory: path.dirname(toolXml),
        newFilePath: dir.tmp,
        historyId: spec.historyId,
        user: spec.user,
        outputs,
        locateInput: (dataset) => {
          const location = locations.get(dataset.id);
          if (!location) throw new Error(`input dataset ${dataset.id} is not in the job spec`);
          return location;
        },
        isSubtypeOf,
        dataTableRows: (table) => references.get(table),
      };
      built = await buildCommandLine(tool, state, context);
      for (const file of built.configFiles) {
        const target = path.resolve(file.path);
        if (!target.startsWith(dir.configs + path.sep)) throw new Error(`config file ${file.name} would be written outside the job directory`);
        await writeFile(target, file.content);
      }
    } catch (error) {
      return errorReport(spec, startedAt, secondsSince(startedAt), [`preparing the command failed: ${describeError(error)}`]);
    }
    const stagingSeconds = secondsSince(startedAt);
    if (!built.command) return errorReport(spec, startedAt, stagingSeconds, ['the tool has no command to run']);

    // ---- run
    const script = `${built.strictShell ? 'set -e\n' : ''}${built.command}`;
    const env = toolEnvironment(spec, tool, dir, built.environment);
    const containerRun = spec.container ?? (settings.container?.image ? { image: settings.container.image, engine: settings.container.engine, network: false } : undefined);
    let argv = ['bash', '-c', script];
    let onKill: (() => Promise<void>) | undefined;
    if (containerRun) {
      const engine = parseEngine(settings.container?.engine ?? containerRun.engine);
      const name = settings.jobName ?? `nebula-${spec.jobUuid}-${spec.attempt}`;
      argv = containerArgv({
        engine,
        image: containerRun.image,
        name,
        jobDirectory: dir.root,
        workingDirectory: dir.working,
        network: containerRun.network || (settings.container?.network ?? false),
        cores: Math.max(1, spec.resources.cores),
        memoryMb: spec.resources.memoryMb,
        env: Object.fromEntries(Object.entries(env).filter(([k]) => k !== 'PATH')), // the image's own PATH
        command: [settings.container?.shell ?? 'bash', '-c', script],
        extraArgs: settings.container?.extraArgs,
      });
      const remove = containerRemoveArgv(engine, name);
      if (remove) onKill = () => runEngine(remove);
    }
    log(`running attempt ${spec.attempt}${containerRun ? ` in ${containerRun.image}` : ''}`);
    let result: RunResult;
    try {
      result = await runInProcessGroup({
        argv,
        cwd: dir.working,
        env: containerRun ? { ...process.env, ...pick(env, ['PATH', 'HOME']) } as Record<string, string> : env,
        stdoutFile: dir.stdout,
        stderrFile: dir.stderr,
        walltimeSeconds: spec.resources.walltimeSeconds,
        killGraceSeconds: settings.killGraceSeconds,
        signal: abort.signal,
        onKill,
        onStart: options.onToolStart,
      });
    } catch (error) {
      return errorReport(spec, startedAt, stagingSeconds, [`could not start the tool: ${describeError(error)}`], { commandLine: built.command });
    }
    if (result.aborted) return undefined;

    // ---- judge
    const stdout = await readHead(dir.stdout, MATCHED_STREAM_BYTES);
    const stderr = await readHead(dir.stderr, MATCHED_STREAM_BYTES);
    const messages: string[] = [];
    let failed = false;
    if (result.timedOut) {
      failed = true;
      messages.push(`the job ran longer than its walltime of ${spec.resources.walltimeSeconds} s and was killed`);
    } else if (result.signal) {
      failed = true;
      messages.push(`the tool was killed by signal ${result.signal}`);
    } else {
      const outcome = applyStdio(stdioPolicy(tool), result.exitCode ?? -1, stdout.text, stderr.text);
      messages.push(...outcome.messages);
      if (!outcome.ok) failed = true;
    }

    // The tool's own stderr may not have fit on the full disk either: ask the filesystem too.
    if (/No space left on device/i.test(stderr.text) || /No space left on device/i.test(stdout.text) || (failed && (await diskFull(dir.root)))) {
      failed = true;
      messages.push(`the job ran out of disk space in its scratch directory ${dir.root} (No space left on device)`);
    }

    // ---- collect
    let collected;
    try {
      collected = await collectOutputs({ store, spec, tool, state, dir, toolFailed: failed });
    } catch (error) {
      const enospc = (error as NodeJS.ErrnoException).code === 'ENOSPC';
      collected = { outputs: [], discovered: [], messages: [enospc ? `no space left on device while collecting outputs in ${dir.root}` : `collecting outputs failed: ${describeError(error)}`] };
      failed = true;
    }
    messages.push(...collected.messages);
    if (collected.messages.length) failed = true;
    if (!failed && tool.toolType === 'manage_data') {
      try {
        await storeExtraFilesBundles(store, spec, dir, collected.outputs);
      } catch (error) {
        failed = true;
        messages.push(`storing the data manager's extra files failed: ${describeError(error)}`);
      }
    }

    return {
      attempt: spec.attempt,
      state: failed ? 'error' : 'ok',
      exitCode: result.exitCode,
      signal: result.signal,
      commandLine: built.command,
      stdout: truncate(stdout.text, stdout.size),
      stderr: truncate(stderr.text, stderr.size),
      messages,
      outputs: collected.outputs,
      discovered: collected.discovered,
      metrics: {
        startedAt: result.startedAt.toISOString(),
        finishedAt: result.finishedAt.toISOString(),
        runtimeSeconds: (result.finishedAt.getTime() - result.startedAt.getTime()) / 1000,
        stagingSeconds,
      },
    };
  }
}

/** Less than 64 KiB left for an unprivileged writer on the filesystem of `dir`. */
async function diskFull(dir: string): Promise<boolean> {
  const info = await statfs(dir).catch(() => null);
  return !!info && info.bavail * info.bsize < 64 * 1024;
}

function pick(env: Record<string, string>, names: string[]): Record<string, string> {
  return Object.fromEntries(names.filter((n) => env[n] !== undefined).map((n) => [n, env[n]!]));
}

function truncate(text: string, size: number): string {
  if (size <= REPORTED_STREAM_BYTES) return text;
  return `${Buffer.from(text).subarray(0, REPORTED_STREAM_BYTES).toString('utf8')}\n[... ${size - REPORTED_STREAM_BYTES} more bytes not shown]`;
}

function secondsSince(start: Date): number {
  return (Date.now() - start.getTime()) / 1000;
}

export const hostName = os.hostname;
