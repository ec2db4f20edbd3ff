import { Type, type Static } from '@sinclair/typebox';
import { withTransaction } from '../../../db/pool.ts';
import { TERMINAL_JOB_STATES } from '../../../jobs/interfaces.ts';
import { requestCancel } from '../../../jobs/lifecycle/cancel.ts';
import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH, hashPassword } from '../../../model/passwords.ts';
import { createUser, DuplicateUserError, isBootstrapAdmin, listUsers, markUserDeleted } from '../../../model/users.ts';
import { currentUser } from '../../auth.ts';
import { ApiError, conflict, forbidden } from '../../errors.ts';
import type { RoutePlugin } from '../../server.ts';
import { Email, serializeUser, targetUser, UserIdParams, Username } from './common.ts';

const CreateUserBody = Type.Object({
  username: Username,
  email: Email,
  password: Type.Optional(
    Type.String({ minLength: PASSWORD_MIN_LENGTH, maxLength: PASSWORD_MAX_LENGTH, description: 'kept only as a salted scrypt hash' }),
  ),
  remote_user_email: Type.Optional(Type.String()),
});

const DeleteQuery = Type.Object({ purge: Type.Optional(Type.Boolean()) });
const DeleteBody = Type.Union([Type.Object({ purge: Type.Optional(Type.Boolean()) }), Type.Null()]);

/** Jobs of a deleted user that have not ended; Galaxy stops them too (UserManager.delete). */
async function cancelActiveJobs(db: Parameters<typeof requestCancel>[0], userId: number): Promise<number> {
  const { rows } = await db.query<{ id: string }>(
    `SELECT id FROM jobs WHERE user_id = $1 AND NOT (state = ANY($2)) AND state <> 'deleting' ORDER BY id`,
    [userId, TERMINAL_JOB_STATES],
  );
  let cancelled = 0;
  for (const row of rows) if (await requestCancel(db, Number(row.id))) cancelled++;
  return cancelled;
}

export const userCrudRoutes: RoutePlugin = (app, { pool, ids, log }) => {
  app.get(
    '/api/users',
    {
      schema: {
        tags: ['users'],
        summary: 'List users (a non-admin sees only itself)',
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
    { config: { auth: 'admin' }, schema: { tags: ['users'], summary: 'Create a user (admin)', body: CreateUserBody } },
    async (request) => {
      const body = request.body as Static<typeof CreateUserBody>;
      const passwordHash = body.password === undefined ? null : await hashPassword(body.password);
      try {
        return serializeUser(ids, await createUser(pool, { email: body.email, username: body.username, passwordHash }), true);
      } catch (err) {
        if (err instanceof DuplicateUserError) throw conflict(err.message);
        throw err;
      }
    },
  );

  app.get(
    '/api/users/:id',
    { schema: { tags: ['users'], summary: 'Show a user (yourself, or anyone for an admin)', params: UserIdParams } },
    async (request) => serializeUser(ids, await targetUser(request, ids, pool), true),
  );

  app.delete(
    '/api/users/:id',
    {
      schema: {
        tags: ['users'],
        summary: 'Delete a user (yourself, or anyone for an admin); its keys, password and unfinished jobs stop',
        params: UserIdParams,
        querystring: DeleteQuery,
        body: DeleteBody,
      },
    },
    async (request) => {
      const target = await targetUser(request, ids, pool, 'You may only delete your own account.');
      const purge = (request.query as Static<typeof DeleteQuery>).purge === true || (request.body as { purge?: boolean } | null)?.purge === true;
      if (purge) throw new ApiError(501, 'Purging users is not implemented in Nebula; delete without purge. Nothing was changed.', 501001);
      if (isBootstrapAdmin(target)) {
        throw forbidden('The bootstrap admin (the account NEBULA_ADMIN_KEY opens) cannot be deleted.');
      }
      const { user, cancelled } = await withTransaction(pool, async (client) => {
        const deleted = await markUserDeleted(client, target.id);
        return { user: deleted!, cancelled: await cancelActiveJobs(client, target.id) };
      });
      log.info({ user: target.id, by: currentUser(request).id, cancelledJobs: cancelled }, 'user deleted');
      return serializeUser(ids, user, true);
    },
  );
};
