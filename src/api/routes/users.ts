import type { RoutePlugin } from '../server.ts';
import { userApiKeyRoutes } from './users/api-keys.ts';
import { userCrudRoutes } from './users/crud.ts';
import { userInformationRoutes } from './users/information.ts';

export { serializeUser } from './users/common.ts';

/** Galaxy's /api/users: accounts, their API keys and their information form. */
export const userRoutes: RoutePlugin = async (app, ctx) => {
  await userCrudRoutes(app, ctx);
  await userApiKeyRoutes(app, ctx);
  await userInformationRoutes(app, ctx);
};
