/**
 * Job-scoped tokens. A token is derived from a cluster secret and (job uuid, attempt), so a
 * job.submit task that crashed after handing it to a runner derives the same one when it runs
 * again, and the adopted attempt can still report. Only its hash is stored.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { Queryable } from '../../db/pool.ts';
import { getOrCreateSetting, randomSecret } from '../../model/settings.ts';

export async function jobToken(db: Queryable, jobUuid: string, attempt: number): Promise<string> {
  const secret = await getOrCreateSetting(db, 'job_token_secret', randomSecret);
  return createHmac('sha256', secret).update(`${jobUuid}:${attempt}`).digest('base64url');
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export function tokenMatches(token: string, storedHash: string | null): boolean {
  if (!storedHash) return false;
  const a = Buffer.from(hashToken(token), 'hex');
  const b = Buffer.from(storedHash, 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}
