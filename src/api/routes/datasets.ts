import type { RoutePlugin } from '../server.ts';

/** /api/datasets and history dataset contents (owner: datasets area). */
export const datasetRoutes: RoutePlugin = () => {};
