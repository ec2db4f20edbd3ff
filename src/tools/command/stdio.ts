/**
 * Error detection (Galaxy's tool_util/parser/stdio.py + jobs output checking):
 * - `detect_errors="exit_code"`: non-zero exit is fatal (plus `oom_exit_code` → fatal_oom);
 * - `detect_errors="aggressive"`: exit code rules plus OOM and "error:"/"exception:" regexes;
 * - otherwise a `<stdio>` element gives exactly its rules;
 * - otherwise profile ≥ 16.04 means non-zero exit is fatal, and older tools fail on any stderr.
 */
import type { ExitCodeRule, RegexRule, StdioLevel, ToolSource } from '../model.ts';
import { pythonRegexToJs } from '../parameters/validators.ts';
import { profileAtLeast } from './profile.ts';

export interface StdioPolicy {
  /** Legacy tools without rules: any stderr output fails the job. */
  failOnStderr: boolean;
  exitCodes: ExitCodeRule[];
  regexes: RegexRule[];
}

const NON_ZERO: ExitCodeRule[] = [
  { from: -Infinity, to: -1, level: 'fatal' },
  { from: 1, to: Infinity, level: 'fatal' },
];

export function stdioPolicy(tool: ToolSource): StdioPolicy {
  const detect = tool.command?.detectErrors;
  if (detect === 'exit_code' || detect === 'aggressive') {
    const exitCodes: ExitCodeRule[] = [];
    const oom = tool.command?.oomExitCode;
    if (oom !== undefined) exitCodes.push({ from: oom, to: oom, level: 'fatal_oom' });
    exitCodes.push(...NON_ZERO);
    const regexes: RegexRule[] =
      detect === 'aggressive'
        ? [
            ...['MemoryError', 'std::bad_alloc', 'java.lang.OutOfMemoryError', 'Out of memory'].map(
              (m): RegexRule => ({ match: m, source: 'both', level: 'fatal_oom', description: 'Out of memory error occurred' }),
            ),
            { match: 'exception:', source: 'both', level: 'fatal', description: 'Unknown error occurred' },
            { match: 'error:', source: 'both', level: 'fatal', description: 'Unknown error occurred' },
          ]
        : [];
    return { failOnStderr: false, exitCodes, regexes };
  }
  const hasStdio = tool.stdio.exitCodes.length > 0 || tool.stdio.regexes.length > 0;
  if (hasStdio) return { failOnStderr: false, exitCodes: tool.stdio.exitCodes, regexes: tool.stdio.regexes };
  if (profileAtLeast(tool.profile, '16.04')) return { failOnStderr: false, exitCodes: NON_ZERO, regexes: [] };
  return { failOnStderr: true, exitCodes: [], regexes: [] };
}

const SEVERITY: Record<StdioLevel | 'ok', number> = { ok: 0, log: 1, qc: 1.1, warning: 2, fatal: 3, fatal_oom: 4 };

export interface StdioOutcome {
  ok: boolean;
  level: StdioLevel | 'ok';
  messages: string[];
}

export function applyStdio(policy: StdioPolicy, exitCode: number, stdout: string, stderr: string): StdioOutcome {
  let level: StdioLevel | 'ok' = 'ok';
  const messages: string[] = [];
  const raise = (l: StdioLevel, message: string) => {
    messages.push(message);
    if (SEVERITY[l] > SEVERITY[level]) level = l;
  };
  for (const rule of policy.exitCodes) {
    if (exitCode >= rule.from && exitCode <= rule.to) {
      const what = rule.level === 'fatal_oom' ? 'Out of memory' : `Exit code ${exitCode}`;
      raise(rule.level, `${levelLabel(rule.level)}: ${what}${rule.description ? `: ${rule.description}` : ''}`);
    }
  }
  for (const rule of policy.regexes) {
    const re = new RegExp(pythonRegexToJs(rule.match), 'i');
    const streams = rule.source === 'both' ? [stdout, stderr] : rule.source === 'stdout' ? [stdout] : [stderr];
    for (const s of streams) {
      const m = re.exec(s);
      if (m) {
        raise(rule.level, `${levelLabel(rule.level)}: ${rule.description ?? `Matched on ${m[0]}`}`);
        break;
      }
    }
  }
  if (policy.failOnStderr && stderr.trim() !== '') raise('fatal', 'Fatal error: tool wrote to standard error');
  return { ok: SEVERITY[level] < SEVERITY.fatal, level, messages };
}

function levelLabel(level: StdioLevel): string {
  return { fatal: 'Fatal error', fatal_oom: 'Fatal error', warning: 'Warning', log: 'Log', qc: 'QC' }[level];
}
