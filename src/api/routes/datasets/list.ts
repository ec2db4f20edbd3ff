import { Type } from '@sinclair/typebox';
import { HDA_SELECT, type Hda } from '../../../model/datasets.ts';
import type { RoutePlugin } from '../../server.ts';
import { serializeHda } from '../../serializers/hda.ts';
import { decodeId, historyFor } from './access.ts';
import { applyFilters, orderBy, type SqlFragment } from './filters.ts';
import { pickKeys, ViewQuery } from './views.ts';

const ListQuery = Type.Object({
  q: Type.Optional(Type.Array(Type.String())),
  qv: Type.Optional(Type.Array(Type.String())),
  limit: Type.Optional(Type.Integer({ minimum: 0, maximum: 10000, default: 500 })),
  offset: Type.Optional(Type.Integer({ minimum: 0, default: 0 })),
  order: Type.Optional(Type.String()),
  history_id: Type.Optional(Type.String()),
  ...ViewQuery,
});

/**
 * GET /api/datasets: the caller's datasets (or one readable history's, with `history_id`),
 * filtered with Galaxy's q/qv pairs, ordered and paged in SQL.
 */
export const listDatasetsRoute: RoutePlugin = (app, ctx) => {
  app.get(
    '/api/datasets',
    {
      config: { auth: 'optional' },
      schema: { tags: ['datasets'], summary: 'Search datasets', querystring: ListQuery },
    },
    async (request) => {
      const query = request.query as {
        q?: string[]; qv?: string[]; limit?: number; offset?: number; order?: string; history_id?: string;
        view?: 'summary' | 'detailed'; keys?: string;
      };
      const user = request.user;
      const sql: SqlFragment = { where: [], params: [] };
      if (query.history_id !== undefined) {
        const historyId = decodeId(ctx.ids, query.history_id, 'history');
        await historyFor(ctx.pool, historyId, user, 'read', 'History');
        sql.params.push(historyId);
        sql.where.push(`h.history_id = $${sql.params.length}`);
      } else {
        if (!user) return [];
        sql.params.push(user.id);
        sql.where.push(`h.history_id IN (SELECT id FROM histories WHERE user_id = $${sql.params.length})`);
      }
      applyFilters(sql, query.q ?? [], query.qv ?? []);
      const order = orderBy(query.order);
      sql.params.push(query.limit ?? 500, query.offset ?? 0);
      const n = sql.params.length;
      const { rows } = await ctx.pool.query<Hda>(
        `${HDA_SELECT} WHERE ${sql.where.join(' AND ')} ORDER BY ${order} LIMIT $${n - 1} OFFSET $${n}`,
        sql.params,
      );
      const view = query.view ?? (query.keys ? 'detailed' : 'summary');
      return rows.map((hda) => pickKeys(serializeHda(ctx.ids, hda, view, { isAdmin: user?.is_admin }), query.keys));
    },
  );
};
