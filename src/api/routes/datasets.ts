import type { RoutePlugin } from '../server.ts';
import { displayDatasetRoutes } from './datasets/display.ts';
import { listDatasetsRoute } from './datasets/list.ts';
import { showDatasetRoutes } from './datasets/show.ts';
import { updateDatasetRoutes } from './datasets/update.ts';

/** /api/datasets and the dataset items of history contents. */
export const datasetRoutes: RoutePlugin = async (app, ctx) => {
  for (const plugin of [listDatasetsRoute, showDatasetRoutes, displayDatasetRoutes, updateDatasetRoutes]) {
    await plugin(app, ctx);
  }
};
