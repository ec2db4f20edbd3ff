/**
 * Issue 5, item 5 (stateless monitoring): with 10 jobs running on a real Slurm, SIGKILL every
 * worker and start new ones; all 10 results are still collected, once each.
 *
 * Real everything: PostgreSQL, s3rver, one `serve --role api` and `serve --role worker`
 * processes, the slurm runner against the single-node Slurm of scripts/slurm.sh, and the real
 * executor (`nebula job-exec`) inside each Slurm job, staging from and to S3 over loopback.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { stringify as toYaml } from 'yaml';
import { loadConfig } from '../../src/config/load.ts';
import type { DestinationConfig } from '../../src/jobs/interfaces.ts';
import { jobToken } from '../../src/jobs/lifecycle/token.ts';
import { attemptMark } from '../../src/jobs/runners/attempt-mark.ts';
import { createSlurmRunner } from '../../src/jobs/runners/slurm.ts';
import { createHistory } from '../../src/model/histories.ts';
import { createApiKey, createUser } from '../../src/model/users.ts';
import { createObjectStore } from '../../src/objectstore/index.ts';
import type { ObjectStore } from '../../src/objectstore/types.ts';
import { registerToolDirectory } from '../../src/toolstore/index.ts';
import { IdCodec } from '../../src/util/ids.ts';
import { freshDatabase, type TestDatabase } from '../helpers/db.ts';
import { NebulaProcess, freePort } from '../helpers/processes.ts';
import { startS3rver, type S3rverHandle } from '../helpers/s3rver.ts';
import { ensureSlurm, slurmCommand } from './runner-slurm-cluster.ts';

const JOBS = 10;
const ID_SECRET = 'slurm-monitoring-test-secret';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let db: TestDatabase;
let s3: S3rverHandle;
let home: string;
let store: ObjectStore;
let slurmConf: string;
const processes: NebulaProcess[] = [];

/** Appends one line per run to RUNS, then sleeps long enough for the workers to be killed. */
function toolXml(runsFile: string): string {
  return `<tool id="slurm_sleepy" name="Sleepy" version="1.0">
  <command><![CDATA[
echo '$label' >> '${runsFile}' &&
sleep 8 &&
echo 'result of $label' > '$out'
  ]]></command>
  <inputs>
    <param name="label" type="text" value="x"/>
  </inputs>
  <outputs>
    <data name="out" format="txt"/>
  </outputs>
</tool>
`;
}

beforeAll(async () => {
  slurmConf = await ensureSlurm();
  db = await freshDatabase();
  s3 = await startS3rver();
  home = mkdtempSync(path.join(os.tmpdir(), 'nebula-slurm-monitor-'));
}, 180_000);

afterAll(async () => {
  await Promise.all(processes.map((p) => p.kill()));
  await db?.drop();
  await s3?.stop();
  if (home) rmSync(home, { recursive: true, force: true });
});

it('collects all 10 Slurm results once each after every worker is SIGKILLed and replaced', { timeout: 300_000 }, async () => {
  const port = await freePort();
  const s3Config = s3.s3Config(`run-${process.pid}/`);
  const destination: DestinationConfig = {
    id: 'slurm',
    runner: 'slurm',
    params: { slurmConf, partition: 'debug', workDir: '/tmp' },
  };
  const configFile = path.join(home, 'nebula.yaml');
  writeFileSync(
    configFile,
    toYaml({
      objectStore: { backend: 's3', s3: s3Config },
      jobs: {
        serverUrl: `http://127.0.0.1:${port}`,
        destinations: [destination],
        defaultDestination: 'slurm',
      },
    }),
  );
  const env: Record<string, string> = {
    DATABASE_URL: db.url,
    NEBULA_HOME: home,
    NEBULA_CONFIG: configFile,
    NEBULA_PORT: String(port),
    NEBULA_HOST: '127.0.0.1',
    NEBULA_ID_SECRET: ID_SECRET,
    NEBULA_LOG_LEVEL: 'warn',
    NEBULA_CACHE_MAX_BYTES: '0',
    NEBULA_TASK_LEASE_SECONDS: '3',
    NEBULA_TASK_HEARTBEAT_SECONDS: '1',
    NEBULA_TASK_POLL_MS: '200',
    SLURM_CONF: slurmConf,
  };
  store = await createObjectStore(loadConfig({ ...env, NEBULA_CONFIG: configFile }).objectStore);

  // The tool writes each run's label to a file on this host: the count of lines is how many
  // times the tool really ran, whatever the database says.
  const runsFile = path.join(home, 'runs.log');
  const toolDir = path.join(home, 'tool');
  mkdirSync(toolDir);
  writeFileSync(path.join(toolDir, 'sleepy.xml'), toolXml(runsFile));
  await registerToolDirectory(db.pool, store, toolDir);

  const user = await createUser(db.pool, { email: 'slurm@example.org', username: 'slurmer' });
  const key = await createApiKey(db.pool, user.id);
  const history = await createHistory(db.pool, user.id, 'slurm monitoring');
  const ids = new IdCodec(ID_SECRET);

  const api = new NebulaProcess(['serve', '--role', 'api'], env).start();
  processes.push(api);
  const firstWorkers = [1, 2].map(() => new NebulaProcess(['serve', '--role', 'worker'], env).start());
  processes.push(...firstWorkers);
  await api.waitForHttp(`http://127.0.0.1:${port}/api/version`, 60_000);

  for (let i = 0; i < JOBS; i++) {
    const res = await fetch(`http://127.0.0.1:${port}/api/tools`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': key },
      body: JSON.stringify({ tool_id: 'slurm_sleepy', history_id: ids.encode(history.id), inputs: { label: `job-${i}` } }),
    });
    expect(res.status, await res.clone().text()).toBe(200);
  }

  // Wait until all 10 are running in Slurm (the tool's sleep keeps them there for a while).
  const runner = createSlurmRunner();
  const jobRows = async () =>
    (
      await db.pool.query<{ id: number; state: string; attempt: number; external_id: string | null; info: string | null }>(
        `SELECT id::int, state, attempt, external_id, info FROM jobs WHERE tool_id = 'slurm_sleepy' ORDER BY id`,
      )
    ).rows;
  const runningBy = Date.now() + 120_000;
  for (;;) {
    const rows = await jobRows();
    const running = rows.filter((r) => r.state === 'running' && r.external_id);
    if (running.length === JOBS) {
      const states = await Promise.all(running.map((r) => runner.status(r.external_id!, destination)));
      if (states.every((s) => s.state === 'running')) break;
    }
    for (const p of processes) if (!p.running) throw new Error(`a Nebula process exited:\n${p.output}`);
    if (Date.now() > runningBy) {
      throw new Error(`the 10 jobs never ran together on Slurm: ${JSON.stringify(rows)}\n${firstWorkers[0]!.output}`);
    }
    await sleep(200);
  }

  // Every worker dies; the jobs keep running in Slurm. New workers must pick the monitoring up.
  await Promise.all(firstWorkers.map((w) => w.kill('SIGKILL')));
  const newWorkers = [1, 2].map(() => new NebulaProcess(['serve', '--role', 'worker'], env).start());
  processes.push(...newWorkers);

  const doneBy = Date.now() + 180_000;
  let rows = await jobRows();
  while (rows.some((r) => !['ok', 'error', 'deleted'].includes(r.state))) {
    if (Date.now() > doneBy) throw new Error(`jobs not finished: ${JSON.stringify(rows)}\n${newWorkers[0]!.output}`);
    for (const w of newWorkers) if (!w.running) throw new Error(`a new worker exited:\n${w.output}`);
    await sleep(300);
    rows = await jobRows();
  }

  expect(rows).toHaveLength(JOBS);
  for (const row of rows) expect(row, `job ${row.id}: ${row.info}`).toMatchObject({ state: 'ok', attempt: 1 });

  // Exactly one report per job, for attempt 1.
  const { rows: reports } = await db.pool.query<{ job_id: number; n: number }>(
    `SELECT job_id::int, count(*)::int AS n FROM job_reports WHERE job_id = ANY($1) GROUP BY job_id`,
    [rows.map((r) => r.id)],
  );
  expect(reports.map((r) => r.n)).toEqual(Array(JOBS).fill(1));

  // Exactly one Slurm job per attempt: nothing was submitted twice. (Job ids restart in every
  // test database, so same-named jobs of earlier runs are told apart by the attempt mark.)
  for (const row of rows) {
    const { rows: u } = await db.pool.query<{ uuid: string }>('SELECT uuid FROM jobs WHERE id = $1', [row.id]);
    const token = await jobToken(db.pool, u[0]!.uuid, 1);
    const mark = `nebula:${attemptMark({ environment: { NEBULA_JOB_TOKEN: token } } as never)}`;
    const named = await slurmCommand(['squeue', '--noheader', '--states=all', `--name=nebula-${row.id}-1`, '--format=%i|%k']);
    const ours = named.trim().split('\n').filter((line) => line.endsWith(`|${mark}`)).map((line) => line.split('|')[0]);
    expect(ours, `Slurm jobs of attempt nebula-${row.id}-1`).toEqual([row.external_id]);
  }

  // The tool ran once per job, and each output holds its own job's result.
  expect(existsSync(runsFile)).toBe(true);
  const runs = readFileSync(runsFile, 'utf8').trim().split('\n').sort();
  expect(runs).toEqual(Array.from({ length: JOBS }, (_, i) => `job-${i}`).sort());
  const { rows: outputs } = await db.pool.query<{ job_id: number; state: string; object_key: string }>(
    `SELECT jo.job_id::int, d.state, d.object_key
       FROM job_outputs jo JOIN hdas h ON h.id = jo.hda_id JOIN datasets d ON d.id = h.dataset_id
      WHERE jo.job_id = ANY($1) ORDER BY jo.job_id`,
    [rows.map((r) => r.id)],
  );
  expect(outputs).toHaveLength(JOBS);
  const contents = [];
  for (const o of outputs) {
    expect(o.state).toBe('ok');
    const chunks: Buffer[] = [];
    for await (const chunk of await store.get(o.object_key)) chunks.push(chunk as Buffer);
    contents.push(Buffer.concat(chunks).toString('utf8').trim());
  }
  expect(contents.sort()).toEqual(Array.from({ length: JOBS }, (_, i) => `result of job-${i}`).sort());
});
