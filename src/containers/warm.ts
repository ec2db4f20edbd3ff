/**
 * `nebula containers warm`: pulls the needed images into the local engine, one at a time (a
 * node pulling many images at once gains nothing and hurts the registry).
 */
import { spawn } from 'node:child_process';
import { parseImageReference } from './names.ts';
import { isInsecure, type ContainerSettings } from './settings.ts';

export type Engine = 'podman' | 'docker';

export interface PullResult {
  image: string;
  ok: boolean;
  message: string;
}

export function pullArgv(engine: Engine, image: string, settings: ContainerSettings): string[] {
  const host = parseImageReference(image).host;
  const argv = [engine, 'pull'];
  // docker has no per-pull switch: insecure registries go in its daemon.json instead.
  if (engine === 'podman' && isInsecure(settings, host)) argv.push('--tls-verify=false');
  argv.push(image);
  return argv;
}

function run(argv: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(argv[0]!, argv.slice(1), { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.once('error', (err) => resolve({ code: -1, output: err.message }));
    child.once('exit', (code) => resolve({ code: code ?? -1, output }));
  });
}

export async function pullImages(images: string[], engine: Engine, settings: ContainerSettings, env: NodeJS.ProcessEnv = process.env): Promise<PullResult[]> {
  const results: PullResult[] = [];
  for (const image of images) {
    let argv: string[];
    try {
      argv = pullArgv(engine, image, settings);
    } catch (err) {
      results.push({ image, ok: false, message: (err as Error).message });
      continue;
    }
    const { code, output } = await run(argv, env);
    const last = output.trim().split('\n').at(-1) ?? '';
    results.push({ image, ok: code === 0, message: code === 0 ? 'pulled' : `${engine} pull exited ${code}: ${last}` });
  }
  return results;
}
