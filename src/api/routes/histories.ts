import type { RoutePlugin } from '../server.ts';
import { installBodyParsers } from './histories/common.ts';
import { historyContentsRoutes } from './histories/contents.ts';
import { historyCrudRoutes } from './histories/crud.ts';
import { historyExportRoutes } from './histories/exports.ts';
import { provenanceRoutes } from './histories/provenance.ts';

/**
 * /api/histories and history contents listing (owner: histories area). Registered in their
 * own encapsulated scope so that their multipart parser (history import) applies to these
 * routes only.
 */
export const historyRoutes: RoutePlugin = async (app, ctx) => {
  await app.register(async (scope) => {
    installBodyParsers(scope);
    historyCrudRoutes(scope, ctx);
    historyContentsRoutes(scope, ctx, ctx.ids);
    provenanceRoutes(scope, ctx);
    historyExportRoutes(scope, ctx);
  });
};
