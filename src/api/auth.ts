import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Pool } from '../db/pool.ts';
import { findUserByApiKey, type User } from '../model/users.ts';
import { forbidden, unauthorized } from './errors.ts';

declare module 'fastify' {
  interface FastifyRequest {
    user: User | null;
  }
  interface FastifyContextConfig {
    /** none: public; optional: anonymous allowed; user: a key is needed; admin: an admin key. */
    auth?: 'none' | 'optional' | 'user' | 'admin';
  }
}

/** Galaxy clients send the key in the x-api-key header (BioBlend) or the `key` query parameter. */
export function apiKeyOf(request: FastifyRequest): string | undefined {
  const header = request.headers['x-api-key'];
  if (typeof header === 'string' && header) return header;
  const query = request.query as Record<string, unknown> | undefined;
  return typeof query?.key === 'string' && query.key ? query.key : undefined;
}

export function authHook(pool: Pool) {
  return async (request: FastifyRequest, _reply: FastifyReply) => {
    const mode = request.routeOptions.config.auth ?? 'user';
    request.user = null;
    if (mode === 'none') return;
    const key = apiKeyOf(request);
    if (key) {
      request.user = await findUserByApiKey(pool, key);
      if (!request.user) throw unauthorized('Provided API key is not valid.');
    }
    if (mode === 'optional') return;
    if (!request.user) throw unauthorized();
    if (mode === 'admin' && !request.user.is_admin) throw forbidden('You must be an administrator to access this feature.');
  };
}

/** For handlers behind auth 'user' or 'admin', where a user is guaranteed. */
export function currentUser(request: FastifyRequest): User {
  if (!request.user) throw unauthorized();
  return request.user;
}
