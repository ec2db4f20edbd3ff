/**
 * The jobs crash test (issue 5, item 9), shared by the local-runner and the Slurm variant:
 * one `serve --role api` and three `serve --role worker` processes on one fresh database and
 * one s3rver, 300 runs of test/jobs/fixtures/crash_tool submitted over the API while a random
 * process is SIGKILLed and restarted about every 2 s, then the invariants below.
 *
 * The invariants (asserted by checkCrashInvariants; "completion" = the tool's last command ran
 * and appended its line to the completion log on this host):
 *
 * 1. Every job is terminal and ok (an error would need an explained cause; none is expected).
 * 2. None lost: every submitted label has exactly one job, and each job has its one output.
 * 3. Each output written once: the output dataset points at the attempt-scoped key of the job's
 *    FINAL attempt (jobs.attempt), that object exists with the dataset's size, and no dataset
 *    points at an object of a superseded attempt. Superseded attempts may have left objects
 *    (an executor that uploaded and died before reporting); they are counted, never used.
 * 4. No job run to completion twice, as the server sees it: each job has exactly ONE row in
 *    job_reports, for its final attempt, and that report is the one applied (metrics.attempt).
 *    So no two attempts of a job were both reported as completed.
 * 5. No job run to completion twice, as the host sees it: the completion log has exactly one
 *    line for (job, final attempt). Lines for earlier attempts are allowed only for attempts
 *    whose report never reached the server (by 4 none did): the executor of an in-process
 *    attempt dies with its worker, but its tool may already have finished — an orphan that
 *    completed before the next worker on the host killed it. Those are counted as "orphan
 *    completions": work redone, never a second result.
 */
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'vitest';
import { stringify as toYaml } from 'yaml';
import { loadConfig } from '../../src/config/load.ts';
import { createObjectStore } from '../../src/objectstore/index.ts';
import { createHistory } from '../../src/model/histories.ts';
import { createApiKey, createUser } from '../../src/model/users.ts';
import type { ObjectStore } from '../../src/objectstore/types.ts';
import { jobOutputKey } from '../../src/objectstore/keys.ts';
import { registerToolDirectory } from '../../src/toolstore/index.ts';
import { IdCodec } from '../../src/util/ids.ts';
import type { TestDatabase } from '../helpers/db.ts';
import { freePort, NebulaProcess } from '../helpers/processes.ts';
import type { S3rverHandle } from '../helpers/s3rver.ts';

export const CRASH_TOOL_ID = 'nebula_crash_tool';
export const INPUT_CONTENT = 'crash test input\nsecond line\n';
const FIXTURE = path.resolve('test/jobs/fixtures/crash_tool/crash.xml');
const TERMINAL = new Set(['ok', 'error', 'deleted', 'paused']);

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The fixture tool with its completion log pointed at `logFile`, registered in the store. */
export async function registerCrashTool(db: TestDatabase, store: ObjectStore, home: string, logFile: string): Promise<void> {
  const dir = path.join(home, 'crash-tool');
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'crash.xml'), readFileSync(FIXTURE, 'utf8').replaceAll('@CRASH_LOG@', logFile));
  await registerToolDirectory(db.pool, store, dir);
}

export interface CrashCluster {
  api: NebulaProcess;
  workers: NebulaProcess[];
  all: NebulaProcess[];
  base: string;
  key: string;
  historyId: string;
  ids: IdCodec;
}

/** A user, a history, and the four processes, ready to answer. */
export async function startCluster(db: TestDatabase, env: Record<string, string>, idSecret: string): Promise<CrashCluster> {
  const user = await createUser(db.pool, { email: 'crash@example.org', username: 'crasher' });
  const key = await createApiKey(db.pool, user.id);
  const history = await createHistory(db.pool, user.id, 'jobs crash test');
  const ids = new IdCodec(idSecret);
  const api = new NebulaProcess(['serve', '--role', 'api'], env).start();
  const workers = [1, 2, 3].map(() => new NebulaProcess(['serve', '--role', 'worker'], env).start());
  const base = `http://127.0.0.1:${env.NEBULA_PORT}`;
  await api.waitForHttp(`${base}/api/version`, 60_000);
  return { api, workers, all: [api, ...workers], base, key, historyId: ids.encode(history.id), ids };
}

async function post(cluster: CrashCluster, body: unknown): Promise<{ status: number; json: any }> {
  const res = await fetch(`${cluster.base}/api/tools`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': cluster.key },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = text;
  }
  return { status: res.status, json };
}

/** Pastes the one input dataset (before any chaos) and waits for it to be ok; its encoded id. */
export async function uploadInput(db: TestDatabase, cluster: CrashCluster): Promise<string> {
  const { status, json } = await post(cluster, {
    history_id: cluster.historyId,
    tool_id: 'upload1',
    inputs: { file_type: 'txt', dbkey: '?', 'files_0|type': 'upload_dataset' },
    'files_0|url_paste': INPUT_CONTENT,
  });
  expect(status, JSON.stringify(json)).toBe(200);
  const encoded = json.outputs[0].id as string;
  const hdaId = cluster.ids.decode(encoded)!;
  const until = Date.now() + 60_000;
  for (;;) {
    const { rows } = await db.pool.query<{ state: string }>('SELECT d.state FROM hdas h JOIN datasets d ON d.id = h.dataset_id WHERE h.id = $1', [hdaId]);
    if (rows[0]?.state === 'ok') return encoded;
    if (Date.now() > until) throw new Error(`the pasted input never became ok (state ${rows[0]?.state})\n${cluster.workers[0]!.output}`);
    await sleep(200);
  }
}

/** About a third instant, the rest sleeping 1–5 s; deterministic per index. */
export function sleepFor(index: number): number {
  return index % 3 === 0 ? 0 : 1 + ((index * 7) % 5);
}

export const labelFor = (index: number) => `crash-${String(index).padStart(4, '0')}`;

async function jobCountForLabel(db: TestDatabase, label: string): Promise<number> {
  const { rows } = await db.pool.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM jobs WHERE tool_id = $1 AND tool_state::text LIKE $2`,
    [CRASH_TOOL_ID, `%"${label}"%`],
  );
  return rows[0]!.n;
}

/**
 * Submits run `index`; the API may be dead (chaos) or die mid-request. A request whose answer
 * was lost may still have committed: the database says whether the job exists before retrying,
 * so each label gets exactly one job.
 */
export async function submitRun(db: TestDatabase, cluster: CrashCluster, inputId: string, index: number): Promise<void> {
  const label = labelFor(index);
  const body = {
    tool_id: CRASH_TOOL_ID,
    history_id: cluster.historyId,
    inputs: { input: { src: 'hda', id: inputId }, seconds: sleepFor(index), label },
  };
  const until = Date.now() + 120_000;
  for (;;) {
    try {
      const { status, json } = await post(cluster, body);
      if (status === 200) return;
      if (status < 500) throw new Error(`POST /api/tools for ${label} answered ${status}: ${JSON.stringify(json)}`);
    } catch (error) {
      if ((error as Error).message.startsWith('POST /api/tools')) throw error;
    }
    if ((await jobCountForLabel(db, label)) > 0) return;
    if (Date.now() > until) throw new Error(`could not submit ${label} within 2 minutes`);
    await sleep(300);
  }
}

/** SIGKILLs a random process about every `everyMs` and starts it again, until stopped. */
export class Chaos {
  kills = 0;
  killed: Record<string, number> = { api: 0, worker: 0 };
  private stopped = false;
  private loop?: Promise<void>;

  constructor(
    private readonly processes: NebulaProcess[],
    private readonly everyMs = 2000,
  ) {}

  start(): this {
    this.loop = (async () => {
      while (!this.stopped) {
        await sleep(this.everyMs * (0.6 + Math.random() * 0.8));
        if (this.stopped) break;
        const victim = this.processes[Math.floor(Math.random() * this.processes.length)]!;
        await victim.kill('SIGKILL');
        this.kills++;
        this.killed[victim.args.includes('api') ? 'api' : 'worker']!++;
        victim.start();
      }
    })();
    return this;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
    // Whatever died on its own comes back too, so the settling phase has every role.
    for (const p of this.processes) if (!p.running) p.start();
  }
}

export async function jobStates(db: TestDatabase): Promise<Record<string, number>> {
  const { rows } = await db.pool.query<{ state: string; n: number }>(
    'SELECT state, count(*)::int AS n FROM jobs WHERE tool_id = $1 GROUP BY state',
    [CRASH_TOOL_ID],
  );
  return Object.fromEntries(rows.map((r) => [r.state, r.n]));
}

export async function allTerminal(db: TestDatabase, total: number): Promise<boolean> {
  const states = await jobStates(db);
  const terminal = Object.entries(states).reduce((n, [s, c]) => n + (TERMINAL.has(s) ? c : 0), 0);
  return terminal === total;
}

/** Waits (bounded) until `total` crash-tool jobs are terminal; false at the bound. */
export async function waitTerminal(db: TestDatabase, total: number, ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (await allTerminal(db, total)) return true;
    await sleep(1000);
  }
  return allTerminal(db, total);
}

interface JobFacts {
  id: number;
  uuid: string;
  state: string;
  attempt: number;
  info: string | null;
  label: string;
  metrics_attempt: number | null;
}

export interface CrashSummary {
  jobs: number;
  retried: number;
  maxAttempt: number;
  supersededObjects: number;
  orphanCompletions: number;
}

async function readAll(store: ObjectStore, key: string): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of await store.get(key)) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Asserts invariants 1–5 of the header comment; returns the counts for the summary line. */
export async function checkCrashInvariants(db: TestDatabase, store: ObjectStore, logFile: string, total: number): Promise<CrashSummary> {
  const { rows: jobs } = await db.pool.query<JobFacts>(
    `SELECT id::int, uuid::text, state, attempt, info, tool_state->>'label' AS label, (metrics->>'attempt')::int AS metrics_attempt
       FROM jobs WHERE tool_id = $1 ORDER BY id`,
    [CRASH_TOOL_ID],
  );
  // 1. terminal and ok.
  const notOk = jobs.filter((j) => j.state !== 'ok');
  expect.soft(notOk.map((j) => `job ${j.id} ${j.label}: ${j.state} attempt ${j.attempt}: ${j.info}`)).toEqual([]);

  // 2. none lost, none doubled: one job per label.
  const labels = jobs.map((j) => j.label).sort();
  expect.soft(labels).toEqual(Array.from({ length: total }, (_, i) => labelFor(i)));

  // 4. one report per job, the final attempt's, and it is the one applied.
  const { rows: reports } = await db.pool.query<{ job_id: number; attempt: number; state: string }>(
    `SELECT r.job_id::int, r.attempt, r.report->>'state' AS state FROM job_reports r JOIN jobs j ON j.id = r.job_id WHERE j.tool_id = $1`,
    [CRASH_TOOL_ID],
  );
  const reportsByJob = new Map<number, number[]>();
  for (const r of reports) reportsByJob.set(r.job_id, [...(reportsByJob.get(r.job_id) ?? []), r.attempt]);
  const badReports = jobs.filter((j) => {
    const attempts = reportsByJob.get(j.id) ?? [];
    return attempts.length !== 1 || attempts[0] !== j.attempt || j.metrics_attempt !== j.attempt;
  });
  expect.soft(
    badReports.map((j) => `job ${j.id}: final attempt ${j.attempt}, applied ${j.metrics_attempt}, reports of attempts [${reportsByJob.get(j.id)}]`),
  ).toEqual([]);

  // 3. each output at its final attempt's key, present, the right size; a few dozen read back.
  const { rows: outputs } = await db.pool.query<{ job_id: number; state: string; object_key: string | null; file_size: string | null }>(
    `SELECT jo.job_id::int, d.state, d.object_key, d.file_size::text
       FROM job_outputs jo JOIN hdas h ON h.id = jo.hda_id JOIN datasets d ON d.id = h.dataset_id
       JOIN jobs j ON j.id = jo.job_id WHERE j.tool_id = $1`,
    [CRASH_TOOL_ID],
  );
  expect(outputs).toHaveLength(total);
  const byJob = new Map(outputs.map((o) => [o.job_id, o]));
  let supersededObjects = 0;
  const problems: string[] = [];
  for (const [n, job] of jobs.entries()) {
    const out = byJob.get(job.id);
    const expectedKey = jobOutputKey(job.uuid, job.attempt, 0);
    const expectedContent = `${INPUT_CONTENT}crash output of ${job.label}\n`;
    if (!out || out.state !== 'ok' || out.object_key !== expectedKey) {
      problems.push(`job ${job.id}: output ${JSON.stringify(out)} should be ok at ${expectedKey}`);
      continue;
    }
    const prefix = `jobs/${job.uuid.slice(0, 2)}/${job.uuid}/`;
    const written: string[] = [];
    for await (const o of store.list(prefix)) written.push(o.key);
    if (!written.includes(expectedKey)) problems.push(`job ${job.id}: no object at ${expectedKey}`);
    supersededObjects += written.filter((k) => !k.startsWith(`${prefix}${job.attempt}/`)).length;
    const finalObjects = written.filter((k) => k.startsWith(`${prefix}${job.attempt}/`));
    if (finalObjects.length !== 1) problems.push(`job ${job.id}: objects of the final attempt ${JSON.stringify(finalObjects)}`);
    const head = await store.head(expectedKey);
    if (Number(out.file_size) !== Buffer.byteLength(expectedContent) || head?.size !== Buffer.byteLength(expectedContent)) {
      problems.push(`job ${job.id}: size ${out.file_size} (object ${head?.size}), expected ${Buffer.byteLength(expectedContent)}`);
    }
    if (n % 8 === 0) {
      const content = await readAll(store, expectedKey);
      if (content !== expectedContent) problems.push(`job ${job.id}: content ${JSON.stringify(content)}`);
    }
  }
  expect.soft(problems).toEqual([]);

  // 5. the completion log: one line for each job's final attempt; others only for unreported attempts.
  expect(existsSync(logFile), 'the completion log exists').toBe(true);
  const lines = readFileSync(logFile, 'utf8').trim().split('\n');
  const completions = new Map<string, number>();
  for (const line of lines) {
    const m = /^(\S+) ([0-9a-f-]{36})-(\d+) done$/.exec(line);
    expect(m, `completion log line ${JSON.stringify(line)}`).not.toBeNull();
    const key = `${m![1]} ${m![2]} ${m![3]}`;
    completions.set(key, (completions.get(key) ?? 0) + 1);
  }
  let orphanCompletions = 0;
  const logProblems: string[] = [];
  for (const job of jobs) {
    const final = completions.get(`${job.label} ${job.uuid} ${job.attempt}`) ?? 0;
    if (final !== 1) logProblems.push(`job ${job.id} (${job.label}): ${final} completions of its final attempt ${job.attempt}`);
    for (let a = 1; a < job.attempt; a++) {
      const n = completions.get(`${job.label} ${job.uuid} ${a}`) ?? 0;
      // Allowed only because attempt a was never reported (checked in 4).
      if (n > 1) logProblems.push(`job ${job.id}: attempt ${a} completed ${n} times`);
      orphanCompletions += n;
    }
  }
  expect.soft(logProblems).toEqual([]);
  const known = new Set(jobs.flatMap((j) => Array.from({ length: j.attempt }, (_, a) => `${j.label} ${j.uuid} ${a + 1}`)));
  expect.soft([...completions.keys()].filter((k) => !known.has(k)), 'completions of attempts that never existed').toEqual([]);

  return {
    jobs: jobs.length,
    retried: jobs.filter((j) => j.attempt > 1).length,
    maxAttempt: Math.max(...jobs.map((j) => j.attempt)),
    supersededObjects,
    orphanCompletions,
  };
}

/** The crash test's whole run: submissions in batches under chaos, then settling; returns timing. */
export async function runUnderChaos(
  db: TestDatabase,
  cluster: CrashCluster,
  inputId: string,
  opts: { total: number; batch: number; batchPauseMs: number; chaosBoundMs: number; settleMs: number },
): Promise<{ chaos: Chaos; terminalUnderChaos: boolean; settled: boolean; ms: number }> {
  const started = Date.now();
  const chaos = new Chaos(cluster.all).start();
  try {
    for (let first = 0; first < opts.total; first += opts.batch) {
      const indexes = Array.from({ length: Math.min(opts.batch, opts.total - first) }, (_, i) => first + i);
      await Promise.all(indexes.map((i) => submitRun(db, cluster, inputId, i)));
      await sleep(opts.batchPauseMs);
    }
    const terminalUnderChaos = await waitTerminal(db, opts.total, Math.max(0, started + opts.chaosBoundMs - Date.now()));
    await chaos.stop();
    const settled = terminalUnderChaos || (await waitTerminal(db, opts.total, opts.settleMs));
    return { chaos, terminalUnderChaos, settled, ms: Date.now() - started };
  } finally {
    await chaos.stop();
  }
}

/** The last lines each process printed, for a failure message. */
export function processOutputs(cluster: CrashCluster): string {
  return cluster.all.map((p, i) => `--- process ${i} (${p.args.join(' ')}, started ${p.starts}x):\n${p.output.slice(-3000)}`).join('\n');
}

/**
 * The environment every process of a crash-test cluster gets: one database, one config file,
 * fixed ids, and short leases so that SIGKILLed work is taken over quickly.
 */
export function clusterEnv(o: {
  databaseUrl: string;
  home: string;
  configFile: string;
  port: number;
  idSecret: string;
  extra?: Record<string, string>;
}): Record<string, string> {
  return {
    DATABASE_URL: o.databaseUrl,
    NEBULA_HOME: o.home,
    NEBULA_CONFIG: o.configFile,
    NEBULA_PORT: String(o.port),
    NEBULA_HOST: '127.0.0.1',
    NEBULA_ID_SECRET: o.idSecret,
    NEBULA_LOG_LEVEL: 'warn',
    NEBULA_TASK_LEASE_SECONDS: '3',
    NEBULA_TASK_HEARTBEAT_SECONDS: '1',
    NEBULA_TASK_POLL_MS: '200',
    ...o.extra,
  };
}

/** The one line a crash test prints about its run. */
export function crashSummaryLine(
  label: string,
  result: Awaited<ReturnType<typeof runUnderChaos>>,
  summary: CrashSummary,
): string {
  return (
    `crash test (${label}): ${result.chaos.kills} SIGKILLs (${JSON.stringify(result.chaos.killed)}), ` +
    `${summary.retried} jobs needed more than one attempt (max ${summary.maxAttempt}), ` +
    `${summary.orphanCompletions} orphaned tool completions, ${summary.supersededObjects} objects of superseded attempts, ` +
    `${(result.ms / 1000).toFixed(0)} s, terminal under chaos: ${result.terminalUnderChaos}`
  );
}


/**
 * Both crash tests from start to verdict: the config file (objects in s3rver under `label/`, the
 * one destination given), the crash tool, the cluster, submissions under chaos, then the
 * invariants. `onCluster` hands the cluster to the test's afterAll, which kills it whatever
 * happens here.
 */
export async function runCrashScenario(o: {
  label: string;
  db: TestDatabase;
  s3: S3rverHandle;
  home: string;
  idSecret: string;
  total: number;
  destination: { id: string; runner: string; params: Record<string, unknown> };
  extraEnv?: Record<string, string>;
  chaos: { batch: number; batchPauseMs: number; chaosBoundMs: number; settleMs: number };
  onCluster: (cluster: CrashCluster) => void;
}): Promise<void> {
  const port = await freePort();
  const configFile = path.join(o.home, 'nebula.yaml');
  writeFileSync(
    configFile,
    toYaml({
      objectStore: { backend: 's3', s3: o.s3.s3Config(`crash-${o.label}/`), cache: { maxBytes: 0 } },
      jobs: {
        serverUrl: `http://127.0.0.1:${port}`,
        scratchPath: path.join(o.home, 'scratch'),
        nodeCachePath: path.join(o.home, 'node-cache'),
        destinations: [o.destination],
        defaultDestination: o.destination.id,
      },
    }),
  );
  const env = clusterEnv({
    databaseUrl: o.db.url, home: o.home, configFile, port, idSecret: o.idSecret,
    extra: { NEBULA_TASK_CONCURRENCY: '16', ...o.extraEnv },
  });
  const store = await createObjectStore(loadConfig(env).objectStore);
  const logFile = path.join(o.home, 'completions.log');
  await registerCrashTool(o.db, store, o.home, logFile);
  const cluster = await startCluster(o.db, env, o.idSecret);
  o.onCluster(cluster);
  const inputId = await uploadInput(o.db, cluster);

  const result = await runUnderChaos(o.db, cluster, inputId, { total: o.total, ...o.chaos });
  expect(result.settled, `jobs not terminal: ${JSON.stringify(await jobStates(o.db))}\n${processOutputs(cluster)}`).toBe(true);
  const summary = await checkCrashInvariants(o.db, store, logFile, o.total);
  console.log(crashSummaryLine(o.label, result, summary));
  expect(result.chaos.kills).toBeGreaterThanOrEqual(10);
}
