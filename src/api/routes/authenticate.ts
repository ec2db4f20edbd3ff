/**
 * Galaxy's GET /api/authenticate/baseauth: HTTP Basic credentials (email or username, and
 * password) in, an API key out. BioBlend calls it when a GalaxyInstance is built with email and
 * password instead of a key, and sends the base64 credentials with or without the `Basic ` scheme.
 */
import { Type } from '@sinclair/typebox';
import { verifyPassword } from '../../model/passwords.ts';
import { createApiKey, findLoginUser } from '../../model/users.ts';
import { badRequest, unauthorized } from '../errors.ts';
import type { RoutePlugin } from '../server.ts';

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** The identity and password of an Authorization header; a 400 naming what is wrong otherwise. */
export function parseBasicAuthorization(header: string | undefined): { identity: string; password: string } {
  if (header === undefined || header.trim() === '') throw badRequest('Authentication is missing: send an Authorization header with base64 of email:password');
  const parts = header.trim().split(/\s+/);
  let encoded: string;
  if (parts.length === 1) encoded = parts[0];
  else if (parts.length === 2 && parts[0].toLowerCase() === 'basic') encoded = parts[1];
  else throw badRequest('Invalid authorization line: expected "Basic <base64 of email:password>"');
  if (!BASE64.test(encoded) || encoded.length % 4 === 1) throw badRequest('Invalid authorization line: the credentials are not base64');
  const decoded = Buffer.from(encoded, 'base64').toString('utf8');
  // RFC 7617: the user id has no colon, the password may have some.
  const colon = decoded.indexOf(':');
  if (colon <= 0) throw badRequest('Invalid authorization line: the credentials must be email:password');
  return { identity: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

export const authenticateRoutes: RoutePlugin = (app, { pool, log }) => {
  app.get(
    '/api/authenticate/baseauth',
    {
      config: { auth: 'none' },
      schema: {
        tags: ['authenticate'],
        summary: 'An API key for the user named by HTTP Basic credentials (email or username : password)',
        security: [],
        response: { 200: Type.Object({ api_key: Type.String() }) },
      },
    },
    async (request) => {
      const { identity, password } = parseBasicAuthorization(request.headers.authorization);
      const found = await findLoginUser(pool, identity);
      // Unknown user, no password set, deleted user and wrong password answer alike and take
      // about as long, so the answer does not tell which accounts exist.
      const ok = await verifyPassword(password, found?.passwordHash);
      if (!found || !ok) {
        log.info({ req: request.id }, 'basic authentication failed');
        throw unauthorized('Invalid email, username or password.');
      }
      // Keys are stored hashed, so Galaxy's "the user's existing key" cannot be returned: each
      // login gets a key of its own, and the keys of earlier logins keep working.
      return { api_key: await createApiKey(pool, found.user.id) };
    },
  );
};
