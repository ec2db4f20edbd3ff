import type { RoutePlugin } from '../../server.ts';
export const fetchRoutes: RoutePlugin = () => {};
