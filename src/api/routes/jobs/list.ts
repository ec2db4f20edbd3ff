/** GET /api/jobs: the caller's jobs (an admin's: everyone's), filtered and paged like Galaxy. */
import { Type, type Static } from '@sinclair/typebox';
import type { JobRow } from '../../../jobs/lifecycle/queries.ts';
import { currentUser } from '../../auth.ts';
import { badRequest } from '../../errors.ts';
import { serializeJobSummary } from '../../serializers/job.ts';
import type { RoutePlugin } from '../../server.ts';
import { queryBool } from './common.ts';

const ListQuery = Type.Object({
  state: Type.Optional(Type.Array(Type.String())),
  tool_id: Type.Optional(Type.Array(Type.String())),
  history_id: Type.Optional(Type.String()),
  user_id: Type.Optional(Type.String()),
  user_details: Type.Optional(Type.String()),
  date_range_min: Type.Optional(Type.String()),
  date_range_max: Type.Optional(Type.String()),
  limit: Type.Optional(Type.Integer({ minimum: 0, maximum: 10000 })),
  offset: Type.Optional(Type.Integer({ minimum: 0 })),
  order_by: Type.Optional(Type.Union([Type.Literal('create_time'), Type.Literal('update_time')])),
  view: Type.Optional(Type.String()),
  invocation_id: Type.Optional(Type.String()),
  workflow_id: Type.Optional(Type.String()),
});

function dateParam(value: string, name: string): Date {
  const d = new Date(/^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T00:00:00Z` : value);
  if (Number.isNaN(d.getTime())) throw badRequest(`${name} must be a date (YYYY-MM-DD), got ${JSON.stringify(value.slice(0, 40))}`);
  return d;
}

/** `a,b` and repeated parameters both give a list. */
const list = (v: string[] | undefined) => v?.flatMap((s) => s.split(',')).filter(Boolean);

export const jobListRoutes: RoutePlugin = (app, ctx) => {
  app.get('/api/jobs', { schema: { querystring: ListQuery, tags: ['jobs'], summary: 'List jobs' } }, async (request) => {
    const user = currentUser(request);
    const q = request.query as Static<typeof ListQuery>;
    if (q.invocation_id || q.workflow_id) throw badRequest('Filtering jobs by invocation_id or workflow_id is not supported yet');
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (sql: string, value: unknown) => {
      params.push(value);
      where.push(sql.replace('?', `$${params.length}`));
    };
    if (!user.is_admin) add('j.user_id = ?', user.id);
    else if (q.user_id) {
      const uid = ctx.ids.decode(q.user_id);
      if (uid === null) throw badRequest(`Invalid user id: ${q.user_id.slice(0, 40)}`);
      add('j.user_id = ?', uid);
    }
    const states = list(q.state);
    if (states?.length) add('j.state = ANY(?)', states);
    const tools = list(q.tool_id);
    if (tools?.length) add('j.tool_id = ANY(?)', tools);
    if (q.history_id) {
      const hid = ctx.ids.decode(q.history_id);
      if (hid === null) throw badRequest(`Invalid history id: ${q.history_id.slice(0, 40)}`);
      add('j.history_id = ?', hid);
    }
    if (q.date_range_min) add('j.update_time >= ?', dateParam(q.date_range_min, 'date_range_min'));
    if (q.date_range_max) {
      const max = dateParam(q.date_range_max, 'date_range_max');
      // A bare date means the whole day.
      if (/^\d{4}-\d{2}-\d{2}$/.test(q.date_range_max)) max.setUTCDate(max.getUTCDate() + 1);
      add('j.update_time < ?', max);
    }
    const order = q.order_by === 'create_time' ? 'j.create_time' : 'j.update_time';
    params.push(q.limit ?? 500, q.offset ?? 0);
    const { rows } = await ctx.pool.query<JobRow & { user_email: string }>(
      `SELECT j.*, u.email AS user_email FROM jobs j JOIN users u ON u.id = j.user_id
        ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
        ORDER BY ${order} DESC, j.id DESC LIMIT $${params.length - 1} OFFSET $${params.length}`,
      params,
    );
    const details = queryBool(q.user_details) || q.view === 'admin_job_list';
    return rows.map((job) => ({
      ...serializeJobSummary(ctx.ids, job),
      ...(details && user.is_admin ? { user_email: job.user_email } : {}),
    }));
  });
};
