import type { RoutePlugin } from '../server.ts';

/** upload1 through POST /api/tools, /api/tools/fetch and tus (owner: uploads area). */
export const uploadRoutes: RoutePlugin = () => {};
