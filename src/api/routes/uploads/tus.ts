import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import { Type } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { byteLimit } from '../../../uploads/byte-limit.ts';
import { uploadSettings } from '../../../uploads/settings.ts';
import { discardSession } from '../../../uploads/discard.ts';
import {
  appendPart,
  createUploadSession,
  getUploadSession,
  partKey,
  type UploadSession,
} from '../../../uploads/tus-sessions.ts';
import { currentUser } from '../../auth.ts';
import type { ApiContext } from '../../context.ts';
import { ApiError, badRequest, conflict, notFound } from '../../errors.ts';
import type { RoutePlugin } from '../../server.ts';

const TUS_VERSION = '1.0.0';
const BASE = '/api/upload/resumable_upload';
const SessionParams = Type.Object({ session_id: Type.String({ maxLength: 100 }) });
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const tooLarge = (message: string) => new ApiError(413, message, 413001);

/** tus `Upload-Metadata`: comma-separated `key base64value` pairs. */
function parseUploadMetadata(header: unknown): Record<string, string> {
  if (typeof header !== 'string' || header.trim() === '') return {};
  const metadata: Record<string, string> = {};
  for (const pair of header.split(',')) {
    const [key, value] = pair.trim().split(' ');
    if (!key || !/^[A-Za-z0-9_.-]{1,100}$/.test(key)) throw badRequest(`Upload-Metadata has an invalid key '${String(key).slice(0, 40)}'`);
    metadata[key] = value ? Buffer.from(value, 'base64').toString('utf8').slice(0, 1000) : '';
  }
  return metadata;
}

function nonNegativeInteger(value: unknown, header: string): number {
  if (typeof value !== 'string' || !/^\d{1,16}$/.test(value)) throw badRequest(`${header} must be a non-negative integer`);
  return Number(value);
}

function tusHeaders(reply: FastifyReply): FastifyReply {
  return reply.header('Tus-Resumable', TUS_VERSION).header('Cache-Control', 'no-store');
}

/** The caller's own session; anyone else's is as unknown as a missing one. */
async function ownSession(ctx: ApiContext, request: FastifyRequest): Promise<UploadSession> {
  const { session_id: id } = request.params as { session_id: string };
  const session = UUID.test(id) ? await getUploadSession(ctx.pool, id) : null;
  if (!session || session.user_id !== currentUser(request).id) throw notFound(`Upload session ${id.slice(0, 40)} not found`);
  return session;
}

/**
 * tus 1.0.0 (core, creation, termination) at /api/upload/resumable_upload. Each PATCH body is
 * streamed into its own object and recorded in PostgreSQL only when fully stored, so a session
 * survives the replica that served it and never buffers a file in memory or on disk.
 */
export const tusRoutes: RoutePlugin = (app, ctx) => {
  // PATCH bodies reach the handler as the raw request stream.
  app.addContentTypeParser('application/offset+octet-stream', (_request, payload, done) => done(null, payload));

  app.options(BASE, { config: { auth: 'none' }, schema: { tags: ['uploads'], summary: 'tus capabilities' } }, async (_request, reply) => {
    tusHeaders(reply)
      .header('Tus-Version', TUS_VERSION)
      .header('Tus-Extension', 'creation,termination')
      .header('Tus-Max-Size', String(uploadSettings(ctx.config).maxUploadBytes))
      .status(204)
      .send();
  });

  app.post(BASE, { schema: { tags: ['uploads'], summary: 'Create a tus upload session' } }, async (request, reply) => {
    const user = currentUser(request);
    if (request.headers['upload-defer-length'] !== undefined) throw badRequest('Upload-Defer-Length is not supported; send Upload-Length');
    const length = nonNegativeInteger(request.headers['upload-length'], 'Upload-Length');
    const max = uploadSettings(ctx.config).maxUploadBytes;
    if (length > max) throw tooLarge(`Upload-Length ${length} exceeds the maximum upload size of ${max} bytes`);
    const metadata = parseUploadMetadata(request.headers['upload-metadata']);
    const session = await createUploadSession(ctx.pool, { id: randomUUID(), userId: user.id, length, metadata });
    tusHeaders(reply).header('Location', `${BASE}/${session.id}`).status(201).send();
  });

  app.head(`${BASE}/:session_id`, { schema: { params: SessionParams, tags: ['uploads'], summary: 'tus upload offset' } }, async (request, reply) => {
    const session = await ownSession(ctx, request);
    tusHeaders(reply).header('Upload-Offset', String(session.offset)).header('Upload-Length', String(session.length)).status(200).send();
  });

  app.patch(
    `${BASE}/:session_id`,
    { schema: { params: SessionParams, tags: ['uploads'], summary: 'Append bytes to a tus upload' } },
    async (request, reply) => {
      const body = request.body as Readable | undefined;
      // Whatever happens below, a body we do not read must not keep the connection waiting.
      const discard = () => body?.resume?.();
      if (!request.headers['content-type']?.startsWith('application/offset+octet-stream')) {
        discard();
        throw new ApiError(415, 'PATCH needs Content-Type: application/offset+octet-stream', 415001);
      }
      const offset = nonNegativeInteger(request.headers['upload-offset'], 'Upload-Offset');
      const session = await ownSession(ctx, request).catch((err) => {
        discard();
        throw err;
      });
      if (session.consumed) {
        discard();
        throw conflict('This upload was already used for a dataset');
      }
      if (offset !== session.offset) {
        discard();
        throw conflict(`Upload-Offset ${offset} does not match the session offset ${session.offset}`);
      }
      const remaining = session.length - session.offset;
      const declared = request.headers['content-length'] === undefined ? undefined : Number(request.headers['content-length']);
      if (declared !== undefined && declared > remaining) {
        discard();
        throw tooLarge(`the chunk of ${declared} bytes goes past Upload-Length (${remaining} bytes remain)`);
      }
      if (!body || declared === 0) {
        tusHeaders(reply).header('Upload-Offset', String(session.offset)).status(204).send();
        return;
      }
      const key = partKey(session.id, offset);
      let stored: number;
      try {
        const limited = body.pipe(byteLimit(remaining, 'the chunk'));
        body.on('error', (err) => limited.destroy(err));
        stored = (await ctx.store.put(key, limited, declared === undefined ? {} : { size: declared })).size;
      } catch (err) {
        await ctx.store.delete(key).catch(() => {});
        if ((err as Error).name === 'UrlRefusedError') throw tooLarge(`the chunk goes past Upload-Length (${remaining} bytes remain)`);
        if ((err as Error).name === 'SizeMismatchError') throw badRequest(`the chunk was truncated: ${(err as Error).message}`);
        throw err;
      }
      if (stored === 0) {
        await ctx.store.delete(key);
        tusHeaders(reply).header('Upload-Offset', String(session.offset)).status(204).send();
        return;
      }
      if (!(await appendPart(ctx.pool, session.id, offset, stored, key))) {
        await ctx.store.delete(key).catch(() => {});
        throw conflict('Another request changed this upload at the same time; HEAD it for the current offset');
      }
      tusHeaders(reply).header('Upload-Offset', String(offset + stored)).status(204).send();
    },
  );

  app.delete(`${BASE}/:session_id`, { schema: { params: SessionParams, tags: ['uploads'], summary: 'Terminate a tus upload' } }, async (request, reply) => {
    const session = await ownSession(ctx, request);
    if (session.consumed) throw conflict('This upload is being turned into a dataset and cannot be terminated');
    await discardSession(ctx.pool, ctx.store, session.id);
    tusHeaders(reply).status(204).send();
  });
};
