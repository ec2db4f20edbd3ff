import type { Config } from '../config/schema.ts';
import type { Pool, PoolClient, Queryable } from '../db/pool.ts';
import type { ObjectStore } from '../objectstore/types.ts';
import type { IdCodec } from '../util/ids.ts';
import type { Logger } from '../util/log.ts';

/**
 * The process's services, built once by the runtime and handed to every task, so that task
 * code never loads configuration or opens stores of its own.
 */
export interface TaskServices {
  config: Config;
  store: ObjectStore;
  ids: IdCodec;
}

/** The demand a task puts on the cluster; summed per queue into the autoscaling gauges. */
export interface TaskWeight {
  cores?: number;
  memoryMb?: number;
  seconds?: number;
}

export interface EnqueueOptions {
  queue?: string;
  priority?: number;
  /** Run no earlier than this. */
  runAt?: Date;
  delaySeconds?: number;
  /** At most one live (pending or running) task holds a given key; later enqueues are no-ops. */
  uniqueKey?: string;
  maxAttempts?: number;
  /** The lease stops being extended after this long, so a stuck task is retried elsewhere. */
  timeoutSeconds?: number;
  weight?: TaskWeight;
}

export interface TaskSpec extends EnqueueOptions {
  kind: string;
  payload?: unknown;
}

export type TaskState = 'pending' | 'running' | 'done' | 'dead' | 'cancelled';

export interface TaskRow {
  id: number;
  queue: string;
  kind: string;
  payload: unknown;
  state: TaskState;
  attempt: number;
  max_attempts: number;
  checkpoint: unknown;
  last_error: string | null;
  lease_owner: string | null;
  run_at: Date;
  created_at: Date;
  finished_at: Date | null;
}

/** A task as a worker holds it: (id, attempt) is the fencing token for everything it writes. */
export interface ClaimedTask {
  id: number;
  queue: string;
  kind: string;
  payload: unknown;
  attempt: number;
  maxAttempts: number;
  checkpoint: unknown;
  /** Seconds between the task becoming claimable and this claim. */
  claimDelaySeconds: number;
}

export interface TaskContext {
  readonly id: number;
  readonly kind: string;
  readonly attempt: number;
  /** What an earlier attempt saved with saveCheckpoint, or null. */
  readonly checkpoint: unknown;
  /** Aborted when the lease is lost, the task is cancelled, or the worker shuts down hard. */
  readonly signal: AbortSignal;
  readonly log: Logger;
  readonly pool: Pool;
  readonly services: TaskServices;
  /**
   * Runs fn and the task's completion in one transaction fenced on (id, attempt): either the
   * side effects and the completion both commit, or neither does (LeaseLostError).
   */
  completeWith<T>(fn: (client: PoolClient) => Promise<T>): Promise<T>;
  /** Saves progress for the next attempt; fenced like completion. */
  saveCheckpoint(data: unknown, client?: Queryable): Promise<void>;
}

export interface TaskDefinition<P = unknown> {
  kind: string;
  /** Validates the stored payload; a throw sends the task straight to dead-letter. */
  parse?: (payload: unknown) => P;
  run: (payload: P, ctx: TaskContext) => Promise<void>;
}

/** Thrown by task code for a failure that retrying cannot fix: the task goes to dead-letter. */
export class PermanentTaskError extends Error {
  override name = 'PermanentTaskError';
}

/** The worker no longer holds this attempt's lease; whatever it was doing must not commit. */
export class LeaseLostError extends Error {
  override name = 'LeaseLostError';
}
