import type { RoutePlugin } from '../server.ts';
import { jobActionRoutes } from './jobs/actions.ts';
import { jobListRoutes } from './jobs/list.ts';
import { jobShowRoutes } from './jobs/show.ts';
import { jobExecRoutes } from './job-exec.ts';

/** The jobs API (Galaxy's /api/jobs) and the executor's endpoints (owner: jobs area). */
export const jobRoutes: RoutePlugin = async (app, ctx) => {
  await jobActionRoutes(app, ctx);
  await jobListRoutes(app, ctx);
  await jobShowRoutes(app, ctx);
  await jobExecRoutes(app, ctx);
};
