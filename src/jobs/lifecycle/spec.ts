/**
 * The JobSpec an executor fetches for the current attempt: everything it needs to stage, run and
 * report, with object keys only (no paths, no database access on the compute side).
 */
import type { Queryable } from '../../db/pool.ts';
import { jobDiscoveredPrefix, jobOutputKey } from '../../objectstore/keys.ts';
import type { ToolState } from '../../tools/parameters/values.ts';
import type { IdCodec } from '../../util/ids.ts';
import type { DestinationConfig, JobSpec, SpecInput, SpecOutput } from '../interfaces.ts';
import type { JobRow } from './queries.ts';

export interface OutputSlot {
  name: string;
  index: number;
  hdaId: number;
  datasetId: number;
  extension: string;
}

/** A job's outputs in a stable order (by name): the index is part of each output's object key. */
export async function outputSlots(db: Queryable, jobId: number): Promise<OutputSlot[]> {
  const { rows } = await db.query<Omit<OutputSlot, 'index'>>(
    `SELECT o.name, o.hda_id AS "hdaId", h.dataset_id AS "datasetId", h.extension
       FROM job_outputs o JOIN hdas h ON h.id = o.hda_id WHERE o.job_id = $1 ORDER BY o.name`,
    [jobId],
  );
  return rows.map((r, index) => ({ ...r, index }));
}

export async function buildJobSpec(db: Queryable, ids: IdCodec, job: JobRow, destination?: DestinationConfig): Promise<JobSpec> {
  const { rows: inputs } = await db.query<{ hda_id: number; object_key: string | null; file_size: string | null; extension: string; name: string; metadata: Record<string, unknown> }>(
    `SELECT DISTINCT ON (i.hda_id) i.hda_id, d.object_key, d.file_size, h.extension, h.name, h.metadata
       FROM job_inputs i JOIN hdas h ON h.id = i.hda_id JOIN datasets d ON d.id = h.dataset_id
      WHERE i.job_id = $1 ORDER BY i.hda_id`,
    [job.id],
  );
  const { rows: users } = await db.query<{ email: string }>('SELECT email FROM users WHERE id = $1', [job.user_id]);
  const specInputs: SpecInput[] = inputs.map((i) => ({
    id: ids.encode(i.hda_id),
    objectKey: i.object_key ?? '',
    size: Number(i.file_size ?? 0),
    ext: i.extension,
    name: i.name,
  }));
  const slots = await outputSlots(db, job.id);
  const outputs: SpecOutput[] = slots.map((s) => ({
    name: s.name,
    objectKey: jobOutputKey(job.uuid, job.attempt, s.index),
    format: s.extension,
  }));
  const engine = (destination?.params.engine as 'podman' | 'docker' | 'apptainer' | undefined) ?? 'podman';
  return {
    jobId: ids.encode(job.id),
    jobUuid: job.uuid,
    attempt: job.attempt,
    tool: { id: job.tool_id, version: job.tool_version, bundleKey: job.tool_bundle_key ?? '', toolPath: job.tool_path ?? '' },
    toolState: (job.tool_state ?? {}) as ToolState,
    inputs: specInputs,
    outputs,
    discoveredPrefix: jobDiscoveredPrefix(job.uuid, job.attempt),
    resources: { cores: job.cores, memoryMb: job.memory_mb, walltimeSeconds: job.walltime_seconds },
    user: { id: ids.encode(job.user_id), email: users[0]?.email ?? '' },
    ...(job.history_id !== null ? { historyId: ids.encode(job.history_id) } : {}),
    ...(job.data_table_rows ? { dataTables: job.data_table_rows } : {}),
    // Only a pinned image (host/repository@sha256:…, recorded by job.schedule for container
    // destinations) is ever run; a tag recorded at creation is not, since tags move.
    ...(job.container_digest ? { container: { image: job.container_digest, engine, network: false } } : {}),
  };
}
