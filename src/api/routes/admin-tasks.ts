import { Type, type Static } from '@sinclair/typebox';
import { cancelTask, getTask, listDeadTasks, readQueueGauges, retryDeadTask } from '../../tasks/index.ts';
import { enqueueSelftest, selftestReport } from '../../runtime/selftest.ts';
import { badRequest, notFound } from '../errors.ts';
import type { RoutePlugin } from '../server.ts';

const TaskIdParams = Type.Object({ id: Type.Integer({ minimum: 1 }) });

/** Operators' view of the task engine: the backlog, dead-letter, retry and cancel. */
export const adminTaskRoutes: RoutePlugin = (app, { pool }) => {
  const admin = { config: { auth: 'admin' as const } };

  app.get('/api/admin/queues', { ...admin, schema: { tags: ['admin'], summary: 'Backlog per queue' } }, async () =>
    readQueueGauges(pool),
  );

  app.get(
    '/api/admin/tasks/dead',
    {
      ...admin,
      schema: {
        tags: ['admin'],
        summary: 'Tasks in dead-letter',
        querystring: Type.Object({
          queue: Type.Optional(Type.String()),
          limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
          offset: Type.Integer({ minimum: 0, default: 0 }),
        }),
      },
    },
    async (request) => listDeadTasks(pool, request.query as { queue?: string; limit: number; offset: number }),
  );

  app.get('/api/admin/tasks/:id', { ...admin, schema: { tags: ['admin'], params: TaskIdParams } }, async (request) => {
    const task = await getTask(pool, (request.params as Static<typeof TaskIdParams>).id);
    if (!task) throw notFound('No such task');
    return task;
  });

  app.post('/api/admin/tasks/:id/retry', { ...admin, schema: { tags: ['admin'], params: TaskIdParams } }, async (request) => {
    const { id } = request.params as Static<typeof TaskIdParams>;
    if (!(await retryDeadTask(pool, id))) throw badRequest(`Task ${id} is not in dead-letter`);
    return { id, state: 'pending' };
  });

  app.post('/api/admin/tasks/:id/cancel', { ...admin, schema: { tags: ['admin'], params: TaskIdParams } }, async (request) => {
    const { id } = request.params as Static<typeof TaskIdParams>;
    if (!(await cancelTask(pool, id))) throw badRequest(`Task ${id} is not pending or running`);
    return { id, state: 'cancelled' };
  });

  app.post(
    '/api/admin/selftest',
    {
      ...admin,
      schema: {
        tags: ['admin'],
        summary: 'Enqueue self-test tasks (one row of effect each) to check the cluster end to end',
        body: Type.Object({
          count: Type.Integer({ minimum: 1, maximum: 100000 }),
          max_sleep_ms: Type.Integer({ minimum: 0, maximum: 60000, default: 0 }),
        }),
      },
    },
    async (request) => {
      const body = request.body as { count: number; max_sleep_ms: number };
      return { batch: await enqueueSelftest(pool, body.count, body.max_sleep_ms) };
    },
  );

  app.get(
    '/api/admin/selftest/:batch',
    { ...admin, schema: { tags: ['admin'], params: Type.Object({ batch: Type.String({ format: 'uuid' }) }) } },
    async (request) => selftestReport(pool, (request.params as { batch: string }).batch),
  );
};
