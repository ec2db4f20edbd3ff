/**
 * A fresh Nebula start (the real runtime: migrations, object store check, start-up registration,
 * HTTP server) lists the standard tools the way BioBlend looks for them, and a second start
 * finds them registered and rewrites nothing.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.ts';
import { startRuntime, type Runtime } from '../../src/runtime/index.ts';
import { listToolRows } from '../../src/toolstore/index.ts';
import { createLogger } from '../../src/util/log.ts';
import { freshDatabase, type TestDatabase } from '../helpers/db.ts';

const ADMIN_KEY = 'standard-tools-admin-key-0123456789';

describe('standard tools on a fresh start', () => {
  let db: TestDatabase;
  let home: string;
  let runtime: Runtime | undefined;

  const start = () =>
    startRuntime(
      loadConfig({
        DATABASE_URL: db.url,
        NEBULA_HOME: home,
        NEBULA_HOST: '127.0.0.1',
        NEBULA_PORT: '0',
        NEBULA_ADMIN_KEY: ADMIN_KEY,
        NEBULA_LOG_LEVEL: 'silent',
        NEBULA_CACHE_MAX_BYTES: '0',
      }),
      'api',
      createLogger('silent'),
    );
  const get = async (url: string) => {
    const res = await fetch(`${runtime!.address}${url}`, { headers: { 'x-api-key': ADMIN_KEY } });
    expect(res.status, url).toBe(200);
    return res.json();
  };

  beforeAll(async () => {
    db = await freshDatabase({ migrated: false });
    home = await mkdtemp(path.join(os.tmpdir(), 'nebula-standard-runtime-'));
    runtime = await start();
  }, 120_000);
  afterAll(async () => {
    await runtime?.stop();
    await db?.drop();
    await rm(home, { recursive: true, force: true });
  });

  it('lists them in GET /api/tools?in_panel=false with Galaxy ids and versions', async () => {
    const tools = (await get('/api/tools?in_panel=false')) as { id: string; version: string; model_class: string; name: string }[];
    const versions = Object.fromEntries(tools.map((t) => [t.id, t.version]));
    expect(versions).toMatchObject({
      cat1: '1.0.0',
      cat: '1.0.0',
      random_lines1: '2.0.2',
      'Show beginning1': '1.0.0',
      Paste1: '1.0.0',
      addValue: '1.0.0',
      sort1: '1.2.0',
      Cut1: '1.0.2',
      upload1: expect.any(String),
    });
    for (const t of tools) expect(t.model_class).toMatch(/Tool$/);
  });

  it("puts them in Galaxy's panel sections", async () => {
    const panel = (await get('/api/tools?in_panel=true')) as { id: string; name: string; elems?: { id: string }[] }[];
    const section = (id: string) => panel.find((s) => s.id === id)?.elems?.map((e) => e.id).sort();
    expect(section('textutil')).toEqual(['Cut1', 'Paste1', 'Show beginning1', 'addValue', 'cat1', 'random_lines1'].sort());
    expect(section('filter')).toEqual(['sort1']);
    expect(panel.find((s) => s.id === 'textutil')!.name).toBe('Text Manipulation');
  });

  it('builds the random_lines1 form with its 3 top-level inputs (BioBlend test_get_tool_model)', async () => {
    const model = (await get('/api/tools/random_lines1/build')) as { inputs: { name: string }[] };
    expect(model.inputs.map((i) => i.name)).toEqual(['num_lines', 'input', 'seed_source']);
  });

  it('registers nothing again when the next process starts', async () => {
    const before = await listToolRows(db.pool);
    await runtime!.stop();
    runtime = undefined;
    runtime = await start();
    const after = await listToolRows(db.pool);
    expect(after.map((r) => [r.id, r.version, r.bundle_sha256, r.update_time.getTime()])).toEqual(
      before.map((r) => [r.id, r.version, r.bundle_sha256, r.update_time.getTime()]),
    );
  }, 120_000);
});
