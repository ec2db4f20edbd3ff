import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { objectStoreEnvironment } from '../../src/jobs/lifecycle/settings.ts';

export interface S3rverHandle {
  /** e.g. http://127.0.0.1:41234 */
  endpoint: string;
  /** An existing, empty bucket. */
  bucket: string;
  /** The client settings s3rver needs, shaped like `objectStore.s3` in the config. */
  s3Config(prefix?: string): {
    bucket: string;
    endpoint: string;
    region: string;
    accessKeyId: string;
    secretAccessKey: string;
    forcePathStyle: boolean;
    prefix: string;
  };
  /** The same settings as the NEBULA_* variables a Nebula process reads (objectStoreEnvironment). */
  environment(prefix?: string): Record<string, string>;
  /** How often the server process exited without being asked to (and was restarted). */
  unexpectedExits(): number;
  stop(): Promise<void>;
}

const childScript = fileURLToPath(new URL('./s3rver-child.ts', import.meta.url));

/**
 * A real S3 HTTP server (s3rver) on 127.0.0.1 with a free port, in a child process started
 * with --openssl-legacy-provider (its ListObjectsV2 paging needs DES on Node 20). It checks
 * neither signatures nor conditional writes, so tests must not rely on either.
 */
interface RunningChild {
  child: ChildProcess;
  port: number;
  stderr: () => string;
}

/** Starts the s3rver child on `port` (0: any free one) and waits until it listens. */
async function spawnChild(directory: string, bucket: string, port: number): Promise<RunningChild> {
  const child = spawn(process.execPath, ['--import', 'tsx', childScript, directory, bucket, String(port)], {
    env: { ...process.env, NODE_OPTIONS: '--openssl-legacy-provider' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  try {
    const listening = await new Promise<number>((resolve, reject) => {
      const lines = createInterface({ input: child.stdout! });
      lines.once('line', (line) => {
        try {
          resolve((JSON.parse(line) as { port: number }).port);
        } catch {
          reject(new Error(`s3rver child printed ${JSON.stringify(line)}; stderr: ${stderr}`));
        }
      });
      child.once('exit', (code) => reject(new Error(`s3rver child exited with ${code}: ${stderr}`)));
      child.once('error', reject);
    });
    return { child, port: listening, stderr: () => stderr };
  } catch (error) {
    if (child.exitCode === null) child.kill();
    throw error;
  }
}

export async function startS3rver(options: { bucket?: string } = {}): Promise<S3rverHandle> {
  const bucket = options.bucket ?? 'nebula-test';
  const directory = await mkdtemp(path.join(os.tmpdir(), 'nebula-s3rver-'));
  let current: RunningChild;
  try {
    current = await spawnChild(directory, bucket, 0);
  } catch (error) {
    await rm(directory, { recursive: true, force: true });
    throw error;
  }
  const port = current.port;
  let stopping = false;
  let restarting: Promise<void> | undefined;
  let exits = 0;
  // This S3 server is test equipment, not the system under test: should it die anyway (it did,
  // from its own put/delete race, before s3rver-child.ts patched it), it comes back on the same
  // port with the same data, and says so loudly.
  const watch = (running: RunningChild) => {
    running.child.once('exit', (code, signal) => {
      if (stopping) return;
      exits++;
      console.error(`s3rver child (port ${port}) exited unexpectedly: code ${code}, signal ${signal}; stderr: ${running.stderr().slice(-4000)}; restarting it`);
      restarting = spawnChild(directory, bucket, port).then(
        (next) => {
          current = next;
          watch(next);
        },
        (error: unknown) => console.error(`s3rver could not be restarted on port ${port}: ${String(error)}`),
      );
    });
  };
  watch(current);
  const endpoint = `http://127.0.0.1:${port}`;
  const s3Config = (prefix = '') => ({
    bucket,
    endpoint,
    region: 'us-east-1',
    accessKeyId: 'S3RVER',
    secretAccessKey: 'S3RVER',
    forcePathStyle: true,
    prefix,
  });
  return {
    endpoint,
    bucket,
    s3Config,
    environment: (prefix = '') => objectStoreEnvironment({ objectStore: { backend: 's3', s3: s3Config(prefix) } }),
    unexpectedExits: () => exits,
    async stop() {
      stopping = true;
      await restarting;
      const { child } = current;
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.stdin!.end();
        await exited;
      }
      await rm(directory, { recursive: true, force: true });
    },
  };
}
