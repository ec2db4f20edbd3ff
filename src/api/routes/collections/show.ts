import { Type } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import { withTransaction } from '../../../db/pool.ts';
import { enqueueDatasetPurge } from '../../../datasets/tasks.ts';
import { getHdca, getHdcaWithElements, loadCollection, type LoadedCollection } from '../../../model/collections.ts';
import type { ApiContext } from '../../context.ts';
import { badRequest, notFound } from '../../errors.ts';
import type { RoutePlugin } from '../../server.ts';
import { serializeCollection, serializeHdca } from '../../serializers/hdca.ts';
import { decodeId, loadHdca } from '../datasets/access.ts';
import { emptyBodyIsNoBody, EncodedId, pickKeys, ViewQuery, type ViewQueryParams } from '../datasets/views.ts';

async function showHdca(ctx: ApiContext, request: FastifyRequest, id: string, historyId?: string) {
  const query = request.query as ViewQueryParams;
  const { hdca } = await loadHdca(ctx.pool, ctx.ids, request.user, id, 'read', historyId);
  const view = query.view ?? 'detailed';
  const full = view === 'detailed' ? (await getHdcaWithElements(ctx.pool, hdca.id))! : hdca;
  return pickKeys(serializeHdca(ctx.ids, full, view, { isAdmin: request.user?.is_admin }), query.keys);
}

const UpdateBody = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 1024 })),
    visible: Type.Optional(Type.Boolean()),
    deleted: Type.Optional(Type.Boolean()),
    tags: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 255 }), { maxItems: 1000 })),
  },
  { additionalProperties: true },
);
type UpdateBody = typeof UpdateBody.static;

async function updateHdca(ctx: ApiContext, request: FastifyRequest, id: string, historyId?: string) {
  const body = (request.body ?? {}) as UpdateBody;
  const { hdca } = await loadHdca(ctx.pool, ctx.ids, request.user, id, 'write', historyId);
  await ctx.pool.query(
    `UPDATE hdcas SET name = COALESCE($2, name), visible = COALESCE($3, visible), deleted = COALESCE($4, deleted),
            tags = COALESCE($5, tags), update_time = now() WHERE id = $1`,
    [hdca.id, body.name ?? null, body.visible ?? null, body.deleted ?? null, body.tags ?? null],
  );
  return serializeHdca(ctx.ids, (await getHdcaWithElements(ctx.pool, hdca.id))!, 'detailed');
}

function leafHdaIds(collection: LoadedCollection): number[] {
  return collection.elements.flatMap((e) => (e.element_type === 'hda' ? [e.hda.id] : leafHdaIds(e.collection)));
}

/**
 * Deletes an HDCA; `recursive` also deletes the datasets in it that live in the same history,
 * and `purge` purges them (their bytes go in a task once nothing else uses them).
 */
async function deleteHdca(ctx: ApiContext, request: FastifyRequest, id: string, historyId?: string) {
  const query = (request.query ?? {}) as { recursive?: boolean; purge?: boolean };
  const body = (request.body ?? {}) as { recursive?: boolean; purge?: boolean };
  const recursive = query.recursive === true || body.recursive === true;
  const purge = query.purge === true || body.purge === true;
  const { hdca } = await loadHdca(ctx.pool, ctx.ids, request.user, id, 'write', historyId);
  await withTransaction(ctx.pool, async (client) => {
    await client.query('UPDATE hdcas SET deleted = true, update_time = now() WHERE id = $1', [hdca.id]);
    if (!recursive && !purge) return;
    const collection = await loadCollection(client, hdca.collection_id);
    const ids = collection ? leafHdaIds(collection) : [];
    const { rows } = await client.query<{ id: number; dataset_id: number }>(
      `UPDATE hdas SET deleted = true, purged = purged OR $3, update_time = now()
        WHERE id = ANY($1) AND history_id = $2 RETURNING id, dataset_id`,
      [ids, hdca.history_id, purge],
    );
    if (purge) for (const row of rows) await enqueueDatasetPurge(client, row.dataset_id);
  });
  return serializeHdca(ctx.ids, (await getHdca(ctx.pool, hdca.id))!, 'summary');
}

const HistoryParams = Type.Object({ history_id: EncodedId, id: EncodedId });
const DeleteQuery = Type.Object({ recursive: Type.Optional(Type.Boolean()), purge: Type.Optional(Type.Boolean()) });
const DeleteBody = Type.Union([
  Type.Object(
    { recursive: Type.Optional(Type.Boolean()), purge: Type.Optional(Type.Boolean()) },
    { additionalProperties: true },
  ),
  Type.Null(),
]);

/** Showing, changing and deleting HDCAs, through the history and through /api/dataset_collections. */
export const showCollectionRoutes: RoutePlugin = (app, ctx) => {
  const path = '/api/histories/:history_id/contents/dataset_collections/:id';
  app.get(
    path,
    {
      config: { auth: 'optional' },
      schema: { tags: ['collections'], summary: 'Show a collection of a history', params: HistoryParams, querystring: Type.Object(ViewQuery) },
    },
    async (request) => {
      const { history_id, id } = request.params as { history_id: string; id: string };
      return showHdca(ctx, request, id, history_id);
    },
  );
  app.put(
    path,
    { schema: { tags: ['collections'], summary: 'Update a collection of a history', params: HistoryParams, body: UpdateBody } },
    async (request) => {
      const { history_id, id } = request.params as { history_id: string; id: string };
      return updateHdca(ctx, request, id, history_id);
    },
  );
  app.delete(
    path,
    {
      onRequest: emptyBodyIsNoBody,
      schema: {
        tags: ['collections'],
        summary: 'Delete a collection of a history',
        params: HistoryParams,
        querystring: DeleteQuery,
        body: DeleteBody,
      },
    },
    async (request) => {
      const { history_id, id } = request.params as { history_id: string; id: string };
      return deleteHdca(ctx, request, id, history_id);
    },
  );

  app.get(
    '/api/dataset_collections/:id',
    {
      config: { auth: 'optional' },
      schema: {
        tags: ['collections'],
        summary: 'Show a collection',
        params: Type.Object({ id: EncodedId }),
        querystring: Type.Object({ instance_type: Type.Optional(Type.String()), ...ViewQuery }),
      },
    },
    async (request) => {
      const { instance_type } = request.query as { instance_type?: string };
      if (instance_type !== undefined && instance_type !== 'history') {
        throw badRequest(`Only instance_type=history is supported (libraries are not part of Nebula), got ${instance_type}`);
      }
      return showHdca(ctx, request, (request.params as { id: string }).id);
    },
  );

  // The elements of one collection inside an HDCA (the HDCA's own or a nested one).
  app.get(
    '/api/dataset_collections/:id/contents/:collection_id',
    {
      config: { auth: 'optional' },
      schema: {
        tags: ['collections'],
        summary: 'List the elements of a (nested) collection',
        params: Type.Object({ id: EncodedId, collection_id: EncodedId }),
        querystring: Type.Object({
          limit: Type.Optional(Type.Integer({ minimum: 0 })),
          offset: Type.Optional(Type.Integer({ minimum: 0 })),
        }),
      },
    },
    async (request) => {
      const { id, collection_id } = request.params as { id: string; collection_id: string };
      const { limit, offset = 0 } = request.query as { limit?: number; offset?: number };
      const { hdca } = await loadHdca(ctx.pool, ctx.ids, request.user, id, 'read');
      const wanted = decodeId(ctx.ids, collection_id, 'collection');
      const root = await loadCollection(ctx.pool, hdca.collection_id);
      const find = (c: LoadedCollection | null): LoadedCollection | null => {
        if (!c) return null;
        if (c.id === wanted) return c;
        for (const e of c.elements) {
          const hit = e.element_type === 'dataset_collection' ? find(e.collection) : null;
          if (hit) return hit;
        }
        return null;
      };
      const target = find(root);
      if (!target) throw notFound('Collection not found in this dataset collection');
      const elements = serializeCollection(ctx.ids, target).elements as unknown[];
      return elements.slice(offset, limit === undefined ? undefined : offset + limit);
    },
  );
};
