/**
 * Process identity on Linux: a pid alone is reused, so a process is named by (pid, start time)
 * from /proc/<pid>/stat, and jobs by a variable in their environment.
 */
import { readFile, readdir } from 'node:fs/promises';
import os from 'node:os';

export interface ProcessIdentity {
  host: string;
  pid: number;
  /** Field 22 of /proc/<pid>/stat: clock ticks after boot. */
  startTime: string;
}

export function formatExternalId(id: ProcessIdentity): string {
  return `${id.host}:${id.pid}:${id.startTime}`;
}

export function parseExternalId(externalId: string): ProcessIdentity {
  const match = /^(.+):(\d+):(\d+)$/.exec(externalId);
  if (!match) throw new Error(`not a local runner external id (host:pid:starttime): ${JSON.stringify(externalId)}`);
  return { host: match[1]!, pid: Number(match[2]), startTime: match[3]! };
}

/** State letter and start time of a live process, or undefined when there is no such pid. */
export async function readProcStat(pid: number): Promise<{ state: string; startTime: string; pgid: number } | undefined> {
  const text = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
  if (!text) return undefined;
  // The command name (field 2) may contain spaces and parentheses: split after the last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return { state: fields[0]!, pgid: Number(fields[2]), startTime: fields[19]! };
}

export async function identify(pid: number): Promise<ProcessIdentity | undefined> {
  const stat = await readProcStat(pid);
  return stat ? { host: os.hostname(), pid, startTime: stat.startTime } : undefined;
}

/** True while the process named by `id` runs (not a zombie, not a reused pid). */
export async function isAlive(id: ProcessIdentity): Promise<boolean> {
  const stat = await readProcStat(id.pid);
  return !!stat && stat.startTime === id.startTime && stat.state !== 'Z' && stat.state !== 'X';
}

/** Live processes whose environment has `name=value` (only our own processes are readable). */
export async function findProcessesByEnv(name: string, value: string): Promise<number[]> {
  const needle = Buffer.from(`${name}=${value}\0`);
  const found: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const environ = await readFile(`/proc/${entry}/environ`).catch(() => undefined);
    if (!environ) continue;
    if (environ.subarray(0, needle.length).equals(needle) || environ.includes(Buffer.concat([Buffer.from('\0'), needle]))) {
      found.push(Number(entry));
    }
  }
  return found;
}

/** Process groups of `pid`'s descendants (the tool runs in a group of its own, under the executor). */
export async function descendantGroups(pid: number): Promise<number[]> {
  const parents = new Map<number, number[]>();
  const groups = new Map<number, number>();
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const text = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => undefined);
    if (!text) continue;
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    const child = Number(entry);
    const ppid = Number(fields[1]);
    groups.set(child, Number(fields[2]));
    parents.set(ppid, [...(parents.get(ppid) ?? []), child]);
  }
  const out = new Set<number>();
  const stack = [...(parents.get(pid) ?? [])];
  while (stack.length) {
    const p = stack.pop()!;
    const g = groups.get(p);
    if (g !== undefined && g !== pid) out.add(g);
    stack.push(...(parents.get(p) ?? []));
  }
  return [...out];
}
