import { Type } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import { getDatatype } from '../../../datatypes/index.ts';
import { withTransaction } from '../../../db/pool.ts';
import { enqueueDatasetPurge, enqueueSetMetadata } from '../../../datasets/tasks.ts';
import { getHda, markHdaDeleted, updateHda, type HdaChanges } from '../../../model/datasets.ts';
import type { ApiContext } from '../../context.ts';
import { badRequest } from '../../errors.ts';
import type { RoutePlugin } from '../../server.ts';
import { serializeHda } from '../../serializers/hda.ts';
import { loadHda } from './access.ts';
import { emptyBodyIsNoBody, EncodedId } from './views.ts';

const UpdateBody = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 1024 })),
    info: Type.Optional(Type.String({ maxLength: 65536 })),
    misc_info: Type.Optional(Type.String({ maxLength: 65536 })),
    annotation: Type.Optional(Type.Union([Type.String({ maxLength: 65536 }), Type.Null()])),
    genome_build: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
    dbkey: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
    datatype: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    visible: Type.Optional(Type.Boolean()),
    deleted: Type.Optional(Type.Boolean()),
    purged: Type.Optional(Type.Boolean()),
    tags: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 255 }), { maxItems: 1000 })),
  },
  { additionalProperties: true },
);
type UpdateBody = typeof UpdateBody.static;

/** Galaxy's `#tag` shorthand means `name:tag`; duplicates collapse. */
const normaliseTags = (tags: string[]) => [...new Set(tags.map((t) => (t.startsWith('#') ? `name:${t.slice(1)}` : t)))];

async function updateDataset(ctx: ApiContext, request: FastifyRequest, id: string, historyId?: string) {
  const body = (request.body ?? {}) as UpdateBody;
  const { hda } = await loadHda(ctx.pool, ctx.ids, request.user, id, 'write', historyId);
  if (body.datatype !== undefined && !getDatatype(body.datatype)) {
    throw badRequest(`Unknown datatype: ${JSON.stringify(body.datatype)}`);
  }
  if (body.deleted === false && hda.purged) throw badRequest('A purged dataset cannot be undeleted');
  const changes: HdaChanges = {
    name: body.name,
    info: body.info ?? body.misc_info,
    annotation: body.annotation,
    dbkey: body.genome_build ?? body.dbkey,
    extension: body.datatype,
    visible: body.visible,
    deleted: body.deleted,
    tags: body.tags && normaliseTags(body.tags),
  };
  await withTransaction(ctx.pool, async (client) => {
    await updateHda(client, hda.id, changes);
    if (body.purged === true) {
      await markHdaDeleted(client, hda.id, true);
      await enqueueDatasetPurge(client, hda.dataset_id);
    }
    if (body.datatype !== undefined && body.datatype !== hda.extension) await enqueueSetMetadata(client, hda.id);
  });
  const updated = await getHda(ctx.pool, hda.id);
  return serializeHda(ctx.ids, updated!, 'detailed', { isAdmin: request.user?.is_admin });
}

async function deleteDataset(ctx: ApiContext, request: FastifyRequest, id: string, historyId?: string) {
  const queryPurge = (request.query as { purge?: boolean }).purge;
  const bodyPurge = (request.body as { purge?: unknown } | undefined)?.purge;
  const purge = queryPurge === true || bodyPurge === true || bodyPurge === 'true';
  const { hda } = await loadHda(ctx.pool, ctx.ids, request.user, id, 'write', historyId);
  await withTransaction(ctx.pool, async (client) => {
    await markHdaDeleted(client, hda.id, purge);
    if (purge) await enqueueDatasetPurge(client, hda.dataset_id);
  });
  const deleted = await getHda(ctx.pool, hda.id);
  return serializeHda(ctx.ids, deleted!, 'detailed', { isAdmin: request.user?.is_admin });
}

const DeleteBody = Type.Union([
  Type.Object({ purge: Type.Optional(Type.Union([Type.Boolean(), Type.String()])) }, { additionalProperties: true }),
  Type.Null(),
]);
const DeleteQuery = Type.Object({ purge: Type.Optional(Type.Boolean()) });

/** Changing, deleting and purging an HDA (purge frees the bytes later, in a task). */
export const updateDatasetRoutes: RoutePlugin = (app, ctx) => {
  const historyPaths = ['/api/histories/:history_id/contents/:id', '/api/histories/:history_id/contents/datasets/:id'];
  const HistoryParams = Type.Object({ history_id: EncodedId, id: EncodedId });
  for (const path of historyPaths) {
    app.put(
      path,
      { schema: { tags: ['datasets'], summary: 'Update a dataset of a history', params: HistoryParams, body: UpdateBody } },
      async (request) => {
        const { history_id, id } = request.params as { history_id: string; id: string };
        return updateDataset(ctx, request, id, history_id);
      },
    );
    app.delete(
      path,
      {
        onRequest: emptyBodyIsNoBody,
        schema: {
          tags: ['datasets'],
          summary: 'Delete (or purge) a dataset of a history',
          params: HistoryParams,
          querystring: DeleteQuery,
          body: DeleteBody,
        },
      },
      async (request) => {
        const { history_id, id } = request.params as { history_id: string; id: string };
        return deleteDataset(ctx, request, id, history_id);
      },
    );
  }
  app.put(
    '/api/datasets/:id',
    {
      schema: { tags: ['datasets'], summary: 'Update a dataset', params: Type.Object({ id: EncodedId }), body: UpdateBody },
    },
    async (request) => updateDataset(ctx, request, (request.params as { id: string }).id),
  );
  app.delete(
    '/api/datasets/:id',
    {
      onRequest: emptyBodyIsNoBody,
      schema: {
        tags: ['datasets'],
        summary: 'Delete (or purge) a dataset',
        params: Type.Object({ id: EncodedId }),
        querystring: DeleteQuery,
        body: DeleteBody,
      },
    },
    async (request) => deleteDataset(ctx, request, (request.params as { id: string }).id),
  );
};
