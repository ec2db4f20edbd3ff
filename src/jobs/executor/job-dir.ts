/**
 * The ephemeral job directory of one attempt: `<scratch>/<job uuid>-<attempt>/` with the tool's
 * working directory, staged inputs, outputs, config files, HOME and TMPDIR. Every path the tool
 * sees is made here from server ids, never from a user's file name.
 */
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';

export interface JobDirectory {
  root: string;
  working: string;
  tool: string;
  inputs: string;
  outputs: string;
  configs: string;
  home: string;
  tmp: string;
  stdout: string;
  stderr: string;
}

export function jobDirectoryFor(scratchRoot: string, jobUuid: string, attempt: number): JobDirectory {
  if (!/^[0-9a-f-]{36}$/.test(jobUuid)) throw new Error(`job uuid ${JSON.stringify(jobUuid)} is not a UUID`);
  const root = path.join(path.resolve(scratchRoot), `${jobUuid}-${attempt}`);
  return {
    root,
    working: path.join(root, 'working'),
    tool: path.join(root, 'tool'),
    inputs: path.join(root, 'inputs'),
    outputs: path.join(root, 'outputs'),
    configs: path.join(root, 'configs'),
    home: path.join(root, 'home'),
    tmp: path.join(root, 'tmp'),
    stdout: path.join(root, 'tool_stdout'),
    stderr: path.join(root, 'tool_stderr'),
  };
}

/** Starts the attempt from an empty directory: running the same attempt again redoes every step. */
export async function createJobDirectory(dir: JobDirectory): Promise<void> {
  await rm(dir.root, { recursive: true, force: true });
  for (const sub of [dir.working, dir.inputs, dir.outputs, dir.configs, dir.home, dir.tmp]) {
    await mkdir(sub, { recursive: true });
  }
}

export async function removeJobDirectory(dir: JobDirectory): Promise<void> {
  await rm(dir.root, { recursive: true, force: true });
}
