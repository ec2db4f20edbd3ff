/**
 * The vocabulary shared by the job lifecycle (server side), the runners and the executor
 * (`nebula job-exec`, the only part that runs where the tool runs). The executor talks to the
 * server only through these two documents: it GETs a JobSpec and POSTs a JobReport, both
 * authorised by a job-scoped token and fenced by the attempt number.
 */
import type { ToolState } from '../tools/parameters/values.ts';

export type JobState = 'new' | 'queued' | 'running' | 'ok' | 'error' | 'paused' | 'deleting' | 'deleted';
export const TERMINAL_JOB_STATES: JobState[] = ['ok', 'error', 'deleted'];

/** A dataset the executor must stage: where its bytes are, and what the wrappers show. */
export interface SpecInput {
  /** The DatasetValue id used in `toolState` (the encoded HDA id). */
  id: string;
  objectKey: string;
  size: number;
  ext: string;
  name: string;
  /** Object keys of index files kept as metadata (e.g. `bam_index`), staged beside the input. */
  metadataFiles?: Record<string, string>;
}

export interface SpecOutput {
  name: string;
  /** Where the executor must put the bytes: attempt-scoped, so two attempts never collide. */
  objectKey: string;
  /** Declared format; `auto` / `input` resolved by the executor from format_source. */
  format: string;
  fromWorkDir?: string;
}

export interface JobSpec {
  jobId: string;
  jobUuid: string;
  attempt: number;
  tool: { id: string; version: string; bundleKey: string; toolPath: string };
  toolState: ToolState;
  inputs: SpecInput[];
  outputs: SpecOutput[];
  /** Object-key prefix for discovered outputs of this attempt. */
  discoveredPrefix: string;
  resources: { cores: number; memoryMb: number; walltimeSeconds: number };
  user: { id: string; email: string };
  historyId?: string;
  /** Data table rows the tool's selects chose (table → columns, rows); `bundle:` paths are staged. */
  dataTables?: Record<string, { columns: string[]; rows: string[][] }>;
  /** Pinned by digest when a container is used. */
  container?: { image: string; engine: 'podman' | 'docker' | 'apptainer'; network: boolean };
}

export interface ReportedOutput {
  name: string;
  objectKey: string;
  size: number;
  ext: string;
  state: 'ok' | 'empty';
  metadata: Record<string, unknown>;
  peek: string;
  blurb: string;
  /** Data manager jobs: the output's extra files, stored as a reference bundle (src/datatables). */
  extraFiles?: { sha256: string; files: string[]; root: string };
}

/** A primary dataset or collection element found by `<discover_datasets>`. */
export interface DiscoveredOutput extends ReportedOutput {
  /** The `<data>` or `<collection>` output it belongs to. */
  parent: string;
  designation: string;
  /** From the pattern's `visible` group or the element's `visible` attribute (Galaxy: hidden by default). */
  visible?: boolean;
  dbkey?: string;
  /** `identifier_0`, `identifier_1`... groups: the element's place in a nested collection. */
  identifiers?: string[];
}

export interface JobReport {
  attempt: number;
  state: 'ok' | 'error';
  exitCode: number | null;
  signal: string | null;
  commandLine: string;
  stdout: string;
  stderr: string;
  /** Why the job failed (stdio rule, timeout, missing output, staging failure...). */
  messages: string[];
  outputs: ReportedOutput[];
  discovered: DiscoveredOutput[];
  metrics: { startedAt: string; finishedAt: string; runtimeSeconds: number; stagingSeconds: number };
}

/** What a runner needs to start one attempt. */
export interface SubmitRequest {
  jobId: number;
  attempt: number;
  /** Deterministic per (job, attempt): how a runner finds an attempt again after a crash. */
  name: string;
  /** argv of the executor, e.g. ['node', '/app/bin/nebula.js', 'job-exec']. */
  executorCommand: string[];
  /** Environment for the executor: server URL, job id, attempt and token, object store settings. */
  environment: Record<string, string>;
  resources: { cores: number; memoryMb: number; walltimeSeconds: number };
  destination: DestinationConfig;
}

export type AttemptStatus =
  | { state: 'queued' | 'running' }
  /** The attempt ended; the report (if any) is in job_reports. */
  | { state: 'exited'; exitCode?: number | null; reason?: string }
  /** The runner knows nothing of it (never started, already cleaned up, or its host process died). */
  | {
      state: 'gone';
      reason?: string;
      /**
       * The attempt died with the process that hosted it (an in-process executor's worker was
       * killed), not through anything the job did: the lifecycle does not count it against the
       * job's max_attempts (up to a bound, see job.monitor).
       */
      hostLost?: boolean;
    };

/**
 * A runner plugin. The core never names a runner: it looks one up by the destination's
 * `runner` field. Every method must be safe to call from any worker, at any time, repeatedly.
 */
export interface JobRunner {
  readonly name: string;
  /** Finds an attempt already submitted under `request.name`, or submits it; never twice. */
  submit(request: SubmitRequest): Promise<{ externalId: string }>;
  status(externalId: string, destination: DestinationConfig): Promise<AttemptStatus>;
  /** Kills the real process, container, Slurm job or Kubernetes Job. Idempotent. */
  cancel(externalId: string, destination: DestinationConfig): Promise<void>;
}

export interface DestinationConfig {
  id: string;
  runner: string;
  /** Runner-specific settings (partition, namespace, concurrency, container engine...). */
  params: Record<string, unknown>;
}
