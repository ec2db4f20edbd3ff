import type { FastifyRequest } from 'fastify';
import { withTransaction, type PoolClient } from '../../../db/pool.ts';
import { getDatatype } from '../../../datatypes/index.ts';
import { getHistory, historyAccess, type History } from '../../../model/histories.ts';
import type { User } from '../../../model/users.ts';
import { newObjectKey } from '../../../objectstore/keys.ts';
import { createUploadJob, type UploadJob } from '../../../uploads/create-job.ts';
import type { UploadRequestItem, UploadSource } from '../../../uploads/items.ts';
import { parseUploadUrl, UrlRefusedError } from '../../../uploads/url-policy.ts';
import type { ApiContext } from '../../context.ts';
import { badRequest, forbidden, notFound } from '../../errors.ts';
import { serializeHda } from '../../serializers/hda.ts';
import type { Hda } from '../../../model/datasets.ts';

/** The history an upload goes into: must exist, be visible and writable by the user. */
export async function writableHistory(ctx: ApiContext, user: User, encodedId: unknown): Promise<History> {
  if (encodedId === undefined || encodedId === null || encodedId === '') throw badRequest('history_id is required');
  if (typeof encodedId !== 'string') throw badRequest('history_id must be a string');
  const id = ctx.ids.decode(encodedId);
  if (id === null) throw badRequest(`Invalid history id: ${encodedId.slice(0, 40)}`);
  const history = await getHistory(ctx.pool, id);
  const access = history ? await historyAccess(ctx.pool, history, user) : 'none';
  if (!history || access === 'none') throw notFound(`History ${encodedId} not found`);
  if (access !== 'write') throw forbidden('History is not owned by the current user');
  if (history.purged) throw badRequest('History has been purged; it cannot take new datasets');
  return history;
}

/** 'auto' or a registered extension; anything else is the client's mistake. */
export function checkedExtension(ext: unknown): string {
  if (ext === undefined || ext === null || ext === '' || ext === 'auto') return 'auto';
  if (typeof ext !== 'string' || !getDatatype(ext)) throw badRequest(`Unknown datatype '${String(ext).slice(0, 60)}'`);
  return ext;
}

export function checkedUrl(raw: string): string {
  try {
    return parseUploadUrl(raw).href;
  } catch (err) {
    if (err instanceof UrlRefusedError) throw badRequest(err.message);
    throw err;
  }
}

/** A URL's last path segment (decoded), or the whole URL when it has none; a name, never a path. */
export function nameFromUrl(url: string): string {
  try {
    const segments = new URL(url).pathname.split('/').filter(Boolean);
    const last = segments.at(-1);
    return last ? decodeURIComponent(last) : url;
  } catch {
    return url;
  }
}

export function checkedName(name: unknown, fallback: string): string {
  if (name === undefined || name === null || name === '') return fallback;
  if (typeof name !== 'string') throw badRequest('name must be a string');
  if (name.length > 1000) throw badRequest('name is longer than 1000 characters');
  return name;
}

/** An item whose bytes are still to be staged: pasted text waiting for its staging key. */
export type PendingItem = Omit<UploadRequestItem, 'source'> & { source: UploadSource | { kind: 'paste'; text: string } };

/**
 * Stores pasted text under fresh staging keys (before any row exists: an orphan staging object
 * is harmless), then creates the job, HDAs, outputs and task in one transaction.
 */
export async function startUpload<T = undefined>(
  ctx: ApiContext,
  user: User,
  history: History,
  toolId: string,
  params: unknown,
  pending: PendingItem[],
  hooks: {
    /** Runs first in the transaction, e.g. to take tus sessions (and fail the whole upload if one is gone). */
    before?: (client: PoolClient) => Promise<void>;
    /** Runs last in the transaction, e.g. to build a collection of the new datasets. */
    after?: (client: PoolClient, created: { job: UploadJob; hdas: Hda[] }) => Promise<T>;
  } = {},
): Promise<{ job: UploadJob; hdas: Hda[]; extra?: T }> {
  if (pending.length === 0) throw badRequest('No data to upload: give pasted content, a URL or a file');
  const items: UploadRequestItem[] = [];
  for (const item of pending) {
    if (item.source.kind === 'paste') {
      const key = newObjectKey('uploads');
      await ctx.store.put(key, Buffer.from(item.source.text, 'utf8'));
      items.push({ ...item, source: { kind: 'staged', key } });
    } else items.push(item as UploadRequestItem);
  }
  return withTransaction(ctx.pool, async (client) => {
    await hooks.before?.(client);
    const created = await createUploadJob(client, { userId: user.id, historyId: history.id, toolId, params, items });
    return { ...created, extra: await hooks.after?.(client, created) };
  });
}

const iso = (d: Date) => d.toISOString().replace(/Z$/, '');

/** Galaxy's answer to a tool run: the outputs, the job, and no collections unless asked for. */
export function toolResponse(
  ctx: ApiContext,
  request: FastifyRequest,
  job: UploadJob,
  hdas: Hda[],
  outputCollections: unknown[] = [],
) {
  return {
    outputs: hdas.map((hda, i) => ({
      ...serializeHda(ctx.ids, hda, 'detailed', { isAdmin: request.user?.is_admin }),
      output_name: `output${i}`,
    })),
    jobs: [
      {
        model_class: 'Job',
        id: ctx.ids.encode(job.id),
        tool_id: job.tool_id,
        state: job.state,
        history_id: ctx.ids.encode(job.history_id),
        exit_code: null,
        create_time: iso(job.create_time),
        update_time: iso(job.update_time),
        galaxy_version: '23.0',
      },
    ],
    implicit_collections: [],
    output_collections: outputCollections,
    produces_entry_points: false,
  };
}
