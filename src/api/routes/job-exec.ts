/**
 * The executor's endpoints: GET spec, POST report, POST heartbeat under /api/jobs/{id}. No API
 * key: the executor presents the job-scoped token of its attempt in `x-nebula-job-token`. A
 * token of another attempt is valid but stale: 409, and the executor must stop. Reports are
 * stored and job.finish enqueued in one transaction; posting the same attempt twice is harmless.
 */
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import { withTransaction, type Queryable } from '../../db/pool.ts';
import type { JobReport } from '../../jobs/interfaces.ts';
import { destinationById } from '../../jobs/lifecycle/destination.ts';
import { getJob, type JobRow } from '../../jobs/lifecycle/queries.ts';
import { enqueueJobTask } from '../../jobs/lifecycle/requeue.ts';
import { buildJobSpec } from '../../jobs/lifecycle/spec.ts';
import { jobToken, tokenMatches, hashToken } from '../../jobs/lifecycle/token.ts';
import { ApiError, badRequest, conflict, notFound } from '../errors.ts';
import type { RoutePlugin } from '../server.ts';
import type { IdCodec } from '../../util/ids.ts';
import { decodeJobId } from './jobs/common.ts';

const IdParams = Type.Object({ id: Type.String() });
type IdParams = Static<typeof IdParams>;
const AttemptQuery = Type.Object({ attempt: Type.Integer({ minimum: 1 }) });

const ReportedOutput = Type.Object({
  name: Type.String(),
  objectKey: Type.String(),
  size: Type.Number({ minimum: 0 }),
  ext: Type.String(),
  state: Type.Union([Type.Literal('ok'), Type.Literal('empty')]),
  metadata: Type.Record(Type.String(), Type.Unknown()),
  peek: Type.String(),
  blurb: Type.String(),
});
const ReportBody = Type.Object(
  {
    attempt: Type.Integer({ minimum: 1 }),
    state: Type.Union([Type.Literal('ok'), Type.Literal('error')]),
    exitCode: Type.Union([Type.Integer(), Type.Null()]),
    signal: Type.Union([Type.String(), Type.Null()]),
    commandLine: Type.String(),
    stdout: Type.String(),
    stderr: Type.String(),
    messages: Type.Array(Type.String()),
    outputs: Type.Array(ReportedOutput),
    discovered: Type.Array(
      Type.Intersect([ReportedOutput, Type.Object({ parent: Type.String(), designation: Type.String() })]),
    ),
    metrics: Type.Record(Type.String(), Type.Unknown()),
  },
  { additionalProperties: true },
);

const forbiddenToken = () => new ApiError(403, 'Job token missing or not valid for this job and attempt', 403005);

/**
 * The job, if the presented token belongs to (job, attempt). Tokens derive from (job, attempt),
 * so the executor of an older attempt is recognised (and told 409), not mistaken for a stranger.
 */
async function authorisedJob(
  db: Queryable,
  ids: IdCodec,
  request: FastifyRequest,
  encodedId: string,
  attempt: number,
  forUpdate = false,
): Promise<JobRow> {
  const token = request.headers['x-nebula-job-token'];
  if (typeof token !== 'string' || !token) throw forbiddenToken();
  const job = await getJob(db, decodeJobId(ids, encodedId), { forUpdate });
  if (!job) throw notFound('Job not found');
  if (attempt < 1 || attempt > job.attempt) throw forbiddenToken();
  // The current attempt's token hash is on the row (set with the attempt): no secret to read.
  const expected = attempt === job.attempt && job.token_hash ? job.token_hash : hashToken(await jobToken(db, job.uuid, attempt));
  if (!tokenMatches(token, expected)) throw forbiddenToken();
  if (attempt !== job.attempt) throw conflict(`Attempt ${attempt} of this job was superseded by attempt ${job.attempt}; stop`);
  return job;
}

const LIVE = new Set(['queued', 'running']);

export const jobExecRoutes: RoutePlugin = (app, ctx) => {
  const exec = { auth: 'none' as const };

  app.get(
    '/api/jobs/:id/spec',
    { config: exec, schema: { params: IdParams, querystring: AttemptQuery, tags: ['job-exec'], summary: 'The job spec for an executor' } },
    async (request) => {
      const { attempt } = request.query as Static<typeof AttemptQuery>;
      const job = await authorisedJob(ctx.pool, ctx.ids, request, (request.params as IdParams).id, attempt);
      if (!LIVE.has(job.state)) throw conflict(`Job is ${job.state}; stop`);
      return buildJobSpec(ctx.pool, ctx.ids, job, destinationById(ctx.config.jobs, job.destination));
    },
  );

  app.post(
    '/api/jobs/:id/heartbeat',
    { config: exec, schema: { params: IdParams, querystring: AttemptQuery, tags: ['job-exec'], summary: 'Executor heartbeat' } },
    async (request) => {
      const { attempt } = request.query as Static<typeof AttemptQuery>;
      const job = await authorisedJob(ctx.pool, ctx.ids, request, (request.params as IdParams).id, attempt);
      if (!LIVE.has(job.state)) throw conflict(`Job is ${job.state}; stop`);
      await ctx.pool.query('UPDATE jobs SET heartbeat_at = now() WHERE id = $1 AND attempt = $2', [job.id, attempt]);
      return { ok: true, state: job.state };
    },
  );

  app.post(
    '/api/jobs/:id/report',
    { config: exec, schema: { params: IdParams, body: ReportBody, tags: ['job-exec'], summary: 'An executor reports an attempt' } },
    async (request) => {
      const report = request.body as JobReport;
      if (!Number.isInteger(report.attempt)) throw badRequest('attempt must be an integer');
      return withTransaction(ctx.pool, async (client) => {
        const job = await authorisedJob(client, ctx.ids, request, (request.params as IdParams).id, report.attempt, true);
        const { rowCount } = await client.query(
          'INSERT INTO job_reports (job_id, attempt, report) VALUES ($1, $2, $3) ON CONFLICT (job_id, attempt) DO NOTHING',
          [job.id, report.attempt, JSON.stringify(report)],
        );
        if (rowCount === 0) return { accepted: true, duplicate: true };
        if (!LIVE.has(job.state)) throw conflict(`Job is ${job.state}; the report is not needed`);
        await enqueueJobTask(client, 'job.finish', job, { payload: { attempt: report.attempt }, uniqueSuffix: `:${report.attempt}` });
        return { accepted: true, duplicate: false };
      });
    },
  );
};
