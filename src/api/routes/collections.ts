import type { RoutePlugin } from '../server.ts';

/** Dataset collections (owner: datasets area). */
export const collectionRoutes: RoutePlugin = () => {};
