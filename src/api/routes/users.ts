import { Type, type Static } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import {
  createApiKey,
  createUser,
  DuplicateUserError,
  getUser,
  listUsers,
  rotateApiKey,
  type User,
} from '../../model/users.ts';
import type { IdCodec } from '../../util/ids.ts';
import { currentUser } from '../auth.ts';
import { badRequest, conflict, forbidden, notFound } from '../errors.ts';
import type { RoutePlugin } from '../server.ts';

export function serializeUser(ids: IdCodec, user: User, full: boolean) {
  const base = {
    id: ids.encode(user.id),
    username: user.username,
    model_class: 'User',
    deleted: user.deleted,
  };
  if (!full) return base;
  return {
    ...base,
    email: user.email,
    purged: user.purged,
    is_admin: user.is_admin,
    quota_percent: null,
    total_disk_usage: 0,
    nice_total_disk_usage: '0 bytes',
    preferences: {},
    tags_used: [],
  };
}

const UserIdParams = Type.Object({ id: Type.String() });
const CreateUserBody = Type.Object({
  username: Type.String({ pattern: '^[a-z0-9._-]{3,255}$', description: 'lower case letters, digits, ".", "_" and "-"' }),
  email: Type.String({ pattern: '^[^@\\s]+@[^@\\s]+$', maxLength: 255 }),
  password: Type.Optional(Type.String()),
  remote_user_email: Type.Optional(Type.String()),
});

/** Resolves the `{id}` of /api/users/{id}: `current` or an encoded id; users see only themselves. */
async function targetUser(request: FastifyRequest, ids: IdCodec, pool: Parameters<typeof getUser>[0]): Promise<User> {
  const me = currentUser(request);
  const { id } = request.params as Static<typeof UserIdParams>;
  if (id === 'current') return me;
  const decoded = ids.decode(id);
  if (decoded === null) throw badRequest(`Invalid user id: ${id}`);
  if (decoded !== me.id && !me.is_admin) throw forbidden('You may only view your own user.');
  const user = await getUser(pool, decoded);
  if (!user) throw notFound(`User ${id} not found`);
  return user;
}

export const userRoutes: RoutePlugin = (app, { pool, ids }) => {
  app.get(
    '/api/users',
    {
      schema: {
        tags: ['users'],
        querystring: Type.Object({ deleted: Type.Optional(Type.Boolean()), f_email: Type.Optional(Type.String()) }),
      },
    },
    async (request) => {
      const me = currentUser(request);
      const q = request.query as { deleted?: boolean; f_email?: string };
      if (!me.is_admin) return [serializeUser(ids, me, true)];
      const users = await listUsers(pool, { deleted: q.deleted, email: q.f_email });
      return users.map((u) => serializeUser(ids, u, true));
    },
  );

  app.post(
    '/api/users',
    { config: { auth: 'admin' }, schema: { tags: ['users'], body: CreateUserBody } },
    async (request) => {
      const body = request.body as Static<typeof CreateUserBody>;
      try {
        return serializeUser(ids, await createUser(pool, { email: body.email, username: body.username }), true);
      } catch (err) {
        if (err instanceof DuplicateUserError) throw conflict(err.message);
        throw err;
      }
    },
  );

  app.get('/api/users/:id', { schema: { tags: ['users'], params: UserIdParams } }, async (request) =>
    serializeUser(ids, await targetUser(request, ids, pool), true),
  );

  // Galaxy 21.01+: returns the user's key, creating one if needed (BioBlend's test setup).
  // Galaxy answers a bare JSON string; Fastify would send a returned string as text/plain.
  const jsonString = (reply: FastifyReply, value: string) => reply.type('application/json').send(JSON.stringify(value));

  app.get('/api/users/:id/api_key', { schema: { tags: ['users'], params: UserIdParams } }, async (request, reply) => {
    const user = await targetUser(request, ids, pool);
    return jsonString(reply, await createApiKey(pool, user.id));
  });

  app.post('/api/users/:id/api_key', { schema: { tags: ['users'], params: UserIdParams } }, async (request, reply) => {
    const user = await targetUser(request, ids, pool);
    return jsonString(reply, await rotateApiKey(pool, user.id));
  });
};
