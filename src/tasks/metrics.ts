import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { Queryable } from '../db/pool.ts';
import { readQueueGauges } from './sql/gauges.ts';

export interface TaskMetrics {
  claimDelay: Histogram<'queue'>;
  finished: Counter<'queue' | 'kind' | 'outcome'>;
}

/**
 * Registers the task metrics. Backlog gauges are read from the database at scrape time, so
 * every replica reports identical cluster-wide figures and an autoscaler can scrape any one.
 */
type Row = Awaited<ReturnType<typeof readQueueGauges>>[number];

const BACKLOG_GAUGES: [name: string, help: string, pick: (g: Row) => number][] = [
  ['nebula_tasks_pending', 'Due tasks waiting for a worker, per queue (cluster-wide)', (g) => g.pending],
  ['nebula_tasks_scheduled', 'Tasks delayed or backing off, per queue (cluster-wide)', (g) => g.scheduled],
  ['nebula_tasks_running', 'Tasks under a lease, per queue (cluster-wide)', (g) => g.running],
  ['nebula_tasks_dead', 'Tasks in dead-letter, per queue (cluster-wide)', (g) => g.dead],
  ['nebula_tasks_pending_cores', 'Summed core demand of due pending tasks', (g) => g.pendingCores],
  ['nebula_tasks_pending_memory_mb', 'Summed memory demand (MB) of due pending tasks', (g) => g.pendingMemoryMb],
  ['nebula_tasks_running_cores', 'Summed core demand of running tasks', (g) => g.runningCores],
  ['nebula_tasks_running_memory_mb', 'Summed memory demand (MB) of running tasks', (g) => g.runningMemoryMb],
  ['nebula_tasks_oldest_pending_seconds', 'Age of the oldest due pending task', (g) => g.oldestPendingSeconds],
];

/**
 * Registers the task metrics. Backlog gauges are read from the database at scrape time, so
 * every replica reports identical cluster-wide figures and an autoscaler can scrape any one.
 */
export function registerTaskMetrics(registry: Registry, db: Queryable): TaskMetrics {
  // One query per scrape feeds every gauge: concurrent collect() calls share it.
  let inFlight: Promise<Row[]> | undefined;
  const rowsForScrape = () => (inFlight ??= readQueueGauges(db).finally(() => setImmediate(() => (inFlight = undefined))));
  for (const [name, help, pick] of BACKLOG_GAUGES) {
    new Gauge({
      name,
      help,
      labelNames: ['queue'],
      registers: [registry],
      async collect() {
        const rows = await rowsForScrape();
        this.reset();
        for (const row of rows) this.set({ queue: row.queue }, pick(row));
      },
    });
  }
  return {
    claimDelay: new Histogram({
      name: 'nebula_task_claim_delay_seconds',
      help: 'Time from a task becoming claimable to a worker claiming it',
      labelNames: ['queue'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    }),
    finished: new Counter({
      name: 'nebula_tasks_finished_total',
      help: 'Task attempts finished by this process, by outcome',
      labelNames: ['queue', 'kind', 'outcome'],
      registers: [registry],
    }),
  };
}
