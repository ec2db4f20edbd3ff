/** Changing jobs: cancel, resume, error report, search, and the admin job lock. */
import { Type, type Static } from '@sinclair/typebox';
import { withTransaction } from '../../../db/pool.ts';
import { requestCancel } from '../../../jobs/lifecycle/cancel.ts';
import { getJob, jobLockActive, setJobLock, setOutputDatasetsState, type JobRow } from '../../../jobs/lifecycle/queries.ts';
import { enqueueJobTask } from '../../../jobs/lifecycle/requeue.ts';
import { InputResolver } from '../../../jobs/lifecycle/resolve.ts';
import { loadRegisteredTool, ToolNotFoundError } from '../../../toolstore/index.ts';
import { ToolParameterError } from '../../../tools/errors.ts';
import { buildToolState } from '../../../tools/parameters/state.ts';
import { currentUser } from '../../auth.ts';
import { badRequest } from '../../errors.ts';
import { serializeJobSummary } from '../../serializers/job.ts';
import type { RoutePlugin } from '../../server.ts';
import { loadHda } from '../datasets/access.ts';
import { asApiError, dictifyAssociations, jobAssociations, ownedJob } from './common.ts';

const IdParams = Type.Object({ id: Type.String() });
type IdParams = Static<typeof IdParams>;
const SearchBody = Type.Object({
  tool_id: Type.String({ minLength: 1 }),
  inputs: Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.String()]),
  state: Type.Optional(Type.String()),
});
const ErrorBody = Type.Object({
  dataset_id: Type.String(),
  message: Type.Optional(Type.String()),
  email: Type.Optional(Type.String()),
});
const LockBody = Type.Object({ active: Type.Boolean() });

/** A state with datasets reduced to their ids and keys sorted: equal states, equal strings. */
function canonical(value: unknown): string {
  const walk = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      if (o.kind === 'dataset' || o.kind === 'collection') return { [o.kind as string]: o.id };
      return Object.fromEntries(Object.keys(o).sort().map((k) => [k, walk(o[k])]));
    }
    return v;
  };
  return JSON.stringify(walk(value));
}

export const jobActionRoutes: RoutePlugin = (app, ctx) => {
  app.delete('/api/jobs/:id', { schema: { params: IdParams, tags: ['jobs'], summary: 'Cancel a job' } }, async (request, reply) => {
    const { job } = await ownedJob(ctx.pool, ctx.ids, request, (request.params as IdParams).id);
    const cancelled = await withTransaction(ctx.pool, (client) => requestCancel(client, job.id));
    // BioBlend reads a JSON body from every DELETE.
    return reply.type('application/json').send(JSON.stringify(cancelled));
  });

  app.put('/api/jobs/:id/resume', { schema: { params: IdParams, tags: ['jobs'], summary: 'Resume a paused job' } }, async (request) => {
    const { job } = await ownedJob(ctx.pool, ctx.ids, request, (request.params as IdParams).id);
    await withTransaction(ctx.pool, async (client) => {
      const locked = await getJob(client, job.id, { forUpdate: true });
      // Galaxy answers a job that is not paused with its outputs too, and changes nothing.
      if (locked?.state !== 'paused') return;
      await client.query(`UPDATE jobs SET state = 'new', paused_reason = NULL, info = NULL, update_time = now() WHERE id = $1`, [job.id]);
      await setOutputDatasetsState(client, job.id, 'new', ['paused']);
      await enqueueJobTask(client, 'job.schedule', locked);
    });
    return dictifyAssociations(ctx.ids, await jobAssociations(ctx.pool, job.id, 'job_outputs'));
  });

  app.post('/api/jobs/:id/error', { schema: { params: IdParams, body: ErrorBody, tags: ['jobs'], summary: 'Report a job error' } }, async (request) => {
    const { job, user } = await ownedJob(ctx.pool, ctx.ids, request, (request.params as IdParams).id);
    const body = request.body as Static<typeof ErrorBody>;
    const { hda } = await loadHda(ctx.pool, ctx.ids, user, body.dataset_id, 'read');
    if (hda.creating_job_id !== job.id) throw badRequest('The dataset was not made by this job');
    ctx.log.info({ jobId: job.id, hdaId: hda.id, user: user.id }, 'job error reported');
    // Nebula sends no mail; Galaxy without mail configured answers exactly this.
    return { messages: [['An error occurred sending the report by email: Mail is not configured for this Galaxy instance', 'danger']] };
  });

  app.post('/api/jobs/search', { schema: { body: SearchBody, tags: ['jobs'], summary: 'Find jobs with the same tool and inputs' } }, async (request) => {
    const user = currentUser(request);
    const body = request.body as Static<typeof SearchBody>;
    let inputs = body.inputs;
    if (typeof inputs === 'string') {
      try {
        inputs = JSON.parse(inputs) as Record<string, unknown>;
      } catch {
        throw badRequest('inputs is not valid JSON');
      }
    }
    let wanted: string;
    try {
      const { tool } = await loadRegisteredTool(ctx.pool, ctx.store, body.tool_id);
      const resolver = new InputResolver(ctx.pool, ctx.ids, user);
      wanted = canonical(await buildToolState(tool, inputs as Record<string, unknown>, resolver.stateContext()));
    } catch (err) {
      if (err instanceof ToolNotFoundError) throw badRequest(`Tool "${body.tool_id.slice(0, 200)}" is not available`);
      if (err instanceof ToolParameterError) throw badRequest(err.message);
      throw asApiError(err);
    }
    const states = body.state ? [body.state] : ['new', 'queued', 'running', 'ok'];
    const { rows } = await ctx.pool.query<JobRow>(
      `SELECT * FROM jobs WHERE user_id = $1 AND tool_id = $2 AND state = ANY($3) ORDER BY update_time DESC LIMIT 1000`,
      [user.id, body.tool_id, states],
    );
    return rows.filter((j) => canonical(j.tool_state) === wanted).map((j) => serializeJobSummary(ctx.ids, j));
  });

  app.get('/api/job_lock', { config: { auth: 'admin' }, schema: { tags: ['jobs'], summary: 'Whether new jobs are held' } }, async () => ({
    active: await jobLockActive(ctx.pool),
  }));

  app.put('/api/job_lock', { config: { auth: 'admin' }, schema: { body: LockBody, tags: ['jobs'], summary: 'Hold or release new jobs' } }, async (request) => {
    await setJobLock(ctx.pool, (request.body as Static<typeof LockBody>).active);
    return { active: await jobLockActive(ctx.pool) };
  });
};
