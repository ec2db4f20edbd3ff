import { Type } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import type { ApiContext } from '../../context.ts';
import { badRequest } from '../../errors.ts';
import type { RoutePlugin } from '../../server.ts';
import { serializeHda } from '../../serializers/hda.ts';
import { loadHda } from './access.ts';
import { EncodedId, pickKeys, ViewQuery, type ViewQueryParams } from './views.ts';

async function showHda(ctx: ApiContext, request: FastifyRequest, id: string, historyId?: string) {
  const query = request.query as ViewQueryParams;
  const { hda } = await loadHda(ctx.pool, ctx.ids, request.user, id, 'read', historyId);
  const body = serializeHda(ctx.ids, hda, query.view ?? 'detailed', { isAdmin: request.user?.is_admin });
  return pickKeys(body, query.keys);
}

const ShowQuery = Type.Object({
  hda_ldda: Type.Optional(Type.String()),
  deleted: Type.Optional(Type.Boolean()),
  ...ViewQuery,
});

/** Showing one HDA, through /api/datasets and through the history's contents. */
export const showDatasetRoutes: RoutePlugin = (app, ctx) => {
  app.get(
    '/api/datasets/:id',
    {
      config: { auth: 'optional' },
      schema: {
        tags: ['datasets'],
        summary: 'Show a dataset',
        params: Type.Object({ id: EncodedId }),
        querystring: ShowQuery,
      },
    },
    async (request) => {
      const { id } = request.params as { id: string };
      const { hda_ldda } = request.query as { hda_ldda?: string };
      if (hda_ldda !== undefined && hda_ldda !== 'hda') {
        throw badRequest(`Only hda_ldda=hda is supported (libraries are not part of Nebula), got ${hda_ldda}`);
      }
      return showHda(ctx, request, id);
    },
  );

  for (const path of ['/api/histories/:history_id/contents/:id', '/api/histories/:history_id/contents/datasets/:id']) {
    app.get(
      path,
      {
        config: { auth: 'optional' },
        schema: {
          tags: ['datasets'],
          summary: 'Show a dataset of a history',
          params: Type.Object({ history_id: EncodedId, id: EncodedId }),
          querystring: Type.Object(ViewQuery),
        },
      },
      async (request) => {
        const { history_id, id } = request.params as { history_id: string; id: string };
        return showHda(ctx, request, id, history_id);
      },
    );
  }

  // Nebula keeps no composite (extra) files yet: a readable dataset simply has none.
  app.get(
    '/api/histories/:history_id/contents/:id/extra_files',
    {
      config: { auth: 'optional' },
      schema: {
        tags: ['datasets'],
        summary: 'List the extra files of a composite dataset',
        params: Type.Object({ history_id: EncodedId, id: EncodedId }),
      },
    },
    async (request) => {
      const { history_id, id } = request.params as { history_id: string; id: string };
      await loadHda(ctx.pool, ctx.ids, request.user, id, 'read', history_id);
      return [];
    },
  );
};
