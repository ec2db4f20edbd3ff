import type { RoutePlugin } from '../server.ts';
import { fetchRoutes } from './uploads/fetch.ts';
import { toolRunRoutes } from './uploads/tools.ts';
import { tusRoutes } from './uploads/tus.ts';

/** upload1 through POST /api/tools, /api/tools/fetch and tus (owner: uploads area). */
export const uploadRoutes: RoutePlugin = async (app, ctx) => {
  await toolRunRoutes(app, ctx);
  await fetchRoutes(app, ctx);
  await tusRoutes(app, ctx);
};
