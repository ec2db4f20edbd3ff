import type { Queryable } from '../db/pool.ts';
import { ApiError } from '../api/errors.ts';

export interface ImportRequest {
  type: string;
  source?: string;
  file?: { filename: string; data: Buffer } | string;
}

/** History import from an archive: not available yet. */
export async function startHistoryImport(_db: Queryable, _userId: number, _request: ImportRequest): Promise<Record<string, unknown>> {
  throw new ApiError(501, 'History import from archives is not implemented yet', 501001);
}
