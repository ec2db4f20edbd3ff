import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { createPool, type Pool } from '../../src/db/pool.ts';
import { enqueue, TaskWorker } from '../../src/tasks/index.ts';
import { createLogger } from '../../src/util/log.ts';
import { NEBULA_DEFAULTS } from './engines/nebula.ts';
import { sleep } from './stats.ts';

const CHILD = path.join(path.dirname(fileURLToPath(import.meta.url)), 'nebula-worker-child.ts');
const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Children still alive, killed on the way out even when the benchmark fails. */
const children = new Set<ChildProcess>();
process.on('exit', () => {
  for (const c of children) c.kill('SIGKILL');
});
export function killChildren(): void {
  for (const c of children) c.kill('SIGKILL');
}

function startChild(url: string, queue: string): { child: ChildProcess; next: (key: string) => Promise<Record<string, unknown>> } {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD], {
    cwd: REPO,
    env: { ...process.env, NEBULA_BENCH_DB: url, NEBULA_BENCH_QUEUE: queue },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.add(child);
  child.on('exit', () => children.delete(child));
  const waiting: { key: string; resolve: (m: Record<string, unknown>) => void }[] = [];
  createInterface({ input: child.stdout! }).on('line', (line) => {
    let msg: Record<string, unknown>;
    try {
      msg = JSON.parse(line);
    } catch {
      return;
    }
    const i = waiting.findIndex((w) => w.key in msg);
    if (i >= 0) waiting.splice(i, 1)[0]!.resolve(msg);
  });
  const exited = new Promise<never>((_, reject) =>
    child.on('exit', (code, signal) => reject(new Error(`worker child exited early (code ${code}, signal ${signal})`))),
  );
  exited.catch(() => {});
  const next = (key: string) =>
    Promise.race([
      new Promise<Record<string, unknown>>((resolve, reject) => {
        waiting.push({ key, resolve });
        setTimeout(() => reject(new Error(`worker child did not report "${key}" within 30 s`)), 30_000).unref();
      }),
      exited,
    ]);
  return { child, next };
}

/**
 * One trial: a worker child with the default lease settings takes a long task, is SIGKILLed,
 * and an idle in-process worker (another replica) re-runs the task. Returns seconds from the
 * kill until the re-run starts.
 */
export async function measureRecoveryOnce(url: string, pool: Pool): Promise<number> {
  const queue = 'recovery';
  const { child, next } = startChild(url, queue);
  let reRunAt = 0;
  let notifyReRun: () => void = () => {};
  const reRun = new Promise<void>((r) => (notifyReRun = r));
  const rescuerPool = createPool(url, 4);
  const rescuer = new TaskWorker({
    pool: rescuerPool,
    connectionString: url,
    definitions: [
      {
        kind: 'sleepy',
        run: async (_p, ctx) => {
          if (ctx.attempt >= 2 && reRunAt === 0) {
            reRunAt = performance.now();
            notifyReRun();
          }
        },
      },
    ],
    queues: [queue],
    concurrency: 1,
    ...NEBULA_DEFAULTS,
    log: createLogger('silent'),
  });
  try {
    await next('ready');
    const id = await enqueue(pool, { kind: 'sleepy', queue });
    const running = await next('running');
    if (running.running !== id) throw new Error(`child ran task ${String(running.running)}, expected ${id}`);
    // The other replica is already up and idle when the first one dies, at a random point of
    // the heartbeat and polling cycles (the lease runs out 4 to 6 s after the last beat).
    await rescuer.start();
    await sleep(Math.random() * 2 * NEBULA_DEFAULTS.heartbeatSeconds * 1000);
    const killedAt = performance.now();
    child.kill('SIGKILL');
    await Promise.race([
      reRun,
      new Promise((_, reject) => setTimeout(() => reject(new Error('task not re-run within 60 s')), 60_000).unref()),
    ]);
    return (reRunAt - killedAt) / 1000;
  } finally {
    child.kill('SIGKILL');
    await rescuer.stop(0).catch(() => {});
    await rescuerPool.end();
    await pool.query('TRUNCATE nebula_tasks');
  }
}
