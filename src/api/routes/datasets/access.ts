import type { Queryable } from '../../../db/pool.ts';
import { getHda, type Hda } from '../../../model/datasets.ts';
import { getHdca, type Hdca } from '../../../model/collections.ts';
import { getHistory, historyAccess, type Access, type History } from '../../../model/histories.ts';
import type { User } from '../../../model/users.ts';
import type { IdCodec } from '../../../util/ids.ts';
import { badRequest, forbidden, notFound } from '../../errors.ts';

/** Decodes an encoded id from the request; a string this server did not make is a 400. */
export function decodeId(ids: IdCodec, value: unknown, what: string): number {
  const id = typeof value === 'string' ? ids.decode(value) : null;
  if (id === null) throw badRequest(`Invalid ${what} id: ${JSON.stringify(value)}`);
  return id;
}

/**
 * The history a content item lives in, checked against what the caller needs. Someone who may
 * not read it learns nothing (404, as for an unknown id); a reader asking to change it gets 403.
 */
export async function historyFor(
  db: Queryable,
  historyId: number,
  user: User | null,
  need: 'read' | 'write',
  what: string,
): Promise<{ history: History; access: Access }> {
  const history = await getHistory(db, historyId);
  const access = history ? await historyAccess(db, history, user) : 'none';
  if (!history || access === 'none') throw notFound(`${what} not found`);
  if (need === 'write' && access !== 'write') throw forbidden(`You do not own this ${what.toLowerCase()}`);
  return { history, access };
}

export interface LoadedHda {
  hda: Hda;
  history: History;
  access: Access;
}

/** An HDA the user may read (or change); when `inHistory` is given the HDA must be in it. */
export async function loadHda(
  db: Queryable,
  ids: IdCodec,
  user: User | null,
  encodedId: unknown,
  need: 'read' | 'write',
  inHistory?: unknown,
): Promise<LoadedHda> {
  const id = decodeId(ids, encodedId, 'dataset');
  const historyId = inHistory === undefined ? undefined : decodeId(ids, inHistory, 'history');
  const hda = await getHda(db, id);
  if (!hda || (historyId !== undefined && hda.history_id !== historyId)) throw notFound('Dataset not found');
  const { history, access } = await historyFor(db, hda.history_id, user, need, 'Dataset');
  return { hda, history, access };
}

export interface LoadedHdca {
  hdca: Hdca;
  history: History;
  access: Access;
}

export async function loadHdca(
  db: Queryable,
  ids: IdCodec,
  user: User | null,
  encodedId: unknown,
  need: 'read' | 'write',
  inHistory?: unknown,
): Promise<LoadedHdca> {
  const id = decodeId(ids, encodedId, 'dataset collection');
  const historyId = inHistory === undefined ? undefined : decodeId(ids, inHistory, 'history');
  const hdca = await getHdca(db, id);
  if (!hdca || (historyId !== undefined && hdca.history_id !== historyId)) {
    throw notFound('Dataset collection not found');
  }
  const { history, access } = await historyFor(db, hdca.history_id, user, need, 'Dataset collection');
  return { hdca, history, access };
}
