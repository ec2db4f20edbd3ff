import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { Queryable } from '../../../db/pool.ts';
import type { IdCodec } from '../../../util/ids.ts';
import type { ApiContext } from '../../context.ts';
import { notFound } from '../../errors.ts';
import { decodeId, loadHistory, parseBool } from './common.ts';

const Params = Type.Object({ history_id: Type.String(), id: Type.String({ description: 'encoded dataset (HDA) id' }) });
const Query = Type.Object({ follow: Type.Optional(Type.String({ description: 'also describe the inputs, recursively' })) });

interface ProvenanceRow {
  id: number;
  uuid: string;
  job_id: number | null;
  tool_id: string | null;
  params: Record<string, unknown> | null;
  stdout: string | null;
  stderr: string | null;
}

/** Follow chains are bounded so a pathological job graph cannot make a request run forever. */
const MAX_DEPTH = 50;

async function provenanceOf(db: Queryable, ids: IdCodec, hdaId: number, follow: boolean, depth: number): Promise<Record<string, unknown>> {
  const { rows } = await db.query<ProvenanceRow>(
    `SELECT h.id, d.uuid, j.id AS job_id, j.tool_id, j.params, j.stdout, j.stderr
       FROM hdas h JOIN datasets d ON d.id = h.dataset_id LEFT JOIN jobs j ON j.id = h.creating_job_id
      WHERE h.id = $1`,
    [hdaId],
  );
  const row = rows[0];
  const minimal = { id: ids.encode(row.id), uuid: row.uuid };
  const parameters: Record<string, unknown> = { ...(row.params ?? {}) };
  if (row.job_id !== null) {
    const { rows: inputs } = await db.query<{ name: string; hda_id: number; uuid: string }>(
      `SELECT i.name, i.hda_id, d.uuid FROM job_inputs i JOIN hdas h ON h.id = i.hda_id JOIN datasets d ON d.id = h.dataset_id
        WHERE i.job_id = $1 ORDER BY i.name`,
      [row.job_id],
    );
    for (const input of inputs) {
      parameters[input.name] =
        follow && depth < MAX_DEPTH
          ? await provenanceOf(db, ids, input.hda_id, follow, depth + 1)
          : { id: ids.encode(input.hda_id), uuid: input.uuid };
    }
  }
  return {
    ...minimal,
    job_id: row.job_id === null ? null : ids.encode(row.job_id),
    tool_id: row.tool_id,
    parameters,
    stdout: row.stdout ?? '',
    stderr: row.stderr ?? '',
  };
}

/** GET …/contents/{id}/provenance: the job that made a dataset, its tool and parameters. */
export function provenanceRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.get(
    '/api/histories/:history_id/contents/:id/provenance',
    { config: { auth: 'optional' }, schema: { tags: ['histories'], summary: 'Provenance of a dataset', params: Params, querystring: Query } },
    async (request) => {
      const { history_id, id } = request.params as Static<typeof Params>;
      const follow = parseBool((request.query as Static<typeof Query>).follow, 'follow') ?? false;
      const { history } = await loadHistory(ctx.pool, ctx.ids, request, history_id, 'read');
      const hdaId = decodeId(ctx.ids, id, 'dataset');
      const { rowCount } = await ctx.pool.query('SELECT 1 FROM hdas WHERE id = $1 AND history_id = $2', [hdaId, history.id]);
      if (!rowCount) throw notFound(`Dataset ${id} not found in history ${history_id}`);
      return provenanceOf(ctx.pool, ctx.ids, hdaId, follow, 0);
    },
  );
}
