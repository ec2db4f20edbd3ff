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
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { stringify as toYaml } from 'yaml';
import { loadConfig } from '../../src/config/load.ts';
import { createObjectStore } from '../../src/objectstore/index.ts';
import { freshDatabase, type TestDatabase } from '../helpers/db.ts';
import { freePort } from '../helpers/processes.ts';
import { startS3rver, type S3rverHandle } from '../helpers/s3rver.ts';
import {
  checkCrashInvariants, clusterEnv, crashSummaryLine, jobStates, processOutputs, registerCrashTool, runUnderChaos, startCluster, uploadInput,
  type CrashCluster,
} from './crash-helpers.ts';

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
  const port = await freePort();
  const configFile = path.join(home, 'nebula.yaml');
  writeFileSync(
    configFile,
    toYaml({
      objectStore: { backend: 's3', s3: s3.s3Config('crash-local/'), cache: { maxBytes: 0 } },
      jobs: {
        serverUrl: `http://127.0.0.1:${port}`,
        scratchPath: path.join(home, 'scratch'),
        nodeCachePath: path.join(home, 'node-cache'),
        destinations: [{ id: 'local', runner: 'local', params: { concurrency: 16, stateDir: path.join(home, 'runner') } }],
        defaultDestination: 'local',
      },
    }),
  );
  const env = clusterEnv({ databaseUrl: db.url, home, configFile, port, idSecret: ID_SECRET, extra: { NEBULA_TASK_CONCURRENCY: '16' } });
  const store = await createObjectStore(loadConfig(env).objectStore);
  const logFile = path.join(home, 'completions.log');
  await registerCrashTool(db, store, home, logFile);
  cluster = await startCluster(db, env, ID_SECRET);
  const inputId = await uploadInput(db, cluster);

  const result = await runUnderChaos(db, cluster, inputId, {
    total: TOTAL,
    batch: 30,
    batchPauseMs: 1500,
    chaosBoundMs: 240_000,
    settleMs: 90_000,
  });
  expect(result.settled, `jobs not terminal: ${JSON.stringify(await jobStates(db))}\n${processOutputs(cluster)}`).toBe(true);
  const summary = await checkCrashInvariants(db, store, logFile, TOTAL);
  console.log(crashSummaryLine('local', result, summary));
  expect(result.chaos.kills).toBeGreaterThanOrEqual(10);
});
