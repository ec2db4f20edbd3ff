// The containers benchmark: `npm run bench -- containers [--warm=2000] [--concurrent=50]`
// Real components: a Debian docker-registry upstream + pull-through mirror (scripts/registries.sh,
// ports 15301/15300) with a pushed biocontainers-style image, and PostgreSQL (DATABASE_URL or
// embedded). Figures, each with a named alternative measured in the same run:
//   cold resolution (tags/list + manifest HEAD through the mirror, cache miss, written to the DB)
//     vs  a direct manifest HEAD to the mirror (the least any uncached resolver must do);
//   warm resolution from the shared PostgreSQL cache (p50, p99)  vs  that same direct HEAD;
//   upstream requests when 50 jobs needing the same image resolve at once  vs  50 (no shared cache).
// The last line is one JSON object.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { resolveForJob } from '../src/containers/jobs.ts';
import { RegistryClient, type FetchLike } from '../src/containers/registry-client.ts';
import { newDeps } from '../src/containers/resolve.ts';
import { DEFAULT_CONTAINER_SETTINGS } from '../src/containers/settings.ts';
import { migrate } from '../src/db/migrate.ts';
import { createPool } from '../src/db/pool.ts';
import type { ToolSource } from '../src/tools/model.ts';
import { openBenchServer } from './lib/postgres.ts';
import { percentile, round } from './lib/stats.ts';

const say = (msg: string) => console.log(`[containers] ${msg}`);
const arg = (name: string, fallback: number) => Number(process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? fallback);
const WARM = arg('warm', 2000);
const CONCURRENT = arg('concurrent', 50);
const run = promisify(execFile);
const repo = path.resolve(import.meta.dirname, '..');
const root = mkdtempSync(path.join(os.tmpdir(), 'nebula-bench-registries-'));
const env = { ...process.env, NEBULA_REGISTRY_ROOT: root, NEBULA_REGISTRY_UPSTREAM_PORT: '15301', NEBULA_REGISTRY_MIRROR_PORT: '15300', NEBULA_IMAGE_WORK: path.join(root, 'image') };
const MIRROR = '127.0.0.1:15300';
const settings = { ...DEFAULT_CONTAINER_SETTINGS, hostOverrides: { 'quay.io': MIRROR } };
const tool = (name: string) => ({ id: name, requirements: [{ type: 'package', name, version: '1.0' }], containers: [] }) as unknown as ToolSource;

function counting(): { fetch: FetchLike; count: () => number } {
  let n = 0;
  return { fetch: (url, init) => (n++, fetch(url, init)), count: () => n };
}

const ms = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e6;

const server = await openBenchServer(say);
try {
  await run(path.join(repo, 'scripts/registries.sh'), ['start'], { env });
  const names = Array.from({ length: 21 }, (_, i) => `benchtool${i}`);
  await run(path.join(repo, 'test/containers/fixtures/push-test-images.sh'), ['http://127.0.0.1:15301', ...names.map((n) => `biocontainers/${n}:1.0--h_0`)], { env });
  const pool = createPool(await server.freshDatabase('nebula_bench_containers'), 20);
  await migrate(pool);
  say(`${os.cpus().length} CPUs, node ${process.version}, ${server.description}, docker-registry mirror ${MIRROR}`);

  // The alternative: one direct manifest HEAD to the mirror, no database.
  const client = new RegistryClient();
  const endpoint = { host: MIRROR, insecure: true };
  await client.manifestDigest(endpoint, 'biocontainers/benchtool0', '1.0--h_0');
  const direct: number[] = [];
  for (let i = 0; i < 200; i++) {
    const t = process.hrtime.bigint();
    await client.manifestDigest(endpoint, 'biocontainers/benchtool0', '1.0--h_0');
    direct.push(ms(t));
  }

  // Cold: a different image each time (cache miss → registry → row written).
  const cold: number[] = [];
  for (const name of names.slice(1, 21)) {
    const t = process.hrtime.bigint();
    await resolveForJob(pool, tool(name), newDeps(settings));
    cold.push(ms(t));
  }

  // Warm: the same image again and again, from the shared cache.
  const deps = newDeps(settings);
  // Interleaved with the floor of any cache in PostgreSQL, a `SELECT 1` round trip, so both see
  // the same machine load (the p99 of either is mostly the scheduler on a busy machine).
  const warm: number[] = [];
  const select1: number[] = [];
  for (let i = 0; i < WARM; i++) {
    let t = process.hrtime.bigint();
    await resolveForJob(pool, tool('benchtool1'), deps);
    warm.push(ms(t));
    t = process.hrtime.bigint();
    await pool.query('SELECT 1');
    select1.push(ms(t));
  }

  // 50 jobs needing one uncached image at once, each with its own client (like separate replicas).
  await pool.query('DELETE FROM container_resolutions');
  const counters = Array.from({ length: CONCURRENT }, () => counting());
  const t = process.hrtime.bigint();
  await Promise.all(counters.map((c) => resolveForJob(pool, tool('benchtool0'), newDeps(settings, new RegistryClient({ fetch: c.fetch })))));
  const concurrentMs = ms(t);
  const upstream = counters.reduce((sum, c) => sum + c.count(), 0);
  await pool.end();

  const result = {
    bench: 'containers',
    direct_head_p50_ms: round(percentile(direct, 50), 3),
    cold_resolve_p50_ms: round(percentile(cold, 50), 3),
    cold_vs_direct_head: round(percentile(cold, 50) / percentile(direct, 50), 2),
    warm_resolve_p50_ms: round(percentile(warm, 50), 3),
    warm_resolve_p99_ms: round(percentile(warm, 99), 3),
    warm_vs_direct_head: round(percentile(warm, 50) / percentile(direct, 50), 3),
    select1_p50_ms: round(percentile(select1, 50), 3),
    select1_p99_ms: round(percentile(select1, 99), 3),
    load_average_1m: round(os.loadavg()[0]!, 1),
    concurrent_jobs: CONCURRENT,
    concurrent_upstream_requests: upstream,
    concurrent_upstream_requests_without_shared_cache: CONCURRENT * 2,
    concurrent_wall_ms: round(concurrentMs, 1),
  };
  say(`direct HEAD p50 ${result.direct_head_p50_ms} ms; cold resolve p50 ${result.cold_resolve_p50_ms} ms (${result.cold_vs_direct_head}x); warm p50 ${result.warm_resolve_p50_ms} ms, p99 ${result.warm_resolve_p99_ms} ms (${result.warm_vs_direct_head}x of a direct HEAD); SELECT 1 p50 ${result.select1_p50_ms} ms, p99 ${result.select1_p99_ms} ms; load ${result.load_average_1m}`);
  say(`${CONCURRENT} concurrent resolutions of one image: ${upstream} upstream requests (tags/list + HEAD once) vs ${CONCURRENT * 2} without a shared cache, ${result.concurrent_wall_ms} ms`);
  console.log(JSON.stringify(result));
} finally {
  await run(path.join(repo, 'scripts/registries.sh'), ['stop'], { env }).catch(() => {});
  rmSync(root, { recursive: true, force: true });
  await server.close();
}
