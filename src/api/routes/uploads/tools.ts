import { Type } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import { currentUser } from '../../auth.ts';
import type { ApiContext } from '../../context.ts';
import { badRequest } from '../../errors.ts';
import type { RoutePlugin } from '../../server.ts';
import { startUpload, toolResponse, writableHistory } from './common.ts';
import { upload1Items } from './upload1.ts';
import { runJobTool } from '../jobs/run-tool.ts';

const ToolRunBody = Type.Object(
  {
    tool_id: Type.String({ minLength: 1, description: 'Only upload1 for now' }),
    history_id: Type.Optional(Type.String()),
    inputs: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    input_format: Type.Optional(Type.String()),
  },
  { additionalProperties: true, description: 'Galaxy tool run; upload1 may also carry files_N|... keys at the top level' },
);

type ToolRunner = (ctx: ApiContext, request: FastifyRequest, body: Record<string, unknown>) => Promise<unknown>;

async function runUpload1(ctx: ApiContext, request: FastifyRequest, body: Record<string, unknown>) {
  const user = currentUser(request);
  const items = upload1Items(body);
  const history = await writableHistory(ctx, user, body.history_id);
  const { job, hdas } = await startUpload(ctx, user, history, 'upload1', body.inputs ?? {}, items);
  return toolResponse(ctx, request, job, hdas);
}

/** Tools this server runs through POST /api/tools; the jobs area extends this to every tool. */
const TOOL_RUNNERS: Record<string, ToolRunner> = { upload1: runUpload1 };

export async function runTool(ctx: ApiContext, request: FastifyRequest, body: Record<string, unknown>): Promise<unknown> {
  const runner = TOOL_RUNNERS[body.tool_id as string];
  if (!runner) return runJobTool(ctx, request, body);
  return runner(ctx, request, body);
}

export const toolRunRoutes: RoutePlugin = (app, ctx) => {
  app.post(
    '/api/tools',
    { schema: { body: ToolRunBody, tags: ['tools'], summary: 'Run a tool (upload1: paste or URL upload)' } },
    async (request) => runTool(ctx, request, request.body as Record<string, unknown>),
  );
};
