import type { Queryable } from '../db/pool.ts';
import { createHdas, type Hda } from '../model/datasets.ts';
import { enqueue } from '../tasks/index.ts';
import { UPLOAD_MAX_ATTEMPTS, UPLOAD_TASK_KIND, type UploadRequestItem, type UploadTaskPayload } from './items.ts';

export interface UploadJob {
  id: number;
  tool_id: string;
  state: string;
  create_time: Date;
  update_time: Date;
  history_id: number;
}

/**
 * Creates, in the caller's transaction, everything an upload is: the job row, one queued HDA per
 * item, the job's outputs and the task that will fill them. Nothing here touches bytes.
 */
export async function createUploadJob(
  db: Queryable,
  request: { userId: number; historyId: number; toolId: string; params: unknown; items: UploadRequestItem[] },
): Promise<{ job: UploadJob; hdas: Hda[] }> {
  const { rows } = await db.query<UploadJob>(
    `INSERT INTO jobs (user_id, history_id, tool_id, state, params) VALUES ($1, $2, $3, 'queued', $4)
     RETURNING id, tool_id, state, create_time, update_time, history_id`,
    [request.userId, request.historyId, request.toolId, JSON.stringify(request.params ?? {})],
  );
  const job = rows[0];
  const hdas = await createHdas(
    db,
    request.historyId,
    request.items.map((item) => ({
      name: item.name,
      dbkey: item.dbkey,
      extension: item.ext === 'auto' ? 'data' : item.ext,
      state: 'queued',
      visible: item.visible ?? true,
      creatingJobId: job.id,
    })),
  );
  await db.query(
    `INSERT INTO job_outputs (job_id, name, hda_id) SELECT $1, 'output' || (o - 1), h
       FROM unnest($2::bigint[]) WITH ORDINALITY AS t(h, o)`,
    [job.id, hdas.map((h) => h.id)],
  );
  const payload: UploadTaskPayload = {
    jobId: job.id,
    items: request.items.map((item, i) => ({
      hdaId: hdas[i].id,
      datasetId: hdas[i].dataset_id,
      objectKey: hdas[i].object_key!,
      source: item.source,
      ext: item.ext,
      toPosixLines: item.toPosixLines,
      spaceToTab: item.spaceToTab,
      autoDecompress: item.autoDecompress,
    })),
  };
  await enqueue(db, { kind: UPLOAD_TASK_KIND, payload, queue: 'default', maxAttempts: UPLOAD_MAX_ATTEMPTS, uniqueKey: `upload-job-${job.id}` });
  return { job, hdas };
}
