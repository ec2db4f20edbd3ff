// A Nebula worker in its own process, for the recovery benchmark: the parent SIGKILLs it while
// it runs a long task and times how long another worker takes to re-run that task.
// Run as: node --import tsx bench/lib/nebula-worker-child.ts  (env NEBULA_BENCH_DB, NEBULA_BENCH_QUEUE)
import { createPool } from '../../src/db/pool.ts';
import { TaskWorker } from '../../src/tasks/index.ts';
import { createLogger } from '../../src/util/log.ts';
import { NEBULA_DEFAULTS } from './engines/nebula.ts';

const url = process.env.NEBULA_BENCH_DB;
const queue = process.env.NEBULA_BENCH_QUEUE ?? 'recovery';
if (!url) {
  console.error('NEBULA_BENCH_DB must name the database');
  process.exit(2);
}

const say = (msg: object) => process.stdout.write(`${JSON.stringify(msg)}\n`);
const pool = createPool(url, 4);
const worker = new TaskWorker({
  pool,
  connectionString: url,
  definitions: [
    {
      kind: 'sleepy',
      run: async (_payload, ctx) => {
        say({ running: ctx.id, attempt: ctx.attempt });
        await new Promise((resolve) => {
          const timer = setTimeout(resolve, 60_000);
          ctx.signal.addEventListener('abort', () => {
            clearTimeout(timer);
            resolve(undefined);
          });
        });
      },
    },
  ],
  queues: [queue],
  concurrency: 1,
  ...NEBULA_DEFAULTS,
  log: createLogger('silent'),
});
await worker.start();
say({ ready: worker.owner });
