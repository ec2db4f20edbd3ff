import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { selftestReport } from '../../src/runtime/selftest.ts';
import { freshDatabase, type TestDatabase } from '../helpers/db.ts';
import { freePort, NebulaProcess } from '../helpers/processes.ts';

/**
 * The durable-task crash test: one API and three worker processes on one PostgreSQL, 2,000
 * tasks whose effect is a row, and a random process SIGKILLed and restarted about every
 * second. Every task must take effect exactly once; none lost, stuck or dead.
 */
const TASKS = 2000;
const ADMIN_KEY = 'crash-test-admin-key-0123456789';
let db: TestDatabase;
let home: string;
const processes: NebulaProcess[] = [];

beforeAll(async () => {
  db = await freshDatabase();
  home = mkdtempSync(path.join(os.tmpdir(), 'nebula-crash-'));
});

afterAll(async () => {
  await Promise.all(processes.map((p) => p.kill()));
  await db.drop();
  rmSync(home, { recursive: true, force: true });
});

it('survives SIGKILL of random processes: every task takes effect exactly once', { timeout: 180_000 }, async () => {
  const port = await freePort();
  const env = {
    DATABASE_URL: db.url,
    NEBULA_HOME: home,
    NEBULA_ADMIN_KEY: ADMIN_KEY,
    NEBULA_PORT: String(port),
    NEBULA_LOG_LEVEL: 'warn',
    NEBULA_CACHE_MAX_BYTES: '0',
    // Short leases keep the test short; the engine's behaviour does not depend on them.
    NEBULA_TASK_LEASE_SECONDS: '2',
    NEBULA_TASK_HEARTBEAT_SECONDS: '0.5',
    NEBULA_TASK_CONCURRENCY: '8',
  };
  const api = new NebulaProcess(['serve', '--role', 'api'], env).start();
  const workers = [1, 2, 3].map(() => new NebulaProcess(['serve', '--role', 'worker'], env).start());
  processes.push(api, ...workers);
  const base = `http://127.0.0.1:${port}`;
  await api.waitForHttp(`${base}/readyz`);

  const res = await fetch(`${base}/api/admin/selftest`, {
    method: 'POST',
    headers: { 'x-api-key': ADMIN_KEY, 'content-type': 'application/json' },
    body: JSON.stringify({ count: TASKS, max_sleep_ms: 300 }),
  });
  expect(res.status).toBe(200);
  const { batch } = (await res.json()) as { batch: string };

  // Chaos: about once a second, SIGKILL a random process and start it again.
  let kills = 0;
  const chaosUntil = Date.now() + 20_000;
  while (Date.now() < chaosUntil) {
    await new Promise((r) => setTimeout(r, 700 + Math.random() * 600));
    const victim = processes[Math.floor(Math.random() * processes.length)];
    await victim.kill('SIGKILL');
    kills++;
    victim.start();
    const report = await selftestReport(db.pool, batch);
    if (report.done === TASKS) break;
  }

  // Then let the survivors finish; leases of the last victims expire within seconds.
  const deadline = Date.now() + 90_000;
  let report = await selftestReport(db.pool, batch);
  while (report.done + report.dead < TASKS && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 500));
    report = await selftestReport(db.pool, batch);
  }
  const { rows } = await db.pool.query(
    `SELECT count(*) FILTER (WHERE state IN ('pending', 'running'))::int AS unfinished FROM nebula_tasks WHERE kind = 'nebula.selftest'`,
  );
  console.log(`crash test: ${kills} SIGKILLs, ${report.retried} tasks re-run after a kill, report ${JSON.stringify(report)}`);
  expect(kills).toBeGreaterThanOrEqual(5);
  expect(report).toMatchObject({ tasks: TASKS, done: TASKS, dead: 0, effects: TASKS, without_effect: 0 });
  expect(rows[0].unfinished).toBe(0);
});
