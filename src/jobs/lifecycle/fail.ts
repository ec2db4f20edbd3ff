import type { Queryable } from '../../db/pool.ts';
import { setOutputDatasetsState } from './queries.ts';
import { enqueueJobTask } from './requeue.ts';
import { enqueueAttemptSweep } from './sweep.ts';

/**
 * Ends a job in error (fenced on its attempt and expected state): outputs error, jobs waiting
 * on those outputs are scheduled so they get paused, and the objects of its earlier attempts
 * are swept after `sweepDelaySeconds`.
 */
export async function failJob(
  db: Queryable,
  jobId: number,
  attempt: number,
  message: string,
  fromState: string,
  sweepDelaySeconds: number,
): Promise<boolean> {
  const { rowCount } = await db.query(
    `UPDATE jobs SET state = 'error', info = $4, finished_at = now(), update_time = now()
      WHERE id = $1 AND attempt = $2 AND state = $3`,
    [jobId, attempt, fromState, message.slice(0, 8000)],
  );
  if (rowCount !== 1) return false;
  await setOutputDatasetsState(db, jobId, 'error');
  await db.query(
    `UPDATE hdas h SET info = $2, update_time = now() FROM job_outputs o WHERE o.job_id = $1 AND h.id = o.hda_id`,
    [jobId, message.slice(0, 8000)],
  );
  await wakeDependents(db, jobId);
  await enqueueAttemptSweep(db, { id: jobId, attempt }, sweepDelaySeconds);
  return true;
}

/** Schedules the jobs waiting on this job's outputs (they run, or are paused if it failed). */
export async function wakeDependents(db: Queryable, jobId: number): Promise<void> {
  // Through the datasets, as waitingJobsReading: another HDA of the same dataset (a copy) counts.
  const { rows } = await db.query<{ id: number; cores: number; memory_mb: number }>(
    `SELECT DISTINCT j.id, j.cores, j.memory_mb FROM job_outputs o JOIN hdas out ON out.id = o.hda_id
       JOIN hdas h ON h.dataset_id = out.dataset_id JOIN job_inputs i ON i.hda_id = h.id JOIN jobs j ON j.id = i.job_id
      WHERE o.job_id = $1 AND j.state = 'new'`,
    [jobId],
  );
  for (const dependent of rows) await enqueueJobTask(db, 'job.schedule', dependent);
}
