/**
 * Registration of the standard tools against real PostgreSQL and the file object store: Galaxy's
 * ids, versions and sections; nothing rewritten when nothing changed; only a changed directory
 * re-registered; ten replicas registering at once; and the ids, versions, parameter and output
 * names BioBlend's workflow files (.ga) expect.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileObjectStore } from '../../src/objectstore/index.ts';
import { listToolRows, loadRegisteredTool } from '../../src/toolstore/index.ts';
import { registerStandardTools, STANDARD_TOOL_DIR, STANDARD_TOOLS } from '../../src/toolstore/standard.ts';
import { createLogger } from '../../src/util/log.ts';
import { freshDatabase, type TestDatabase } from '../helpers/db.ts';

const log = createLogger('silent');
const ALL_DIRS = STANDARD_TOOLS.map((t) => t.dir).sort();

/** id → "version section_id" for every registered tool. */
const EXPECTED_TOOLS: Record<string, string> = {
  addValue: '1.0.0 textutil',
  cat1: '1.0.0 textutil',
  Cut1: '1.0.2 textutil',
  Paste1: '1.0.0 textutil',
  random_lines1: '2.0.2 textutil',
  'Show beginning1': '1.0.0 textutil',
  sort1: '1.2.0 filter',
  cat: '1.0.0 null',
};

async function bundleCount(store: FileObjectStore): Promise<number> {
  let n = 0;
  for await (const _ of store.list('tools/')) n++;
  return n;
}

async function withStore<T>(fn: (db: TestDatabase, store: FileObjectStore) => Promise<T>): Promise<T> {
  const db = await freshDatabase();
  const objects = await mkdtemp(path.join(os.tmpdir(), 'nebula-standard-'));
  try {
    return await fn(db, new FileObjectStore(objects));
  } finally {
    await db.drop();
    await rm(objects, { recursive: true, force: true });
  }
}

describe('registerStandardTools', () => {
  let db: TestDatabase;
  let objects: string;
  let store: FileObjectStore;

  beforeAll(async () => {
    db = await freshDatabase();
    objects = await mkdtemp(path.join(os.tmpdir(), 'nebula-standard-'));
    store = new FileObjectStore(objects);
  });
  afterAll(async () => {
    await db?.drop();
    await rm(objects, { recursive: true, force: true });
  });

  it('registers every standard tool with its Galaxy id, version and section, then leaves them alone', async () => {
    const first = await registerStandardTools(db.pool, store, log);
    expect(first.registered.sort()).toEqual(ALL_DIRS);
    expect(first.unchanged).toEqual([]);
    const rows = await listToolRows(db.pool);
    expect(Object.fromEntries(rows.map((r) => [r.id, `${r.version} ${r.section_id}`]))).toEqual(EXPECTED_TOOLS);
    expect(rows.find((r) => r.id === 'sort1')!.section_name).toBe('Filter and Sort');
    expect(rows.find((r) => r.id === 'cat1')!.section_name).toBe('Text Manipulation');
    expect(await bundleCount(store)).toBe(ALL_DIRS.length);

    const again = await registerStandardTools(db.pool, store, log);
    expect(again.registered).toEqual([]);
    expect(again.unchanged.sort()).toEqual(ALL_DIRS);
    const after = await listToolRows(db.pool);
    // Not even touched: the rows' update times are the first registration's.
    expect(after.map((r) => [r.id, r.update_time.getTime()])).toEqual(rows.map((r) => [r.id, r.update_time.getTime()]));
    expect(await bundleCount(store)).toBe(ALL_DIRS.length);
  });

  it('re-registers only the directory whose content changed', async () => {
    const root = await mkdtemp(path.join(os.tmpdir(), 'nebula-standard-copy-'));
    try {
      await cp(STANDARD_TOOL_DIR, root, { recursive: true, verbatimSymlinks: true });
      const before = (await listToolRows(db.pool)).find((r) => r.id === 'sort1')!;
      const xml = path.join(root, 'sort1', 'sorter.xml');
      await writeFile(xml, (await readFile(xml, 'utf8')).replace('Header lines are kept on top', 'Header lines stay on top'));
      const result = await registerStandardTools(db.pool, store, log, root);
      expect(result.registered).toEqual(['sort1']);
      const after = (await listToolRows(db.pool)).find((r) => r.id === 'sort1')!;
      expect(after.bundle_sha256).not.toBe(before.bundle_sha256);
      expect(after.section_id).toBe('filter');
      const loaded = await loadRegisteredTool(db.pool, store, 'sort1');
      expect(loaded.tool.help).toContain('Header lines stay on top');
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it('lets ten replicas register at once on a fresh installation', async () => {
    await withStore(async (fresh, freshStore) => {
      const results = await Promise.all(Array.from({ length: 10 }, () => registerStandardTools(fresh.pool, freshStore, log)));
      // Every replica finished; each directory was registered at least once.
      const registered = new Set(results.flatMap((r) => r.registered));
      expect([...registered].sort()).toEqual(ALL_DIRS);
      const rows = await listToolRows(fresh.pool);
      expect(Object.fromEntries(rows.map((r) => [r.id, `${r.version} ${r.section_id}`]))).toEqual(EXPECTED_TOOLS);
      expect(await bundleCount(freshStore)).toBe(ALL_DIRS.length);
      const next = await registerStandardTools(fresh.pool, freshStore, log);
      expect(next.registered).toEqual([]);
    });
  }, 60_000);
});

// ------------------------------------------------------------------ BioBlend's workflow files

const BIOBLEND_DATA = '/usr/lib/python3/dist-packages/bioblend/_tests/data';

interface GaStep {
  type?: string;
  tool_id?: string | null;
  tool_version?: string | null;
  tool_state?: string | Record<string, unknown>;
  outputs?: { name: string }[];
  input_connections?: Record<string, unknown>;
  subworkflow?: GaWorkflow;
}
interface GaWorkflow {
  steps: Record<string, GaStep>;
}

function toolSteps(workflow: GaWorkflow): GaStep[] {
  return Object.values(workflow.steps).flatMap((s) => [...(s.type === 'tool' ? [s] : []), ...(s.subworkflow ? toolSteps(s.subworkflow) : [])]);
}

// Bookkeeping keys Galaxy writes into tool_state that are not tool parameters.
const NOT_PARAMETERS = new Set(['__page__', '__rerun_remap_job_id__', 'chromInfo', '__job_resource']);

// python3-bioblend is installed by scripts/system-deps.sh: without it this fails, never skips.
describe("the standard tools against BioBlend's workflow files (python3-bioblend)", () => {
  it('has the workflow files of python3-bioblend', () => {
    expect(existsSync(BIOBLEND_DATA), `${BIOBLEND_DATA} is missing: install python3-bioblend`).toBe(true);
  });

  let db: TestDatabase;
  let objects: string;
  let store: FileObjectStore;

  beforeAll(async () => {
    db = await freshDatabase();
    objects = await mkdtemp(path.join(os.tmpdir(), 'nebula-standard-ga-'));
    store = new FileObjectStore(objects);
    await registerStandardTools(db.pool, store, log);
  });
  afterAll(async () => {
    await db?.drop();
    await rm(objects, { recursive: true, force: true });
  });

  const files = existsSync(BIOBLEND_DATA) ? readdirSync(BIOBLEND_DATA).filter((f) => f.endsWith('.ga')).sort() : [];

  it('finds the workflow files', () => {
    expect(files).toContain('paste_columns.ga');
    expect(files).toContain('select_first.ga');
  });

  for (const file of files) {
    it(`has every tool of ${file} at its exact version, with its parameters and outputs`, async () => {
      const workflow = JSON.parse(readFileSync(path.join(BIOBLEND_DATA, file), 'utf8')) as GaWorkflow;
      const steps = toolSteps(workflow);
      expect(steps.length).toBeGreaterThan(0);
      for (const step of steps) {
        const { tool } = await loadRegisteredTool(db.pool, store, step.tool_id!, step.tool_version ?? undefined);
        const inputNames = tool.inputs.map((i) => i.name);
        const state = typeof step.tool_state === 'string' ? (JSON.parse(step.tool_state) as Record<string, unknown>) : (step.tool_state ?? {});
        const parameters = Object.keys(state).filter((k) => !NOT_PARAMETERS.has(k));
        expect(inputNames, `${file}: ${tool.id} parameters`).toEqual(expect.arrayContaining(parameters));
        expect(inputNames, `${file}: ${tool.id} connections`).toEqual(expect.arrayContaining(Object.keys(step.input_connections ?? {})));
        expect(tool.outputs.map((o) => o.name), `${file}: ${tool.id} outputs`).toEqual(expect.arrayContaining((step.outputs ?? []).map((o) => o.name)));
      }
    });
  }
});
