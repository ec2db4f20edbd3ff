import swagger from '@fastify/swagger';
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import { authHook } from './auth.ts';
import type { ApiContext } from './context.ts';
import { ApiError } from './errors.ts';
import { adminTaskRoutes } from './routes/admin-tasks.ts';
import { authenticateRoutes } from './routes/authenticate.ts';
import { configRoutes } from './routes/config.ts';
import { healthRoutes } from './routes/health.ts';
import { collectionRoutes } from './routes/collections.ts';
import { datasetRoutes } from './routes/datasets.ts';
import { historyRoutes } from './routes/histories.ts';
import { jobRoutes } from './routes/jobs.ts';
import { containerRoutes } from './routes/containers.ts';
import { toolRoutes } from './routes/tools.ts';
import { toolDataRoutes } from './routes/tool-data.ts';
import { uploadRoutes } from './routes/uploads.ts';
import { userRoutes } from './routes/users.ts';

export type RoutePlugin = (app: FastifyInstance, ctx: ApiContext) => void | Promise<void>;

/** Route modules; each issue's area adds its own here. */
const ROUTES: RoutePlugin[] = [
  healthRoutes,
  configRoutes,
  userRoutes,
  authenticateRoutes,
  adminTaskRoutes,
  historyRoutes,
  datasetRoutes,
  collectionRoutes,
  toolRoutes,
  toolDataRoutes,
  uploadRoutes,
  jobRoutes,
  containerRoutes,
];

export async function buildServer(ctx: ApiContext, extraRoutes: RoutePlugin[] = []): Promise<FastifyInstance> {
  const app = Fastify({
    logger: false,
    bodyLimit: 64 * 1024 * 1024,
    // Galaxy ids and names arrive in query strings as arrays (types=a&types=b).
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 1000 },
    ajv: { customOptions: { coerceTypes: 'array', removeAdditional: false, useDefaults: true, allErrors: false } },
    genReqId: () => crypto.randomUUID(),
  });

  await app.register(swagger, {
    openapi: {
      info: { title: 'Nebula API', description: 'Galaxy-compatible REST API', version: '0.1.0' },
      components: {
        securitySchemes: { apiKey: { type: 'apiKey', in: 'header', name: 'x-api-key' } },
      },
      security: [{ apiKey: [] }],
    },
  });

  // BioBlend sends `Content-Type: application/json` with no body on some POSTs and PUTs
  // (undelete, export): an empty body is `{}`. Anything else goes through Fastify's own parser,
  // which also refuses __proto__ and constructor poisoning.
  const defaultJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    if (String(body).trim() === '') return done(null, {});
    defaultJson(request, String(body), done);
  });

  app.addHook('onRequest', authHook(ctx.pool));
  // One line per request, with ids and without the query string (it may carry `key=`).
  app.addHook('onResponse', async (request, reply) => {
    ctx.log.info(
      {
        req: request.id,
        method: request.method,
        route: request.routeOptions.url ?? request.url.split('?')[0],
        status: reply.statusCode,
        ms: Math.round(reply.elapsedTime),
        user: request.user?.id,
      },
      'request',
    );
  });

  app.setErrorHandler((err: FastifyError | ApiError, request, reply) => {
    if (err instanceof ApiError) {
      return reply.status(err.status).send({ err_msg: err.message, err_code: err.code });
    }
    if ((err as FastifyError).validation) {
      const where = (err as FastifyError).validationContext ?? 'request';
      return reply.status(400).send({ err_msg: `Invalid ${where}: ${err.message}`, err_code: 400008 });
    }
    const status = (err as FastifyError).statusCode;
    if (status && status >= 400 && status < 500) {
      return reply.status(status).send({ err_msg: err.message, err_code: status * 1000 });
    }
    ctx.log.error({ req: request.id, err: { message: err.message, stack: err.stack } }, 'unhandled error');
    return reply.status(500).send({ err_msg: 'Internal server error', err_code: 500001 });
  });
  app.setNotFoundHandler((request, reply) => {
    reply.status(404).send({ err_msg: `No route for ${request.method} ${request.url.split('?')[0]}`, err_code: 404001 });
  });

  for (const plugin of [...ROUTES, ...extraRoutes]) await plugin(app, ctx);

  app.get('/api/openapi.json', { config: { auth: 'none' }, schema: { hide: true } }, async () => app.swagger());
  await app.ready();
  return app;
}
