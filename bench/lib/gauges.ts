import type { Pool } from '../../src/db/pool.ts';
import { enqueueMany, readQueueGauges, type TaskSpec } from '../../src/tasks/index.ts';
import { claimTasks } from '../../src/tasks/sql/claim.ts';
import { chunks, median } from './stats.ts';

const QUEUES = [
  { queue: 'jobs', weight: { cores: 4, memoryMb: 8192, seconds: 600 } },
  { queue: 'metadata', weight: { cores: 1, memoryMb: 1024, seconds: 20 } },
  { queue: 'default', weight: { cores: 0.1, memoryMb: 64, seconds: 1 } },
  { queue: 'exports', weight: { cores: 1, memoryMb: 2048, seconds: 120 } },
];

export interface GaugeResult {
  pending: number;
  enqueueSeconds: number;
  medianMs: number;
  p90Ms: number;
  /** A worker's claim of 16 tasks with this backlog, from one queue and from all queues. */
  claimOneQueueMs: number;
  claimAllQueuesMs: number;
}

/**
 * Fills the table with `pending` weighted tasks across a few queues (no worker running), then
 * times the cluster-wide gauge query that every replica runs at each metrics scrape.
 */
export async function measureGaugeQuery(pool: Pool, pending: number, repeats: number): Promise<GaugeResult> {
  const specs: TaskSpec[] = Array.from({ length: pending }, (_, i) => {
    const q = QUEUES[i % QUEUES.length]!;
    return { kind: 'noop', queue: q.queue, weight: q.weight };
  });
  const t0 = performance.now();
  for (const chunk of chunks(specs, 5000)) await enqueueMany(pool, chunk);
  const enqueueSeconds = (performance.now() - t0) / 1000;
  await pool.query('ANALYZE nebula_tasks');
  await readQueueGauges(pool); // warm the plan cache and buffers, as a running server has them
  const times: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const s = performance.now();
    const gauges = await readQueueGauges(pool);
    times.push(performance.now() - s);
    const seen = gauges.reduce((sum, g) => sum + g.pending, 0);
    if (seen !== pending) throw new Error(`gauges report ${seen} pending tasks, expected ${pending}`);
  }
  const sorted = [...times].sort((a, b) => a - b);
  const claimOneQueueMs = await timeClaims(pool, ['metadata'], repeats);
  const claimAllQueuesMs = await timeClaims(pool, null, repeats);
  await pool.query('TRUNCATE nebula_tasks');
  return {
    pending, enqueueSeconds, medianMs: median(times), p90Ms: sorted[Math.floor(0.9 * (sorted.length - 1))]!,
    claimOneQueueMs, claimAllQueuesMs,
  };
}

/** Median time of a worker's claim statement against the full backlog. */
async function timeClaims(pool: Pool, queues: string[] | null, repeats: number): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const s = performance.now();
    const claimed = await claimTasks(pool, { owner: 'bench', limit: 16, leaseSeconds: 60, queues });
    times.push(performance.now() - s);
    if (claimed.length !== 16) throw new Error(`claim returned ${claimed.length} tasks, expected 16`);
  }
  return median(times);
}
