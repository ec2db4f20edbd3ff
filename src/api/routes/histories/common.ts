import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Queryable } from '../../../db/pool.ts';
import { historyAccess, type Access } from '../../../model/histories.ts';
import { getHistoryRow, type HistoryRow } from '../../../histories/queries.ts';
import type { IdCodec } from '../../../util/ids.ts';
import { badRequest, forbidden, notFound } from '../../errors.ts';
import { parseMultipart } from './multipart.ts';

/** Decodes an encoded id from the URL or body; a malformed one is the client's error. */
export function decodeId(ids: IdCodec, encoded: string, what: string): number {
  const id = ids.decode(encoded);
  if (id === null) throw badRequest(`Invalid ${what} id: ${encoded}`);
  return id;
}

/**
 * Loads a history the requester may `need` (read or write). A history they may not see at all
 * answers 404, as if it did not exist; one they may only read answers 403 to a write.
 */
export async function loadHistory(
  db: Queryable,
  ids: IdCodec,
  request: FastifyRequest,
  encodedId: string,
  need: Exclude<Access, 'none'>,
): Promise<{ history: HistoryRow; access: Access }> {
  const id = decodeId(ids, encodedId, 'history');
  const history = await getHistoryRow(db, id);
  const access = history ? await historyAccess(db, history, request.user) : 'none';
  if (!history || access === 'none') throw notFound(`History ${encodedId} not found`);
  if (need === 'write' && access !== 'write') throw forbidden(`History ${encodedId} is not owned by you`);
  return { history, access };
}

/** Galaxy clients send booleans as true/false, True/False (Python) or 1/0. */
export function parseBool(value: unknown, name: string): boolean | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value === 'boolean') return value;
  const s = String(value).toLowerCase();
  if (s === 'true' || s === '1' || s === 'yes') return true;
  if (s === 'false' || s === '0' || s === 'no') return false;
  throw badRequest(`Invalid value for ${name}: expected a boolean, got ${JSON.stringify(value)}`);
}

/** Galaxy's q/qv pairs (`q=deleted&qv=true`), either repeated or single. */
export function filterPairs(q: unknown, qv: unknown): [string, string][] {
  const keys = q === undefined ? [] : Array.isArray(q) ? q.map(String) : [String(q)];
  const values = qv === undefined ? [] : Array.isArray(qv) ? qv.map(String) : [String(qv)];
  if (keys.length !== values.length) throw badRequest(`q and qv must come in pairs: ${keys.length} q, ${values.length} qv`);
  return keys.map((k, i) => [k, values[i]]);
}

/** Comma-separated or repeated list parameters (`keys=a,b`, `types=a&types=b`). */
export function listParam(value: unknown): string[] | undefined {
  if (value === undefined || value === '') return undefined;
  const items = Array.isArray(value) ? value.map(String) : [String(value)];
  return items.flatMap((v) => v.split(',')).map((v) => v.trim()).filter(Boolean);
}

/**
 * Body parsers for the history routes (encapsulated to them): multipart/form-data (history
 * import) becomes fields and files. Empty JSON bodies are handled server-wide.
 */
export function installBodyParsers(scope: FastifyInstance): void {
  scope.addContentTypeParser('multipart/form-data', { parseAs: 'buffer' }, (request, body, done) => {
    try {
      done(null, parseMultipart(String(request.headers['content-type']), body as Buffer));
    } catch (err) {
      done(err as Error, undefined);
    }
  });
}
