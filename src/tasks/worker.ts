import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { Worker as Thread } from 'node:worker_threads';
import pg from 'pg';
import { withTransaction, type Pool, type Queryable } from '../db/pool.ts';
import type { Logger } from '../util/log.ts';
import {
  LeaseLostError,
  PermanentTaskError,
  type ClaimedTask,
  type TaskContext,
  type TaskDefinition,
  type TaskServices,
} from './interfaces.ts';
import type { TaskMetrics } from './metrics.ts';
import { saveCheckpoint } from './sql/checkpoint.ts';
import { claimTasks } from './sql/claim.ts';
import { completeTasks, lockLease, type Lease } from './sql/complete.ts';
import { completeAndClaim } from './sql/completeAndClaim.ts';
import { failTask } from './sql/fail.ts';
import { enqueueDuePeriodic } from './sql/periodic.ts';
import { releaseTasks } from './sql/release.ts';

export interface TaskWorkerOptions {
  pool: Pool;
  /** For the LISTEN connection and the heartbeat thread's own connection. */
  connectionString: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  definitions: TaskDefinition<any>[];
  /** Queues to claim from; null for all. */
  queues?: string[] | null;
  concurrency: number;
  leaseSeconds: number;
  heartbeatSeconds: number;
  pollMilliseconds: number;
  log: Logger;
  /** Handed to every task as ctx.services (engine tests and benchmarks run without). */
  services?: TaskServices;
  metrics?: TaskMetrics;
  owner?: string;
}

interface Running {
  lease: Lease;
  queue: string;
  kind: string;
  claimedAt: number;
  controller: AbortController;
  completedInTransaction: boolean;
  /** Handed back at shutdown: whatever the task does after that must not complete it. */
  released: boolean;
}

/**
 * Claims tasks into leases and runs them, up to `concurrency` at once. Wake-ups come from
 * LISTEN/NOTIFY, with polling as the fallback; leases are kept by a heartbeat thread; every
 * write that ends an attempt is fenced on (id, attempt).
 */
export class TaskWorker {
  readonly owner: string;
  private readonly o: TaskWorkerOptions;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  private readonly definitions: Map<string, TaskDefinition<any>>;
  private readonly running = new Map<number, Running>();
  private stopping = false;
  private filling = false;
  private fillAgain = false;
  private fillScheduled = false;
  /** The claim in flight (a fill, or a completion flush that also claims); stop() waits for it. */
  private claiming: Promise<void> = Promise.resolve();
  private listener?: pg.Client;
  private heartbeat?: Thread;
  private lastHeartbeatOk = Date.now();
  private pollTimer?: NodeJS.Timeout;
  private completions: { lease: Lease; resolve: (ok: boolean) => void }[] = [];
  private idleWaiters: (() => void)[] = [];

  constructor(options: TaskWorkerOptions) {
    this.o = options;
    this.owner = options.owner ?? `${os.hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
    this.definitions = new Map(options.definitions.map((d) => [d.kind, d]));
  }

  get activeCount(): number {
    return this.running.size;
  }

  async start(): Promise<void> {
    this.startHeartbeat();
    await this.listen().catch((err) => this.o.log.warn({ err: String(err) }, 'LISTEN failed; polling only'));
    this.pollTimer = setInterval(() => void this.tick(), this.o.pollMilliseconds);
    this.pollTimer.unref();
    void this.tick();
  }

  /**
   * Stops claiming, lets running tasks finish for up to `graceMs`, then hands the remaining
   * leases back so other workers take them at once.
   */
  async stop(graceMs: number): Promise<{ released: number }> {
    this.stopping = true;
    clearInterval(this.pollTimer);
    await this.listener?.end().catch(() => {});
    // No claim starts from here on; tasks from one already in flight are drained like the rest.
    await this.claiming;
    if (this.running.size > 0) {
      await Promise.race([
        new Promise<void>((r) => this.idleWaiters.push(r)),
        new Promise<void>((r) => setTimeout(r, graceMs).unref()),
      ]);
    }
    const leftovers = [...this.running.values()];
    for (const r of leftovers) {
      r.released = true;
      r.controller.abort(new Error('worker shutting down'));
    }
    const released = await releaseTasks(this.o.pool, leftovers.map((r) => r.lease)).catch(() => 0);
    await this.stopHeartbeat();
    return { released };
  }

  private async tick(): Promise<void> {
    if (this.stopping) return;
    try {
      if ((await enqueueDuePeriodic(this.o.pool)) > 0) this.o.log.debug('periodic tasks enqueued');
    } catch (err) {
      this.o.log.warn({ err: String(err) }, 'periodic scheduling failed');
    }
    this.fill();
  }

  /**
   * Asks for a claim on the next event-loop turn, so that tasks finishing together (a batch of
   * completions resolves at once) free all their slots before one claim fills them.
   */
  private scheduleFill(): void {
    if (this.fillScheduled || this.stopping) return;
    this.fillScheduled = true;
    setImmediate(() => {
      this.fillScheduled = false;
      this.fill();
    });
  }

  /** Claims as many tasks as there are free slots; calls made while a claim runs are merged. */
  private fill(): void {
    if (this.stopping) return;
    if (this.filling) {
      this.fillAgain = true;
      return;
    }
    this.filling = true;
    this.claiming = (async () => {
      try {
        do {
          this.fillAgain = false;
          for (;;) {
            const free = this.o.concurrency - this.running.size;
            if (free <= 0 || this.stopping) break;
            const tasks = await claimTasks(this.o.pool, this.claimOptions(free));
            for (const t of tasks) this.run(t);
            if (tasks.length < free) break;
          }
        } while (this.fillAgain && !this.stopping);
      } catch (err) {
        this.o.log.warn({ err: String(err) }, 'claiming tasks failed');
      } finally {
        this.filling = false;
      }
    })();
  }

  private claimOptions(limit: number) {
    return { owner: this.owner, limit, leaseSeconds: this.o.leaseSeconds, queues: this.o.queues ?? null };
  }

  private run(task: ClaimedTask): void {
    const lease = { id: task.id, attempt: task.attempt };
    const entry: Running = {
      lease,
      queue: task.queue,
      kind: task.kind,
      claimedAt: Date.now(),
      controller: new AbortController(),
      completedInTransaction: false,
      released: false,
    };
    this.running.set(task.id, entry);
    this.o.metrics?.claimDelay.observe({ queue: task.queue }, task.claimDelaySeconds);
    const log = this.o.log.child({ task: task.id, kind: task.kind, attempt: task.attempt });
    void this.execute(task, entry, log).finally(() => {
      this.running.delete(task.id);
      if (this.running.size === 0) this.idleWaiters.splice(0).forEach((w) => w());
      this.scheduleFill();
    });
  }

  private async execute(task: ClaimedTask, entry: Running, log: Logger): Promise<void> {
    const { lease } = entry;
    const pool = this.o.pool;
    const services = this.o.services;
    const ctx: TaskContext = {
      id: task.id,
      kind: task.kind,
      attempt: task.attempt,
      checkpoint: task.checkpoint,
      signal: entry.controller.signal,
      log,
      pool,
      get services(): TaskServices {
        if (!services) throw new PermanentTaskError('this worker was started without runtime services');
        return services;
      },
      completeWith: (fn) =>
        withTransaction(pool, async (client) => {
          if (!(await lockLease(client, lease))) throw new LeaseLostError(`task ${task.id} attempt ${task.attempt} lost its lease`);
          const result = await fn(client);
          await completeTasks(client, [lease]);
          entry.completedInTransaction = true;
          return result;
        }),
      saveCheckpoint: async (data, client?: Queryable) => {
        if (!(await saveCheckpoint(client ?? pool, lease, data))) {
          throw new LeaseLostError(`task ${task.id} attempt ${task.attempt} lost its lease`);
        }
      },
    };
    let outcome = 'done';
    try {
      const definition = this.definitions.get(task.kind);
      if (!definition) throw new PermanentTaskError(`no handler for task kind "${task.kind}"`);
      let payload: unknown;
      try {
        payload = definition.parse ? definition.parse(task.payload) : task.payload;
      } catch (err) {
        throw new PermanentTaskError(`payload of ${task.kind} task does not parse: ${(err as Error).message}`);
      }
      await definition.run(payload, ctx);
      if (entry.released) outcome = 'released';
      else if (!entry.completedInTransaction && !(await this.complete(lease))) outcome = 'lost';
    } catch (err) {
      if (entry.released) {
        outcome = 'released';
      } else if (err instanceof LeaseLostError || entry.controller.signal.aborted) {
        outcome = 'lost';
      } else {
        const permanent = err instanceof PermanentTaskError;
        const message = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
        const state = await failTask(pool, lease, message, { permanent }).catch(() => null);
        outcome = state === 'dead' ? 'dead' : state === 'pending' ? 'retry' : 'lost';
        log.warn({ err: message, next: state }, 'task attempt failed');
      }
    }
    if (outcome === 'lost') log.warn('task attempt finished without its lease; its result was discarded');
    this.o.metrics?.finished.inc({ queue: task.queue, kind: task.kind, outcome });
  }

  /** Completions from concurrent tasks are flushed together, one statement per event-loop turn. */
  private complete(lease: Lease): Promise<boolean> {
    return new Promise((resolve) => {
      this.completions.push({ lease, resolve });
      if (this.completions.length === 1) setImmediate(() => void this.flushCompletions());
    });
  }

  /**
   * One statement per batch. When the batch frees slots that would be refilled anyway, the same
   * statement claims their successors: with one task in flight, a task then costs one commit
   * (the round trip and WAL flush that dominate at concurrency 1), not a completion and a claim.
   */
  private async flushCompletions(): Promise<void> {
    const batch = this.completions.splice(0);
    const leases = batch.map((b) => b.lease);
    // The batch's tasks have finished; their entries leave `running` once they are resolved.
    const free = this.o.concurrency - this.running.size + batch.length;
    if (this.stopping || this.filling || free <= 0) {
      try {
        const done = await completeTasks(this.o.pool, leases);
        for (const b of batch) b.resolve(done.has(b.lease.id));
      } catch (err) {
        this.completionFailed(batch, err);
      }
      return;
    }
    // Holding `filling` keeps fill() from claiming the same free slots meanwhile.
    this.filling = true;
    this.fillAgain = false;
    this.claiming = (async () => {
      try {
        const { completed, claimed } = await completeAndClaim(this.o.pool, leases, this.claimOptions(free));
        for (const b of batch) b.resolve(completed.has(b.lease.id));
        for (const t of claimed) this.run(t);
      } catch (err) {
        this.completionFailed(batch, err);
      } finally {
        this.filling = false;
        // A fill asked for meanwhile runs after the batch's slots are released.
        if (this.fillAgain) this.scheduleFill();
      }
    })();
    await this.claiming;
  }

  private completionFailed(batch: { resolve: (ok: boolean) => void }[], err: unknown): void {
    // The leases run out and the tasks are retried: at-least-once, never lost.
    this.o.log.warn({ err: String(err) }, 'completing tasks failed');
    for (const b of batch) b.resolve(false);
  }

  private startHeartbeat(): void {
    const thread = new Thread(new URL('./heartbeat-thread.js', import.meta.url), {
      workerData: {
        connectionString: this.o.connectionString,
        owner: this.owner,
        leaseSeconds: this.o.leaseSeconds,
        heartbeatMs: this.o.heartbeatSeconds * 1000,
      },
    });
    thread.unref();
    thread.on('message', (msg: { type: string; startedAt: number; leases?: [number, number][]; message?: string }) => {
      if (msg.type === 'held') this.onLeasesHeld(msg.startedAt, msg.leases ?? []);
      else if (msg.type === 'error') this.onHeartbeatError(msg.message ?? '');
    });
    thread.on('error', (err) => this.o.log.error({ err: String(err) }, 'heartbeat thread failed'));
    this.heartbeat = thread;
  }

  private async stopHeartbeat(): Promise<void> {
    const thread = this.heartbeat;
    if (!thread) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => void thread.terminate().then(() => resolve()), 2000);
      thread.on('message', (m: { type: string }) => {
        if (m.type === 'stopped') {
          clearTimeout(timer);
          void thread.terminate().then(() => resolve());
        }
      });
      thread.postMessage('stop');
    });
  }

  /** A running task that the heartbeat did not extend has lost its lease (or was cancelled). */
  private onLeasesHeld(startedAt: number, leases: [number, number][]): void {
    this.lastHeartbeatOk = Date.now();
    const held = new Set(leases.map(([id, attempt]) => `${id}:${attempt}`));
    for (const r of this.running.values()) {
      if (r.claimedAt < startedAt && !held.has(`${r.lease.id}:${r.lease.attempt}`) && !r.controller.signal.aborted) {
        r.controller.abort(new LeaseLostError(`task ${r.lease.id} lost its lease or was cancelled`));
      }
    }
  }

  private onHeartbeatError(message: string): void {
    this.o.log.warn({ err: message }, 'lease heartbeat failed');
    if (Date.now() - this.lastHeartbeatOk > this.o.leaseSeconds * 1000) {
      for (const r of this.running.values()) r.controller.abort(new LeaseLostError('leases expired: heartbeat failing'));
    }
  }

  private async listen(): Promise<void> {
    const client = new pg.Client({ connectionString: this.o.connectionString });
    client.on('error', () => {});
    client.on('end', () => {
      if (this.stopping) return;
      // Polling covers the gap; try to get notifications back a little later.
      setTimeout(() => void this.listen().catch(() => {}), 2000).unref();
    });
    client.on('notification', (n) => {
      const queues = this.o.queues;
      if (!queues || (n.payload && queues.includes(n.payload))) this.scheduleFill();
    });
    await client.connect();
    await client.query('LISTEN nebula_tasks');
    this.listener = client;
  }
}
