import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { withTransaction } from '../../../db/pool.ts';
import { serializeImport, startHistoryImport } from '../../../histories/import.ts';
import { purgeUniqueKey, requestHistoryPurge } from '../../../histories/purge.ts';
import {
  addHistoryTag,
  getHistoryRow,
  HISTORY_ORDERS,
  listHistories,
  shareHistory,
  sharedWithUsers,
  unshareHistory,
  updateHistory,
  type HistoryFilter,
  type HistoryListQuery,
  type HistoryOrder,
} from '../../../histories/queries.ts';
import { createHistory } from '../../../model/histories.ts';
import { findUserByEmail } from '../../../model/users.ts';
import type { IdCodec } from '../../../util/ids.ts';
import { currentUser } from '../../auth.ts';
import type { ApiContext } from '../../context.ts';
import { badRequest, conflict, forbidden } from '../../errors.ts';
import { decodeId, filterPairs, listParam, loadHistory, parseBool } from './common.ts';
import type { UploadedFile } from './multipart.ts';
import { parseView, serializeHistories, serializeOne } from './serialize.ts';

const tags = ['histories'];
const HistoryParams = Type.Object({ id: Type.String({ description: 'encoded history id' }) });
const StringOrList = Type.Union([Type.String(), Type.Array(Type.String())]);
const ListQuery = Type.Object({
  q: Type.Optional(Type.Array(Type.String(), { description: 'filter keys: deleted, purged, published, importable, name, name-contains, slug' })),
  qv: Type.Optional(Type.Array(Type.String(), { description: 'filter values, one per q' })),
  all: Type.Optional(Type.String({ description: 'admins only: histories of every user' })),
  deleted: Type.Optional(Type.String()),
  view: Type.Optional(Type.String({ description: 'summary (default) or detailed' })),
  keys: Type.Optional(StringOrList),
  order: Type.Optional(Type.String({ description: 'update_time-dsc (default), create_time, name, with -asc/-dsc' })),
  limit: Type.Optional(Type.Integer({ minimum: 0 })),
  offset: Type.Optional(Type.Integer({ minimum: 0 })),
});
type ListQueryT = Static<typeof ListQuery>;
const ShowQuery = Type.Object({ view: Type.Optional(Type.String()), keys: Type.Optional(StringOrList) });

const CreateBody = Type.Object({
  name: Type.Optional(Type.String({ maxLength: 255 })),
  archive_type: Type.Optional(Type.String()),
  archive_source: Type.Optional(Type.String()),
  archive_file: Type.Optional(Type.Unknown({ description: 'the archive (multipart/form-data file part)' })),
});
const UpdateBody = Type.Object({
  name: Type.Optional(Type.String({ maxLength: 255 })),
  annotation: Type.Optional(Type.Union([Type.String(), Type.Null()])),
  tags: Type.Optional(Type.Array(Type.String({ maxLength: 255 }))),
  published: Type.Optional(Type.Boolean()),
  importable: Type.Optional(Type.Boolean()),
  deleted: Type.Optional(Type.Boolean()),
});
const DeleteBody = Type.Union([Type.Object({ purge: Type.Optional(Type.Boolean()) }), Type.Null()]);
const DeleteQuery = Type.Object({ purge: Type.Optional(Type.String()) });
const TagParams = Type.Object({ id: Type.String(), tag: Type.String({ minLength: 1, maxLength: 255 }) });
const ShareBody = Type.Object({ user_ids: Type.Array(Type.String(), { description: 'encoded user ids or emails' }) });

function parseOrder(order: string | undefined): HistoryOrder {
  if (!order) return 'update_time-dsc';
  const normalized = /-(asc|dsc)$/.test(order) ? order : order === 'name' ? 'name-asc' : `${order}-dsc`;
  if (!(normalized in HISTORY_ORDERS)) {
    throw badRequest(`Unknown order: ${order}; use one of ${Object.keys(HISTORY_ORDERS).join(', ')}`);
  }
  return normalized as HistoryOrder;
}

function parseFilters(query: ListQueryT): HistoryFilter[] {
  const filters: HistoryFilter[] = [];
  const deleted = parseBool(query.deleted, 'deleted');
  if (deleted !== undefined) filters.push({ field: 'deleted', value: deleted });
  for (const [key, value] of filterPairs(query.q, query.qv)) {
    const [field, op = 'eq'] = key.split('-') as [string, string?];
    if (field === 'deleted' || field === 'purged' || field === 'published' || field === 'importable') {
      if (op !== 'eq') throw badRequest(`Unsupported filter operator for ${field}: ${op}`);
      filters.push({ field, value: parseBool(value, `qv for ${key}`) ?? false });
    } else if (field === 'name' || field === 'slug') {
      if (op !== 'eq' && op !== 'contains') throw badRequest(`Unsupported filter operator for ${field}: ${op}`);
      filters.push({ field, op, value });
    } else {
      throw badRequest(`Unsupported history filter: ${key}`);
    }
  }
  return filters;
}

async function list(ctx: ApiContext, scope: HistoryListQuery['scope'], query: ListQueryT) {
  const rows = await listHistories(ctx.pool, {
    scope,
    filters: parseFilters(query),
    order: parseOrder(query.order),
    limit: query.limit,
    offset: query.offset,
  });
  return serializeHistories(ctx.pool, ctx.ids, rows, parseView(query.view, 'summary'), listParam(query.keys));
}

async function resolveUsers(ctx: ApiContext, ids: IdCodec, refs: string[]): Promise<number[]> {
  const out: number[] = [];
  for (const ref of refs) {
    if (ref.includes('@')) {
      const user = await findUserByEmail(ctx.pool, ref);
      if (!user) throw badRequest(`No user with email ${ref}`);
      out.push(user.id);
    } else {
      out.push(decodeId(ids, ref, 'user'));
    }
  }
  const { rows } = await ctx.pool.query<{ id: number }>('SELECT id FROM users WHERE id = ANY($1) AND NOT deleted', [out]);
  if (rows.length !== new Set(out).size) throw badRequest('Unknown user in user_ids');
  return [...new Set(out)];
}

export function historyCrudRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const { pool, ids } = ctx;

  app.get('/api/histories', { config: { auth: 'optional' }, schema: { tags, summary: 'List histories', querystring: ListQuery } }, async (request) => {
    const query = request.query as ListQueryT;
    const all = parseBool(query.all, 'all');
    if (!request.user) return []; // anonymous users have no saved histories
    if (all && !request.user.is_admin) throw forbidden('Only admins can list the histories of all users (all=true).');
    return list(ctx, all ? { kind: 'all' } : { kind: 'owner', userId: request.user.id }, query);
  });

  app.get('/api/histories/published', { config: { auth: 'optional' }, schema: { tags, summary: 'Published histories of every user', querystring: ListQuery } }, async (request) =>
    list(ctx, { kind: 'published' }, request.query as ListQueryT),
  );

  app.get('/api/histories/shared_with_me', { schema: { tags, summary: 'Histories other users shared with you', querystring: ListQuery } }, async (request) =>
    list(ctx, { kind: 'shared', userId: currentUser(request).id }, request.query as ListQueryT),
  );

  const mostRecent = async (request: Parameters<typeof currentUser>[0]) => {
    const rows = await listHistories(pool, {
      scope: { kind: 'owner', userId: currentUser(request).id },
      filters: [],
      order: 'update_time-dsc',
      limit: 1,
    });
    return rows[0] ? serializeOne(pool, ids, rows[0]) : null;
  };
  for (const path of ['/api/histories/most_recently_used', '/api/histories/current']) {
    app.get(path, { schema: { tags, summary: "The user's most recently updated history (no sessions: also the current one)" } }, async (request, reply) => {
      const history = await mostRecent(request);
      return history ?? reply.type('application/json').send('null');
    });
  }

  app.post('/api/histories', { schema: { tags, summary: 'Create a history, or import one from an archive', body: CreateBody } }, async (request) => {
    const user = currentUser(request);
    const body = (request.body ?? {}) as Static<typeof CreateBody>;
    if (body.archive_type !== undefined || body.archive_file !== undefined || body.archive_source) {
      const started = await startHistoryImport(ctx, user.id, {
        type: body.archive_type ?? (body.archive_source ? 'url' : 'file'),
        source: body.archive_source,
        file: body.archive_file as UploadedFile | string | undefined,
      });
      return serializeImport(ids, started);
    }
    const history = await createHistory(pool, user.id, body.name);
    return serializeOne(pool, ids, (await getHistoryRow(pool, history.id))!);
  });

  app.get('/api/histories/:id', { config: { auth: 'optional' }, schema: { tags, summary: 'Show a history', params: HistoryParams, querystring: ShowQuery } }, async (request) => {
    const { id } = request.params as Static<typeof HistoryParams>;
    const query = request.query as Static<typeof ShowQuery>;
    const { history } = await loadHistory(pool, ids, request, id, 'read');
    return serializeOne(pool, ids, history, parseView(query.view, 'detailed'), listParam(query.keys));
  });

  app.put('/api/histories/:id', { schema: { tags, summary: 'Update a history', params: HistoryParams, body: UpdateBody } }, async (request) => {
    const { id } = request.params as Static<typeof HistoryParams>;
    const { history } = await loadHistory(pool, ids, request, id, 'write');
    if (history.purged) throw badRequest('A purged history cannot be changed');
    await updateHistory(pool, history, request.body as Static<typeof UpdateBody>);
    return serializeOne(pool, ids, (await getHistoryRow(pool, history.id))!);
  });

  app.delete('/api/histories/:id', { schema: { tags, summary: 'Delete a history; purge: true also purges it (in a task)', params: HistoryParams, querystring: DeleteQuery, body: DeleteBody } }, async (request) => {
    const { id } = request.params as Static<typeof HistoryParams>;
    const purge = (request.body as { purge?: boolean } | null)?.purge ?? parseBool((request.query as { purge?: string }).purge, 'purge') ?? false;
    const { history } = await loadHistory(pool, ids, request, id, 'write');
    await withTransaction(pool, async (client) => {
      if (purge && !history.purged) await requestHistoryPurge(client, history.id);
      else await client.query('UPDATE histories SET deleted = true, update_time = now() WHERE id = $1', [history.id]);
    });
    return serializeOne(pool, ids, (await getHistoryRow(pool, history.id))!);
  });

  app.post('/api/histories/deleted/:id/undelete', { schema: { tags, summary: 'Undelete a history', params: HistoryParams } }, async (request) => {
    const { id } = request.params as Static<typeof HistoryParams>;
    const { history } = await loadHistory(pool, ids, request, id, 'write');
    const { rowCount: purging } = await pool.query(
      `SELECT 1 FROM nebula_tasks WHERE unique_key = $1 AND state IN ('pending', 'running')`,
      [purgeUniqueKey(history.id)],
    );
    if (history.purged || purging) throw conflict(`History ${id} has been purged and cannot be undeleted`);
    await pool.query('UPDATE histories SET deleted = false, update_time = now() WHERE id = $1', [history.id]);
    return serializeOne(pool, ids, (await getHistoryRow(pool, history.id))!);
  });

  app.post('/api/histories/:id/tags/:tag', { schema: { tags, summary: 'Add a tag (name or name:value)', params: TagParams, body: Type.Optional(Type.Object({ value: Type.Optional(Type.String()) })) } }, async (request) => {
    const { id, tag } = request.params as Static<typeof TagParams>;
    const value = (request.body as { value?: string } | undefined)?.value;
    const { history } = await loadHistory(pool, ids, request, id, 'write');
    const full = value ? `${tag}:${value}` : tag;
    await addHistoryTag(pool, history.id, full);
    const [name, ...rest] = full.split(':');
    return {
      id: ids.encode(history.id),
      model_class: 'HistoryTagAssociation',
      user_tname: name,
      user_value: rest.length ? rest.join(':') : null,
    };
  });

  app.get('/api/histories/:id/sharing', { schema: { tags, summary: 'Sharing status of a history', params: HistoryParams } }, async (request) => {
    const { id } = request.params as Static<typeof HistoryParams>;
    const { history } = await loadHistory(pool, ids, request, id, 'write');
    return sharingStatus(ctx, history.id);
  });

  app.put('/api/histories/:id/share_with_users', { schema: { tags, summary: 'Share a history (read-only) with exactly these users', params: HistoryParams, body: ShareBody } }, async (request) => {
    const { id } = request.params as Static<typeof HistoryParams>;
    const { history } = await loadHistory(pool, ids, request, id, 'write');
    const userIds = await resolveUsers(ctx, ids, (request.body as Static<typeof ShareBody>).user_ids);
    if (userIds.includes(history.user_id)) throw badRequest('A history cannot be shared with its owner');
    await withTransaction(pool, async (client) => {
      await unshareHistory(client, history.id, userIds);
      await shareHistory(client, history.id, userIds);
    });
    return sharingStatus(ctx, history.id);
  });
}

async function sharingStatus(ctx: ApiContext, historyId: number) {
  const row = (await getHistoryRow(ctx.pool, historyId))!;
  const users = await sharedWithUsers(ctx.pool, historyId);
  return {
    id: ctx.ids.encode(historyId),
    title: row.name,
    importable: row.importable,
    published: row.published,
    slug: row.slug,
    username_and_slug: row.slug ? `u/${row.username}/h/${row.slug}` : null,
    users_shared_with: users.map((u) => ({ id: ctx.ids.encode(u.id), email: u.email, username: u.username })),
  };
}
