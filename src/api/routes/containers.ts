/**
 * Containers for operators: the images that new and queued jobs need (for node pre-pullers),
 * and the nebula_container_images_needed gauge on /metrics.
 */
import { neededImages, registerContainerMetrics } from '../../containers/needed.ts';
import type { RoutePlugin } from '../server.ts';

export const containerRoutes: RoutePlugin = (app, { pool, metrics }) => {
  registerContainerMetrics(metrics, pool);
  app.get(
    '/api/containers/needed',
    { config: { auth: 'admin' as const }, schema: { tags: ['containers'], summary: 'Container images that new and queued jobs need, pinned where resolved' } },
    async () => neededImages(pool),
  );
};
