import type { BenchEngine } from './engines/engine.ts';
import { waitUntil } from './stats.ts';

export interface ThroughputResult {
  tasks: number;
  enqueueSeconds: number;
  /** From starting the workers until every task is recorded as completed in the database. */
  processSeconds: number;
  /** Claim + run + complete rate: tasks / processSeconds. */
  perSecond: number;
  /** Enqueue, claim and complete end to end: tasks / (enqueueSeconds + processSeconds). */
  pipelinePerSecond: number;
}

let runCounter = 0;

/**
 * Enqueues n no-op tasks in bulk (timed on its own), then starts workers at `concurrency` and
 * times until the database shows all n completed. The clock includes worker start-up, the same
 * for every engine.
 */
/**
 * Enough tasks for about `seconds` of work: warm-up runs grow fourfold from a handful of tasks
 * until one lasts half a second, which keeps slow engines (pg-boss polls every 0.5 s) quick.
 */
export async function calibratedCount(engine: BenchEngine, concurrency: number, seconds: number): Promise<number> {
  let n = Math.max(8, 4 * concurrency);
  for (;;) {
    const warm = await measureThroughput(engine, concurrency, n);
    if (warm.processSeconds >= 0.5 || n >= 20_000) {
      return Math.min(20_000, Math.max(10, Math.round(warm.perSecond * seconds)));
    }
    n *= 4;
  }
}

export async function measureThroughput(engine: BenchEngine, concurrency: number, n: number): Promise<ThroughputResult> {
  const run = `noop_${++runCounter}_c${concurrency}`;
  await engine.prepareRun(run);
  const t0 = performance.now();
  await engine.enqueueNoops(run, n);
  const t1 = performance.now();
  let handled = 0;
  const workers = await engine.startWorkers(run, concurrency, () => void handled++);
  let t2: number;
  try {
    // Generous: even 50 tasks/s finishes.
    const limitMs = 60_000 + (n / 50) * 1000;
    await waitUntil(`${engine.name} to run ${n} tasks`, () => handled >= n, limitMs, 5);
    await waitUntil(`${engine.name} to record ${n} completions`, async () => (await engine.remaining(run)) === 0, 60_000, 10);
    t2 = performance.now();
  } finally {
    // Shutting down is not part of the throughput (Nebula's can take a heartbeat interval).
    await workers.stop().catch(() => {});
  }
  await engine.finishRun(run);
  const enqueueSeconds = (t1 - t0) / 1000;
  const processSeconds = (t2 - t1) / 1000;
  return {
    tasks: n,
    enqueueSeconds,
    processSeconds,
    perSecond: n / processSeconds,
    pipelinePerSecond: n / (enqueueSeconds + processSeconds),
  };
}
