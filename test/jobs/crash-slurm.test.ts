/**
 * Issue 5, item 9, with Slurm: one API and three worker processes, 300 tool runs (a third
 * instant, the rest sleeping 1–5 s) on the real single-node Slurm of scripts/slurm.sh, a random
 * process SIGKILLed about every 2 s and restarted. Every job must end ok, none lost, each output
 * written once at its final attempt's key, and no job run to completion twice — the exact
 * invariants are in crash-helpers.ts.
 *
 * Here the executor (`nebula job-exec`) runs inside the Slurm job and survives every Nebula
 * process; a worker killed between `sbatch` and its commit leaves the attempt to be adopted by
 * name and mark, and an API killed while an executor reports or beats is retried by the
 * executor. Objects go through s3rver; the completion log is on this host (the Slurm node).
 * Slurm must start: the test fails, never skips, if scripts/slurm.sh cannot start it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, it } from 'vitest';
import { freshDatabase, type TestDatabase } from '../helpers/db.ts';
import { startS3rver, type S3rverHandle } from '../helpers/s3rver.ts';
import { runCrashScenario, type CrashCluster } from './crash-helpers.ts';
import { jobToken } from '../../src/jobs/lifecycle/token.ts';
import { attemptMark } from '../../src/jobs/runners/attempt-mark.ts';
import { ensureSlurm, slurmCommand } from './runner-slurm-cluster.ts';

const TOTAL = 300;
const ID_SECRET = 'crash-slurm-test-secret';

let db: TestDatabase;
let s3: S3rverHandle;
let home: string;
let slurmConf: string;
let cluster: CrashCluster | undefined;

beforeAll(async () => {
  slurmConf = await ensureSlurm();
  db = await freshDatabase();
  s3 = await startS3rver();
  home = mkdtempSync(path.join(os.tmpdir(), 'nebula-crash-slurm-'));
}, 180_000);

/**
 * Cancels every Slurm job of this run still pending or running (told apart from other runs on
 * the shared test cluster by their attempt marks): after a failure they would otherwise hold the
 * node's slots while their executors retry a server that no longer exists.
 */
async function cancelOurSlurmJobs(): Promise<void> {
  const { rows } = await db.pool.query<{ uuid: string; attempt: number }>('SELECT uuid::text, attempt FROM jobs WHERE attempt > 0');
  const marks = new Set<string>();
  for (const job of rows) {
    for (let a = 1; a <= job.attempt; a++) {
      const token = await jobToken(db.pool, job.uuid, a);
      marks.add(`nebula:${attemptMark({ environment: { NEBULA_JOB_TOKEN: token } } as never)}`);
    }
  }
  const listed = await slurmCommand(['squeue', '--noheader', '--format=%i|%k']);
  const ours = listed.split('\n').map((l) => l.trim().split('|')).filter(([, comment]) => comment && marks.has(comment)).map(([id]) => id!);
  if (ours.length > 0) await slurmCommand(['scancel', ...ours]);
}

afterAll(async () => {
  await Promise.all((cluster?.all ?? []).map((p) => p.kill()));
  if (db) await cancelOurSlurmJobs().catch((error) => console.warn(`could not cancel this run's Slurm jobs: ${error}`));
  await db?.drop();
  await s3?.stop();
  if (home) rmSync(home, { recursive: true, force: true });
});

it('Slurm: 300 jobs under SIGKILL chaos all end ok, once each', { timeout: 900_000 }, async () => {
  await runCrashScenario({
    label: 'slurm',
    db,
    s3,
    home,
    idSecret: ID_SECRET,
    total: TOTAL,
    destination: { id: 'slurm', runner: 'slurm', params: { slurmConf, partition: 'debug', workDir: '/tmp' } },
    extraEnv: { SLURM_CONF: slurmConf },
    // Every executor is a Node process started by Slurm (about a second of CPU each) while the
    // chaos restarts a Nebula process every 2 s: on two cores the 300 runs are CPU-bound, so
    // the settling bound leaves room for a slower machine rather than measuring speed.
    chaos: { batch: 30, batchPauseMs: 2000, chaosBoundMs: 360_000, settleMs: 300_000 },
    onCluster: (c) => (cluster = c),
  });
});
