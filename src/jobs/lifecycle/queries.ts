/** Reading and changing job rows: the verbs the lifecycle tasks and the jobs API share. */
import type { Queryable } from '../../db/pool.ts';
import type { JobState } from '../interfaces.ts';

export interface JobRow {
  id: number;
  uuid: string;
  user_id: number;
  history_id: number | null;
  tool_id: string;
  tool_version: string;
  state: JobState;
  params: Record<string, unknown>;
  command_line: string | null;
  stdout: string | null;
  stderr: string | null;
  exit_code: number | null;
  info: string | null;
  attempt: number;
  max_attempts: number;
  destination: string | null;
  runner: string | null;
  external_id: string | null;
  token_hash: string | null;
  tool_bundle_key: string | null;
  tool_path: string | null;
  tool_state: Record<string, unknown> | null;
  cores: number;
  memory_mb: number;
  walltime_seconds: number;
  container_image: string | null;
  container_digest: string | null;
  /** Data table rows chosen by the tool's selects (src/datatables/job-rows.ts). */
  data_table_rows?: Record<string, { columns: string[]; rows: string[][] }> | null;
  heartbeat_at: Date | null;
  queued_at: Date | null;
  started_at: Date | null;
  finished_at: Date | null;
  metrics: Record<string, unknown>;
  paused_reason: string | null;
  rerun_of_job_id: number | null;
  create_time: Date;
  update_time: Date;
}

export async function getJob(db: Queryable, id: number, opts: { forUpdate?: boolean } = {}): Promise<JobRow | null> {
  const { rows } = await db.query<JobRow>(`SELECT * FROM jobs WHERE id = $1${opts.forUpdate ? ' FOR UPDATE' : ''}`, [id]);
  return rows[0] ?? null;
}

/** Sets the state of every dataset a job writes (through its output HDAs). */
export async function setOutputDatasetsState(db: Queryable, jobId: number, state: string, onlyFrom?: string[]): Promise<void> {
  await db.query(
    `UPDATE datasets d SET state = $2, update_time = now()
       FROM job_outputs o JOIN hdas h ON h.id = o.hda_id
      WHERE o.job_id = $1 AND d.id = h.dataset_id AND ($3::text[] IS NULL OR d.state = ANY($3))`,
    [jobId, state, onlyFrom ?? null],
  );
}

export interface JobInputRow {
  name: string;
  hda_id: number;
  dataset_id: number;
  state: string;
  deleted: boolean;
  purged: boolean;
  hid: number;
}

export async function jobInputs(db: Queryable, jobId: number): Promise<JobInputRow[]> {
  const { rows } = await db.query<JobInputRow>(
    `SELECT i.name, i.hda_id, h.dataset_id, d.state, h.deleted, (h.purged OR d.purged) AS purged, h.hid
       FROM job_inputs i JOIN hdas h ON h.id = i.hda_id JOIN datasets d ON d.id = h.dataset_id
      WHERE i.job_id = $1 ORDER BY i.name, h.hid`,
    [jobId],
  );
  return rows;
}

/** Jobs in state new that read any of these datasets: the ones to re-check when those finish. */
export async function waitingJobsReading(db: Queryable, datasetIds: number[]): Promise<Array<{ id: number; cores: number; memory_mb: number }>> {
  if (datasetIds.length === 0) return [];
  const { rows } = await db.query<{ id: number; cores: number; memory_mb: number }>(
    `SELECT DISTINCT j.id, j.cores, j.memory_mb FROM jobs j
       JOIN job_inputs i ON i.job_id = j.id JOIN hdas h ON h.id = i.hda_id
      WHERE h.dataset_id = ANY($1) AND j.state = 'new'`,
    [datasetIds],
  );
  return rows;
}

export async function jobLockActive(db: Queryable): Promise<boolean> {
  const { rows } = await db.query<{ value: string }>(`SELECT value FROM nebula_settings WHERE name = 'job_lock'`);
  return rows[0]?.value === 'true';
}

export async function setJobLock(db: Queryable, active: boolean): Promise<void> {
  await db.query(
    `INSERT INTO nebula_settings (name, value) VALUES ('job_lock', $1) ON CONFLICT (name) DO UPDATE SET value = EXCLUDED.value`,
    [String(active)],
  );
}
