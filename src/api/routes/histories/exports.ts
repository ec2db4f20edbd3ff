import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { exportFilename, getExport, listExports, requestExport, type ExportRow } from '../../../histories/export.ts';
import { getImport, serializeImport } from '../../../histories/import.ts';
import { ObjectNotFoundError } from '../../../objectstore/types.ts';
import type { IdCodec } from '../../../util/ids.ts';
import { currentUser } from '../../auth.ts';
import type { ApiContext } from '../../context.ts';
import { ApiError, conflict, notFound } from '../../errors.ts';
import { decodeId, loadHistory, parseBool } from './common.ts';

const tags = ['histories'];
const HistoryParams = Type.Object({ id: Type.String({ description: 'encoded history id' }) });
const ExportParams = Type.Object({ id: Type.String(), jeha_id: Type.String({ description: 'encoded export id' }) });
const ImportParams = Type.Object({ import_id: Type.String({ description: 'encoded import id' }) });
const Flag = Type.Optional(Type.Union([Type.Boolean(), Type.String()]));
const ExportOptionsSchema = Type.Object({
  gzip: Flag,
  include_hidden: Flag,
  include_deleted: Flag,
});
type ExportOptionsT = Static<typeof ExportOptionsSchema>;

/** Galaxy's legacy export listing item (ExportHistoryArchive "jeha"). */
function describe(ids: IdCodec, historyEncoded: string, row: ExportRow): Record<string, unknown> {
  const id = ids.encode(row.id);
  const ready = row.state === 'ok';
  const url = `/api/histories/${historyEncoded}/exports/${id}`;
  return {
    id,
    job_id: id,
    ready,
    preparing: row.state === 'new',
    up_to_date: row.up_to_date,
    state: row.state,
    error: row.error,
    gzip: row.gzip,
    include_hidden: row.include_hidden,
    include_deleted: row.include_deleted,
    download_url: url,
    external_download_latest_url: `${url}`,
    external_download_permanent_url: `${url}`,
  };
}

/** History export archives and the status of history imports. */
export function historyExportRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const { pool, ids } = ctx;

  app.put(
    '/api/histories/:id/exports',
    { schema: { tags, summary: 'Request an export archive; 202 while it is being prepared, 200 with download_url when ready', params: HistoryParams, querystring: ExportOptionsSchema, body: Type.Union([ExportOptionsSchema, Type.Null()]) } },
    async (request, reply) => {
      const { id } = request.params as Static<typeof HistoryParams>;
      const query = request.query as ExportOptionsT;
      const body = (request.body ?? {}) as ExportOptionsT;
      const pick = (name: keyof ExportOptionsT) => parseBool(body[name] ?? query[name], name);
      const options = {
        gzip: pick('gzip') ?? true,
        includeHidden: pick('include_hidden') ?? false,
        includeDeleted: pick('include_deleted') ?? false,
      };
      const { history } = await loadHistory(pool, ids, request, id, 'read');
      if (history.purged) throw conflict(`History ${id} is purged and cannot be exported`);
      const row = await requestExport(pool, history.id, currentUser(request).id, options);
      if (row.state === 'error') throw new ApiError(500, `History export failed: ${row.error}`, 500001);
      const described = describe(ids, id, row);
      return row.state === 'ok' ? described : reply.code(202).send(described);
    },
  );

  app.get(
    '/api/histories/:id/exports',
    { config: { auth: 'optional' }, schema: { tags, summary: 'Export archives of a history, newest first', params: HistoryParams } },
    async (request) => {
      const { id } = request.params as Static<typeof HistoryParams>;
      const { history } = await loadHistory(pool, ids, request, id, 'read');
      return (await listExports(pool, history.id)).map((row) => describe(ids, id, row));
    },
  );

  app.get(
    '/api/histories/:id/exports/:jeha_id',
    { config: { auth: 'optional' }, schema: { tags, summary: 'Download an export archive (tar or tar.gz)', params: ExportParams } },
    async (request, reply) => {
      const { id, jeha_id } = request.params as Static<typeof ExportParams>;
      const { history } = await loadHistory(pool, ids, request, id, 'read');
      const row = await getExport(pool, history.id, decodeId(ids, jeha_id, 'export'));
      if (!row || row.state === 'purged') throw notFound(`Export ${jeha_id} of history ${id} not found`);
      if (row.state !== 'ok' || !row.object_key) {
        throw conflict(row.state === 'error' ? `Export ${jeha_id} failed: ${row.error}` : `Export ${jeha_id} is not ready yet`);
      }
      let body;
      try {
        body = await ctx.store.get(row.object_key);
      } catch (err) {
        if (err instanceof ObjectNotFoundError) throw notFound(`The archive of export ${jeha_id} is gone`);
        throw err;
      }
      reply.header('content-type', row.gzip ? 'application/gzip' : 'application/x-tar');
      reply.header('content-disposition', `attachment; filename="${exportFilename(history.name, row.gzip)}"`);
      if (row.size !== null) reply.header('content-length', String(row.size));
      return reply.send(body);
    },
  );

  app.get(
    '/api/histories/imports/:import_id',
    { schema: { tags, summary: 'Status of a history import (Nebula extension): state, history_id, error', params: ImportParams } },
    async (request) => {
      const { import_id } = request.params as Static<typeof ImportParams>;
      const row = await getImport(pool, decodeId(ids, import_id, 'import'));
      const user = currentUser(request);
      if (!row || (row.user_id !== user.id && !user.is_admin)) throw notFound(`History import ${import_id} not found`);
      return serializeImport(ids, row);
    },
  );
}
