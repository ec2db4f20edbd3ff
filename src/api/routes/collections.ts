import type { RoutePlugin } from '../server.ts';
import { createContentRoutes } from './collections/create.ts';
import { downloadCollectionRoutes } from './collections/download.ts';
import { showCollectionRoutes } from './collections/show.ts';

/** Dataset collections (HDCAs) and POST history contents (copies and new collections). */
export const collectionRoutes: RoutePlugin = async (app, ctx) => {
  for (const plugin of [createContentRoutes, showCollectionRoutes, downloadCollectionRoutes]) await plugin(app, ctx);
};
