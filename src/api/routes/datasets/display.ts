import { Type } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { contentTypeFor, displayFilename } from '../../../datatypes/index.ts';
import { ObjectNotFoundError } from '../../../objectstore/types.ts';
import type { ApiContext } from '../../context.ts';
import { badRequest, notFound } from '../../errors.ts';
import type { RoutePlugin } from '../../server.ts';
import { loadHda } from './access.ts';
import { resolveRange } from './range.ts';
import { EncodedId } from './views.ts';

const DisplayQuery = Type.Object({
  to_ext: Type.Optional(Type.String({ maxLength: 64 })),
  preview: Type.Optional(Type.Boolean()),
  hda_ldda: Type.Optional(Type.String()),
  filename: Type.Optional(Type.String()),
});

/** Quotes a header parameter value; displayFilename already reduced it to safe characters. */
const quoted = (value: string) => `"${value.replace(/["\\]/g, '_')}"`;

/**
 * Streams a dataset's bytes from the object store, honouring one HTTP range. `to_ext` names the
 * download (Galaxy converts nothing here either when the extension is the dataset's own).
 */
async function display(ctx: ApiContext, request: FastifyRequest, reply: FastifyReply, id: string, historyId?: string) {
  const { to_ext } = request.query as { to_ext?: string };
  if (to_ext !== undefined && !/^[A-Za-z0-9_.-]+$/.test(to_ext)) {
    throw badRequest(`Invalid to_ext: ${JSON.stringify(to_ext)}`);
  }
  const { hda } = await loadHda(ctx.pool, ctx.ids, request.user, id, 'read', historyId);
  if (hda.purged || hda.dataset_purged) throw notFound('The dataset you are attempting to view has been purged.');
  if (!hda.object_key) throw notFound('The dataset has no content');
  let size = hda.file_size;
  if (size === null) {
    const info = await ctx.store.head(hda.object_key);
    if (!info) throw notFound(`The dataset has no content yet (state ${hda.state})`);
    size = info.size;
  }
  const ext = to_ext || hda.extension;
  const filename = displayFilename(hda.name, ext, hda.hid);
  reply.header('Accept-Ranges', 'bytes');
  const range = resolveRange(request.headers.range, size);
  if (range.kind === 'unsatisfiable') {
    reply.header('Content-Range', `bytes */${size}`);
    return reply.status(416).send({ err_msg: `Range not satisfiable for a ${size}-byte dataset`, err_code: 416000 });
  }
  reply.header('Content-Type', contentTypeFor(hda.extension));
  reply.header('Content-Disposition', `${to_ext ? 'attachment' : 'inline'}; filename=${quoted(filename)}`);
  if (size === 0) {
    reply.header('Content-Length', '0');
    return reply.send(Buffer.alloc(0));
  }
  const [start, end] = range.kind === 'partial' ? [range.start, range.end] : [0, size - 1];
  let body;
  try {
    body = await ctx.store.get(hda.object_key, { start, end });
  } catch (err) {
    if (err instanceof ObjectNotFoundError) throw notFound(`The dataset has no content yet (state ${hda.state})`);
    throw err;
  }
  if (range.kind === 'partial') {
    reply.status(206);
    reply.header('Content-Range', `bytes ${start}-${end}/${size}`);
  }
  reply.header('Content-Length', String(end - start + 1));
  return reply.send(body);
}

export const displayDatasetRoutes: RoutePlugin = (app, ctx) => {
  app.get(
    '/api/datasets/:id/display',
    {
      config: { auth: 'optional' },
      schema: {
        tags: ['datasets'],
        summary: 'Download a dataset (HTTP ranges supported)',
        params: Type.Object({ id: EncodedId }),
        querystring: DisplayQuery,
      },
    },
    async (request, reply) => display(ctx, request, reply, (request.params as { id: string }).id),
  );
  app.get(
    '/api/histories/:history_id/contents/:id/display',
    {
      config: { auth: 'optional' },
      schema: {
        tags: ['datasets'],
        summary: 'Download a dataset of a history (HTTP ranges supported)',
        params: Type.Object({ history_id: EncodedId, id: EncodedId }),
        querystring: DisplayQuery,
      },
    },
    async (request, reply) => {
      const { history_id, id } = request.params as { history_id: string; id: string };
      return display(ctx, request, reply, id, history_id);
    },
  );
};
