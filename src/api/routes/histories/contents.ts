import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import {
  CONTENT_ORDERS,
  listContents,
  listContentSummaries,
  type ContentFilter,
  type ContentOrder,
  type ContentType,
} from '../../../histories/contents.ts';
import type { IdCodec } from '../../../util/ids.ts';
import type { ApiContext } from '../../context.ts';
import { badRequest } from '../../errors.ts';
import { serializeHda } from '../../serializers/hda.ts';
import { serializeHdca } from '../../serializers/hdca.ts';
import { decodeId, filterPairs, listParam, loadHistory, parseBool } from './common.ts';
import { contentSummariesJson } from './contents-summary.ts';

const StringOrList = Type.Union([Type.String(), Type.Array(Type.String())]);
const ContentsParams = Type.Object({ history_id: Type.String({ description: 'encoded history id' }) });
const ContentsQuery = Type.Object({
  types: Type.Optional(StringOrList),
  deleted: Type.Optional(Type.String()),
  visible: Type.Optional(Type.String()),
  details: Type.Optional(Type.String({ description: "'all' or comma-separated dataset ids to show in the detailed view" })),
  ids: Type.Optional(Type.String({ description: 'comma-separated content ids' })),
  v: Type.Optional(Type.String({ description: "'dev' for the q/qv filter interface" })),
  q: Type.Optional(Type.Array(Type.String())),
  qv: Type.Optional(Type.Array(Type.String())),
  view: Type.Optional(Type.String()),
  keys: Type.Optional(StringOrList),
  order: Type.Optional(Type.String({ description: 'hid-asc (default), hid-dsc, create_time-*, update_time-*, name-*' })),
  limit: Type.Optional(Type.Integer({ minimum: 0 })),
  offset: Type.Optional(Type.Integer({ minimum: 0 })),
});
type ContentsQueryT = Static<typeof ContentsQuery>;

const TYPES: ContentType[] = ['dataset', 'dataset_collection'];
const TIME_OPS = ['gt', 'ge', 'lt', 'le'] as const;
const HID_OPS = ['eq', 'gt', 'ge', 'lt', 'le'] as const;

function parseTypes(value: unknown): ContentType[] {
  const types = listParam(value);
  if (!types) return TYPES;
  for (const t of types) if (!TYPES.includes(t as ContentType)) throw badRequest(`Unknown content type in types: ${t}`);
  return types as ContentType[];
}

function parseDate(value: string, key: string): Date {
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) throw badRequest(`Invalid date for ${key}: ${value}`);
  return d;
}

/** Galaxy's q/qv filters for contents; an unknown key or operator is a 400 naming it. */
function parseContentFilters(query: ContentsQueryT, ids: IdCodec): { filters: ContentFilter[]; types?: ContentType[] } {
  const filters: ContentFilter[] = [];
  let types: ContentType[] | undefined;
  const deleted = parseBool(query.deleted, 'deleted');
  if (deleted !== undefined) filters.push({ field: 'deleted', value: deleted });
  const visible = parseBool(query.visible, 'visible');
  if (visible !== undefined) filters.push({ field: 'visible', value: visible });
  const idList = listParam(query.ids);
  if (idList) filters.push({ field: 'id', op: 'in', value: idList.map((i) => decodeId(ids, i, 'content')) });
  for (const [key, value] of filterPairs(query.q, query.qv)) {
    const dash = key.lastIndexOf('-');
    const [field, op] = dash > 0 ? [key.slice(0, dash), key.slice(dash + 1)] : [key, 'eq'];
    const bad = () => badRequest(`Unsupported contents filter: ${key}`);
    switch (field) {
      case 'deleted':
      case 'visible':
      case 'purged':
        if (op !== 'eq') throw bad();
        filters.push({ field, value: parseBool(value, key) ?? false });
        break;
      case 'hid': {
        const n = Number(value);
        if (!Number.isInteger(n)) throw badRequest(`${key} needs an integer, got ${value}`);
        if (!(HID_OPS as readonly string[]).includes(op)) throw bad();
        filters.push({ field, op: op as (typeof HID_OPS)[number], value: n });
        break;
      }
      case 'name':
        if (op !== 'eq' && op !== 'contains') throw bad();
        filters.push({ field, op, value });
        break;
      case 'state':
      case 'extension':
        if (op !== 'eq' && op !== 'in') throw bad();
        filters.push({ field, op, value: op === 'in' ? value.split(',') : [value] });
        break;
      case 'create_time':
      case 'update_time':
        if (!(TIME_OPS as readonly string[]).includes(op)) throw bad();
        filters.push({ field, op: op as (typeof TIME_OPS)[number], value: parseDate(value, key) });
        break;
      case 'history_content_type':
        if (op !== 'eq' && op !== 'in') throw bad();
        types = parseTypes(value);
        break;
      default:
        throw bad();
    }
  }
  return { filters, types };
}

function parseOrder(order: string | undefined): ContentOrder {
  if (!order) return 'hid-asc';
  const normalized = /-(asc|dsc)$/.test(order) ? order : `${order}-asc`;
  if (!(normalized in CONTENT_ORDERS)) throw badRequest(`Unknown order: ${order}; use one of ${Object.keys(CONTENT_ORDERS).join(', ')}`);
  return normalized as ContentOrder;
}

function pick(item: Record<string, unknown>, keys?: string[]): Record<string, unknown> {
  return keys ? Object.fromEntries(keys.filter((k) => k in item).map((k) => [k, item[k]])) : item;
}

/** GET /api/histories/{history_id}/contents: datasets and collections merged by hid. */
export function historyContentsRoutes(app: FastifyInstance, ctx: ApiContext, fastIds: IdCodec): void {
  app.get(
    '/api/histories/:history_id/contents',
    {
      config: { auth: 'optional' },
      schema: { tags: ['histories'], summary: 'List the datasets and collections of a history', params: ContentsParams, querystring: ContentsQuery },
    },
    async (request, reply) => {
      const { history_id } = request.params as Static<typeof ContentsParams>;
      const query = request.query as ContentsQueryT;
      const { history } = await loadHistory(ctx.pool, ctx.ids, request, history_id, 'read');
      const { filters, types: typesFromQ } = parseContentFilters(query, ctx.ids);
      const requested = parseTypes(query.types);
      const types = typesFromQ ? requested.filter((t) => typesFromQ.includes(t)) : requested;
      const keys = listParam(query.keys);
      const allDetailed = query.view === 'detailed' || query.details === 'all' || (keys !== undefined && keys.length > 0);
      if (query.view && !['summary', 'detailed', 'betawebclient'].includes(query.view)) throw badRequest(`Unknown view: ${query.view}`);
      const detailIds = new Set(
        query.details && query.details !== 'all' ? listParam(query.details)!.map((i) => decodeId(ctx.ids, i, 'dataset')) : [],
      );
      if (!allDetailed && detailIds.size === 0) {
        // The common case, and the one that must stay fast for 10,000+ items.
        const rows = await listContentSummaries(ctx.pool, {
          historyId: history.id,
          types,
          filters,
          order: parseOrder(query.order),
          limit: query.limit,
          offset: query.offset,
        });
        return reply.type('application/json; charset=utf-8').send(contentSummariesJson(fastIds, rows));
      }
      const items = await listContents(ctx.pool, {
        historyId: history.id,
        types,
        filters,
        order: parseOrder(query.order),
        limit: query.limit,
        offset: query.offset,
        full: allDetailed || detailIds.size > 0,
      });
      const isAdmin = request.user?.is_admin ?? false;
      return items.map((item) =>
        item.type === 'dataset'
          ? pick(serializeHda(fastIds, item.hda, allDetailed || detailIds.has(item.hda.id) ? 'detailed' : 'summary', { isAdmin }), keys)
          : pick(serializeHdca(fastIds, item.hdca, 'summary'), keys),
      );
    },
  );
}
