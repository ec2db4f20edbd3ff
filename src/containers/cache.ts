/**
 * The shared resolution cache in PostgreSQL. Every replica reads the same rows; a miss takes a
 * transaction-scoped advisory lock keyed by the request, so concurrent misses anywhere in the
 * cluster cause ONE upstream lookup: the others wait on the lock, then find the fresh row.
 * Failures are cached too (short TTL), so a registry that is down is not asked again at once.
 */
import type { Pool, Queryable } from '../db/pool.ts';
import { ContainerResolutionError, type ContainerRequest, type ResolvedContainer } from './resolve.ts';

interface Row {
  status: 'found' | 'failed';
  image: string | null;
  digest: string | null;
  pinned: string | null;
  registry: string | null;
  source: string | null;
  error: string | null;
}

export interface CacheTtls {
  positiveTtlSeconds: number;
  negativeTtlSeconds: number;
  /** How long a waiter may wait for another replica's lookup before giving up. */
  lockWaitSeconds: number;
}

async function readFresh(db: Queryable, key: string): Promise<Row | undefined> {
  // A named statement: each connection parses and plans it once (planning was a third of the
  // warm lookup's time in bench/containers.ts; the index scan itself takes microseconds).
  const { rows } = await db.query<Row>({
    name: 'nebula.containers.read-fresh',
    text: `SELECT status, image, digest, pinned, registry, source, error
             FROM container_resolutions WHERE request_key = $1 AND expires_at > now()`,
    values: [key],
  });
  return rows[0];
}

function fromRow(row: Row): ResolvedContainer {
  if (row.status === 'failed') throw new ContainerResolutionError(row.error ?? 'container resolution failed', true);
  return {
    image: row.image!,
    digest: row.digest!,
    pinned: row.pinned!,
    source: row.source as ResolvedContainer['source'],
    registry: row.registry!,
  };
}

async function store(db: Queryable, key: string, outcome: { found?: ResolvedContainer; error?: string }, ttlSeconds: number): Promise<void> {
  const f = outcome.found;
  await db.query(
    `INSERT INTO container_resolutions (request_key, status, image, digest, pinned, registry, source, error, resolved_at, expires_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, now(), now() + make_interval(secs => $9))
     ON CONFLICT (request_key) DO UPDATE SET status = EXCLUDED.status, image = EXCLUDED.image, digest = EXCLUDED.digest,
       pinned = EXCLUDED.pinned, registry = EXCLUDED.registry, source = EXCLUDED.source, error = EXCLUDED.error,
       resolved_at = EXCLUDED.resolved_at, expires_at = EXCLUDED.expires_at`,
    [key, f ? 'found' : 'failed', f?.image ?? null, f?.digest ?? null, f?.pinned ?? null, f?.registry ?? null, f?.source ?? null, outcome.error ?? null, ttlSeconds],
  );
}

/** The cached resolution of a request, looking upstream at most once across all replicas. */
export async function cachedResolve(pool: Pool, request: ContainerRequest, ttls: CacheTtls): Promise<ResolvedContainer> {
  if (request.pinned) return request.pinned;
  const warm = await readFresh(pool, request.key);
  if (warm) return fromRow(warm);
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query(`SELECT set_config('lock_timeout', $1, true)`, [`${Math.ceil(ttls.lockWaitSeconds * 1000)}ms`]);
    // hashtextextended: a 64-bit key from the request; a collision only serializes two lookups.
    await client.query(`SELECT pg_advisory_xact_lock(hashtextextended('nebula.containers:' || $1, 0))`, [request.key]);
    const meanwhile = await readFresh(client, request.key);
    if (meanwhile) {
      await client.query('COMMIT');
      return fromRow(meanwhile);
    }
    let found: ResolvedContainer | undefined;
    let error: ContainerResolutionError | undefined;
    try {
      found = await request.lookup();
    } catch (err) {
      error = err instanceof ContainerResolutionError ? err : new ContainerResolutionError(`${request.describe}: ${(err as Error).message}`);
    }
    await store(client, request.key, found ? { found } : { error: error!.message }, found ? ttls.positiveTtlSeconds : ttls.negativeTtlSeconds);
    await client.query('COMMIT');
    if (error) throw error;
    return found!;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    if ((err as { code?: string }).code === '55P03') {
      throw new ContainerResolutionError(`${request.describe}: another replica's lookup did not finish within ${ttls.lockWaitSeconds} s`);
    }
    throw err;
  } finally {
    client.release();
  }
}

/** Drops expired rows; any replica may run it. */
export async function pruneResolutions(db: Queryable, olderThanSeconds = 86400): Promise<number> {
  const { rowCount } = await db.query(`DELETE FROM container_resolutions WHERE expires_at < now() - make_interval(secs => $1)`, [olderThanSeconds]);
  return rowCount ?? 0;
}
