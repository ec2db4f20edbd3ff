import { Type, type Static } from '@sinclair/typebox';
import { DuplicateUserError, isBootstrapAdmin, updateUserInformation } from '../../../model/users.ts';
import { badRequest, conflict, forbidden, notFound } from '../../errors.ts';
import type { RoutePlugin } from '../../server.ts';
import { Email, targetUser, UserIdParams, Username } from './common.ts';

const EDITABLE = ['email', 'username'] as const;
// Other keys are refused, not ignored: Galaxy's form also takes addresses and custom user
// information, which Nebula does not keep, and a client must not believe they were saved.
const InformationBody = Type.Object(
  { email: Type.Optional(Email), username: Type.Optional(Username) },
  { additionalProperties: true, description: 'the fields to change; others are refused' },
);
type InformationBody = Static<typeof InformationBody>;

export const userInformationRoutes: RoutePlugin = (app, { pool, ids }) => {
  const denied = 'You may only view or change your own information.';

  app.get(
    '/api/users/:id/information/inputs',
    { schema: { tags: ['users'], summary: "The user's email and public name, as Galaxy's form inputs", params: UserIdParams } },
    async (request) => {
      const user = await targetUser(request, ids, pool, denied);
      return {
        id: ids.encode(user.id),
        email: user.email,
        username: user.username,
        inputs: [
          { id: 'email_input', name: 'email', type: 'text', label: 'Email address', value: user.email, help: '' },
          {
            id: 'name_input',
            name: 'username',
            type: 'text',
            label: 'Public name',
            value: user.username,
            help: 'Public names must be at least three characters in length and contain only lower-case letters, numbers, dots, underscores, and dashes (".", "_", "-").',
          },
        ],
      };
    },
  );

  app.put(
    '/api/users/:id/information/inputs',
    {
      schema: {
        tags: ['users'],
        summary: "Change the user's email and/or public name (yourself, or anyone for an admin)",
        params: UserIdParams,
        body: InformationBody,
      },
    },
    async (request) => {
      const user = await targetUser(request, ids, pool, denied);
      const body = request.body;
      if (body === null || typeof body !== 'object' || Array.isArray(body)) {
        throw badRequest('Invalid body: expected a JSON object with email and/or username');
      }
      const unknown = Object.keys(body).filter((k) => !(EDITABLE as readonly string[]).includes(k));
      if (unknown.length) {
        throw badRequest(`Invalid body: unknown field(s) ${unknown.map((k) => JSON.stringify(k)).join(', ')}; Nebula keeps only ${EDITABLE.join(' and ')}`);
      }
      const { email, username } = body as InformationBody;
      if (email !== undefined && email.toLowerCase() !== user.email.toLowerCase() && isBootstrapAdmin(user)) {
        throw forbidden('The email of the bootstrap admin identifies it at every start and cannot be changed.');
      }
      try {
        if (!(await updateUserInformation(pool, user.id, { email, username }))) throw notFound('User not found');
      } catch (err) {
        if (err instanceof DuplicateUserError) throw conflict(err.field ? `${err.field}: ${err.message}` : err.message);
        throw err;
      }
      return { message: 'User information has been saved.' };
    },
  );
};
