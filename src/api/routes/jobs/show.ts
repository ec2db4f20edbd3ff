/** One job: show (with `full`), inputs, outputs, metrics, common problems, destination, rerun form. */
import { Type, type Static } from '@sinclair/typebox';
import type { JobRow } from '../../../jobs/lifecycle/queries.ts';
import { destinationById } from '../../../jobs/lifecycle/destination.ts';
import { serializeJobDetails } from '../../serializers/job.ts';
import { currentUser } from '../../auth.ts';
import { forbidden } from '../../errors.ts';
import type { RoutePlugin } from '../../server.ts';
import { dictifyAssociations, jobAssociations, ownedJob, queryBool } from './common.ts';

const IdParams = Type.Object({ id: Type.String() });
type IdParams = Static<typeof IdParams>;
const ShowQuery = Type.Object({ full: Type.Optional(Type.String()) });

/** The tool state as Galaxy's 21.01 form, with datasets as `{values: [{src, id}]}` references. */
export function stateInputs(state: Record<string, unknown> | null): Record<string, unknown> {
  const replace = (v: unknown): unknown => {
    if (Array.isArray(v)) {
      if (v.length && v.every((x) => x && typeof x === 'object' && (x as { kind?: string }).kind === 'dataset')) {
        return { values: v.map((x) => ({ src: 'hda', id: (x as { id: string }).id })) };
      }
      return v.map(replace);
    }
    if (v && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      if (o.kind === 'dataset') return { values: [{ src: 'hda', id: o.id }] };
      if (o.kind === 'collection') return { values: [{ src: 'hdca', id: o.id }] };
      return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, replace(x)]));
    }
    return v;
  };
  return replace(state ?? {}) as Record<string, unknown>;
}

export const jobShowRoutes: RoutePlugin = (app, ctx) => {
  const opts = (summary: string) => ({ schema: { params: IdParams, tags: ['jobs'], summary } });

  app.get('/api/jobs/:id', { schema: { params: IdParams, querystring: ShowQuery, tags: ['jobs'], summary: 'Show a job' } }, async (request) => {
    const { job, user } = await ownedJob(ctx.pool, ctx.ids, request, (request.params as IdParams).id);
    const { rows } = await ctx.pool.query<{ email: string }>('SELECT email FROM users WHERE id = $1', [job.user_id]);
    return serializeJobDetails(ctx.ids, job, {
      full: queryBool((request.query as Static<typeof ShowQuery>).full),
      isAdmin: user.is_admin,
      inputs: await jobAssociations(ctx.pool, job.id, 'job_inputs'),
      outputs: await jobAssociations(ctx.pool, job.id, 'job_outputs'),
      userEmail: rows[0]?.email,
    });
  });

  app.get('/api/jobs/:id/inputs', opts('Inputs of a job'), async (request) => {
    const { job } = await ownedJob(ctx.pool, ctx.ids, request, (request.params as IdParams).id);
    return dictifyAssociations(ctx.ids, await jobAssociations(ctx.pool, job.id, 'job_inputs'));
  });

  app.get('/api/jobs/:id/outputs', opts('Outputs of a job'), async (request) => {
    const { job } = await ownedJob(ctx.pool, ctx.ids, request, (request.params as IdParams).id);
    return dictifyAssociations(ctx.ids, await jobAssociations(ctx.pool, job.id, 'job_outputs'));
  });

  app.get('/api/jobs/:id/metrics', opts('Metrics of a job'), async (request) => {
    const { job, user } = await ownedJob(ctx.pool, ctx.ids, request, (request.params as IdParams).id);
    const shown = serializeJobDetails(ctx.ids, job, { full: true, isAdmin: user.is_admin, inputs: [], outputs: [] });
    return shown.job_metrics;
  });

  app.get('/api/jobs/:id/common_problems', opts('Potential problems with a job\'s inputs'), async (request) => {
    const { job } = await ownedJob(ctx.pool, ctx.ids, request, (request.params as IdParams).id);
    const { rows } = await ctx.pool.query<{ hda_id: number; file_size: string | null }>(
      `SELECT i.hda_id, d.file_size FROM job_inputs i JOIN hdas h ON h.id = i.hda_id JOIN datasets d ON d.id = h.dataset_id
        WHERE i.job_id = $1`,
      [job.id],
    );
    const seen = new Set<number>();
    let duplicate = false;
    for (const r of rows) {
      if (seen.has(r.hda_id)) duplicate = true;
      seen.add(r.hda_id);
    }
    return { has_empty_inputs: rows.some((r) => !r.file_size || Number(r.file_size) === 0), has_duplicate_inputs: duplicate };
  });

  app.get('/api/jobs/:id/destination_params', opts('Where a job ran (admin)'), async (request) => {
    if (!currentUser(request).is_admin) throw forbidden('You must be an administrator to access this feature.');
    const { job } = await ownedJob(ctx.pool, ctx.ids, request, (request.params as IdParams).id);
    const destination = destinationById(ctx.config.jobs, job.destination);
    return {
      Runner: job.runner,
      'Runner Job ID': job.external_id,
      Handler: null,
      Destination: job.destination,
      Attempt: job.attempt,
      ...(destination?.params ?? {}),
    };
  });

  app.get('/api/jobs/:id/build_for_rerun', opts('The tool form to rerun a job'), async (request) => {
    const { job } = await ownedJob(ctx.pool, ctx.ids, request, (request.params as IdParams).id);
    return {
      id: job.tool_id,
      version: job.tool_version,
      history_id: job.history_id === null ? null : ctx.ids.encode(job.history_id),
      job_id: ctx.ids.encode(job.id),
      job_remap: await remappable(ctx.pool, job),
      state_inputs: stateInputs(job.tool_state),
    };
  });
};

/** Galaxy's rule: a failed job whose outputs other jobs are waiting on can be rerun in place. */
async function remappable(db: import('../../../db/pool.ts').Queryable, job: JobRow): Promise<boolean> {
  if (job.state !== 'error') return false;
  const { rowCount } = await db.query(
    `SELECT 1 FROM job_outputs o JOIN job_inputs i ON i.hda_id = o.hda_id JOIN jobs d ON d.id = i.job_id
      WHERE o.job_id = $1 AND d.state IN ('new', 'paused') LIMIT 1`,
    [job.id],
  );
  return rowCount === 1;
}
