// The jobs benchmark: `npm run bench -- jobs [--latency-jobs=30] [--throughput-jobs=100]
//   [--concurrency=8] [--staging-mib=1024] [--isolation=in-process|process]`
// Each figure comes with a named alternative measured in the same run, as a ratio:
//   staging a 1 GiB input from S3 (s3rver) through the executor's node cache  vs  aws-sdk
//   GetObject piped straight to a file (MB/s, and the RSS growth of this process for both);
//   trivial jobs end to end (POST /api/tools → ok, local runner with the real executor — in the
//   worker process by default, a detached `nebula job-exec` per job with --isolation=process —
//   staging included)  vs  spawning `bash -c true` directly at the same concurrency;
//   API request to running (p50, p99 ms), an absolute target; the first job (cold: modules load
//   on first use) is reported on its own and left out of the percentiles.
// One real Nebula process (role all) on PostgreSQL and s3rver. The last line is one JSON object.
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { spawn } from 'node:child_process';
import { createWriteStream, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { migrate } from '../src/db/migrate.ts';
import { createPool, type Pool } from '../src/db/pool.ts';
import { NodeCache } from '../src/jobs/executor/node-cache.ts';
import { createHdas } from '../src/model/datasets.ts';
import { createHistory } from '../src/model/histories.ts';
import { S3ObjectStore } from '../src/objectstore/s3.ts';
import { registerToolDirectory } from '../src/toolstore/registry.ts';
import { IdCodec } from '../src/util/ids.ts';
import { freePort, NebulaProcess } from '../test/helpers/processes.ts';
import { startS3rver } from '../test/helpers/s3rver.ts';
import { openBenchServer } from './lib/postgres.ts';
import { percentile, round, sleep } from './lib/stats.ts';

const say = (msg: string) => console.log(`[jobs] ${msg}`);
const ADMIN_KEY = 'bench-jobs-admin-key-0123456789abcdef';
const ID_SECRET = 'bench-jobs-id-secret';
const MIB = 1024 * 1024;

interface Options {
  latencyJobs: number;
  throughputJobs: number;
  concurrency: number;
  stagingMib: number;
  isolation: 'in-process' | 'process';
}

function parseArgs(argv: string[]): Options {
  const o: Options = { latencyJobs: 30, throughputJobs: 100, concurrency: 8, stagingMib: 1024, isolation: 'in-process' };
  for (const arg of argv) {
    const iso = /^--isolation=(.*)$/.exec(arg);
    if (iso) {
      if (iso[1] !== 'in-process' && iso[1] !== 'process') throw new Error(`--isolation must be in-process or process, got "${iso[1]}"`);
      o.isolation = iso[1];
      continue;
    }
    const m = /^--([a-z-]+)=(\d+)$/.exec(arg);
    if (!m) throw new Error(`unrecognised argument "${arg}"; expected --name=<positive integer>`);
    const n = Number(m[2]);
    if (!(n > 0)) throw new Error(`--${m[1]} needs a positive integer`);
    if (m[1] === 'latency-jobs') o.latencyJobs = n;
    else if (m[1] === 'throughput-jobs') o.throughputJobs = n;
    else if (m[1] === 'concurrency') o.concurrency = n;
    else if (m[1] === 'staging-mib') o.stagingMib = n;
    else throw new Error(`unknown option --${m[1]}`);
  }
  return o;
}

/** Peak RSS growth of this process while `work` runs, sampled every 20 ms. */
async function withPeakRss<T>(work: () => Promise<T>): Promise<{ result: T; rssGrowthMb: number }> {
  global.gc?.();
  const before = process.memoryUsage.rss();
  let peak = before;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, 20);
  try {
    const result = await work();
    peak = Math.max(peak, process.memoryUsage.rss());
    return { result, rssGrowthMb: round((peak - before) / MIB, 1) };
  } finally {
    clearInterval(timer);
  }
}

function* zeros(totalBytes: number): Generator<Buffer> {
  const chunk = Buffer.alloc(MIB, 0x61);
  for (let left = totalBytes; left > 0; left -= MIB) yield left >= MIB ? chunk : chunk.subarray(0, left);
}

async function measureStaging(s3: ReturnType<Awaited<ReturnType<typeof startS3rver>>['s3Config']>, dir: string, mib: number) {
  const store = new S3ObjectStore(s3, { partSize: 16 * MIB, queueSize: 4 });
  const key = 'datasets/be/bench-staging-input';
  const size = mib * MIB;
  say(`putting a ${mib} MiB object into s3rver...`);
  await store.put(key, Readable.from(zeros(size)), { size });

  // The named alternative first (so the OS page cache of s3rver's file is equally warm for both).
  const client = new S3Client({ endpoint: s3.endpoint, region: s3.region, forcePathStyle: true, credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey } });
  const raw = await withPeakRss(async () => {
    const start = performance.now();
    const res = await client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: `${s3.prefix ? `${s3.prefix}/` : ''}${key}` }));
    await pipeline(res.Body as Readable, createWriteStream(path.join(dir, 'raw-get')));
    return (performance.now() - start) / 1000;
  });
  await rm(path.join(dir, 'raw-get'), { force: true });
  client.destroy();

  const cache = new NodeCache(path.join(dir, 'node-cache'), 2 * size);
  const staged = await withPeakRss(async () => {
    const start = performance.now();
    await cache.stage(store, key, size, path.join(dir, 'staged-cold'));
    return (performance.now() - start) / 1000;
  });
  const warmStart = performance.now();
  await cache.stage(store, key, size, path.join(dir, 'staged-warm'));
  const warmMs = performance.now() - warmStart;
  await rm(path.join(dir, 'node-cache'), { recursive: true, force: true });
  await rm(path.join(dir, 'staged-cold'), { force: true });
  await rm(path.join(dir, 'staged-warm'), { force: true });
  await store.delete(key);
  await store.close?.();
  const mbs = (s: number) => round(size / 1e6 / s, 1);
  return {
    staging_mib: mib,
    staging_mb_s: mbs(staged.result),
    staging_rss_growth_mb: staged.rssGrowthMb,
    raw_getobject_mb_s: mbs(raw.result),
    raw_getobject_rss_growth_mb: raw.rssGrowthMb,
    staging_vs_raw_getobject: round(raw.result / staged.result, 2),
    staging_warm_cache_ms: round(warmMs, 1),
  };
}

async function bashTrueThroughput(count: number, concurrency: number): Promise<number> {
  const start = performance.now();
  let next = 0;
  const worker = async () => {
    while (next < count) {
      next++;
      await new Promise<void>((resolve, reject) => {
        const child = spawn('bash', ['-c', 'true'], { stdio: 'ignore', detached: true });
        child.once('error', reject);
        child.once('exit', () => resolve());
      });
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return count / ((performance.now() - start) / 1000);
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  const dir = mkdtempSync(path.join(os.tmpdir(), 'nebula-bench-jobs-'));
  const server = await openBenchServer(say);
  const s3rver = await startS3rver({ bucket: 'nebula-bench' });
  let nebula: NebulaProcess | undefined;
  let pool: Pool | undefined;
  try {
    const s3 = s3rver.s3Config('bench');
    say(`${os.cpus().length} CPUs, node ${process.version}, ${server.description}, s3rver ${s3rver.endpoint}`);
    const staging = await measureStaging(s3, dir, o.stagingMib);
    say(`staging ${o.stagingMib} MiB: ${staging.staging_mb_s} MB/s, RSS growth ${staging.staging_rss_growth_mb} MB (raw GetObject ${staging.raw_getobject_mb_s} MB/s, RSS growth ${staging.raw_getobject_rss_growth_mb} MB); warm cache ${staging.staging_warm_cache_ms} ms`);

    const databaseUrl = await server.freshDatabase('nebula_bench_jobs');
    pool = createPool(databaseUrl, 4);
    await migrate(pool);
    const store = new S3ObjectStore(s3);
    await registerToolDirectory(pool, store, path.resolve('test/jobs/fixtures/cat_tool'));
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const configFile = path.join(dir, 'nebula.yml');
    writeFileSync(configFile, `jobs:\n  destinations:\n    - id: local\n      runner: local\n      params: { concurrency: ${o.concurrency}, isolation: ${o.isolation}, stateDir: ${JSON.stringify(path.join(dir, 'runner'))} }\n  defaultDestination: local\n`);
    nebula = new NebulaProcess(['serve', '--role', 'all'], {
      NEBULA_CONFIG: configFile,
      DATABASE_URL: databaseUrl,
      NEBULA_HOME: dir,
      NEBULA_ADMIN_KEY: ADMIN_KEY,
      NEBULA_ID_SECRET: ID_SECRET,
      NEBULA_PORT: String(port),
      NEBULA_SERVER_URL: base,
      NEBULA_LOG_LEVEL: 'warn',
      NEBULA_CACHE_MAX_BYTES: '0',
      ...s3rver.environment(s3.prefix),
      NEBULA_TASK_CONCURRENCY: String(Math.max(8, o.concurrency * 2)),
    }).start();
    await nebula.waitForHttp(`${base}/readyz`);
    const { rows } = await pool.query<{ id: number }>('SELECT id FROM users WHERE is_admin ORDER BY id LIMIT 1');
    const ids = new IdCodec(ID_SECRET);
    const history = await createHistory(pool, rows[0]!.id, 'bench');
    const [hda] = await createHdas(pool, history.id, [{ name: 'input.txt', extension: 'txt', state: 'ok' }]);
    await store.put(hda!.object_key!, 'one line\n');
    await pool.query('UPDATE datasets SET file_size = 9 WHERE id = $1', [hda!.dataset_id]);
    await store.close?.();
    const body = JSON.stringify({ history_id: ids.encode(history.id), tool_id: 'nebula_test_cat', inputs: { input1: { src: 'hda', id: ids.encode(hda!.id) } } });
    const runTool = async (): Promise<number> => {
      const res = await fetch(`${base}/api/tools`, { method: 'POST', headers: { 'x-api-key': ADMIN_KEY, 'content-type': 'application/json' }, body });
      const json = (await res.json()) as { jobs?: { id: string }[] };
      if (!res.ok || !json.jobs?.[0]) throw new Error(`POST /api/tools answered ${res.status}: ${JSON.stringify(json).slice(0, 300)}`);
      const jobId = ids.decode(json.jobs[0].id);
      if (jobId === null) throw new Error(`POST /api/tools returned an undecodable job id ${json.jobs[0].id}`);
      return jobId;
    };
    const stateOf = async (jobId: number) => (await pool!.query<{ state: string }>('SELECT state FROM jobs WHERE id = $1', [jobId])).rows[0]!.state;

    // Request to running, one job at a time; the first one (cold) is reported apart.
    const latencies: number[] = [];
    for (let i = 0; i <= o.latencyJobs; i++) {
      const start = performance.now();
      const jobId = await runTool();
      for (;;) {
        const state = await stateOf(jobId);
        if (state === 'running' || state === 'ok' || state === 'error') break;
        if (performance.now() - start > 60_000) throw new Error(`job ${jobId} still ${state} after 60 s:\n${nebula.output.slice(-3000)}`);
        await sleep(2);
      }
      latencies.push(performance.now() - start);
      while (!['ok', 'error', 'deleted'].includes(await stateOf(jobId))) await sleep(10);
    }
    const firstJobMs = latencies.shift()!;
    const failedLatency = (await pool.query<{ n: string }>("SELECT count(*) AS n FROM jobs WHERE state <> 'ok'")).rows[0]!.n;
    say(`request to running: p50 ${round(percentile(latencies, 50), 1)} ms, p99 ${round(percentile(latencies, 99), 1)} ms (${o.latencyJobs} jobs, ${failedLatency} not ok); first (cold) job ${round(firstJobMs, 1)} ms`);
    say(`request to running, sorted: ${[...latencies].sort((a, b) => a - b).map((l) => round(l, 0)).join(' ')}`);

    // Throughput: every job submitted at once, until all are terminal.
    const start = performance.now();
    const jobIds = await Promise.all(Array.from({ length: o.throughputJobs }, () => runTool()));
    for (;;) {
      const { rows: r } = await pool.query<{ n: string }>("SELECT count(*) AS n FROM jobs WHERE id = ANY($1) AND state IN ('ok','error','deleted')", [jobIds]);
      if (Number(r[0]!.n) === jobIds.length) break;
      if (performance.now() - start > 600_000) throw new Error('throughput jobs did not finish in 10 minutes');
      await sleep(20);
    }
    const seconds = (performance.now() - start) / 1000;
    const { rows: bad } = await pool.query<{ n: string }>("SELECT count(*) AS n FROM jobs WHERE id = ANY($1) AND state <> 'ok'", [jobIds]);
    const jobsPerSecond = o.throughputJobs / seconds;
    const bashPerSecond = await bashTrueThroughput(o.throughputJobs, o.concurrency);
    say(`throughput: ${round(jobsPerSecond, 1)} trivial jobs/s end to end (${bad[0]!.n} not ok); bash -c true: ${round(bashPerSecond, 1)}/s`);

    console.log(
      JSON.stringify({
        bench: 'jobs',
        cpus: os.cpus().length,
        request_to_running_p50_ms: round(percentile(latencies, 50), 1),
        request_to_running_p99_ms: round(percentile(latencies, 99), 1),
        request_to_running_first_job_ms: round(firstJobMs, 1),
        jobs_per_s: round(jobsPerSecond, 2),
        jobs_not_ok: Number(bad[0]!.n) + Number(failedLatency),
        bash_true_per_s: round(bashPerSecond, 1),
        jobs_vs_bash_true: round(jobsPerSecond / bashPerSecond, 4),
        ...staging,
        latency_jobs: o.latencyJobs,
        throughput_jobs: o.throughputJobs,
        concurrency: o.concurrency,
        isolation: o.isolation,
      }),
    );
  } finally {
    await nebula?.kill('SIGTERM');
    await pool?.end();
    await s3rver.stop();
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
