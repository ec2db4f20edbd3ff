import { Type } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import { withTransaction, type PoolClient } from '../../../db/pool.ts';
import { createCollection, createHdca, getHdcaWithElements, type NewCollection } from '../../../model/collections.ts';
import { copyHda } from '../../../model/datasets.ts';
import type { ApiContext } from '../../context.ts';
import { badRequest, notFound } from '../../errors.ts';
import type { RoutePlugin } from '../../server.ts';
import { serializeHda } from '../../serializers/hda.ts';
import { serializeHdca } from '../../serializers/hdca.ts';
import { decodeId, historyFor, loadHda, loadHdca } from '../datasets/access.ts';
import { EncodedId } from '../datasets/views.ts';
import { buildCollectionSpec, countElements, leafHdaIds, loadReadableHdas, parseCollectionType } from './build.ts';

const CreateBody = Type.Object(
  {
    type: Type.Optional(Type.Union([Type.Literal('dataset'), Type.Literal('dataset_collection')])),
    source: Type.Optional(Type.String()),
    content: Type.Optional(Type.String({ maxLength: 64 })),
    name: Type.Optional(Type.String({ maxLength: 1024 })),
    collection_type: Type.Optional(Type.String({ maxLength: 255 })),
    element_identifiers: Type.Optional(Type.Array(Type.Any(), { maxItems: 100000 })),
    copy_elements: Type.Optional(Type.Boolean()),
    hide_source_items: Type.Optional(Type.Boolean()),
    history_id: Type.Optional(Type.String()),
  },
  { additionalProperties: true },
);
type CreateBody = typeof CreateBody.static;

/** Rewrites every leaf to a hidden copy in the target history (Galaxy's copy_elements). */
async function copyLeaves(client: PoolClient, spec: NewCollection, historyId: number): Promise<NewCollection> {
  const elements: NewCollection['elements'] = [];
  for (const e of spec.elements) {
    if ('hdaId' in e) {
      const copy = await copyHda(client, e.hdaId, historyId, { visible: false });
      if (!copy) throw notFound(`Dataset ${e.identifier} has been purged`);
      elements.push({ identifier: e.identifier, hdaId: copy.id });
    } else {
      elements.push({ identifier: e.identifier, collection: await copyLeaves(client, e.collection, historyId) });
    }
  }
  return { ...spec, elements };
}

async function createCollectionInHistory(ctx: ApiContext, request: FastifyRequest, historyId: number, body: CreateBody) {
  const user = request.user;
  if (body.source === 'hdca') {
    const { hdca } = await loadHdca(ctx.pool, ctx.ids, user, body.content, 'read');
    const copy = await withTransaction(ctx.pool, (client) =>
      createHdca(client, historyId, hdca.name, hdca.collection_id, { tags: hdca.tags }),
    );
    return serializeHdca(ctx.ids, (await getHdcaWithElements(ctx.pool, copy.id))!, 'detailed');
  }
  if (body.source !== undefined && body.source !== 'new_collection') {
    throw badRequest(`Unsupported source ${JSON.stringify(body.source)} for a dataset collection (use new_collection or hdca)`);
  }
  const levels = parseCollectionType(body.collection_type);
  const spec = buildCollectionSpec(ctx.ids, levels, body.element_identifiers);
  if (countElements(spec) > 100_000) throw badRequest('A collection may hold at most 100000 elements');
  const hdaIds = leafHdaIds(spec);
  const hdas = await loadReadableHdas(ctx.pool, ctx.ids, user, hdaIds);
  const created = await withTransaction(ctx.pool, async (client) => {
    const stored = body.copy_elements ? await copyLeaves(client, spec, historyId) : spec;
    const collectionId = await createCollection(client, stored);
    if (body.hide_source_items) {
      // Only the caller's own datasets are hidden; others' are left as they are.
      const own = [...hdas.values()].filter((h) => h.history_id === historyId).map((h) => h.id);
      if (own.length) await client.query('UPDATE hdas SET visible = false, update_time = now() WHERE id = ANY($1)', [own]);
    }
    return createHdca(client, historyId, body.name || 'Unnamed Collection', collectionId);
  });
  return serializeHdca(ctx.ids, (await getHdcaWithElements(ctx.pool, created.id))!, 'detailed');
}

async function copyDataset(ctx: ApiContext, request: FastifyRequest, historyId: number, body: CreateBody) {
  if (body.source !== 'hda') {
    throw badRequest(`Unsupported source ${JSON.stringify(body.source)} for a dataset (only 'hda' is supported)`);
  }
  const { hda } = await loadHda(ctx.pool, ctx.ids, request.user, body.content, 'read');
  const copy = await withTransaction(ctx.pool, (client) => copyHda(client, hda.id, historyId));
  if (!copy) throw notFound('The dataset has been purged');
  return serializeHda(ctx.ids, copy, 'detailed', { isAdmin: request.user?.is_admin });
}

async function createContent(ctx: ApiContext, request: FastifyRequest, encodedHistoryId: unknown) {
  const body = (request.body ?? {}) as CreateBody;
  const historyId = decodeId(ctx.ids, encodedHistoryId, 'history');
  const { history } = await historyFor(ctx.pool, historyId, request.user, 'write', 'History');
  if (history.deleted) throw badRequest('Cannot add contents to a deleted history');
  const type = body.type ?? 'dataset';
  return type === 'dataset_collection'
    ? createCollectionInHistory(ctx, request, historyId, body)
    : copyDataset(ctx, request, historyId, body);
}

/** POST history contents: copy a dataset or collection in, or build a new collection. */
export const createContentRoutes: RoutePlugin = (app, ctx) => {
  app.post(
    '/api/histories/:history_id/contents',
    {
      schema: {
        tags: ['datasets', 'collections'],
        summary: 'Copy a dataset or collection into a history, or create a collection',
        params: Type.Object({ history_id: EncodedId }),
        body: CreateBody,
      },
    },
    async (request) => createContent(ctx, request, (request.params as { history_id: string }).history_id),
  );
  app.post(
    '/api/histories/:history_id/contents/:type',
    {
      schema: {
        tags: ['datasets', 'collections'],
        summary: 'Copy a dataset or create a collection (type in the path)',
        params: Type.Object({
          history_id: EncodedId,
          type: Type.Union([Type.Literal('datasets'), Type.Literal('dataset_collections')]),
        }),
        body: CreateBody,
      },
    },
    async (request) => {
      const { history_id, type } = request.params as { history_id: string; type: string };
      const body = (request.body ?? {}) as CreateBody;
      body.type = type === 'datasets' ? 'dataset' : 'dataset_collection';
      return createContent(ctx, request, history_id);
    },
  );
  app.post(
    '/api/dataset_collections',
    {
      schema: { tags: ['collections'], summary: 'Create a collection in a history', body: CreateBody },
    },
    async (request) => {
      const body = (request.body ?? {}) as CreateBody;
      if (!body.history_id) throw badRequest('history_id is required');
      body.type = 'dataset_collection';
      return createContent(ctx, request, body.history_id);
    },
  );
};
