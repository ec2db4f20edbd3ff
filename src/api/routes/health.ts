import type { RoutePlugin } from '../server.ts';

export const healthRoutes: RoutePlugin = (app, ctx) => {
  // Liveness: answers as long as the event loop does; never touches the database or the work
  // loop, so a slow database does not get healthy pods killed.
  app.get('/healthz', { config: { auth: 'none' }, schema: { hide: true } }, async () => ({ status: 'ok' }));

  // Readiness: this replica can serve (database reachable, not shutting down).
  app.get('/readyz', { config: { auth: 'none' }, schema: { hide: true } }, async (_req, reply) => {
    if (!ctx.ready.value) return reply.status(503).send({ status: 'shutting down' });
    try {
      await ctx.pool.query('SELECT 1');
      return { status: 'ready' };
    } catch (err) {
      return reply.status(503).send({ status: 'database unreachable', error: (err as Error).message });
    }
  });

  app.get('/metrics', { config: { auth: 'none' }, schema: { hide: true } }, async (_req, reply) => {
    reply.header('content-type', ctx.metrics.contentType);
    return ctx.metrics.metrics();
  });

  // BioBlend checks that the server root answers 200.
  app.get('/', { config: { auth: 'none' }, schema: { hide: true } }, async () => ({ name: 'Nebula', api: '/api' }));
};
