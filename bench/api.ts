// The API benchmark: `npm run bench -- api [--list-requests=50] [--upload-mib=1024] [--chunk-mib=32]
//   [--purge-datasets=100000] [--only=list,upload,purge] [--store=s3|file]`
// One real Nebula process (role all) on PostgreSQL and s3rver, or with `--store=file` on the file
// object store backend (so the upload can be measured above what s3rver itself accepts). Each figure comes with a named
// alternative measured in the same run, as a ratio, because the machines are noisy:
//   contents listing of a 10,000-dataset history over HTTP  vs  the raw SQL query of the same rows;
//   tus upload of a file into the store through the API      vs  a direct store.put of the same file
//                                                                into the same backend;
//   purge of a 100,000-dataset history (task, chunked)        (no alternative: an absolute target).
// The last line of output is one JSON object.
import { createReadStream, createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { migrate } from '../src/db/migrate.ts';
import { createPool, type Pool } from '../src/db/pool.ts';
import { HDA_SELECT } from '../src/model/datasets.ts';
import { FileObjectStore } from '../src/objectstore/file.ts';
import { S3ObjectStore } from '../src/objectstore/s3.ts';
import type { ObjectStore } from '../src/objectstore/types.ts';
import { IdCodec } from '../src/util/ids.ts';
import { freePort, NebulaProcess } from '../test/helpers/processes.ts';
import { startS3rver } from '../test/helpers/s3rver.ts';
import { openBenchServer } from './lib/postgres.ts';
import { percentile, round, sleep } from './lib/stats.ts';

const say = (msg: string) => console.log(`[api] ${msg}`);
const ADMIN_KEY = 'bench-api-admin-key-0123456789abcdef';
const ID_SECRET = 'bench-api-id-secret';

interface Options {
  listRequests: number;
  listDatasets: number;
  uploadMib: number;
  chunkMib: number;
  purgeDatasets: number;
  /** Run only these parts (`--only=list`, `--only=list,purge`); all by default. */
  only: Set<'list' | 'upload' | 'purge'>;
  /** The object store backend of the server and of the direct put. */
  store: (typeof STORES)[number];
}

const PARTS = ['list', 'upload', 'purge'] as const;
const STORES = ['s3', 'file'] as const;

function parseArgs(argv: string[]): Options {
  const o: Options = { listRequests: 50, listDatasets: 10_000, uploadMib: 1024, chunkMib: 32, purgeDatasets: 100_000, only: new Set(PARTS), store: 's3' };
  for (const arg of argv) {
    const store = /^--store=(.*)$/.exec(arg);
    if (store) {
      if (!(STORES as readonly string[]).includes(store[1])) throw new Error(`--store: unknown backend "${store[1]}"; use ${STORES.join(' or ')}`);
      o.store = store[1] as (typeof STORES)[number];
      continue;
    }
    const only = /^--only=([a-z,]+)$/.exec(arg);
    if (only) {
      const parts = only[1].split(',');
      for (const p of parts) if (!(PARTS as readonly string[]).includes(p)) throw new Error(`--only: unknown part "${p}"; use ${PARTS.join(', ')}`);
      o.only = new Set(parts as Array<(typeof PARTS)[number]>);
      continue;
    }
    const m = /^--([a-z-]+)=(\d+)$/.exec(arg);
    if (!m) throw new Error(`unrecognised argument "${arg}"; expected --name=<positive integer>`);
    const n = Number(m[2]);
    if (n <= 0) throw new Error(`--${m[1]} must be positive`);
    if (m[1] === 'list-requests') o.listRequests = n;
    else if (m[1] === 'list-datasets') o.listDatasets = n;
    else if (m[1] === 'upload-mib') o.uploadMib = n;
    else if (m[1] === 'chunk-mib') o.chunkMib = n;
    else if (m[1] === 'purge-datasets') o.purgeDatasets = n;
    else throw new Error(`unknown option --${m[1]}`);
  }
  return o;
}

/** A history of `count` ok datasets, made directly in SQL (the benchmark measures reads, not writes). */
async function historyWithDatasets(pool: Pool, userId: number, count: number, name: string): Promise<number> {
  const { rows } = await pool.query<{ id: number }>(
    `INSERT INTO histories (user_id, name, hid_counter) VALUES ($1, $2, $3 + 1) RETURNING id`,
    [userId, name, count],
  );
  const historyId = rows[0].id;
  await pool.query(
    `WITH d AS (
       INSERT INTO datasets (uuid, state, object_key, file_size)
       SELECT u, 'ok', 'datasets/' || substr(u::text, 1, 2) || '/' || u::text, 100
         FROM (SELECT gen_random_uuid() AS u FROM generate_series(1, $2)) g
       RETURNING id)
     INSERT INTO hdas (history_id, dataset_id, hid, name, extension, peek, blurb, metadata)
     SELECT $1, id, row_number() OVER (ORDER BY id), 'dataset ' || id, 'bed', 'chr1\t1\t2', '1 region',
            '{"dataLines": 1, "columns": 3}'::jsonb
       FROM d`,
    [historyId, count],
  );
  return historyId;
}

function get(url: string): Promise<{ status: number; bytes: number }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { headers: { 'x-api-key': ADMIN_KEY }, agent: keepAlive }, (res) => {
        let bytes = 0;
        res.on('data', (c: Buffer) => (bytes += c.length));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, bytes }));
        res.on('error', reject);
      })
      .on('error', reject);
  });
}
const keepAlive = new http.Agent({ keepAlive: true, maxSockets: 4 });

async function timeIt<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const start = process.hrtime.bigint();
  const value = await fn();
  return { ms: Number(process.hrtime.bigint() - start) / 1e6, value };
}

async function measureListing(base: string, pool: Pool, ids: IdCodec, userId: number, o: Options) {
  const historyId = await historyWithDatasets(pool, userId, o.listDatasets, 'listing');
  const url = `${base}/api/histories/${ids.encode(historyId)}/contents`;
  const first = await get(url);
  if (first.status !== 200) throw new Error(`contents listing answered ${first.status}`);
  say(`listing ${o.listDatasets} datasets: ${(first.bytes / 1e6).toFixed(1)} MB of JSON per request`);
  const http: number[] = [];
  const sql: number[] = [];
  for (let i = 0; i < o.listRequests; i++) {
    http.push((await timeIt(() => get(url))).ms);
    sql.push((await timeIt(() => pool.query(`${HDA_SELECT} WHERE h.history_id = $1 ORDER BY h.hid`, [historyId]))).ms);
  }
  return {
    list_p50_ms: round(percentile(http, 50)),
    list_p99_ms: round(percentile(http, 99)),
    list_sql_p50_ms: round(percentile(sql, 50)),
    list_vs_sql_ratio: round(percentile(http, 50) / percentile(sql, 50)),
  };
}

/** Resident and peak memory of a process, from /proc (Linux). */
async function rssMb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? NaN) / 1024;
}

function patchFromFile(url: string, file: string, offset: number, length: number): Promise<{ status: number; offset: number }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, {
      method: 'PATCH',
      agent: keepAlive,
      headers: {
        'x-api-key': ADMIN_KEY,
        'tus-resumable': '1.0.0',
        'upload-offset': String(offset),
        'content-type': 'application/offset+octet-stream',
        'content-length': String(length),
      },
    });
    req.on('response', (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, offset: Number(res.headers['upload-offset']) }));
    });
    req.on('error', reject);
    createReadStream(file, { start: offset, end: offset + length - 1, highWaterMark: 1 << 20 }).pipe(req);
  });
}

async function measureUpload(base: string, pid: number, store: ObjectStore, dir: string, o: Options) {
  const file = path.join(dir, 'upload.bin');
  const size = o.uploadMib * 1024 * 1024;
  // Incompressible content, written once: a random MiB repeated.
  const block = randomBytes(1 << 20);
  await new Promise<void>((resolve, reject) => {
    const out = createWriteStream(file);
    let written = 0;
    const more = () => {
      while (written < size) {
        written += block.length;
        if (!out.write(block)) return void out.once('drain', more);
      }
      out.end(resolve);
    };
    out.on('error', reject);
    more();
  });

  const rssBefore = await rssMb(pid);
  let rssPeak = rssBefore;
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      rssPeak = Math.max(rssPeak, await rssMb(pid).catch(() => rssPeak));
      await sleep(50);
    }
  })();

  const upload = await timeIt(async () => {
    const created = await fetch(`${base}/api/upload/resumable_upload`, {
      method: 'POST',
      headers: { 'x-api-key': ADMIN_KEY, 'tus-resumable': '1.0.0', 'upload-length': String(size) },
    });
    if (created.status !== 201) throw new Error(`tus create answered ${created.status}`);
    const url = base + created.headers.get('location');
    const chunk = o.chunkMib * 1024 * 1024;
    for (let offset = 0; offset < size; ) {
      const res = await patchFromFile(url, file, offset, Math.min(chunk, size - offset));
      if (res.status !== 204) throw new Error(`tus PATCH at ${offset} answered ${res.status}`);
      offset = res.offset;
    }
  });
  sampling = false;
  await sampler;

  const direct = await timeIt(() => store.put('bench/direct-put', createReadStream(file, { highWaterMark: 1 << 20 }), { size }));
  await store.delete('bench/direct-put');
  rmSync(file, { force: true });
  const mb = size / (1024 * 1024);
  const uploadMbS = mb / (upload.ms / 1000);
  const directMbS = mb / (direct.ms / 1000);
  return {
    upload_mb_s: round(uploadMbS, 1),
    upload_rss_mb: round(rssPeak - rssBefore, 1),
    upload_rss_peak_mb: round(rssPeak, 1),
    direct_put_mb_s: round(directMbS, 1),
    upload_vs_direct_put_ratio: round(uploadMbS / directMbS),
  };
}

async function measurePurge(base: string, pool: Pool, ids: IdCodec, userId: number, o: Options): Promise<number | null> {
  const historyId = await historyWithDatasets(pool, userId, o.purgeDatasets, 'purge');
  const started = Date.now();
  const res = await fetch(`${base}/api/histories/${ids.encode(historyId)}`, {
    method: 'DELETE',
    headers: { 'x-api-key': ADMIN_KEY, 'content-type': 'application/json' },
    body: JSON.stringify({ purge: true }),
  });
  if (res.status !== 200) {
    say(`purge request answered ${res.status}: ${await res.text()}; no purge figure`);
    return null;
  }
  for (;;) {
    const { rows } = await pool.query<{ purged: boolean }>('SELECT purged FROM histories WHERE id = $1', [historyId]);
    if (rows[0]?.purged) return round((Date.now() - started) / 1000);
    if (Date.now() - started > 600_000) throw new Error('purge did not finish within 10 minutes');
    await sleep(100);
  }
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  const dir = mkdtempSync(path.join(os.tmpdir(), 'nebula-bench-api-'));
  const server = await openBenchServer(say);
  // s3rver only when it is the store: on the file backend it would only take CPU from the run.
  const s3rver = o.store === 's3' ? await startS3rver({ bucket: 'nebula-bench' }) : undefined;
  const objectsDir = path.join(dir, 'objects');
  let nebula: NebulaProcess | undefined;
  let pool: Pool | undefined;
  try {
    const databaseUrl = await server.freshDatabase('nebula_bench_api');
    pool = createPool(databaseUrl, 4);
    await migrate(pool);
    const s3 = s3rver?.s3Config('bench');
    const storeEnv: Record<string, string> = s3rver
      ? s3rver.environment('bench')
      : { NEBULA_OBJECT_STORE: 'file', NEBULA_OBJECT_STORE_PATH: objectsDir };
    const port = await freePort();
    nebula = new NebulaProcess(['serve', '--role', 'all'], {
      DATABASE_URL: databaseUrl,
      NEBULA_HOME: dir,
      NEBULA_ADMIN_KEY: ADMIN_KEY,
      NEBULA_ID_SECRET: ID_SECRET,
      NEBULA_PORT: String(port),
      NEBULA_LOG_LEVEL: 'warn',
      NEBULA_CACHE_MAX_BYTES: '0',
      ...storeEnv,
    }).start();
    const base = `http://127.0.0.1:${port}`;
    await nebula.waitForHttp(`${base}/readyz`);
    const { rows } = await pool.query<{ id: number }>('SELECT id FROM users WHERE is_admin ORDER BY id LIMIT 1');
    const userId = rows[0].id;
    const ids = new IdCodec(ID_SECRET);

    say(`${os.cpus().length} CPUs, node ${process.version}, ${server.description}, ${s3rver ? `s3rver ${s3rver.endpoint}` : `file store ${objectsDir}`}`);
    let listing = {};
    if (o.only.has('list')) {
      const l = await measureListing(base, pool, ids, userId, o);
      say(`listing: p50 ${l.list_p50_ms} ms, p99 ${l.list_p99_ms} ms (raw SQL p50 ${l.list_sql_p50_ms} ms)`);
      listing = l;
    }
    let upload = {};
    if (o.only.has('upload')) {
      const store: ObjectStore = s3 ? new S3ObjectStore(s3) : new FileObjectStore(objectsDir);
      const u = await measureUpload(base, nebula.child!.pid!, store, dir, o);
      await store.close?.();
      say(`tus upload of ${o.uploadMib} MiB into ${o.store}: ${u.upload_mb_s} MB/s, RSS growth ${u.upload_rss_mb} MB (direct put ${u.direct_put_mb_s} MB/s)`);
      upload = u;
    }
    let purge: number | null = null;
    if (o.only.has('purge')) {
      purge = (await measurePurge(base, pool, ids, userId, o)) ?? null;
      say(`purge of ${o.purgeDatasets} datasets: ${purge ?? 'n/a'} s`);
    }
    console.log(
      JSON.stringify({
        bench: 'api',
        store: o.store,
        ...listing,
        ...upload,
        purge_100k_s: o.purgeDatasets === 100_000 ? purge : null,
        purge_s: purge,
        purge_datasets: o.purgeDatasets,
        list_datasets: o.listDatasets,
        upload_mib: o.uploadMib,
        chunk_mib: o.chunkMib,
      }),
    );
  } finally {
    await nebula?.kill('SIGTERM');
    await pool?.end();
    await s3rver?.stop();
    await server.close();
    rmSync(dir, { recursive: true, force: true });
    keepAlive.destroy();
  }
}

await main();
