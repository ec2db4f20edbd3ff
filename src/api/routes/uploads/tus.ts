import type { RoutePlugin } from '../../server.ts';
export const tusRoutes: RoutePlugin = () => {};
