import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { withTransaction } from '../../src/db/pool.ts';
import { loadConfig } from '../../src/config/load.ts';
import { purgeUniqueKey, requestHistoryPurge } from '../../src/histories/purge.ts';
import { createHistory } from '../../src/model/histories.ts';
import { createHdas } from '../../src/model/datasets.ts';
import { createUser } from '../../src/model/users.ts';
import { createObjectStore } from '../../src/objectstore/index.ts';
import type { ObjectStore } from '../../src/objectstore/types.ts';
import { freshDatabase, type TestDatabase } from '../helpers/db.ts';
import { NebulaProcess } from '../helpers/processes.ts';

/**
 * galaxyproject/galaxy#10414: a 20,000-dataset history is purged by a worker process that is
 * SIGKILLed as soon as the first chunk's checkpoint commits; a second worker resumes from the
 * checkpoint. Every HDA ends purged, datasets still used by a copy in another history survive
 * with their objects, and every other object is deleted.
 */
const HDAS = 20_000;
const SHARED = 50;
let db: TestDatabase;
let home: string;
let store: ObjectStore;
const workers: NebulaProcess[] = [];

beforeAll(async () => {
  db = await freshDatabase();
  home = mkdtempSync(path.join(os.tmpdir(), 'nebula-purge-'));
  store = await createObjectStore(loadConfig({ NEBULA_HOME: home }).objectStore);
});
afterAll(async () => {
  await Promise.all(workers.map((w) => w.kill()));
  await db?.drop();
  rmSync(home, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

it('purge survives a SIGKILLed worker: resumes from its checkpoint, purges exactly, keeps shared datasets', { timeout: 240_000 }, async () => {
  const user = await createUser(db.pool, { email: 'p@example.org', username: 'purger' });
  const history = await createHistory(db.pool, user.id, 'big');
  const other = await createHistory(db.pool, user.id, 'keeps copies');
  const hdas = [];
  for (let i = 0; i < HDAS; i += 5000) {
    hdas.push(...(await createHdas(db.pool, history.id, Array.from({ length: 5000 }, (_, j) => ({ name: `d${i + j}`, state: 'ok' as const })))));
  }
  // Copies in another history share the dataset (and its object) with the first SHARED HDAs.
  const shared = hdas.slice(0, SHARED);
  await db.pool.query(
    `INSERT INTO hdas (history_id, dataset_id, hid, name, copied_from_hda_id)
     SELECT $1, d, h, 'copy', c FROM unnest($2::bigint[], $3::int[], $4::bigint[]) AS t(d, h, c)`,
    [other.id, shared.map((h) => h.dataset_id), shared.map((_, i) => i + 1), shared.map((h) => h.id)],
  );
  for (let i = 0; i < hdas.length; i += 200) {
    await Promise.all(hdas.slice(i, i + 200).map((h) => store.put(h.object_key!, 'x\n')));
  }

  await withTransaction(db.pool, (client) => requestHistoryPurge(client, history.id));

  const env = {
    DATABASE_URL: db.url,
    NEBULA_HOME: home,
    NEBULA_LOG_LEVEL: 'warn',
    NEBULA_CACHE_MAX_BYTES: '0',
    NEBULA_TASK_LEASE_SECONDS: '2',
    NEBULA_TASK_HEARTBEAT_SECONDS: '0.5',
    NEBULA_TASK_POLL_MS: '100',
  };
  const first = new NebulaProcess(['serve', '--role', 'worker'], env).start();
  workers.push(first);
  const task = async () =>
    (
      await db.pool.query<{ state: string; attempt: number; checkpoint: { lastHdaId: number; chunks: number } | null }>(
        `SELECT state, attempt, checkpoint FROM nebula_tasks WHERE unique_key = $1 OR (kind = 'history.purge' AND payload->>'historyId' = $2)
          ORDER BY id DESC LIMIT 1`,
        [purgeUniqueKey(history.id), String(history.id)],
      )
    ).rows[0];

  // Kill the worker the moment the first chunk's checkpoint is visible.
  const killBy = Date.now() + 120_000;
  let atKill = await task();
  while (!atKill.checkpoint && Date.now() < killBy) {
    if (!first.running) throw new Error(`worker exited:\n${first.output}`);
    await sleep(10);
    atKill = await task();
  }
  await first.kill('SIGKILL');
  atKill = await task();
  expect(atKill.checkpoint, 'the first chunk committed its checkpoint').toBeTruthy();
  expect(atKill.state, 'the purge was interrupted, not finished').toBe('running');
  const { rows: mid } = await db.pool.query<{ purged: number }>(
    'SELECT count(*) FILTER (WHERE purged)::int AS purged FROM hdas WHERE history_id = $1',
    [history.id],
  );
  // What is purged is exactly what the checkpoint covers: chunks commit with their checkpoint.
  const { rows: covered } = await db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM hdas WHERE history_id = $1 AND id <= $2', [
    history.id,
    atKill.checkpoint!.lastHdaId,
  ]);
  expect(mid[0].purged).toBe(covered[0].n);
  expect(mid[0].purged).toBeLessThan(HDAS);

  const second = new NebulaProcess(['serve', '--role', 'worker'], env).start();
  workers.push(second);
  const doneBy = Date.now() + 120_000;
  let final = await task();
  while (final.state !== 'done' && Date.now() < doneBy) {
    await sleep(200);
    final = await task();
  }
  expect(final.state).toBe('done');
  expect(final.attempt).toBeGreaterThanOrEqual(2);
  // Object deletion runs as its own tasks; wait for them.
  while (Date.now() < doneBy) {
    const { rows } = await db.pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM nebula_tasks WHERE kind = 'history.delete-objects' AND state <> 'done'`,
    );
    if (rows[0].n === 0) break;
    await sleep(200);
  }

  const { rows: h } = await db.pool.query('SELECT deleted, purged FROM histories WHERE id = $1', [history.id]);
  expect(h[0]).toEqual({ deleted: true, purged: true });
  const { rows: counts } = await db.pool.query<{ total: number; purged: number; deleted: number }>(
    `SELECT count(*)::int AS total, count(*) FILTER (WHERE purged)::int AS purged, count(*) FILTER (WHERE deleted)::int AS deleted
       FROM hdas WHERE history_id = $1`,
    [history.id],
  );
  expect(counts[0]).toEqual({ total: HDAS, purged: HDAS, deleted: HDAS });
  const { rows: datasets } = await db.pool.query<{ purged: number; kept: number }>(
    `SELECT count(*) FILTER (WHERE d.purged)::int AS purged, count(*) FILTER (WHERE NOT d.purged)::int AS kept
       FROM datasets d WHERE d.id IN (SELECT dataset_id FROM hdas WHERE history_id = $1)`,
    [history.id],
  );
  expect(datasets[0]).toEqual({ purged: HDAS - SHARED, kept: SHARED });
  const { rows: copies } = await db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM hdas WHERE history_id = $1 AND NOT purged', [other.id]);
  expect(copies[0].n).toBe(SHARED);
  for (const hda of shared) expect(await store.head(hda.object_key!), 'shared object kept').not.toBeNull();
  const sample = hdas.slice(SHARED).filter((_, i) => i % 97 === 0);
  for (const hda of sample) expect(await store.head(hda.object_key!), 'unshared object deleted').toBeNull();
  const { rows: dead } = await db.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM nebula_tasks WHERE state = 'dead'`);
  expect(dead[0].n).toBe(0);
});
