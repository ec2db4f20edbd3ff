/**
 * Issue 5, item 9, with the local runner: one API and three worker processes, 300 tool runs
 * (a third instant, the rest sleeping 1–5 s), a random process SIGKILLed about every 2 s and
 * restarted. Every job must end ok, none lost, each output written once at its final attempt's
 * key, and no job run to completion twice — the exact invariants are in crash-helpers.ts.
 *
 * The local runner's default isolation is in-process: a SIGKILLed worker takes its running
 * attempts with it, and another worker on the host finds them 'gone' and starts new attempts
 * (their orphaned tools are killed when the worker had recorded their process group). The
 * object store is s3rver, so nothing but PostgreSQL and S3 is shared, as in production.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, it } from 'vitest';
import { freshDatabase, type TestDatabase } from '../helpers/db.ts';
import { startS3rver, type S3rverHandle } from '../helpers/s3rver.ts';
import { runCrashScenario, type CrashCluster } from './crash-helpers.ts';

const TOTAL = 300;
const ID_SECRET = 'crash-local-test-secret';

let db: TestDatabase;
let s3: S3rverHandle;
let home: string;
let cluster: CrashCluster | undefined;

beforeAll(async () => {
  db = await freshDatabase();
  s3 = await startS3rver();
  home = mkdtempSync(path.join(os.tmpdir(), 'nebula-crash-local-'));
}, 120_000);

afterAll(async () => {
  await Promise.all((cluster?.all ?? []).map((p) => p.kill()));
  await db?.drop();
  await s3?.stop();
  if (home) rmSync(home, { recursive: true, force: true });
});

it('local runner: 300 jobs under SIGKILL chaos all end ok, once each', { timeout: 420_000 }, async () => {
  await runCrashScenario({
    label: 'local',
    db,
    s3,
    home,
    idSecret: ID_SECRET,
    total: TOTAL,
    destination: { id: 'local', runner: 'local', params: { concurrency: 16, stateDir: path.join(home, 'runner') } },
    chaos: { batch: 30, batchPauseMs: 1500, chaosBoundMs: 240_000, settleMs: 90_000 },
    onCluster: (c) => (cluster = c),
  });
});
