import type { FastifyRequest } from 'fastify';
import type { Queryable } from '../../../db/pool.ts';
import { getJob, type JobRow } from '../../../jobs/lifecycle/queries.ts';
import { JobRequestError } from '../../../jobs/lifecycle/errors.ts';
import type { User } from '../../../model/users.ts';
import type { IdCodec } from '../../../util/ids.ts';
import { currentUser } from '../../auth.ts';
import { ApiError, badRequest, notFound } from '../../errors.ts';
import type { JobAssociation } from '../../serializers/job.ts';

export function decodeJobId(ids: IdCodec, encoded: string): number {
  const id = ids.decode(encoded);
  if (id === null) throw badRequest(`Invalid job id: ${JSON.stringify(encoded.slice(0, 40))}`);
  return id;
}

/** A job the caller owns (or any job, for an admin). Other users' jobs do not exist for them. */
export async function ownedJob(db: Queryable, ids: IdCodec, request: FastifyRequest, encoded: string): Promise<{ job: JobRow; user: User }> {
  const user = currentUser(request);
  const job = await getJob(db, decodeJobId(ids, encoded));
  if (!job || (job.user_id !== user.id && !user.is_admin)) throw notFound(`Job ${encoded.slice(0, 40)} not found`);
  return { job, user };
}

export async function jobAssociations(db: Queryable, jobId: number, table: 'job_inputs' | 'job_outputs'): Promise<JobAssociation[]> {
  const { rows } = await db.query<{ name: string; hda_id: number; uuid: string }>(
    `SELECT a.name, a.hda_id, d.uuid FROM ${table} a JOIN hdas h ON h.id = a.hda_id JOIN datasets d ON d.id = h.dataset_id
      WHERE a.job_id = $1 ORDER BY a.name, a.hda_id`,
    [jobId],
  );
  return rows.map((r) => ({ name: r.name, hdaId: r.hda_id, uuid: r.uuid }));
}

/** Galaxy's `[{name, dataset: {src: 'hda', id}}]` list of a job's inputs or outputs. */
export function dictifyAssociations(ids: IdCodec, list: JobAssociation[]) {
  return list.map((a) => ({ name: a.name, dataset: { src: 'hda', id: ids.encode(a.hdaId) } }));
}

export function asApiError(err: unknown): unknown {
  if (err instanceof JobRequestError) return new ApiError(err.status, err.message);
  return err;
}

/** Galaxy accepts True/true/1 and False/false/0. */
export function queryBool(value: unknown, fallback = false): boolean {
  if (value === undefined || value === null || value === '') return fallback;
  if (typeof value === 'boolean') return value;
  return ['true', '1', 'yes'].includes(String(value).toLowerCase());
}
