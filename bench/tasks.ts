// The task-engine benchmark: `npm run bench -- tasks [--seconds=5] [--pgboss-batch=100]
//   [--rounds=2] [--pickup-samples=200] [--recovery-trials=3] [--engines=nebula,pgboss,graphile]`
// Nebula, pg-boss and graphile-worker run side by side on one PostgreSQL server, each in its own
// database; throughput is compared as a ratio within the same run because the machines are noisy.
// The last line of output is one JSON object (see docs/benchmarks.md).
import os from 'node:os';
import type { BenchEngine, EngineName } from './lib/engines/engine.ts';
import { GraphileEngine } from './lib/engines/graphile.ts';
import { NebulaEngine } from './lib/engines/nebula.ts';
import { PgBossEngine } from './lib/engines/pgboss.ts';
import { measureGaugeQuery } from './lib/gauges.ts';
import { measurePickup } from './lib/pickup.ts';
import { openBenchServer, serverVersion, type BenchServer } from './lib/postgres.ts';
import { killChildren, measureRecoveryOnce } from './lib/recovery.ts';
import { percentile, round } from './lib/stats.ts';
import { calibratedCount, measureThroughput } from './lib/throughput.ts';

const CONCURRENCIES = [1, 4, 16] as const;
const ALL_ENGINES: EngineName[] = ['nebula', 'pgboss', 'graphile'];

interface Options {
  seconds: number;
  rounds: number;
  pgbossBatch: number;
  pickupSamples: number;
  recoveryTrials: number;
  engines: EngineName[];
}

function parseArgs(argv: string[]): Options {
  const o: Options = { seconds: 3, rounds: 2, pgbossBatch: 100, pickupSamples: 200, recoveryTrials: 3, engines: ALL_ENGINES };
  for (const arg of argv) {
    const m = /^--([a-z-]+)=(.+)$/.exec(arg);
    if (!m) throw new Error(`unrecognised argument "${arg}"; expected --name=value`);
    const [, key, value] = m as unknown as [string, string, string];
    const num = () => {
      const n = Number(value);
      if (!Number.isFinite(n) || n <= 0) throw new Error(`--${key} needs a positive number, got "${value}"`);
      return n;
    };
    if (key === 'seconds') o.seconds = num();
    else if (key === 'rounds') o.rounds = Math.round(num());
    else if (key === 'pgboss-batch') o.pgbossBatch = Math.round(num());
    else if (key === 'pickup-samples') o.pickupSamples = Math.round(num());
    else if (key === 'recovery-trials') o.recoveryTrials = Math.round(num());
    else if (key === 'engines') {
      const names = value.split(',');
      const bad = names.filter((n) => !ALL_ENGINES.includes(n as EngineName));
      if (bad.length || !names.includes('nebula')) {
        throw new Error(`--engines takes a comma list of ${ALL_ENGINES.join(', ')} including nebula; got "${value}"`);
      }
      o.engines = names as EngineName[];
    } else throw new Error(`unknown option --${key}`);
  }
  return o;
}

const say = (msg: string) => console.log(`[tasks] ${msg}`);

async function main(): Promise<void> {
  const opts = parseArgs(process.argv.slice(2));
  const started = Date.now();
  const result: Record<string, unknown> = { bench: 'tasks' };
  let server: BenchServer | undefined;
  const engines = new Map<EngineName, BenchEngine>();
  const cleanup = async () => {
    killChildren();
    for (const e of engines.values()) await e.close().catch(() => {});
    engines.clear();
    await server?.close();
    server = undefined;
  };
  process.once('SIGINT', () => void cleanup().finally(() => process.exit(130)));
  process.once('SIGTERM', () => void cleanup().finally(() => process.exit(143)));

  try {
    server = await openBenchServer(say);
    const urls = {
      nebula: await server.freshDatabase('bench_nebula'),
      pgboss: await server.freshDatabase('bench_pgboss'),
      graphile: await server.freshDatabase('bench_graphile'),
    };
    const pgVersion = await serverVersion(urls.nebula);
    say(`${server.description}, PostgreSQL ${pgVersion}; ${os.cpus().length} cores, Node ${process.version}`);
    const nebula = new NebulaEngine(urls.nebula);
    engines.set('nebula', nebula);
    if (opts.engines.includes('pgboss')) {
      const pgboss = new PgBossEngine(urls.pgboss, 1, say);
      engines.set('pgboss', pgboss);
      if (opts.pgbossBatch > 1) engines.set('pgboss_batched', new PgBossEngine(urls.pgboss, opts.pgbossBatch, say, pgboss));
    }
    if (opts.engines.includes('graphile')) engines.set('graphile', new GraphileEngine(urls.graphile));
    for (const e of engines.values()) await e.setup();

    // Throughput: engines interleaved at each concurrency, in several rounds, so that a burst
    // of load from elsewhere on the machine hits them alike; each engine keeps its best round.
    const rates: Record<string, Record<number, number | null>> = {};
    for (let round_ = 1; round_ <= opts.rounds; round_++) {
      for (const c of CONCURRENCIES) {
        for (const e of engines.values()) {
          rates[e.name] ??= {};
          try {
            const n = await calibratedCount(e, c, opts.seconds);
            const r = await measureThroughput(e, c, n);
            say(
              `${e.name.padEnd(14)} c=${String(c).padEnd(2)} round ${round_}: ${n} tasks, enqueue ${r.enqueueSeconds.toFixed(2)} s, ` +
                `claim+complete ${r.processSeconds.toFixed(2)} s = ${r.perSecond.toFixed(0)}/s ` +
                `(end to end ${r.pipelinePerSecond.toFixed(0)}/s) [${e.describe(c)}]`,
            );
            if (r.perSecond > (rates[e.name]![c] ?? 0)) {
              rates[e.name]![c] = r.perSecond;
              result[`${e.name}_per_s_c${c}`] = round(r.perSecond, 0);
              result[`${e.name}_pipeline_per_s_c${c}`] = round(r.pipelinePerSecond, 0);
            }
          } catch (err) {
            rates[e.name]![c] ??= null;
            result[`${e.name}_per_s_c${c}`] ??= null;
            say(`${e.name} c=${c} failed: ${(err as Error).message}`);
            if (e.name === 'nebula') throw err;
          }
        }
      }
    }
    const at16 = (name: EngineName) => rates[name]?.[16] ?? null;
    result.nebula_per_s = round(at16('nebula')!, 0);
    result.pgboss_per_s = at16('pgboss') === null ? null : round(at16('pgboss')!, 0);
    result.graphile_per_s = at16('graphile') === null ? null : round(at16('graphile')!, 0);

    // Pickup latency with idle workers.
    for (const e of engines.values()) {
      if (e.name === 'pgboss_batched') continue; // polls exactly like pgboss
      // pg-boss 10 only polls (0.5 s at best), so fewer samples say as much and save a minute.
      const samples = e.name === 'pgboss' ? Math.min(opts.pickupSamples, 20) : opts.pickupSamples;
      try {
        const lat = await measurePickup(e, samples, 20);
        const p50 = percentile(lat, 50);
        const p99 = percentile(lat, 99);
        say(`${e.name.padEnd(14)} pickup with idle workers, ${samples} tasks: p50 ${p50.toFixed(2)} ms, p99 ${p99.toFixed(2)} ms`);
        const prefix = e.name === 'nebula' ? '' : `${e.name}_`;
        result[`${prefix}pickup_p50_ms`] = round(p50);
        result[`${prefix}pickup_p99_ms`] = round(p99);
      } catch (err) {
        say(`${e.name} pickup failed: ${(err as Error).message}`);
        if (e.name === 'nebula') throw err;
      }
    }

    // Recovery of a killed worker's task, default lease settings; the worst trial counts.
    const trials: number[] = [];
    for (let i = 0; i < opts.recoveryTrials; i++) {
      const s = await measureRecoveryOnce(urls.nebula, nebula.pool);
      trials.push(s);
      say(`nebula         killed worker's task re-run after ${s.toFixed(2)} s (trial ${i + 1})`);
    }
    result.recovery_s = round(Math.max(...trials));
    result.recovery_trials_s = trials.map((t) => round(t));

    // Gauge query at 100,000 pending.
    const g = await measureGaugeQuery(nebula.pool, 100_000, 20);
    say(
      `nebula         gauge query at ${g.pending} pending (enqueued in ${g.enqueueSeconds.toFixed(1)} s): ` +
        `median ${g.medianMs.toFixed(2)} ms, p90 ${g.p90Ms.toFixed(2)} ms over 20`,
    );
    say(`nebula         claim of 16 at ${g.pending} pending: one queue ${g.claimOneQueueMs.toFixed(2)} ms, all queues ${g.claimAllQueuesMs.toFixed(2)} ms (median)`);
    result.gauge_query_ms_100k = round(g.medianMs);
    result.claim_ms_100k_one_queue = round(g.claimOneQueueMs);
    result.claim_ms_100k_all_queues = round(g.claimAllQueuesMs);

    // Ratios within this run: the figures that survive a noisy machine. "best" compares at the
    // same number of tasks in flight; "best_any" also counts pg-boss with batches.
    for (const c of CONCURRENCIES) {
      for (const other of ['pgboss', 'pgboss_batched', 'graphile'] as const) {
        const o = rates[other]?.[c];
        const n = rates.nebula?.[c];
        if (o && n) result[`nebula_vs_${other}_c${c}`] = round(n / o);
      }
    }
    const neb = at16('nebula')!;
    const bestOf = (names: EngineName[]) => {
      const v = names.map(at16).filter((x): x is number => x !== null);
      return v.length ? Math.max(...v) : null;
    };
    const best = bestOf(['pgboss', 'graphile']);
    const bestAny = bestOf(['pgboss', 'pgboss_batched', 'graphile']);
    result.pgboss_batched_per_s = at16('pgboss_batched') === null ? null : round(at16('pgboss_batched')!, 0);
    result.nebula_vs_best_c16 = best ? round(neb / best) : null;
    result.nebula_vs_best_any_c16 = bestAny ? round(neb / bestAny) : null;
    result.target_throughput_met = best === null ? null : neb >= best;
    result.target_throughput_met_vs_batched = bestAny === null ? null : neb >= bestAny;
    result.target_recovery_met = (result.recovery_s as number) <= 10;
    result.target_pickup_met = (result.pickup_p50_ms as number) < 5;
    result.cores = os.cpus().length;
    result.postgres = pgVersion;
    result.throughput_rounds = opts.rounds;
    result.pgboss_batch_size = engines.has('pgboss_batched') ? opts.pgbossBatch : null;
    result.seconds_total = round((Date.now() - started) / 1000, 1);
  } catch (err) {
    result.error = err instanceof Error ? err.message : String(err);
    process.exitCode = 1;
    say(`failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  } finally {
    await cleanup().catch((err) => say(`cleanup failed: ${(err as Error).message}`));
  }
  // The required keys first, then the detail.
  const required = ['bench', 'nebula_per_s', 'pgboss_per_s', 'graphile_per_s', 'pickup_p50_ms', 'pickup_p99_ms', 'recovery_s', 'gauge_query_ms_100k'];
  const ordered: Record<string, unknown> = {};
  for (const k of required) ordered[k] = result[k] ?? null;
  Object.assign(ordered, result);
  console.log(JSON.stringify(ordered));
}

await main();
