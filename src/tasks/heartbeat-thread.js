// The lease heartbeat, on its own thread with its own database connection, so that task code
// that blocks the main event loop (CPU-bound parsing, a synchronous library call) cannot
// starve it. Plain JavaScript because worker threads do not inherit the TypeScript loader.
import { parentPort, workerData } from 'node:worker_threads';
import pg from 'pg';

const { connectionString, owner, leaseSeconds, heartbeatMs } = workerData;
let client;
let stopping = false;
let wakeUp = () => {};

async function connect() {
  const c = new pg.Client({ connectionString, connectionTimeoutMillis: 5000 });
  c.on('error', () => {});
  await c.connect();
  return c;
}

async function beat() {
  const startedAt = Date.now();
  try {
    client ??= await connect();
    // Extends every lease this owner holds, except those past their deadline: a task that is
    // stuck forever loses its lease and is retried elsewhere.
    const { rows } = await client.query(
      `UPDATE nebula_tasks SET lease_expires_at = now() + make_interval(secs => $2)
        WHERE lease_owner = $1 AND state = 'running' AND (deadline IS NULL OR deadline > now())
        RETURNING id, attempt`,
      [owner, leaseSeconds],
    );
    parentPort.postMessage({ type: 'held', startedAt, leases: rows.map((r) => [Number(r.id), r.attempt]) });
  } catch (err) {
    parentPort.postMessage({ type: 'error', startedAt, message: String(err && err.message) });
    const broken = client;
    client = undefined;
    broken?.end().catch(() => {});
  }
}

async function loop() {
  while (!stopping) {
    await beat();
    // A stop message cuts the sleep short, so shutting down never waits a whole interval.
    await new Promise((r) => {
      const timer = setTimeout(r, heartbeatMs);
      wakeUp = () => {
        clearTimeout(timer);
        r();
      };
    });
  }
  await client?.end().catch(() => {});
  parentPort.postMessage({ type: 'stopped' });
}

parentPort.on('message', (msg) => {
  if (msg === 'stop') {
    stopping = true;
    wakeUp();
  }
  if (msg === 'beat') void beat();
});
void loop();
