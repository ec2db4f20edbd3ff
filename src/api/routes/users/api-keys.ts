import { createApiKey, rotateApiKey } from '../../../model/users.ts';
import { apiKeyOf, currentUser } from '../../auth.ts';
import type { RoutePlugin } from '../../server.ts';
import { jsonString, targetUser, UserIdParams } from './common.ts';

const NOT_AVAILABLE = 'Not available.';

export const userApiKeyRoutes: RoutePlugin = (app, { pool, ids }) => {
  const denied = "You may only see or change your own API keys.";

  // Galaxy 21.01+: returns the user's key, creating one if needed (BioBlend's test setup).
  app.get(
    '/api/users/:id/api_key',
    { schema: { tags: ['users'], summary: 'A new API key for the user (keys are stored hashed, so none is shown twice)', params: UserIdParams } },
    async (request, reply) => {
      const user = await targetUser(request, ids, pool, denied);
      return jsonString(reply, await createApiKey(pool, user.id));
    },
  );

  app.post(
    '/api/users/:id/api_key',
    { schema: { tags: ['users'], summary: "Replace the user's API keys with a new one", params: UserIdParams } },
    async (request, reply) => {
      const user = await targetUser(request, ids, pool, denied);
      return jsonString(reply, await rotateApiKey(pool, user.id));
    },
  );

  // Galaxy's form for the key (BioBlend get_user_apikey reads inputs[0].value). Nebula keeps only
  // hashes of keys, so the one key it can show is the key this very request came with, and only
  // to its owner; anyone else (an admin looking at another user) gets Galaxy's "Not available.".
  app.get(
    '/api/users/:id/api_key/inputs',
    { schema: { tags: ['users'], summary: "The user's current API key, as Galaxy's form inputs", params: UserIdParams } },
    async (request) => {
      const user = await targetUser(request, ids, pool, denied);
      const own = user.id === currentUser(request).id ? apiKeyOf(request) : undefined;
      return {
        message: '',
        inputs: [
          {
            name: 'api-key',
            type: 'text',
            label: 'Current API key:',
            value: own ?? NOT_AVAILABLE,
            readonly: true,
            help:
              'An API key will allow you to access via web API. Please note that this key acts as an alternate means to access your account and should be treated with the same care as your login password. ' +
              'Nebula stores keys hashed: only the key this request was made with can be shown; POST /api/users/{id}/api_key makes a new one.',
          },
        ],
      };
    },
  );
};
