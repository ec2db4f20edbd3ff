/**
 * POST /api/tools for every tool except the built-in uploads: the uploads module's dispatcher
 * hands other tool ids to runJobTool. Answers like Galaxy: outputs (HDA detailed view plus
 * output_name), jobs, implicit_collections and output_collections.
 */
import type { FastifyRequest } from 'fastify';
import { runTool } from '../../../jobs/lifecycle/run-tool.ts';
import { getHdcaWithElements } from '../../../model/collections.ts';
import { currentUser } from '../../auth.ts';
import type { ApiContext } from '../../context.ts';
import { badRequest } from '../../errors.ts';
import { serializeHda } from '../../serializers/hda.ts';
import { serializeHdca } from '../../serializers/hdca.ts';
import { serializeJobSummary } from '../../serializers/job.ts';
import { historyFor } from '../datasets/access.ts';
import { asApiError, decodeJobId } from './common.ts';

function optionalString(body: Record<string, unknown>, key: string): string | undefined {
  const v = body[key];
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v !== 'string') throw badRequest(`${key} must be a string`);
  return v;
}

function parseInputs(raw: unknown): Record<string, unknown> {
  if (raw === undefined || raw === null) return {};
  if (typeof raw === 'string') {
    try {
      raw = JSON.parse(raw);
    } catch {
      throw badRequest('inputs is not valid JSON');
    }
  }
  if (typeof raw !== 'object' || Array.isArray(raw)) throw badRequest('inputs must be an object of parameter values');
  return raw as Record<string, unknown>;
}

export async function runJobTool(ctx: ApiContext, request: FastifyRequest, body: Record<string, unknown>): Promise<unknown> {
  const user = currentUser(request);
  const toolId = optionalString(body, 'tool_id');
  if (!toolId) throw badRequest('tool_id is required');
  const historyEncoded = optionalString(body, 'history_id');
  if (!historyEncoded) throw badRequest('history_id is required');
  const historyId = ctx.ids.decode(historyEncoded);
  if (historyId === null) throw badRequest(`Invalid history id: ${historyEncoded.slice(0, 40)}`);
  const { history } = await historyFor(ctx.pool, historyId, user, 'write', 'History');
  if (history.deleted || history.purged) throw badRequest('History is deleted; it cannot take new jobs');
  const inputs = parseInputs(body.inputs);
  const remapRaw = body.rerun_remap_job_id ?? inputs.rerun_remap_job_id;
  const remapJobId = typeof remapRaw === 'string' && remapRaw ? decodeJobId(ctx.ids, remapRaw) : undefined;
  let created;
  try {
    created = await runTool(ctx, user, {
      historyId,
      toolId,
      toolVersion: optionalString(body, 'tool_version'),
      inputs,
      remapJobId,
    });
  } catch (err) {
    throw asApiError(err);
  }
  const hdaOpts = { isAdmin: user.is_admin };
  const collection = async (c: { outputName: string; hdca: { id: number } }) => ({
    ...serializeHdca(ctx.ids, (await getHdcaWithElements(ctx.pool, c.hdca.id))!, 'detailed', hdaOpts),
    output_name: c.outputName,
  });
  return {
    outputs: created.outputs.map((o) => ({ ...serializeHda(ctx.ids, o.hda, 'detailed', hdaOpts), output_name: o.outputName })),
    jobs: created.jobs.map((j) => serializeJobSummary(ctx.ids, j)),
    implicit_collections: await Promise.all(created.implicitCollections.map(collection)),
    output_collections: await Promise.all(created.outputCollections.map(collection)),
    produces_entry_points: false,
  };
}
