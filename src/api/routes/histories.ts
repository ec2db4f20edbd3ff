import type { RoutePlugin } from '../server.ts';

/** /api/histories and history contents listing (owner: histories area). */
export const historyRoutes: RoutePlugin = () => {};
