import { Type, type Static } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Queryable } from '../../../db/pool.ts';
import { getUser, type User } from '../../../model/users.ts';
import type { IdCodec } from '../../../util/ids.ts';
import { currentUser } from '../../auth.ts';
import { badRequest, forbidden, notFound } from '../../errors.ts';

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

export const UserIdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 200 }) });
export type UserIdParams = Static<typeof UserIdParams>;

// Galaxy's public name rule (validate_publicname) and a plain one-@ email check.
export const Username = Type.String({
  pattern: '^[a-z0-9._-]{3,255}$',
  description: 'lower case letters, digits, ".", "_" and "-"; 3 to 255 characters',
});
export const Email = Type.String({ pattern: '^[^@\\s]+@[^@\\s]+$', maxLength: 255, description: 'an email address' });

/**
 * Resolves the `{id}` of /api/users/{id}/...: `current` or an encoded id. A user may act only on
 * itself, an admin on anyone; the ownership check comes before the lookup, so a user cannot learn
 * which ids exist.
 */
export async function targetUser(
  request: FastifyRequest,
  ids: IdCodec,
  db: Queryable,
  deniedMessage = 'You may only view your own user.',
): Promise<User> {
  const me = currentUser(request);
  const { id } = request.params as UserIdParams;
  if (id === 'current') return me;
  const decoded = ids.decode(id);
  if (decoded === null) throw badRequest(`Invalid user id: ${id}`);
  if (decoded !== me.id && !me.is_admin) throw forbidden(deniedMessage);
  const user = await getUser(db, decoded);
  if (!user) throw notFound(`User ${id} not found`);
  return user;
}

/** Galaxy answers some routes with a bare JSON string; Fastify would send a returned string as text/plain. */
export const jsonString = (reply: FastifyReply, value: string) => reply.type('application/json').send(JSON.stringify(value));
