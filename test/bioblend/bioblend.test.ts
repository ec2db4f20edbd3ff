import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase, type TestDatabase } from '../helpers/db.ts';
import { freePort, NebulaProcess } from '../helpers/processes.ts';
import { runBioblend } from './run-bioblend.ts';

/** BioBlend's own test modules, run against a freshly started Nebula. */
const MODULES = [
  'TestGalaxyConfig',
  'TestGalaxyHistories',
  'TestGalaxyDatasets',
  'TestGalaxyDatasetCollections',
  'TestGalaxyTools',
  'TestGalaxyJobs',
  'TestGalaxyUsers',
  'TestGalaxyToolData',
];
const ADMIN_KEY = 'bioblend-admin-key-0123456789abcdef';
let db: TestDatabase;
let home: string;
let server: NebulaProcess;
let url: string;

beforeAll(async () => {
  db = await freshDatabase();
  home = mkdtempSync(path.join(os.tmpdir(), 'nebula-bioblend-'));
  const port = await freePort();
  url = `http://127.0.0.1:${port}`;
  server = new NebulaProcess(['serve', '--role', 'all'], {
    DATABASE_URL: db.url,
    NEBULA_HOME: home,
    NEBULA_ADMIN_KEY: ADMIN_KEY,
    NEBULA_PORT: String(port),
    NEBULA_LOG_LEVEL: 'warn',
  }).start();
  await server.waitForHttp(`${url}/readyz`);
});

afterAll(async () => {
  await server?.kill('SIGTERM');
  await db?.drop();
  if (home) rmSync(home, { recursive: true, force: true });
});

describe('BioBlend test suite', () => {
  for (const module of MODULES) {
    it(module, { timeout: 600_000 }, async () => {
      const result = await runBioblend(url, ADMIN_KEY, [module]);
      console.log(`${module}: ${result.passed} passed, ${result.failed} failed, ${result.errors} errors, ${result.skipped} skipped`);
      if (result.exitCode !== 0) console.log(result.output.slice(-15000));
      expect(result.exitCode).toBe(0);
      expect(result.failed + result.errors).toBe(0);
      expect(result.passed).toBeGreaterThan(0);
    });
  }
});
