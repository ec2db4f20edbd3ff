import type { BenchEngine } from './engines/engine.ts';
import { sleep } from './stats.ts';

/**
 * With workers running and idle, enqueues one task at a time and measures from just before the
 * enqueueing transaction commits until the handler runs. Returns the latencies in ms.
 */
export async function measurePickup(engine: BenchEngine, samples: number, gapMs: number): Promise<number[]> {
  const run = 'pickup';
  await engine.prepareRun(run);
  const arrivals = new Map<number, (at: number) => void>();
  const workers = await engine.startWorkers(run, 4, (payload) => {
    const at = performance.now();
    const seq = (payload as { seq?: number } | null)?.seq;
    if (typeof seq === 'number') arrivals.get(seq)?.(at);
  });
  const latencies: number[] = [];
  try {
    await sleep(1500); // let start-up polls settle: the workers are idle from here on
    for (let seq = 0; seq < samples; seq++) {
      const arrived = new Promise<number>((resolve, reject) => {
        arrivals.set(seq, resolve);
        setTimeout(() => reject(new Error(`${engine.name}: task ${seq} not picked up within 30 s`)), 30_000).unref();
      });
      let committedAt = 0;
      await engine.enqueueOneInTransaction(run, { seq }, () => (committedAt = performance.now()));
      latencies.push((await arrived) - committedAt);
      arrivals.delete(seq);
      await sleep(gapMs);
    }
  } finally {
    await workers.stop().catch(() => {});
  }
  await engine.finishRun(run);
  return latencies;
}
