/**
 * What the task benchmark needs from a queue library. Each engine gets its own database; a
 * "run" is a label (queue or task name) that keeps one measurement's tasks apart from another's.
 */
export type EngineName = 'nebula' | 'pgboss' | 'pgboss_batched' | 'graphile';

export interface RunningWorkers {
  stop(): Promise<void>;
}

export interface BenchEngine {
  readonly name: EngineName;
  /** The settings used, for the report. */
  describe(concurrency: number): string;
  /** Installs the engine's schema in its database. */
  setup(): Promise<void>;
  /** Whatever must exist before tasks of `run` can be enqueued (pg-boss needs a queue). */
  prepareRun(run: string): Promise<void>;
  /** Adds n no-op tasks in bulk, with the engine's own bulk API. */
  enqueueNoops(run: string, n: number): Promise<void>;
  /**
   * Adds one task inside a transaction and calls beforeCommit() right before COMMIT, so that
   * pickup latency is measured from the moment the task becomes visible.
   */
  enqueueOneInTransaction(run: string, payload: { seq: number }, beforeCommit: () => void): Promise<void>;
  /** Starts workers for `run`'s tasks with `concurrency` handlers at once; onTask runs in each handler. */
  startWorkers(run: string, concurrency: number, onTask: (payload: unknown) => void): Promise<RunningWorkers>;
  /** Tasks of `run` not yet recorded as completed in the database. */
  remaining(run: string): Promise<number>;
  /** Removes `run`'s tasks so the next measurement starts from an empty table. */
  finishRun(run: string): Promise<void>;
  close(): Promise<void>;
}
